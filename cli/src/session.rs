//! The remembered login: server address and tokens in `session.json` of the user's config
//! directory (`$KINTHREAD_CONFIG_DIR` overrides it).
//!
//! The file holds a refresh token, which is as good as a password for 30 days: it is written
//! owner-only (0600, in a 0700 directory) from the moment it exists, never widened later.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use kinthread_shared::api::User;
use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult, Kind};

pub const CONFIG_DIR_VAR: &str = "KINTHREAD_CONFIG_DIR";
const FILE_NAME: &str = "session.json";
const LOCK_NAME: &str = "session.lock";

/// How long a run waits for another one's refresh.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// A lock older than this was left by a run that died: a refresh is one short request.
const LOCK_STALE: std::time::Duration = std::time::Duration::from_secs(30);

/// What a login leaves behind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Base URL of the server, without `/api/v1`.
    pub server: String,
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub user: User,
}

impl Session {
    /// Whether the access token has expired or is about to (a request in flight should not
    /// outlive it).
    pub fn access_expired(&self, now: DateTime<Utc>) -> bool {
        now + chrono::Duration::seconds(30) >= self.access_expires_at
    }
}

/// Where sessions are kept.
#[derive(Clone, Debug)]
pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    /// The store in `$KINTHREAD_CONFIG_DIR`, else `<config dir>/kinthread`.
    pub fn locate() -> CliResult<Self> {
        if let Some(dir) = std::env::var_os(CONFIG_DIR_VAR).filter(|d| !d.is_empty()) {
            return Ok(Self::at(PathBuf::from(dir)));
        }
        dirs::config_dir()
            .map(|base| Self::at(base.join("kinthread")))
            .ok_or_else(|| {
                CliError::other(
                    "config",
                    format!("no config directory is known for this user; set {CONFIG_DIR_VAR}"),
                )
            })
    }

    pub fn at(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The remembered session, if any.
    pub fn load(&self) -> CliResult<Option<Session>> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CliError::io(&format!("reading {}", path.display()), e)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            CliError::new(
                Kind::Auth,
                "session_unreadable",
                format!(
                    "{} is damaged ({e}); run `kinthread login` again",
                    path.display()
                ),
            )
        })
    }

    /// Writes the session, replacing the old one in one step (a crash leaves either).
    pub fn save(&self, session: &Session) -> CliResult<()> {
        create_private_dir(&self.dir)?;
        let json = serde_json::to_vec_pretty(session)
            .map_err(|e| CliError::other("internal", e.to_string()))?;
        let path = self.path();
        let temp = self
            .dir
            .join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
        let written = write_private(&temp, &json).and_then(|()| {
            fs::rename(&temp, &path)
                .map_err(|e| CliError::io(&format!("writing {}", path.display()), e))
        });
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written
    }

    /// Forgets the session; nothing to forget is fine.
    pub fn clear(&self) -> CliResult<()> {
        match fs::remove_file(self.path()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CliError::io(
                &format!("removing {}", self.path().display()),
                e,
            )),
        }
    }
}

/// Held while one run refreshes the tokens. Refresh tokens are single use and the server takes
/// a second use for theft (it then revokes every login of the user), so parallel `kinthread`
/// runs in a script must not spend the same token twice.
#[derive(Debug)]
pub struct RefreshLock {
    path: PathBuf,
}

impl Drop for RefreshLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

impl SessionStore {
    /// Waits for the refresh lock; a lock left by a crashed run is taken over.
    pub async fn lock_refresh(&self) -> CliResult<RefreshLock> {
        create_private_dir(&self.dir)?;
        let path = self.dir.join(LOCK_NAME);
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(&path) {
                Ok(_) => return Ok(RefreshLock { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|at| at.elapsed().ok())
                        .is_some_and(|age| age > LOCK_STALE);
                    if stale {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    if std::time::Instant::now() > deadline {
                        return Err(CliError::other(
                            "session_locked",
                            format!(
                                "another kinthread run holds {}; remove it if none is running",
                                path.display()
                            ),
                        ));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => return Err(CliError::io(&format!("creating {}", path.display()), e)),
            }
        }
    }
}

fn create_private_dir(dir: &Path) -> CliResult<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| CliError::io(&format!("creating {}", dir.display()), e))
}

/// Creates `path` owner-only and writes `bytes`; the mode is set at creation, so the token
/// is never readable by others, not even for a moment.
fn write_private(path: &Path, bytes: &[u8]) -> CliResult<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let what = format!("writing {}", path.display());
    let mut file = options.open(path).map_err(|e| CliError::io(&what, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::io(&what, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            server: "http://127.0.0.1:1".into(),
            access_token: "a".into(),
            access_expires_at: Utc::now(),
            refresh_token: "r".into(),
            user: User {
                id: kinthread_shared::UserId::new(),
                username: "u".into(),
                display_name: None,
                role: kinthread_shared::AccountRole::Admin,
                disabled: false,
                login_locked: false,
                must_change_password: false,
                family_id: None,
                person_id: None,
                program_ids: vec![],
                created_at: Utc::now(),
            },
        }
    }

    #[test]
    fn saves_owner_only_and_round_trips() -> CliResult<()> {
        let dir = std::env::temp_dir().join(format!("kt-session-{}", uuid::Uuid::now_v7()));
        let store = SessionStore::at(dir.join("nested"));
        assert_eq!(store.load()?, None);
        let first = session();
        store.save(&first)?;
        let mut second = session();
        second.refresh_token = "rotated".into();
        store.save(&second)?;
        assert_eq!(store.load()?, Some(second));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        store.clear()?;
        store.clear()?;
        assert_eq!(store.load()?, None);
        let _ = fs::remove_dir_all(dir);
        Ok(())
    }
}
