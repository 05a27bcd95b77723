//! The staff caseload report over 1,000,000 contacts in 50,000 families, on SQLite and on
//! PostgreSQL (when `KINTHREAD_TEST_POSTGRES_URL` is set): time per request and the server
//! process's peak memory while it answers.
//!
//! `cargo bench -p kinthread-tests --bench caseload` (`-- --runs 5`). The data
//! (`benches/data/caseload-*.sql`) is built the same way on every run: four persons a family,
//! contacts over the year before now, a tenth of them unanswered calls, a third scored.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops loudly"
)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use kinthread_server::db::{DatabaseUrl, Db};
use kinthread_tests::fixtures::{PASSWORD, admin_token, login};
use kinthread_tests::{Engine, TestApp, TestDatabase};
use serde_json::{Value, json};

const SQLITE_DATA: &str = include_str!("data/caseload-sqlite.sql");
const POSTGRES_DATA: &str = include_str!("data/caseload-postgres.sql");

/// The process's resident memory now and at its peak since the last reset, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Starts a new peak-memory measurement (Linux: writing 5 to clear_refs resets VmHWM).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn time_get(
    app: &TestApp,
    path: &str,
    token: &str,
    runs: usize,
) -> (Duration, Duration, Duration, Value) {
    let mut times = Vec::new();
    let mut last = Value::Null;
    for _ in 0..runs {
        let started = Instant::now();
        let (status, body) = app.get(path, token).await.unwrap();
        times.push(started.elapsed());
        assert_eq!(status, 200, "{path}: {body}");
        last = body;
    }
    let (min, max) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    (median(times), min, max, last)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn bench(engine: Engine, name: &str, runs: usize) -> anyhow::Result<()> {
    let Some(database) = TestDatabase::new(engine)? else {
        println!("{name}: skipped (set KINTHREAD_TEST_POSTGRES_URL)");
        return Ok(());
    };
    let url = DatabaseUrl::parse(database.url())?;
    let built = Instant::now();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let db = Db::connect(&url, 2)?;
        db.migrate()?;
        let mut conn = db.write_conn()?;
        let data = match engine {
            Engine::Sqlite => SQLITE_DATA,
            Engine::Postgres => POSTGRES_DATA,
        };
        conn.batch_execute(data)?;
        Ok(())
    })
    .await??;
    println!(
        "{name}: built 1,000,000 contacts in 50,000 families in {:.0} s",
        built.elapsed().as_secs_f64()
    );

    let app = TestApp::spawn_on(database, 16).await?;
    let admin = admin_token(&app).await?;
    let staff = json!({"username": "bench-staff", "password": PASSWORD, "role": "staff",
        "program_ids": ["00000000-0000-7000-8000-000000000001"]});
    let _: Value = app
        .post_ok("/api/v1/users", Some(&admin), &staff, 201)
        .await?;
    let staff = login(&app, "bench-staff").await?;

    // Warm the caches once, as a server that has been up a while would be.
    let _ = app.get("/api/v1/reports/caseload?limit=50", &admin).await?;
    let (rss_before, _) = memory();
    reset_peak_memory();
    let (all, all_min, all_max, body) =
        time_get(&app, "/api/v1/reports/caseload?limit=50", &admin, runs).await;
    let (_, peak) = memory();
    let total = body["total_rows"].as_u64().unwrap_or(0);
    let (one, one_min, one_max, staff_body) =
        time_get(&app, "/api/v1/reports/caseload?limit=50", &staff, runs).await;
    let (family, family_min, family_max, _) = time_get(
        &app,
        "/api/v1/families/00000001-0000-7000-8000-000000000007/report",
        &admin,
        runs,
    )
    .await;
    println!(
        "{name}: caseload, all {total} families (admin):  median {:7.1} ms  (min {:.1}, max {:.1})",
        ms(all),
        ms(all_min),
        ms(all_max)
    );
    println!(
        "{name}: caseload, one program, {} families (staff): median {:7.1} ms  (min {:.1}, max {:.1})",
        staff_body["total_rows"].as_u64().unwrap_or(0),
        ms(one),
        ms(one_min),
        ms(one_max)
    );
    println!(
        "{name}: one family's report:                median {:7.1} ms  (min {:.1}, max {:.1})",
        ms(family),
        ms(family_min),
        ms(family_max)
    );
    println!(
        "{name}: server process memory: {rss_before:.0} MiB resident before, peak {peak:.0} MiB while answering the all-families caseload"
    );
    assert!(total >= 49_000, "the caseload covers the families: {total}");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        bench(Engine::Sqlite, "sqlite", runs).await?;
        bench(Engine::Postgres, "postgres", runs).await
    })
}
