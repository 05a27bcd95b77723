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
use std::time::{Duration, Instant};

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

/// How long a staff report waits for the standby to replay what the primary had written when
/// the report was asked for, before it reads the primary instead. Replay runs milliseconds
/// behind under load (docs/deploy.md); a standby a second behind is stalled or overloaded, and
/// the primary answers correctly meanwhile.
pub const STANDBY_CATCH_UP_WAIT: Duration = Duration::from_secs(1);

/// How often a report asks the standby how far it has replayed while it waits.
const STANDBY_POLL: Duration = Duration::from_millis(2);

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

/// How SQLite makes a commit durable (`PRAGMA synchronous`, with WAL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SqliteSync {
    /// Every commit is synced to disk (the WAL file) before it is acknowledged, so an
    /// acknowledged write survives a power loss or an operating-system crash. The only
    /// setting the server runs with (`docs/durability.md`).
    #[default]
    Full,
    /// Commits reach the operating system and are synced at checkpoints: they survive a
    /// crash of the process, not of the machine. Only the durability benchmark uses it, to
    /// measure what `Full` costs.
    Normal,
}

impl SqliteSync {
    fn pragma(self) -> &'static str {
        match self {
            SqliteSync::Full => "PRAGMA synchronous = FULL;",
            SqliteSync::Normal => "PRAGMA synchronous = NORMAL;",
        }
    }
}

/// A database URL that has been checked and whose engine is known.
#[derive(Clone)]
pub struct DatabaseUrl {
    engine: Engine,
    /// What the driver is given: the PostgreSQL URL, or the SQLite file path.
    target: String,
    sqlite_sync: SqliteSync,
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
    #[error("the read database `{0}` must be a PostgreSQL standby of a PostgreSQL primary")]
    ReadNotPostgres(String),
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
                sqlite_sync: SqliteSync::Full,
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
            sqlite_sync: SqliteSync::Full,
        })
    }

    pub fn sqlite_file(path: &Path) -> Self {
        Self {
            engine: Engine::Sqlite,
            target: path.to_string_lossy().into_owned(),
            sqlite_sync: SqliteSync::Full,
        }
    }

    /// The same database with SQLite's commits synced as `sync` says (for the durability
    /// benchmark; PostgreSQL ignores it).
    pub fn with_sqlite_sync(self, sqlite_sync: SqliteSync) -> Self {
        Self {
            sqlite_sync,
            ..self
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
                // WAL lets readers run beside the writer; synchronous=FULL syncs the WAL at
                // every commit, so that what was acknowledged survives a power loss too (with
                // NORMAL, the last commits before one could be lost: docs/durability.md).
                // secure_delete overwrites what is deleted, so that an erased family (or what
                // retention erased) does not linger in the file's free pages.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL;
                     {}
                     PRAGMA foreign_keys = ON;
                     PRAGMA secure_delete = ON;
                     PRAGMA busy_timeout = 10000;",
                    self.url.sqlite_sync.pragma()
                ))
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
/// PostgreSQL; a single connection on SQLite), and on PostgreSQL maybe a standby's pool for
/// staff reports (`with_standby`, used through `for_reports`).
#[derive(Clone)]
pub struct Db {
    engine: Engine,
    url: DatabaseUrl,
    read: Pool,
    write: Pool,
    /// SQLite's group-committing writer, started with the first write through `write`, and
    /// again with the next write if it ever stopped.
    writer: Arc<Mutex<Option<Arc<Writer>>>>,
    /// A hot standby's pool (`--read-database-url`), for staff reports only.
    standby: Option<Pool>,
    /// Set on the handle `for_reports` gives when there is a standby: `read` is then the
    /// standby's pool, and this the primary's, whose position the standby must have replayed
    /// before a read runs on it.
    primary: Option<Pool>,
}

/// A pool of connections to `url`.
fn build_pool(url: &DatabaseUrl, size: u32) -> Result<Pool, DbError> {
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(CHECKOUT_TIMEOUT)
        // No ping on every checkout: `has_broken` drops a connection that lost its server, so a
        // database restart costs each pooled connection one 503 (with Retry-After) and then
        // nothing; a ping would cost a round trip per request, forever.
        .test_on_check_out(false)
        .build(Manager { url: url.clone() })
        .map_err(|e| DbError::Pool(e.to_string()))
}

