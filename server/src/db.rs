//! Storage: one connection type over SQLite and PostgreSQL, the pools, migrations, and the
//! `Db::run` helper that keeps blocking database work off the async threads.
//!
//! The engine follows the database URL's scheme (`postgres://`/`postgresql://` or
//! `sqlite://`/a file path), never a trial connection. SQLite admits one writer at a time, so
//! `Db::write` on SQLite hands writes to one writer thread that group-commits them
//! (`crate::writer`); PostgreSQL writes take a pooled connection each. The one-connection write
//! pool that remains on SQLite serves start-up and the maintenance commands only.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::connection::{
    AnsiTransactionManager, Instrumentation, InstrumentationEvent, SimpleConnection,
    TransactionManager,
};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::DatabaseErrorKind;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::writer::Writer;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// How long a request waits for a pooled connection before it is answered 503. Short, so that
/// a database outage answers quickly instead of holding every request; it also bounds r2d2's
/// back-off between reconnection attempts (half of it), so service resumes within seconds
/// of the database's return.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

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
    #[error("a database write panicked: {0}")]
    Panicked(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let raw = raw.trim();
        // The refusal is printed: never with the password it may carry.
        let bad = || DbError::BadUrl(redact_password(raw));
        if raw.is_empty() {
            return Err(bad());
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
            return Err(bad());
        } else {
            raw
        };
        if path.is_empty() || path == ":memory:" {
            // Each pooled connection would get its own empty in-memory database.
            return Err(bad());
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

/// Masks the password of `user:password@host` and of a `password=` query parameter (libpq
/// accepts both).
fn redact_password(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((url, query)) => (url, Some(query)),
        None => (url, None),
    };
    let mut redacted = match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    if let Some(query) = query {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => parameter.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&parameters.join("&"));
    }
    redacted
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
            Engine::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.url.target)
                    .map_err(|e| connect_error(e.to_string()))?;
                conn.set_instrumentation(ConnectionHealth::default());
                Ok(DbConnection::Postgres(conn))
            }
            Engine::Sqlite => {
                let path = Path::new(&self.url.target);
                prepare_private_file(path).map_err(|e| connect_error(e.to_string()))?;
                let mut conn = diesel::SqliteConnection::establish(&self.url.target)
                    .map_err(|e| connect_error(e.to_string()))?;
                // WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode keeps
                // every committed transaction across a crash of the process (kill -9): only
                // an operating-system crash or power loss can lose the last commits.
                // secure_delete overwrites what is deleted, so that an erased family (or what
                // retention erased) does not linger in the file's free pages.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA secure_delete = ON;
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

    /// A connection whose transaction state is broken (a panic or a failed rollback inside a
    /// transaction), or a PostgreSQL connection whose server went away, is closed rather than
    /// handed to the next request.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
            || conn
                .instrumentation()
                .downcast_ref::<ConnectionHealth>()
                .is_some_and(|health| health.lost)
    }
}

/// Whether an error means the connection itself is gone (the server restarted, the network
/// dropped): the request may be retried on a new connection.
pub fn is_connection_lost(err: &diesel::result::Error) -> bool {
    use diesel::result::Error;
    match err {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::RollbackErrorOnCommit { commit_error, .. } => is_connection_lost(commit_error),
        _ => false,
    }
}

/// Watches a PostgreSQL connection's queries and remembers when one failed because the
/// connection was lost. libpq's own status is not reachable through diesel, and a connection
/// that lost its server outside a transaction looks healthy to diesel's transaction manager:
/// without this the pool would hand the dead connection out again and again.
#[derive(Debug, Default)]
struct ConnectionHealth {
    lost: bool,
}

impl Instrumentation for ConnectionHealth {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery {
            error: Some(err), ..
        } = event
            && is_connection_lost(err)
        {
            self.lost = true;
        }
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
    /// SQLite's group-committing writer, started with the first write through `write`, and
    /// again with the next write if it ever stopped.
    writer: Arc<Mutex<Option<Arc<Writer>>>>,
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
                .connection_timeout(CHECKOUT_TIMEOUT)
                // No ping on every checkout: `has_broken` drops a connection that lost its
                // server, so a database restart costs each pooled connection one 503 (with
                // Retry-After) and then nothing; a ping would cost a round trip per request,
                // forever.
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
            writer: Arc::new(Mutex::new(None)),
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

    /// Runs `f` on the write pool's connection, on the calling thread: for start-up and the
    /// maintenance commands, outside the async runtime. On SQLite `f` runs in one transaction
    /// that begins `IMMEDIATE`, like the writer's, so that no other writer (a running server,
    /// a second command) can commit between its reads and its writes; on PostgreSQL it runs
    /// as written, in the transactions it opens itself.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<DbError> + From<diesel::result::Error>,
    {
        let mut conn = self.write_conn()?;
        match self.engine {
            Engine::Sqlite => immediate_transaction(&mut conn, f),
            Engine::Postgres => f(&mut conn),
        }
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

    /// Runs a write that is atomic on its own (one statement, or a transaction it opens
    /// itself) and answers after its commit. On PostgreSQL it runs on a pooled connection
    /// outside any transaction: a write of one statement then costs one round trip, not
    /// three (`BEGIN`, the statement, `COMMIT`). On SQLite it is [`Db::write`].
    pub async fn write_atomic<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match self.engine {
            Engine::Sqlite => self.sqlite_writer()?.submit(f).await,
            Engine::Postgres => Self::run(self.write.clone(), f).await,
        }
    }

