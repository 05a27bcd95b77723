//! The integration-test harness: the real server on a random port, against a throwaway
//! database: a temp SQLite file, or a fresh schema in the PostgreSQL named by
//! `KINTHREAD_TEST_POSTGRES_URL`.
//!
//! Each test runs once per engine (`engine_tests!`). Without the variable the PostgreSQL run
//! is skipped, and says so on the terminal (past the test runner's capture); under CI (`CI`
//! set) it fails instead: a suite must never pass by skipping PostgreSQL.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use kinthread_server::app::{self, AppState, cheap_password_cost};
use kinthread_server::config::Settings;
use kinthread_server::db::DatabaseUrl;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub mod fixtures;

pub const POSTGRES_URL_VAR: &str = "KINTHREAD_TEST_POSTGRES_URL";

/// Whether the tests run under CI, where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// Skips a test that lacks something outside the repository (`Ok(())`, with a line on the
/// terminal that the test runner does not swallow), or fails it under CI.
pub fn skip(test: &str, missing: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !under_ci(),
        "{test}: {missing}, and CI is set: this test must run, not be skipped"
    );
    // Straight to the terminal: the test runner captures `eprintln!` of passing tests.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {missing}");
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed after it.
pub enum TestDatabase {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        schema: String,
        url: String,
    },
    /// The database of another server copy, which owns it and removes it.
    Shared { url: String },
}

impl TestDatabase {
    /// A fresh database, or `None` (with a note on stderr) when the engine is not configured.
    pub fn new(engine: Engine) -> anyhow::Result<Option<Self>> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = dir.path().join("kinthread-test.db").display().to_string();
                Ok(Some(TestDatabase::Sqlite { _dir: dir, url }))
            }
            Engine::Postgres => {
                let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
                    let test = std::thread::current()
                        .name()
                        .unwrap_or("a PostgreSQL test")
                        .to_owned();
                    skip(&test, &format!("{POSTGRES_URL_VAR} is not set"))?;
                    return Ok(None);
                };
                Self::postgres_schema(&admin_url).map(Some)
            }
        }
    }

    /// A fresh schema in the PostgreSQL database at `admin_url`, dropped after the test.
    pub fn postgres_schema(admin_url: &str) -> anyhow::Result<Self> {
        let schema = format!("kt_{}", uuid::Uuid::new_v4().simple());
        let mut conn = diesel::PgConnection::establish(admin_url)?;
        conn.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
        Ok(TestDatabase::Postgres {
            admin_url: admin_url.to_owned(),
            schema,
            url,
        })
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. }
            | TestDatabase::Postgres { url, .. }
            | TestDatabase::Shared { url } => url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres {
            admin_url, schema, ..
        } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// The real server, serving on a random local port in its own thread.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub db_url: String,
    handle: actix_web::dev::ServerHandle,
    // Dropped last: the server must stop before its database goes.
    _db: TestDatabase,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> anyhow::Result<Option<Self>> {
        let Some(db) = TestDatabase::new(engine)? else {
            return Ok(None);
        };
        Self::spawn_on(db, 4).await.map(Some)
    }

    /// The server with settings of the test's own (`tweak` changes the test defaults).
    pub async fn spawn_with(
        engine: Engine,
        tweak: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<Option<Self>> {
        let Some(db) = TestDatabase::new(engine)? else {
            return Ok(None);
        };
        Self::start(db, 4, tweak).await.map(Some)
    }

    /// A second server copy on this one's database, as behind a load balancer: its own
    /// pool, caches and login throttle, the same records and signing secret. Drop it before
    /// `self`, which owns the database.
    pub async fn another_copy(&self) -> anyhow::Result<Self> {
        let shared = TestDatabase::Shared {
            url: self.db_url.clone(),
        };
        Self::start(shared, 4, |_| {}).await
    }

    /// The server on a database prepared beforehand (benchmarks fill it first).
    pub async fn spawn_on(db: TestDatabase, pool_size: u32) -> anyhow::Result<Self> {
        Self::start(db, pool_size, |_| {}).await
    }

    async fn start(
        db: TestDatabase,
        pool_size: u32,
        tweak: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<Self> {
        let db_url = db.url().to_owned();
        let mut settings = Settings::new("127.0.0.1:0".parse()?, DatabaseUrl::parse(&db_url)?);
        settings.workers = 2;
        settings.pool_size = pool_size;
        settings.password_cost = cheap_password_cost();
        tweak(&mut settings);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let started = AppState::open(&settings)
                .map_err(|e| e.to_string())
                .and_then(|state| app::start(&settings, state).map_err(|e| e.to_string()));
            match started {
                Ok((server, addr)) => {
                    let _ = tx.send(Ok((server.handle(), addr)));
                    let _ = actix_web::rt::System::new().block_on(server);
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
        let (handle, addr) =
            tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
                .await??
                .map_err(anyhow::Error::msg)?;
        Ok(Self {
            base_url: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            db_url,
            handle,
            _db: db,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Sends a request and returns status and JSON body (`Value::Null` for an empty body).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                anyhow::anyhow!(
                    "{path}: body is not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })?
        };
        Ok((status, body))
    }

    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<(u16, Value)> {
        self.send(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> anyhow::Result<(u16, Value)> {
        let body = serde_json::to_value(body)?;
        self.send(reqwest::Method::POST, path, token, Some(&body))
            .await
    }

    /// POST that must answer `expected`; returns the body as `T`.
    pub async fn post_ok<T: DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
        expected: u16,
    ) -> anyhow::Result<T> {
        let (status, body) = self.post(path, token, body).await?;
        anyhow::ensure!(status == expected, "POST {path}: {status} {body}");
        Ok(serde_json::from_value(body)?)
    }

    pub async fn get_ok<T: DeserializeOwned>(&self, path: &str, token: &str) -> anyhow::Result<T> {
        let (status, body) = self.get(path, token).await?;
        anyhow::ensure!(status == 200, "GET {path}: {status} {body}");
        Ok(serde_json::from_value(body)?)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Fire and forget: the server thread ends when it has stopped.
        drop(self.handle.stop(false));
    }
}

/// Declares an async test body once and runs it on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! engine_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() -> anyhow::Result<()> {
                    match $crate::TestApp::spawn($crate::Engine::Sqlite).await? {
                        Some(app) => super::$name(app).await,
                        None => Ok(()),
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() -> anyhow::Result<()> {
                    match $crate::TestApp::spawn($crate::Engine::Postgres).await? {
                        Some(app) => super::$name(app).await,
                        None => Ok(()),
                    }
                }
            }
        )+
    };
}