impl Db {
    /// Opens the pools and checks that a connection can be made, so a wrong URL or a
    /// database that is down is reported at start-up, in one line.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, DbError> {
        // Try once directly: r2d2 would otherwise retry until its timeout and then report
        // only "timed out".
        let probe = Manager { url: url.clone() };
        drop(probe.establish()?);
        let read = build_pool(url, pool_size.max(2))?;
        let write = match url.engine {
            Engine::Sqlite => build_pool(url, 1)?,
            Engine::Postgres => read.clone(),
        };
        Ok(Self {
            engine: url.engine,
            url: url.clone(),
            read,
            write,
            writer: Arc::new(Mutex::new(None)),
            standby: None,
            primary: None,
        })
    }

    /// Adds a PostgreSQL hot standby of this handle's primary for staff reports, checked at
    /// start-up like the primary. Everything else (writes, and every read a family's phone
    /// makes) stays on the primary.
    pub fn with_standby(self, url: &DatabaseUrl, pool_size: u32) -> Result<Self, DbError> {
        if self.engine != Engine::Postgres || url.engine != Engine::Postgres {
            return Err(DbError::ReadNotPostgres(url.redacted()));
        }
        drop(Manager { url: url.clone() }.establish()?);
        let standby = build_pool(url, pool_size.max(2))?;
        Ok(Self {
            standby: Some(standby),
            ..self
        })
    }

    /// The handle a staff report reads through: with a standby, its `read` runs on the
    /// standby once the standby has replayed everything the primary had written when the
    /// read began (so the report shows every write acknowledged before it, whichever server
    /// copy took it), and on the primary when the standby does not catch up within
    /// `STANDBY_CATCH_UP_WAIT`; its `spare_read_conn` is the standby's too. Without a standby
    /// it is this handle.
    pub fn for_reports(&self) -> Db {
        match &self.standby {
            Some(standby) => Db {
                read: standby.clone(),
                primary: Some(self.read.clone()),
                standby: None,
                ..self.clone()
            },
            None => self.clone(),
        }
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
        match self.primary.clone() {
            None => Self::run(pool, f).await,
            Some(primary) => {
                Self::blocking(move || {
                    let mut conn = caught_up_standby(&primary, &pool)?;
                    f(&mut conn)
                })
                .await
            }
        }
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
        Self::blocking(move || {
            let mut conn = pool.get().map_err(|e| DbError::Pool(e.to_string()))?;
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` on the blocking thread pool.
    async fn blocking<T, E, F>(f: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        // The blocking thread logs under the request's span, so its lines carry the request id.
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            f()
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }
}

/// A connection on the standby once it has replayed the primary's current WAL insert
/// position, which is past every commit acknowledged so far; else, after
/// `STANDBY_CATCH_UP_WAIT` (or at once when the standby cannot be reached), a connection on
/// the primary. A standby that was promoted (it is no longer in recovery) has everything.
fn caught_up_standby(primary: &Pool, standby: &Pool) -> Result<PooledConnection, DbError> {
    let pool_error = |e: r2d2::PoolError| DbError::Pool(e.to_string());
    let target = {
        let mut conn = primary.get().map_err(pool_error)?;
        let DbConnection::Postgres(pg) = &mut *conn else {
            return Ok(conn);
        };
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "pg_current_wal_insert_lsn()::text",
        ))
        .get_result::<String>(pg)?
    };
    let started = Instant::now();
    let lagging = match standby.get_timeout(STANDBY_CATCH_UP_WAIT) {
        Ok(mut conn) => loop {
            match replayed(&mut conn, &target) {
                Ok(true) => return Ok(conn),
                Ok(false) if started.elapsed() < STANDBY_CATCH_UP_WAIT => {
                    std::thread::sleep(STANDBY_POLL)
                }
                Ok(false) => break "it has not replayed the primary's position in time".to_owned(),
                Err(err) => break err.to_string(),
            }
        },
        Err(err) => err.to_string(),
    };
    tracing::warn!(
        detail = %lagging,
        waited_ms = started.elapsed().as_millis(),
        "the standby cannot serve a report; it reads the primary"
    );
    primary.get().map_err(pool_error)
}

/// Whether the server behind `conn` has replayed the WAL up to `target`, or is a primary.
fn replayed(conn: &mut DbConnection, target: &str) -> QueryResult<bool> {
    use diesel::sql_types::{Bool, Text};
    let DbConnection::Postgres(pg) = conn else {
        return Ok(true);
    };
    diesel::select(
        diesel::dsl::sql::<Bool>(
            "NOT pg_is_in_recovery() OR coalesce(pg_last_wal_replay_lsn() >= ",
        )
        .bind::<Text, _>(target)
        .sql("::pg_lsn, false)"),
    )
    .get_result(pg)
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

    #[test]
    fn sqlite_syncs_every_commit_unless_told_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::sqlite_file(&dir.path().join("kt.db"));
        let synchronous = |url: DatabaseUrl| {
            let DbConnection::Sqlite(mut lite) = Manager::new(url).establish().unwrap() else {
                panic!("not SQLite");
            };
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
                "(SELECT synchronous FROM pragma_synchronous())",
            ))
            .get_result::<i32>(&mut lite)
            .unwrap()
        };
        // 2 is FULL, 1 is NORMAL.
        assert_eq!(synchronous(url.clone()), 2);
        assert_eq!(synchronous(url.with_sqlite_sync(SqliteSync::Normal)), 1);
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
