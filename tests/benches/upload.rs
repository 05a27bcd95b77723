//! Contacts logged per second through HTTP: the real server on a random port, on SQLite (a temp
//! file) and PostgreSQL (when `KINTHREAD_TEST_POSTGRES_URL` is set), with concurrent clients
//! uploading single contacts and then batches. Prints throughput and p50/p99 latency.
//!
//! `cargo bench -p kinthread-tests --bench upload` (options: `-- --seconds 10 --clients 16
//! --batch 500 --random-ids`). The load generator runs on the same machine as the server and
//! shares its cores, as a phone fleet would not: the figures are a floor.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops loudly"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use kinthread_tests::fixtures::World;
use kinthread_tests::{Engine, TestApp};
use serde_json::{Value, json};

struct Options {
    seconds: u64,
    clients: usize,
    batch: usize,
    random_ids: bool,
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
        seconds: value("--seconds", 8),
        clients: value("--clients", 16) as usize,
        batch: value("--batch", 500) as usize,
        random_ids: args.iter().any(|a| a == "--random-ids"),
    }
}

fn contact(world: &World, n: u64, random_ids: bool) -> Value {
    let client_id = if random_ids {
        uuid::Uuid::new_v4()
    } else {
        uuid::Uuid::now_v7()
    };
    let started = Utc::now() - chrono::Duration::minutes(i64::try_from(n % 100_000).unwrap_or(0));
    json!({
        "client_id": client_id,
        "kind": "call",
        "participants": [world.f.mother, world.f.child],
        "initiator": world.f.mother,
        "started_at": started.to_rfc3339(),
        "duration_seconds": 180 + n % 600,
        "content": if n.is_multiple_of(3) { Some("问她吃饭了没有，钱够不够，要好好学习") } else { None },
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

struct Run {
    requests: usize,
    contacts: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    errors: usize,
}

/// `clients` loops, each sending one request after another until the time is up.
async fn load(app: Arc<TestApp>, world: Arc<World>, opts: &Options, batch: Option<usize>) -> Run {
    let path = if batch.is_some() {
        format!("/api/v1/families/{}/contacts/batch", world.f.id)
    } else {
        format!("/api/v1/families/{}/contacts", world.f.id)
    };
    let deadline = Instant::now() + Duration::from_secs(opts.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..opts.clients {
        let (app, world, path) = (app.clone(), world.clone(), path.clone());
        let random_ids = opts.random_ids;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut contacts, mut errors, mut n) = (0usize, 0usize, client as u64 * 1_000_000);
            while Instant::now() < deadline {
                let body = match batch {
                    Some(size) => {
                        let items: Vec<Value> = (0..size)
                            .map(|_| {
                                n += 1;
                                contact(&world, n, random_ids)
                            })
                            .collect();
                        json!({ "contacts": items })
                    }
                    None => {
                        n += 1;
                        contact(&world, n, random_ids)
                    }
                };
                let sent = Instant::now();
                let response = app
                    .client
                    .post(app.url(&path))
                    .bearer_auth(&world.parent_f)
                    .json(&body)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                        contacts += batch.unwrap_or(1);
                    }
                    _ => errors += 1,
                }
            }
            (latencies, contacts, errors)
        }));
    }
    let mut run = Run {
        requests: 0,
        contacts: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        errors: 0,
    };
    for task in tasks {
        let (latencies, contacts, errors) = task.await.unwrap();
        run.requests += latencies.len();
        run.latencies.extend(latencies);
        run.contacts += contacts;
        run.errors += errors;
    }
    run.elapsed = started.elapsed();
    run.latencies.sort();
    run
}

fn report(engine: &str, kind: &str, opts: &Options, run: &Run) {
    let secs = run.elapsed.as_secs_f64();
    println!(
        "{engine:<8} {kind:<14} clients={:<3} requests/s={:>8.0} contacts/s={:>8.0} p50={:>7.2}ms p99={:>7.2}ms errors={}",
        opts.clients,
        run.requests as f64 / secs,
        run.contacts as f64 / secs,
        percentile(&run.latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&run.latencies, 0.99).as_secs_f64() * 1e3,
        run.errors,
    );
}

fn main() -> anyhow::Result<()> {
    let opts = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        for (engine, name) in [(Engine::Sqlite, "sqlite"), (Engine::Postgres, "postgres")] {
            let Some(app) = TestApp::spawn(engine).await? else {
                continue;
            };
            let world = World::build(&app).await?;
            let (app, world) = (Arc::new(app), Arc::new(world));
            // Warm-up: connections, statement caches.
            let _ = load(
                app.clone(),
                world.clone(),
                &Options { seconds: 1, ..opts },
                None,
            )
            .await;
            let single = load(app.clone(), world.clone(), &opts, None).await;
            report(name, "single", &opts, &single);
            let batch_opts = Options {
                clients: opts.clients.min(4),
                ..opts
            };
            let batched = load(app.clone(), world.clone(), &batch_opts, Some(opts.batch)).await;
            report(
                name,
                &format!("batch of {}", opts.batch),
                &batch_opts,
                &batched,
            );
        }
        Ok(())
    })
}
