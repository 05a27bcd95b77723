//! The staff caseload report over 1,000,000 contacts in 50,000 families, on SQLite and on
//! PostgreSQL (when `KINTHREAD_TEST_POSTGRES_URL` is set): time per request and the server
//! process's peak memory while it answers.
//!
//! `cargo bench -p kinthread-tests --bench caseload` (`-- --runs 5 --scale 5`: five times the
//! families, contacts and programs). The data (`benches/data/caseload-*.sql`, 50 programs of
//! 1,000 families at scale 1) is built the same way on every run: four persons a family,
//! contacts over the year before now, a tenth of them unanswered calls, a third scored, the
//! child's feedback and caregiver check-ins that the attention signals read.
//!
//! Beside the caseload it times the engine's own ceiling: one SQL query that gives every
//! parent–child pair its last counted contact over the same data ([`BASELINE_SQL`]), run on
//! a connection of its own, so that the caseload can be quoted as a multiple of it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops loudly"
)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use kinthread_server::db::{DatabaseUrl, Db};
use kinthread_tests::fixtures::{PASSWORD, admin_token, login};
use kinthread_tests::{Engine, TestApp, TestDatabase};
use serde_json::{Value, json};

const SQLITE_DATA: &str = include_str!("data/caseload-sqlite.sql");
const POSTGRES_DATA: &str = include_str!("data/caseload-postgres.sql");

/// Every parent–child pair's last counted contact (SPEC section 4: completed calls and video
/// calls, texts and visits; a call ends at its start plus the seconds talked, a visit at its
/// recorded end), for parents living away, over all the contacts up to `{now}` (epoch ms).
/// It reads what the caseload reads: the current contact versions through the covering index
/// `contacts_report` and their participants' copy (`participant_ids`), reduced to each
/// participant set's last contact in the database, then to pairs. Both engines run it as is.
const BASELINE_SQL: &str = "\
SELECT p.family_id, p.id AS parent_id, ch.id AS child_id, MAX(s.last_end) AS last_end
FROM (
    SELECT family_id, participant_ids,
        MAX(CASE
            WHEN kind IN ('call', 'video_call') AND duration_seconds > 0
                THEN started_at + duration_seconds * 1000
            WHEN kind = 'visit' AND ended_at > started_at THEN ended_at
            ELSE started_at END) AS last_end
    FROM contacts
    WHERE superseded_by IS NULL AND started_at <= {now}
        AND (kind IN ('text', 'visit') OR status = 'completed')
    GROUP BY family_id, participant_ids
) s
JOIN persons p ON p.family_id = s.family_id AND p.role IN ('mother', 'father') AND p.lives_away
JOIN persons ch ON ch.family_id = s.family_id AND ch.role = 'child'
WHERE s.participant_ids LIKE '%' || p.id || '%' AND s.participant_ids LIKE '%' || ch.id || '%'
GROUP BY p.family_id, p.id, ch.id";

#[derive(QueryableByName)]
#[allow(dead_code, reason = "the rows are loaded as a client would, not read")]
struct PairLast {
    #[diesel(sql_type = Text)]
    family_id: String,
    #[diesel(sql_type = Text)]
    parent_id: String,
    #[diesel(sql_type = Text)]
    child_id: String,
    #[diesel(sql_type = BigInt)]
    last_end: i64,
}

/// Times [`BASELINE_SQL`] `runs` times after one warm-up, loading every row: median, min, max,
/// the process's CPU time a run, the pairs found.
async fn time_baseline(
    url: &DatabaseUrl,
    runs: usize,
) -> anyhow::Result<(Duration, Duration, Duration, Duration, usize)> {
    let url = url.clone();
    tokio::task::spawn_blocking(move || {
        let db = Db::connect(&url, 1)?;
        let mut conn = db.read_conn()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis();
        let sql = BASELINE_SQL.replace("{now}", &now.to_string());
        let _: Vec<PairLast> = diesel::sql_query(&sql).load(&mut *conn)?;
        let mut times = Vec::new();
        let mut pairs = 0;
        let cpu_before = cpu_time();
        for _ in 0..runs {
            let started = Instant::now();
            let rows: Vec<PairLast> = diesel::sql_query(&sql).load(&mut *conn)?;
            times.push(started.elapsed());
            pairs = rows.len();
        }
        let cpu = (cpu_time() - cpu_before) / u32::try_from(runs).unwrap();
        let (min, max) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
        Ok((median(times), min, max, cpu, pairs))
    })
    .await?
}

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

/// CPU time (user and system, all threads) the process has used so far: on a loaded machine
/// it says more than the wall clock about what a request costs. For SQLite it includes the
/// engine's work, which runs in the process; PostgreSQL's backends are not in it.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces), from field 3 on; utime and
    // stime are fields 14 and 15, in clock ticks (100 a second on Linux).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
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