    /// The running writer; a writer that stopped (its thread ended) is replaced, so one
    /// failure costs the writes in flight, not every write until a restart.
    fn sqlite_writer(&self) -> Result<Arc<Writer>, DbError> {
        // The lock guards no invariant a panic could break: take it even if poisoned.
        let mut slot = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(writer) = slot.as_ref().filter(|writer| writer.is_running()) {
            return Ok(Arc::clone(writer));
        }
        if slot.is_some() {
            tracing::warn!("the database writer had stopped; starting a new one");
        }
        let started = Writer::start(Manager::new(self.url.clone()))?;
        *slot = Some(Arc::clone(&started));
        Ok(started)
    }

    async fn run<T, E, F>(pool: Pool, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        // The blocking thread logs under the request's span, so its lines carry the request id.
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
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

/// Runs `f` in a transaction that, on SQLite, takes the write lock at once (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads first and writes later fails with
/// `SQLITE_BUSY` when another writer committed in between, whatever the busy timeout. On
/// PostgreSQL it is an ordinary transaction. Transactions inside `f` become savepoints.
pub fn immediate_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(lite) => {
            AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(_) => DbConnection::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            DbConnection::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            DbConnection::rollback_transaction(conn)?;
            Err(err)
        }
    }
}

/// How many transactions and savepoints are open on the connection (0 outside a transaction,
/// and when the transaction manager is broken).
pub fn transaction_depth(conn: &mut DbConnection) -> u32 {
    DbConnection::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .map_or(0, NonZeroU32::get)
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

/// Applies the next pending migration; `None` when every migration has run.
pub fn run_next_migration(conn: &mut DbConnection) -> Result<Option<String>, DbError> {
    let applied = match conn {
        DbConnection::Postgres(pg) => next_migration(pg, || POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(lite) => next_migration(lite, || SQLITE_MIGRATIONS),
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// `source` gives the migrations once per use (they are not `Clone`).
fn next_migration<B, C>(
    conn: &mut C,
    source: impl Fn() -> EmbeddedMigrations,
) -> diesel::migration::Result<Option<String>>
where
    B: diesel::backend::Backend,
    C: MigrationHarness<B>,
{
    if conn.pending_migrations(source())?.is_empty() {
        return Ok(None);
    }
    conn.run_next_migration(source())
        .map(|version| Some(version.to_string()))
}

/// Reverts the most recent migration (used by the migration round-trip test).
pub fn revert_last_migration(conn: &mut DbConnection) -> Result<String, DbError> {
    let reverted = match conn {
        DbConnection::Postgres(pg) => pg
            .revert_last_migration(POSTGRES_MIGRATIONS)
            .map(|v| v.to_string()),
        DbConnection::Sqlite(lite) => lite
            .revert_last_migration(SQLITE_MIGRATIONS)
            .map(|v| v.to_string()),
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
    ConsentId,
    ProgramId,
    FamilyId,
    PersonId,
    ContactId,
    CheckinId,
    UserId,
    FollowUpId,
    ClientId,
    AuditId,
    SessionId,
    FeedbackId,
    ChildCheckinId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_wherever_the_url_carries_them() {
        for (url, shown) in [
            (
                "postgres://kt:s3cret@db:5432/kt",
                "postgres://kt:***@db:5432/kt",
            ),
            ("postgres://kt:p@ss@db/kt", "postgres://kt:***@db/kt"),
            (
                "postgres://kt@db/kt?sslmode=require&password=s3cret",
                "postgres://kt@db/kt?sslmode=require&password=***",
            ),
            ("postgres://kt@db/kt", "postgres://kt@db/kt"),
        ] {
            assert_eq!(redact_password(url), shown);
        }
        let refused = DatabaseUrl::parse("mysql://kt:s3cret@db/kt").err().unwrap();
        assert!(!refused.to_string().contains("s3cret"), "{refused}");
    }

    #[tokio::test]
    async fn a_stopped_sqlite_writer_is_replaced_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_file(&dir.path().join("kt.db")), 2).unwrap();
        let write = || {
            db.write(|conn| {
                conn.batch_execute("CREATE TABLE IF NOT EXISTS probe (n INTEGER)")
                    .map_err(DbError::Query)
            })
        };
        write().await.unwrap();
        *db.writer.lock().unwrap() = Some(Writer::stopped());
        write().await.unwrap();
        assert!(db.writer.lock().unwrap().as_ref().unwrap().is_running());
    }
}
