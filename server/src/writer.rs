//! The SQLite writer: one thread that owns the write connection and commits the writes that
//! arrive together in one transaction (group commit).
//!
//! SQLite admits one writer at a time. Letting every request's blocking thread queue on a
//! one-connection pool costs a thread wake-up per request and a commit (a WAL append) per
//! request; one writer thread that drains its queue and commits once per round costs neither.
//! Each job runs inside its own savepoint, so a job that fails leaves nothing behind, and every
//! job hears back only after the commit that made it durable: nothing is acknowledged early.
//!
//! A job that panics is caught: its savepoint is rolled back, its request is answered with an
//! internal error, and the other jobs of the group commit as usual. A panic that escapes that
//! costs its group (answered 503) and the connection, not the thread. Should the thread end
//! all the same (it cannot reconnect), `Db` starts a new writer with the next write.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use diesel::Connection;
use diesel::connection::TransactionManager;
use diesel::r2d2::R2D2Connection;
use tokio::sync::{mpsc, oneshot};

use crate::db::{self, DbConnection, DbError, Manager};

/// Jobs waiting beyond this many make callers wait to queue (back-pressure).
const QUEUE_DEPTH: usize = 1024;
/// The most jobs committed together; bounds the latency one round adds.
const MAX_GROUP: usize = 128;

/// Runs a job and returns what to do once the group's commit is known.
type Job = Box<dyn FnOnce(&mut DbConnection) -> Completion + Send>;
type Completion = Box<dyn FnOnce(Result<(), &DbError>) + Send>;

pub struct Writer {
    queue: mpsc::Sender<Job>,
}

/// Why a job's savepoint was rolled back.
enum Rollback<E> {
    Job(E),
    Db(diesel::result::Error),
    Panicked(String),
}

impl<E> From<diesel::result::Error> for Rollback<E> {
    fn from(err: diesel::result::Error) -> Self {
        Rollback::Db(err)
    }
}

impl Writer {
    /// Starts the writer thread with its own connection.
    pub fn start(manager: Manager) -> Result<Arc<Self>, DbError> {
        let conn = manager.establish()?;
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("kinthread-writer".into())
            .spawn(move || run(&manager, conn, jobs))
            .map_err(|e| DbError::Pool(format!("cannot start the database writer: {e}")))?;
        Ok(Arc::new(Self { queue }))
    }

    /// Whether the writer thread still takes jobs.
    pub fn is_running(&self) -> bool {
        !self.queue.is_closed()
    }

    /// Runs `f` on the write connection and answers after its commit.
    pub async fn submit<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        // The job logs under the request's span, so its lines carry the request id.
        let span = tracing::Span::current();
        let job: Job = Box::new(move |conn| {
            let outcome = span.in_scope(|| in_savepoint(conn, f));
            Box::new(move |committed: Result<(), &DbError>| {
                let result = match (outcome, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(commit)) => Err(E::from(DbError::Commit(commit.to_string()))),
                    (Err(Rollback::Job(e)), _) => Err(e),
                    (Err(Rollback::Db(e)), _) => Err(E::from(DbError::Query(e))),
                    (Err(Rollback::Panicked(message)), _) => {
                        Err(E::from(DbError::Panicked(message)))
                    }
                };
                // The caller may have gone (a dropped request); the write stands regardless.
                let _ = reply.send(result);
            })
        });
        // Nothing of a write given up was stored: the caller may send it again.
        let given_up = || {
            E::from(DbError::Pool(
                "the database writer gave this write up".into(),
            ))
        };
        self.queue.send(job).await.map_err(|_| given_up())?;
        answer.await.map_err(|_| given_up())?
    }
}

/// Runs one job in a savepoint of its own; a panic is caught and rolls the savepoint back.
fn in_savepoint<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, Rollback<E>> {
    conn.transaction::<T, Rollback<E>, _>(|conn| {
        let depth = db::transaction_depth(conn);
        // The connection is left as the job left it: the savepoint is rolled back below, and
        // a connection whose transaction state the panic broke is replaced after the group.
        match panic::catch_unwind(AssertUnwindSafe(|| f(conn))) {
            Ok(result) => result.map_err(Rollback::Job),
            Err(payload) => {
                // The job may have left savepoints of its own open as it unwound: close them,
                // so that the one rolled back next is this job's.
                while db::transaction_depth(conn) > depth {
                    DbConnection::rollback_transaction(conn)?;
                }
                Err(Rollback::Panicked(panic_message(payload)))
            }
        }
    })
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_owned(),
            Err(_) => "a panic without a message".to_owned(),
        },
    }
}

fn run(manager: &Manager, mut conn: DbConnection, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        // A panic that escapes a job's own catch (its payload panicked when dropped), or one
        // of diesel's: the group's replies are dropped on the way out, so its callers hear
        // that the write was given up (503), and the open transaction goes with the
        // connection below. The payload is not dropped: that may panic again.
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| commit(&mut conn, group))) {
            std::mem::forget(payload);
            tracing::error!("a panic escaped a write job; its group is given up");
        }
        if conn.is_broken() {
            tracing::warn!("the write connection's transaction state is broken; reconnecting");
            match manager.establish() {
                Ok(fresh) => conn = fresh,
                Err(err) => {
                    // The next write starts a new writer, which tries again.
                    tracing::error!(%err, "the database writer stops");
                    return;
                }
            }
        }
    }
}

/// Runs a group of jobs in one transaction and answers each after the commit.
fn commit(conn: &mut DbConnection, group: Vec<Job>) {
    let size = group.len();
    let mut completions = Vec::with_capacity(size);
    let committed = db::immediate_transaction(conn, |conn| {
        for job in group {
            completions.push(job(conn));
        }
        Ok::<(), diesel::result::Error>(())
    });
    // Jobs the transaction never reached (it could not begin) are dropped, and their callers
    // hear that the write was given up: 503, try again.
    let committed = committed.map_err(DbError::Query);
    if let Err(err) = &committed {
        tracing::error!(%err, jobs = size, "group commit failed");
    }
    for complete in completions {
        complete(committed.as_ref().map(|_| ()));
    }
}

#[cfg(test)]
impl Writer {
    /// A writer whose thread has ended.
    pub(crate) fn stopped() -> Arc<Self> {
        let (queue, _) = mpsc::channel(1);
        Arc::new(Self { queue })
    }
}
