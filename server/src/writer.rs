//! The SQLite writer: one thread that owns the write connection and commits the writes that
//! arrive together in one transaction (group commit).
//!
//! SQLite admits one writer at a time. Letting every request's blocking thread queue on a
//! one-connection pool costs a thread wake-up per request and a commit (a WAL append) per
//! request; one writer thread that drains its queue and commits once per round costs neither.
//! Each job runs inside its own savepoint, so a job that fails leaves nothing behind, and every
//! job hears back only after the commit that made it durable: nothing is acknowledged early.

use std::sync::Arc;

use diesel::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::db::{DbConnection, DbError, Manager};

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
            .spawn(move || run(conn, jobs))
            .map_err(|e| DbError::Pool(format!("cannot start the database writer: {e}")))?;
        Ok(Arc::new(Self { queue }))
    }

    /// Runs `f` on the write connection and answers after its commit.
    pub async fn submit<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            let outcome =
                conn.transaction::<T, Rollback<E>, _>(|conn| f(conn).map_err(Rollback::Job));
            Box::new(move |committed: Result<(), &DbError>| {
                let result = match (outcome, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(commit)) => Err(E::from(DbError::Commit(commit.to_string()))),
                    (Err(Rollback::Job(e)), _) => Err(e),
                    (Err(Rollback::Db(e)), _) => Err(E::from(DbError::Query(e))),
                };
                // The caller may have gone (a dropped request); the write stands regardless.
                let _ = reply.send(result);
            })
        });
        self.queue
            .send(job)
            .await
            .map_err(|_| E::from(DbError::Pool("the database writer has stopped".into())))?;
        answer
            .await
            .map_err(|_| E::from(DbError::Pool("the database writer has stopped".into())))?
    }
}

fn run(mut conn: DbConnection, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut completions = Vec::with_capacity(group.len());
        let committed = conn.transaction::<(), diesel::result::Error, _>(|conn| {
            for job in group {
                completions.push(job(conn));
            }
            Ok(())
        });
        let committed = committed.map_err(DbError::Query);
        if let Err(err) = &committed {
            tracing::error!(%err, jobs = completions.len(), "group commit failed");
        }
        for complete in completions {
            complete(committed.as_ref().map(|_| ()));
        }
    }
}
