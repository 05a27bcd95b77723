//! What "acknowledged means durable" costs on SQLite: `synchronous=FULL` (every commit synced
//! to disk before it is acknowledged: the server's setting) against `NORMAL` (synced at
//! checkpoints only, so a power loss can take the last commits), in one run, the two modes
//! alternating, each on a fresh temp file on the same disk:
//!
//! - **engine**: a contact-sized row inserted through diesel on a connection set up as the
//!   server's are, without HTTP: one row per transaction (what one commit costs) and 16 rows
//!   per transaction (what the SQLite writer's group commit pays per row with 16 clients);
//! - **kinthread**: the real server on a random port (2 workers), 16 clients uploading single
//!   contacts, then 4 clients uploading batches of 500.
//!
//! Prints every run, then the medians and the FULL/NORMAL ratios, and the machine's load.
//! `cargo bench -p kinthread-tests --bench durability -- --seconds 5 --runs 3`. Results:
//! `docs/durability.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops loudly"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{RunQueryDsl, sql_query};
use kinthread_server::db::{DatabaseUrl, DbConnection, Manager, SqliteSync};
use kinthread_tests::fixtures::World;
use kinthread_tests::{Engine, TestApp};
use serde_json::{Value, json};

struct Options {
    seconds: u64,
    runs: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    Options {
        seconds: value("--seconds", 5),
        runs: value("--runs", 3) as usize,
    }
}

fn name(sync: SqliteSync) -> &'static str {
    match sync {
        SqliteSync::Full => "FULL",
        SqliteSync::Normal => "NORMAL",
    }
}

/// Rows a second inserted `per_commit` to a transaction for `seconds`, one connection.
fn engine(sync: SqliteSync, per_commit: usize, seconds: u64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::sqlite_file(&dir.path().join("engine.db")).with_sqlite_sync(sync);
    let DbConnection::Sqlite(mut conn) = Manager::new(url).establish().unwrap() else {
        panic!("not SQLite");
    };
    conn.batch_execute(
        "CREATE TABLE contacts (id TEXT PRIMARY KEY, family_id TEXT NOT NULL,
         client_id TEXT NOT NULL, started_at BIGINT NOT NULL, duration_seconds BIGINT,
         content TEXT, recorded_at BIGINT NOT NULL)",
    )
    .unwrap();
    let family = uuid::Uuid::new_v4().to_string();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut rows = 0_u64;
    while Instant::now() < deadline {
        conn.batch_execute("BEGIN IMMEDIATE").unwrap();
        for _ in 0..per_commit {
            rows += 1;
            sql_query(
                "INSERT INTO contacts (id, family_id, client_id, started_at, duration_seconds,
                 content, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind::<Text, _>(uuid::Uuid::now_v7().to_string())
            .bind::<Text, _>(&family)
            .bind::<Text, _>(uuid::Uuid::now_v7().to_string())
            .bind::<BigInt, _>(Utc::now().timestamp_millis())
            .bind::<BigInt, _>(240_i64)
            .bind::<Text, _>("问她吃饭了没有，钱够不够，要好好学习")
            .bind::<BigInt, _>(Utc::now().timestamp_millis())
            .execute(&mut conn)
            .unwrap();
        }
        conn.batch_execute("COMMIT").unwrap();
    }
    rows as f64 / started.elapsed().as_secs_f64()
}

fn contact(world: &World, n: u64) -> Value {
    let started = Utc::now() - chrono::Duration::minutes(i64::try_from(n % 100_000).unwrap_or(0));
    json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": "call",
        "participants": [world.f.mother, world.f.child],
        "initiator": world.f.mother,
        "started_at": started.to_rfc3339(),
        "duration_seconds": 180 + n % 600,
        "content": if n.is_multiple_of(3) { Some("问她吃饭了没有，钱够不够，要好好学习") } else { None },
    })
}

