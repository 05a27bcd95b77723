//! Other requests' latency during a login flood: the real server with the real password cost
//! (argon2id, 19 MiB, two passes), one client reading a family's contacts one request after
//! another while many clients sign in as fast as they can. Each flood runs twice: with login
//! throttling off (no waits, no lockout, password checks unbounded: the server before
//! `throttle.rs`) and with the default policy. Prints the reader's p50/p99/max and what the
//! sign-ins got.
//!
//! `cargo bench -p kinthread-tests --bench logins` (options: `-- --seconds 5 --flooders 32`);
//! with `KINTHREAD_TEST_POSTGRES_URL` set it runs on PostgreSQL too. The load runs in the same
//! process on the same cores as the server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops loudly"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kinthread_server::auth::PasswordCost;
use kinthread_server::config::Settings;
use kinthread_server::throttle::LoginPolicy;
use kinthread_tests::fixtures::{PASSWORD, World};
use kinthread_tests::{Engine, TestApp};
use serde_json::json;

#[derive(Clone, Copy)]
struct Options {
    seconds: u64,
    flooders: usize,
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
        flooders: value("--flooders", 32) as usize,
    }
}

/// The server before login throttling: every attempt checked at once, never a wait.
fn unthrottled() -> LoginPolicy {
    LoginPolicy {
        free_failures: u32::MAX,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(1),
        lockout_after: u32::MAX,
        concurrent_checks: 1024,
        max_waiting: usize::MAX,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// One reader: a family's contacts, one request after another, until `deadline`.
async fn read(app: Arc<TestApp>, world: Arc<World>, deadline: Instant) -> (Vec<Duration>, usize) {
    let path = app.url(&format!("/api/v1/families/{}/contacts", world.g.id));
    let (mut latencies, mut errors) = (Vec::new(), 0);
    while Instant::now() < deadline {
        let sent = Instant::now();
        match app
            .client
            .get(&path)
            .bearer_auth(&world.parent_g)
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                latencies.push(sent.elapsed());
            }
            _ => errors += 1,
        }
    }
    latencies.sort();
    (latencies, errors)
}

/// `flooders` clients signing in as `username` with `password` until `deadline`; the answers
/// by status.
async fn flood(
    app: Arc<TestApp>,
    flooders: usize,
    username: &'static str,
    password: &'static str,
    deadline: Instant,
) -> BTreeMap<u16, usize> {
    let mut tasks = Vec::new();
    for _ in 0..flooders {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
            while Instant::now() < deadline {
                let response = app
                    .client
                    .post(app.url("/api/v1/auth/login"))
                    .json(&json!({"username": username, "password": password}))
                    .send()
                    .await;
                let status = match response {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let _ = r.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                *statuses.entry(status).or_default() += 1;
            }
            statuses
        }));
    }
    let mut statuses = BTreeMap::new();
    for task in tasks {
        for (status, n) in task.await.unwrap() {
            *statuses.entry(status).or_default() += n;
        }
    }
    statuses
}

#[derive(Clone, Copy, PartialEq)]
enum Flood {
    None,
    /// An attacker guessing one account's password.
    WrongPassword,
    /// Everybody signing in at once (the morning a program starts).
    RightPassword,
}

async fn scenario(
    engine: Engine,
    policy: LoginPolicy,
    kind: Flood,
    opts: Options,
) -> Option<String> {
    let app = TestApp::spawn_with(engine, |settings: &mut Settings| {
        settings.password_cost = PasswordCost::default();
        settings.login_policy = policy;
    })
    .await
    .unwrap()?;
    let world = World::build(&app).await.unwrap();
    let (app, world) = (Arc::new(app), Arc::new(world));
    // Warm-up: connections, the reader's standing in the cache.
    let _ = read(
        app.clone(),
        world.clone(),
        Instant::now() + Duration::from_millis(500),
    )
    .await;

    let started = Instant::now();
    let deadline = started + Duration::from_secs(opts.seconds);
    let reader = tokio::spawn(read(app.clone(), world.clone(), deadline));
    let statuses = match kind {
        Flood::None => BTreeMap::new(),
        Flood::WrongPassword => {
            flood(
                app.clone(),
                opts.flooders,
                "parent-f",
                "not the password",
                deadline,
            )
            .await
        }
        Flood::RightPassword => {
            flood(app.clone(), opts.flooders, "staff-a", PASSWORD, deadline).await
        }
    };
    let (latencies, errors) = reader.await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let logins: usize = statuses.values().sum();
    let by_status = statuses
        .iter()
        .map(|(status, n)| format!("{status}:{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    Some(format!(
        "reads={:<6} p50={:>8.2}ms p99={:>8.2}ms max={:>8.2}ms read_errors={errors} logins/s={:>6.1} [{by_status}]",
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        logins as f64 / seconds,
    ))
}

fn main() -> anyhow::Result<()> {
    let opts = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        for (engine, name) in [(Engine::Sqlite, "sqlite"), (Engine::Postgres, "postgres")] {
            for (policy, policy_name) in [(unthrottled(), "off"), (LoginPolicy::default(), "on")] {
                for (kind, kind_name) in [
                    (Flood::None, "no flood"),
                    (Flood::WrongPassword, "wrong passwords"),
                    (Flood::RightPassword, "right passwords"),
                ] {
                    if let Some(line) = scenario(engine, policy, kind, opts).await {
                        println!(
                            "{name:<8} throttle={policy_name:<3} {kind_name:<15} flooders={:<3} {line}",
                            if kind == Flood::None { 0 } else { opts.flooders }
                        );
                    }
                }
            }
        }
        Ok(())
    })
}