/// How much data a run builds.
#[derive(Clone, Copy)]
struct Scale {
    programs: u64,
    families: u64,
    contacts: u64,
}

impl Scale {
    fn times(n: u64) -> Self {
        Self {
            programs: 50 * n,
            families: 50_000 * n,
            contacts: 1_000_000 * n,
        }
    }

    fn data(self, engine: Engine) -> String {
        let data = match engine {
            Engine::Sqlite => SQLITE_DATA,
            Engine::Postgres => POSTGRES_DATA,
        };
        data.replace("{programs}", &self.programs.to_string())
            .replace("{families}", &self.families.to_string())
            .replace("{contacts}", &self.contacts.to_string())
    }
}

async fn bench(engine: Engine, name: &str, runs: usize, scale: Scale) -> anyhow::Result<()> {
    let Some(database) = TestDatabase::new(engine)? else {
        println!("{name}: skipped (set KINTHREAD_TEST_POSTGRES_URL)");
        return Ok(());
    };
    let url = DatabaseUrl::parse(database.url())?;
    let baseline_url = url.clone();
    let built = Instant::now();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let db = Db::connect(&url, 2)?;
        db.migrate()?;
        let mut conn = db.write_conn()?;
        conn.batch_execute(&scale.data(engine))?;
        if engine == Engine::Postgres {
            // As autovacuum would have by now on a server that has been up a while: without
            // it the visibility map is empty and index-only scans read the table too. Its own
            // statement (VACUUM cannot run in the loading transaction), this schema's tables only.
            conn.batch_execute(
                "VACUUM (ANALYZE) programs, families, persons, contacts, contact_participants, \
                 contact_feedback, checkins",
            )?;
        }
        Ok(())
    })
    .await??;
    println!(
        "{name}: built {} contacts in {} families in {:.0} s",
        scale.contacts,
        scale.families,
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
    let cpu_before = cpu_time();
    let (all, all_min, all_max, body) =
        time_get(&app, "/api/v1/reports/caseload?limit=50", &admin, runs).await;
    let all_cpu = (cpu_time() - cpu_before) / u32::try_from(runs).unwrap();
    let (_, peak) = memory();
    let total = body["total_rows"].as_u64().unwrap_or(0);
    // The next page follows the first page's ranking: it builds 50 rows and ranks nothing.
    let next = body["next_cursor"].as_str().unwrap_or_default().to_owned();
    let (page, page_min, page_max, _) = time_get(
        &app,
        &format!("/api/v1/reports/caseload?limit=50&cursor={next}"),
        &admin,
        runs,
    )
    .await;
    let (base, base_min, base_max, base_cpu, pairs) = time_baseline(&baseline_url, runs).await?;
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
        "{name}: caseload, all {total} families (admin):  median {:7.1} ms  (min {:.1}, max {:.1}); process CPU {:.0} ms a request",
        ms(all),
        ms(all_min),
        ms(all_max),
        ms(all_cpu)
    );
    println!(
        "{name}: caseload, one program, {} families (staff): median {:7.1} ms  (min {:.1}, max {:.1})",
        staff_body["total_rows"].as_u64().unwrap_or(0),
        ms(one),
        ms(one_min),
        ms(one_max)
    );
    println!(
        "{name}: caseload, the next page (cursor):       median {:7.1} ms  (min {:.1}, max {:.1})",
        ms(page),
        ms(page_min),
        ms(page_max)
    );
    println!(
        "{name}: one family's report:                median {:7.1} ms  (min {:.1}, max {:.1})",
        ms(family),
        ms(family_min),
        ms(family_max)
    );
    println!(
        "baseline {name} caseload, one SQL query, last counted contact of {pairs} parent–child pairs: median {:7.1} ms  (min {:.1}, max {:.1}); process CPU {:.0} ms a run; all-families caseload / baseline = {:.2}x",
        ms(base),
        ms(base_min),
        ms(base_max),
        ms(base_cpu),
        all.as_secs_f64() / base.as_secs_f64()
    );
    println!(
        "{name}: server process memory: {rss_before:.0} MiB resident before, peak {peak:.0} MiB while answering the all-families caseload: growth {:.0} MiB",
        peak - rss_before
    );
    assert!(
        total >= scale.families * 98 / 100,
        "the caseload covers the families: {total}"
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let runs = usize::try_from(value("--runs", 5))?;
    let scale = Scale::times(value("--scale", 1).max(1));
    let only = args
        .iter()
        .position(|a| a == "--engine")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        if only.as_deref() != Some("postgres") {
            bench(Engine::Sqlite, "sqlite", runs, scale).await?;
        }
        if only.as_deref() != Some("sqlite") {
            bench(Engine::Postgres, "postgres", runs, scale).await?;
        }
        Ok(())
    })
}