/// Contacts a second and the 99th percentile latency of `clients` loops uploading for
/// `seconds`, one contact a request or `batch` of them.
async fn uploads(
    app: Arc<TestApp>,
    world: Arc<World>,
    clients: usize,
    batch: Option<usize>,
    seconds: u64,
) -> (f64, Duration) {
    let path = match batch {
        Some(_) => format!("/api/v1/families/{}/contacts/batch", world.f.id),
        None => format!("/api/v1/families/{}/contacts", world.f.id),
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (app, world, path) = (app.clone(), world.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut contacts, mut n) = (0_usize, client as u64 * 1_000_000);
            while Instant::now() < deadline {
                let body = match batch {
                    Some(size) => {
                        let items: Vec<Value> = (0..size)
                            .map(|_| {
                                n += 1;
                                contact(&world, n)
                            })
                            .collect();
                        json!({ "contacts": items })
                    }
                    None => {
                        n += 1;
                        contact(&world, n)
                    }
                };
                let sent = Instant::now();
                let response = app
                    .client
                    .post(app.url(&path))
                    .bearer_auth(&world.parent_f)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                let _ = response.bytes().await;
                latencies.push(sent.elapsed());
                contacts += batch.unwrap_or(1);
            }
            (latencies, contacts)
        }));
    }
    let mut latencies = Vec::new();
    let mut contacts = 0;
    for task in tasks {
        let (mine, count) = task.await.unwrap();
        latencies.extend(mine);
        contacts += count;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let p99 = latencies
        .get(((latencies.len() as f64 - 1.0) * 0.99).round() as usize)
        .copied()
        .unwrap_or_default();
    (contacts as f64 / elapsed, p99)
}

/// One run's figures for one mode.
#[derive(Clone, Copy, Default)]
struct Figures {
    engine_one: f64,
    engine_group: f64,
    single: f64,
    single_p99_ms: f64,
    batch: f64,
}

async fn measure(sync: SqliteSync, seconds: u64) -> anyhow::Result<Figures> {
    let engine_one = tokio::task::spawn_blocking(move || engine(sync, 1, seconds)).await?;
    let engine_group = tokio::task::spawn_blocking(move || engine(sync, 16, seconds)).await?;
    let app = TestApp::spawn_with(Engine::Sqlite, |settings| {
        settings.database_url = settings.database_url.clone().with_sqlite_sync(sync);
    })
    .await?
    .ok_or_else(|| anyhow::anyhow!("SQLite is always there"))?;
    let world = World::build(&app).await?;
    let (app, world) = (Arc::new(app), Arc::new(world));
    // Warm-up: connections, statement caches.
    let _ = uploads(app.clone(), world.clone(), 16, None, 1).await;
    let (single, p99) = uploads(app.clone(), world.clone(), 16, None, seconds).await;
    let (batch, _) = uploads(app.clone(), world.clone(), 4, Some(500), seconds).await;
    Ok(Figures {
        engine_one,
        engine_group,
        single,
        single_p99_ms: p99.as_secs_f64() * 1e3,
        batch,
    })
}

fn print(label: &str, sync: SqliteSync, f: &Figures) {
    println!(
        "{label:<7} synchronous={:<6} engine one-row-commits/s={:>7.0} engine 16-row-commits rows/s={:>7.0} \
         kinthread single contacts/s={:>6.0} p99={:>6.1}ms kinthread batch contacts/s={:>7.0}",
        name(sync),
        f.engine_one,
        f.engine_group,
        f.single,
        f.single_p99_ms,
        f.batch,
    );
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn main() -> anyhow::Result<()> {
    let opts = options();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at start: {}", load.trim());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let modes = [SqliteSync::Normal, SqliteSync::Full];
    let mut all: Vec<(SqliteSync, Figures)> = Vec::new();
    runtime.block_on(async {
        for run in 1..=opts.runs {
            for sync in modes {
                let figures = measure(sync, opts.seconds).await?;
                print(&format!("run {run}"), sync, &figures);
                all.push((sync, figures));
            }
        }
        anyhow::Ok(())
    })?;
    let medians = |sync: SqliteSync| {
        let of = |pick: fn(&Figures) -> f64| {
            median(
                all.iter()
                    .filter(|(s, _)| *s == sync)
                    .map(|(_, f)| pick(f))
                    .collect(),
            )
        };
        Figures {
            engine_one: of(|f| f.engine_one),
            engine_group: of(|f| f.engine_group),
            single: of(|f| f.single),
            single_p99_ms: of(|f| f.single_p99_ms),
            batch: of(|f| f.batch),
        }
    };
    let (normal, full) = (medians(SqliteSync::Normal), medians(SqliteSync::Full));
    print("median", SqliteSync::Normal, &normal);
    print("median", SqliteSync::Full, &full);
    println!(
        "ratio   FULL/NORMAL engine one-row-commits x{:.2}, engine 16-row-commits x{:.2}, \
         kinthread single x{:.2} (p99 x{:.2}), kinthread batch x{:.2}",
        full.engine_one / normal.engine_one,
        full.engine_group / normal.engine_group,
        full.single / normal.single,
        full.single_p99_ms / normal.single_p99_ms,
        full.batch / normal.batch,
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at end: {}", load.trim());
    Ok(())
}
