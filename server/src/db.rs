//! Storage: one connection type over SQLite and PostgreSQL, the pools, migrations, and the
//! `Db::run` helper that keeps blocking database work off the async threads.
//!
//! The engine follows the database URL's scheme (`postgres://`/`postgresql://` or
//! `sqlite://`/a file path), never a trial connection. SQLite admits one writer at a time, so
//! `Db::write` on SQLite hands writes to one writer thread that group-commits them
//! (`crate::writer`); PostgreSQL writes take a pooled connection each. The one-connection write
//! pool that remains on SQLite serves start-up and the maintenance commands only.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::writer::Writer;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// A connection to either engine; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which engine a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// A database URL that has been checked and whose engine is known.
#[derive(Clone)]
pub struct DatabaseUrl {
    engine: Engine,
    /// What the driver is given: the PostgreSQL URL, or the SQLite file path.
    target: String,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A PostgreSQL URL may carry a password.
        write!(
            f,
            "DatabaseUrl({}, {})",
            self.engine.name(),
            self.redacted()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL `{0}`: use postgres://..., sqlite://PATH or a file path")]
    BadUrl(String),
    #[error("cannot open the database at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("the database task was cancelled")]
    Cancelled,
    #[error("the transaction could not be committed: {0}")]
    Commit(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(DbError::BadUrl(raw.to_owned()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self {
                engine: Engine::Postgres,
                target: raw.to_owned(),
            });
        }
        let path = if let Some(rest) = raw.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = raw.strip_prefix("sqlite:") {
            rest
        } else if raw.contains("://") {
            return Err(DbError::BadUrl(raw.to_owned()));
        } else {
            raw
        };
        if path.is_empty() || path == ":memory:" {
            // Each pooled connection would get its own empty in-memory database.
            return Err(DbError::BadUrl(raw.to_owned()));
        }
        Ok(Self {
            engine: Engine::Sqlite,
            target: path.to_owned(),
        })
    }

    pub fn sqlite_file(path: &Path) -> Self {
        Self {
            engine: Engine::Sqlite,
            target: path.to_string_lossy().into_owned(),
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The URL with any password masked, for messages and logs.
    pub fn redacted(&self) -> String {
        match self.engine {
            Engine::Sqlite => self.target.clone(),
            Engine::Postgres => redact_password(&self.target),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Opens connections for the pool and sets each SQLite connection up the same way.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn establish(&self) -> Result<DbConnection, DbError> {
        let connect_error = |reason: String| DbError::Connect {
            url: self.url.redacted(),
            // libpq's messages span lines; the operator gets one.
            reason: reason
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        };
        match self.url.engine {
            Engine::Postgres => diesel::PgConnection::establish(&self.url.target)
                .map(DbConnection::Postgres)
                .map_err(|e| connect_error(e.to_string())),
            Engine::Sqlite => {
                let path = Path::new(&self.url.target);
                prepare_private_file(path).map_err(|e| connect_error(e.to_string()))?;
                let mut conn = diesel::SqliteConnection::establish(&self.url.target)
                    .map_err(|e| connect_error(e.to_string()))?;
                // WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode keeps
                // every committed transaction across a crash of the process (kill -9): only
                // an operating-system crash or power loss can lose the last commits.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA busy_timeout = 10000;",
                )
                .map_err(|e| connect_error(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// The database holds children's data: a new one (and its folder) is made readable by its
/// owner only, before SQLite creates it with the process's default permissions.
fn prepare_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)?;
    }
    if !path.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
    }
    Ok(())
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::Query)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// The database handle shared by every request: a read pool and a write pool (the same pool on
/// PostgreSQL; a single connection on SQLite).
#[derive(Clone)]
pub struct Db {
    engine: Engine,
    url: DatabaseUrl,
    read: Pool,
    write: Pool,
    /// SQLite's group-committing writer, started with the first write through `write`.
    writer: Arc<OnceLock<Arc<Writer>>>,
}

impl Db {
    /// Opens the pools and checks that a connection can be made, so a wrong URL or a
    /// database that is down is reported at start-up, in one line.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, DbError> {
        // Try once directly: r2d2 would otherwise retry until its timeout and then report
        // only "timed out".
        let probe = Manager { url: url.clone() };
        drop(probe.establish()?);
        let build = |size: u32| {
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .connection_timeout(Duration::from_secs(30))
                .test_on_check_out(false)
                .build(Manager { url: url.clone() })
                .map_err(|e| DbError::Pool(e.to_string()))
        };
        let read = build(pool_size.max(2))?;
        let write = match url.engine {
            Engine::Sqlite => build(1)?,
            Engine::Postgres => read.clone(),
        };
        Ok(Self {
            engine: url.engine,
            url: url.clone(),
            read,
            write,
            writer: Arc::new(OnceLock::new()),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Runs migrations that have not run yet.
    pub fn migrate(&self) -> Result<Vec<String>, DbError> {
        let mut conn = self.write_conn()?;
        run_migrations(&mut conn)
    }

    pub fn read_conn(&self) -> Result<PooledConnection, DbError> {
        self.read.get().map_err(|e| DbError::Pool(e.to_string()))
    }

    /// A read connection if one is free within `wait`, for work that can also run on the
    /// connection it already holds: it never waits long, so it cannot deadlock a busy pool.
    pub fn spare_read_conn(&self, wait: Duration) -> Option<PooledConnection> {
        self.read.get_timeout(wait).ok()
    }

    pub fn write_conn(&self) -> Result<PooledConnection, DbError> {
        self.write.get().map_err(|e| DbError::Pool(e.to_string()))
    }

    /// Runs a read on a pooled connection on the blocking thread pool.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.read.clone();
        Self::run(pool, f).await
    }

    /// Runs a write in a transaction of its own (a savepoint within a group commit on
    /// SQLite; a pooled connection's transaction on PostgreSQL) and answers after the commit.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match self.engine {
            Engine::Sqlite => self.sqlite_writer()?.submit(f).await,
            Engine::Postgres => {
                let pool = self.write.clone();
                Self::run(pool, move |conn| {
                    conn.transaction::<T, TransactionError<E>, _>(|conn| {
                        f(conn).map_err(TransactionError::Job)
                    })
                    .map_err(|e| match e {
                        TransactionError::Job(e) => e,
                        TransactionError::Db(e) => E::from(DbError::Query(e)),
                    })
                })
                .await
            }
        }
    }

    fn sqlite_writer(&self) -> Result<&Arc<Writer>, DbError> {
        if let Some(writer) = self.writer.get() {
            return Ok(writer);
        }
        let started = Writer::start(Manager::new(self.url.clone()))?;
        // Two first writes at once: one writer wins, the other is dropped unused.
        Ok(self.writer.get_or_init(|| started))
    }

    async fn run<T, E, F>(pool: Pool, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(|e| DbError::Pool(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }
}

/// A write's own error, or the database's, inside a transaction.
enum TransactionError<E> {
    Job(E),
    Db(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for TransactionError<E> {
    fn from(err: diesel::result::Error) -> Self {
        TransactionError::Db(err)
    }
}

/// Runs the pending migrations of the connection's engine; returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConnection::Postgres(pg) => pg
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConnection::Sqlite(lite) => lite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// Reverts every migration (used by the migration round-trip test).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let reverted = match conn {
        DbConnection::Postgres(pg) => pg
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConnection::Sqlite(lite) => lite
            .revert_all_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    reverted.map_err(|e| DbError::Migration(e.to_string()))
}

/// The default database: a SQLite file in the user's data directory.
pub fn default_sqlite_path() -> PathBuf {
    dirs::data_local_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("kinthread")
        .join("kinthread.db")
}

/// Ids go to the multi-engine backend through the engine's own impl (in
/// `kinthread_shared::storage`); enums need nothing here, their impl serves every backend.
macro_rules! multi_backend_text_ids {
    ($($name:ident),+ $(,)?) => {
        $(
            impl diesel::serialize::ToSql<diesel::sql_types::Text, MultiBackend>
                for kinthread_shared::$name
            {
                fn to_sql<'b>(
                    &'b self,
                    out: &mut diesel::serialize::Output<'b, '_, MultiBackend>,
                ) -> diesel::serialize::Result {
                    out.set_value((diesel::sql_types::Text, self));
                    Ok(diesel::serialize::IsNull::No)
                }
            }
        )+
    };
}

multi_backend_text_ids!(
    ProgramId, FamilyId, PersonId, ContactId, CheckinId, UserId, FollowUpId, ClientId, AuditId,
    SessionId
);
