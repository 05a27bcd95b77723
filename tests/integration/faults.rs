//! Database faults stay contained: a PostgreSQL restart under load answers 503 with
//! `Retry-After` while the database is away and full service soon after, never 500; a panic
//! in a write job fails that write only (in SQLite's writer, and on a pooled PostgreSQL
//! connection, which is closed); SQLite writes take the write lock at `BEGIN`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kinthread_server::db::{DatabaseUrl, Db, DbConnection, DbError};
use kinthread_server::error::ApiError;
use kinthread_tests::fixtures::World;
use kinthread_tests::{Engine, TestApp, TestDatabase, skip};
use serde_json::Value;

// ---- A panicking write job; SQLite's IMMEDIATE transactions -----------------------------------

async fn sqlite_db() -> anyhow::Result<(TestDatabase, Db)> {
    let database = TestDatabase::new(Engine::Sqlite)?.expect("SQLite needs no setup");
    let db = Db::connect(&DatabaseUrl::parse(database.url())?, 2)?;
    db.migrate()?;
    db.write(|conn| {
        conn.batch_execute("CREATE TABLE probe (name TEXT PRIMARY KEY)")
            .map_err(ApiError::from)
    })
    .await?;
    Ok((database, db))
}

fn insert(conn: &mut DbConnection, name: &str) -> Result<(), ApiError> {
    diesel::sql_query(format!("INSERT INTO probe (name) VALUES ('{name}')"))
        .execute(conn)
        .map(drop)
        .map_err(ApiError::from)
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

async fn names(db: &Db) -> anyhow::Result<Vec<String>> {
    let rows: Vec<Name> = db
        .read(|conn| {
            diesel::sql_query("SELECT name FROM probe ORDER BY name")
                .load(conn)
                .map_err(ApiError::from)
        })
        .await?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// A panic payload that panics again when it is dropped: the second panic escapes the job's
/// `catch_unwind`, the worst a job can do.
struct PanicsWhenDropped;

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("the panic payload panicked too");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_write_job_panic_fails_only_that_write() -> anyhow::Result<()> {
    let (_database, db) = sqlite_db().await?;

    // A slow job holds the writer while three more queue behind it, so that those three are
    // committed as one group: one of them panics.
    let slow = db.write(|_| {
        std::thread::sleep(Duration::from_millis(300));
        Ok::<_, ApiError>(())
    });
    let before = db.write(|conn| insert(conn, "before"));
    let panics = db.write(|conn| -> Result<(), ApiError> {
        insert(conn, "panicked")?;
        panic!("a bug in a write job");
    });
    let after = db.write(|conn| insert(conn, "after"));
    let (slow, before, panics, after): (Result<(), ApiError>, _, _, _) =
        tokio::join!(slow, before, panics, after);
    slow?;
    before?;
    after?;
    assert!(
        matches!(&panics, Err(ApiError::Internal(detail)) if detail.contains("a bug in a write job")),
        "{panics:?}"
    );
    assert_eq!(
        names(&db).await?,
        ["after", "before"],
        "the panicked write left nothing"
    );

    // A panic inside a transaction of the job's own: its savepoints are unwound too.
    let nested = db
        .write(|conn| {
            insert(conn, "nested-outer")?;
            conn.transaction::<(), ApiError, _>(|conn| {
                insert(conn, "nested-inner")?;
                panic!("deep inside");
            })
        })
        .await;
    assert!(matches!(nested, Err(ApiError::Internal(_))), "{nested:?}");

    // The writer lives on: the next write commits at once.
    let started = Instant::now();
    db.write(|conn| insert(conn, "later")).await?;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(names(&db).await?, ["after", "before", "later"]);

    // A panic that escapes the job's catch costs that write (503, nothing stored) and the
    // writer's connection ...
    let killed = db
        .write(|conn| -> Result<(), ApiError> {
            insert(conn, "killed")?;
            std::panic::panic_any(PanicsWhenDropped);
        })
        .await;
    assert!(
        matches!(killed, Err(ApiError::Unavailable(_))),
        "{killed:?}"
    );
    // ... not the writer: the next write commits.
    db.write(|conn| insert(conn, "revived")).await?;
    assert_eq!(names(&db).await?, ["after", "before", "later", "revived"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_write_job_panic_fails_only_that_write() -> anyhow::Result<()> {
    let Some(database) = TestDatabase::new(Engine::Postgres)? else {
        return Ok(());
    };
    let db = Db::connect(&DatabaseUrl::parse(database.url())?, 2)?;
    db.write(|conn| {
        conn.batch_execute("CREATE TABLE probe (name TEXT PRIMARY KEY)")
            .map_err(ApiError::from)
    })
    .await?;
    let panicked = db
        .write(|conn| -> Result<(), ApiError> {
            insert(conn, "panicked")?;
            panic!("a bug in a write job");
        })
        .await;
    assert!(
        matches!(panicked, Err(ApiError::Internal(_))),
        "{panicked:?}"
    );
    // The connection left mid-transaction is closed, not handed to the next write.
    for name in ["a", "b", "c"] {
        db.write(move |conn| insert(conn, name)).await?;
    }
    assert_eq!(names(&db).await?, ["a", "b", "c"]);
    Ok(())
}

/// Whether another connection can write right now (it does not wait for the lock).
fn other_connection_can_write(path: &str) -> anyhow::Result<bool> {
    let mut other = diesel::SqliteConnection::establish(path)?;
    other.batch_execute("PRAGMA busy_timeout = 0")?;
    match other.batch_execute("INSERT INTO probe (name) VALUES (hex(randomblob(8)))") {
        Ok(()) => Ok(true),
        Err(e) if e.to_string().contains("database is locked") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_begin_immediate() -> anyhow::Result<()> {
    let (database, db) = sqlite_db().await?;
    let path = database.url().to_owned();
    assert!(
        other_connection_can_write(&path)?,
        "nothing holds the lock yet"
    );

    // Inside a write job that has written nothing yet, the writer already holds the write
    // lock: a deferred BEGIN would take it only at the first write, and a job that read
    // first could then fail with SQLITE_BUSY whatever the busy timeout.
    let p = path.clone();
    let can_write = db
        .write(move |_| other_connection_can_write(&p).map_err(ApiError::internal))
        .await?;
    assert!(!can_write, "the writer's transaction began IMMEDIATE");

    // The write pool's connection (start-up, maintenance commands) does the same.
    let can_write = tokio::task::spawn_blocking({
        let (db, path) = (db.clone(), path.clone());
        move || {
            db.write_blocking(|_| {
                other_connection_can_write(&path).map_err(|e| DbError::Pool(e.to_string()))
            })
        }
    })
    .await??;
    assert!(!can_write, "write_blocking's transaction began IMMEDIATE");
    assert!(other_connection_can_write(&path)?, "and both let go");
    Ok(())
}

// ---- PostgreSQL: a restart under load --------------------------------------------------------

/// A PostgreSQL cluster of this test's own, on a free port in a temporary directory, so that
/// stopping it disturbs nobody else's tests.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    /// `None` when this machine has no PostgreSQL server binaries.
    fn create() -> anyhow::Result<Option<Self>> {
        let Some(bin) = postgres_bin_dir() else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let cluster = Self { dir, bin, port };
        if running_as_root() {
            // initdb refuses to run as root: the cluster belongs to `postgres`.
            run(Command::new("chown")
                .arg("postgres:")
                .arg(cluster.dir.path()))?;
        }
        let data = cluster.data();
        run(cluster
            .command("initdb")
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "-D",
            ])
            .arg(&data))?;
        Ok(Some(cluster))
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn start(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-o", &options, "-w", "start"]))
    }

    /// A fast shutdown: every session is ended, as in a restart for an upgrade.
    fn stop(&self) -> anyhow::Result<()> {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"]))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let out = command.output()?;
    anyhow::ensure!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// One answer seen by the load.
struct Answer {
    sent: Instant,
    done: Instant,
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_under_load() -> anyhow::Result<()> {
    let test = "faults::postgres_restart_under_load";
    let Some(cluster) = Cluster::create()? else {
        return skip(test, "no PostgreSQL server binaries in /usr/lib/postgresql");
    };
    cluster.start()?;
    let app = TestApp::spawn_on(TestDatabase::postgres_schema(&cluster.url())?, 4).await?;
    let world = World::build(&app).await?;
    let contacts = app.url(&format!("/api/v1/families/{}/contacts", world.f.id));

    // Six clients, each uploading a contact and reading the list in turn, as fast as they can.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client in 0..6 {
        let (http, contacts, token) =
            (app.client.clone(), contacts.clone(), world.parent_f.clone());
        let (mother, child) = (world.f.mother, world.f.child);
        let stop = Arc::clone(&stop);
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut round = 0u32;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                let request = if (round + client).is_multiple_of(2) {
                    http.post(&contacts)
                        .json(&crate::call(mother, child, 1, None))
                } else {
                    http.get(format!("{contacts}?limit=5"))
                };
                let sent = Instant::now();
                let response = request.bearer_auth(&token).send().await?;
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = response.json().await.unwrap_or(Value::Null);
                answers.push(Answer {
                    sent,
                    done: Instant::now(),
                    status,
                    retry_after,
                    body,
                });
            }
            anyhow::Ok(answers)
        }));
    }

    let began = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopping = Instant::now();
    tokio::task::block_in_place(|| cluster.stop())?;
    let stopped = Instant::now();
    // Longer than a checkout waits (3 s), so that some requests are answered during it.
    tokio::time::sleep(Duration::from_secs(5)).await;
    tokio::task::block_in_place(|| cluster.start())?;
    let back = Instant::now();
    tokio::time::sleep(Duration::from_secs(6)).await;
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await??);
    }
    answers.sort_by_key(|a| a.done);

    let secs = |t: Instant| t.duration_since(began).as_secs_f64();
    // The answers by half second of completion: 2xx and 503 counts.
    let mut timeline = String::new();
    for bucket in 0..((secs(answers.last().map_or(began, |a| a.done)) * 2.0) as usize + 1) {
        let in_bucket = answers
            .iter()
            .filter(|a| (secs(a.done) * 2.0) as usize == bucket);
        let (ok, unavailable) = in_bucket.fold((0, 0), |(ok, un), a| {
            (
                ok + usize::from(a.status < 300),
                un + usize::from(a.status == 503),
            )
        });
        timeline.push_str(&format!(
            "{:>5.1}s {ok:>4} 2xx {unavailable:>3} 503\n",
            bucket as f64 / 2.0
        ));
    }
    eprintln!("{timeline}");
    let count = |pred: &dyn Fn(&Answer) -> bool| answers.iter().filter(|a| pred(a)).count();
    let unavailable: Vec<&Answer> = answers.iter().filter(|a| a.status == 503).collect();
    // Full service: every request sent after the last one that failed was served.
    let last_failed_sent = unavailable.iter().map(|a| a.sent).max().unwrap_or(back);
    let recovery = last_failed_sent.saturating_duration_since(back);
    let slowest = answers
        .iter()
        .map(|a| a.done - a.sent)
        .max()
        .unwrap_or_default();
    let after_back = count(&|a| a.sent >= back);
    let failed_after_back = count(&|a| a.sent >= back && a.status == 503);
    eprintln!(
        "PostgreSQL stopping at {:.2}s (fast shutdown took {:.2}s), accepting again at {:.2}s; \
         {} answers: {} 2xx, {} 503 (answered from {:.2}s to {:.2}s); \
         {failed_after_back} of {after_back} requests sent after the restart were 503; \
         full service {:.2}s after the restart; slowest answer {:.2}s",
        secs(stopping),
        (stopped - stopping).as_secs_f64(),
        secs(back),
        answers.len(),
        count(&|a| a.status < 300),
        unavailable.len(),
        unavailable.first().map_or(0.0, |a| secs(a.done)),
        unavailable.last().map_or(0.0, |a| secs(a.done)),
        recovery.as_secs_f64(),
        slowest.as_secs_f64(),
    );
    let others: Vec<String> = answers
        .iter()
        .filter(|a| !matches!(a.status, 200 | 201 | 503))
        .map(|a| format!("{} at {:.2}s: {}", a.status, secs(a.done), a.body))
        .collect();
    assert!(
        others.is_empty(),
        "only 2xx and 503, never 500: {others:#?}"
    );
    assert!(
        unavailable
            .iter()
            .all(|a| a.retry_after.is_some() && a.body["error"]["code"] == "unavailable"),
        "every 503 says when to retry"
    );
    assert!(
        count(&|a| a.status == 503 && a.done > stopping && a.done <= back) > 0,
        "the outage was answered 503"
    );
    assert!(
        recovery < Duration::from_secs(5),
        "full service within seconds of the restart: {recovery:?}"
    );
    assert!(
        count(&|a| a.sent > last_failed_sent && a.status < 300) > 100,
        "and it stays served"
    );
    assert!(
        slowest < Duration::from_secs(10),
        "an outage is answered, not hung: {slowest:?}"
    );
    drop(app);
    drop(cluster);
    Ok(())
}
