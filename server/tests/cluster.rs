//! The production layout of docs/deploy.md, for real and on loopback only: `scripts/cluster`
//! starts a PostgreSQL primary with a streaming hot standby, `kinthread-server` copies (this
//! build's binary) and HAProxy in front; the tests upload through HAProxy while a copy is
//! killed with SIGKILL and while the primary crashes and the standby is promoted, and check
//! where staff reports and a phone's reads are served from. The replication lag and the
//! failover figures they print are the ones docs/deploy.md records.
//!
//! Each test stops by itself (an overall timeout), and its cluster is stopped and removed when
//! it ends, passed or failed. Without PostgreSQL 15's binaries, HAProxy (or root to install
//! it) or curl a test is skipped, and under CI it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests stop loudly")]

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};
use serde_json::{Value, json};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/cluster");
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const PASSWORD: &str = "a long and secret passphrase";
/// A whole test, cluster start and stop included, stops within this.
const TEST_LIMIT: Duration = Duration::from_secs(150);
/// How long one upload is retried (the same `client_id`) before the test gives up.
const UPLOAD_RETRY_LIMIT: Duration = Duration::from_secs(45);
/// The clients uploading at once.
const CLIENTS: usize = 8;

/// One cluster at a time: two would share the machine's two cores and skew the figures.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What a cluster test needs that this machine may lack.
fn missing_tools() -> Option<String> {
    let on_path = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !Path::new(PG_BIN).join("initdb").exists() {
        return Some(format!("no PostgreSQL 15 binaries in {PG_BIN}"));
    }
    if !on_path("curl") {
        return Some("no curl".into());
    }
    if !on_path("haproxy") && !root {
        return Some("no haproxy, and not root to install it".into());
    }
    if root
        && !Command::new("id")
            .arg("postgres")
            .output()
            .is_ok_and(|o| o.status.success())
    {
        return Some("no `postgres` user to run PostgreSQL as".into());
    }
    None
}

/// A cluster of `scripts/cluster`, stopped and removed when this goes (a failed test too).
struct Cluster {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

impl Cluster {
    /// Starts a cluster (`start` arguments after the folder); `None` when skipped.
    fn start(test: &str, args: &[&str]) -> Option<Self> {
        if let Some(missing) = missing_tools() {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
            assert!(
                !ci,
                "{test}: {missing}, and CI is set: it must run, not be skipped"
            );
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {missing}");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("kinthread-cluster-")
            .tempdir()
            .unwrap();
        // The guard exists before the start, so that a start that fails halfway is cleaned.
        let mut cluster = Cluster {
            dir,
            env: HashMap::new(),
        };
        let mut start = vec!["start"];
        start.extend_from_slice(args);
        cluster.script(&start);
        let env = std::fs::read_to_string(cluster.dir.path().join("cluster.env")).unwrap();
        cluster.env = env
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Some(cluster)
    }

    /// Runs `scripts/cluster COMMAND DIR REST...`, two minutes at most; panics on failure.
    fn script(&self, args: &[&str]) {
        let (command, rest) = args.split_first().unwrap();
        if let Err(err) = run_script(command, self.dir.path(), rest) {
            panic!("scripts/cluster {}: {err}", args.join(" "));
        }
    }

    fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .unwrap_or_else(|| panic!("cluster.env has no {name}"))
    }

    fn haproxy(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1", self.var("HAPROXY_PORT"))
    }

    fn primary(&self) -> PgConnection {
        PgConnection::establish(self.var("PRIMARY_ADMIN_URL")).unwrap()
    }

    fn standby(&self) -> PgConnection {
        PgConnection::establish(self.var("STANDBY_ADMIN_URL")).unwrap()
    }

    /// Makes an administrator with the server binary, as an operator does.
    fn create_admin(&self) {
        let mut create = Command::new(env!("CARGO_BIN_EXE_kinthread-server"))
            .args(["create-admin", "--username", "admin"])
            .env("KINTHREAD_DATABASE_URL", self.var("DATABASE_URL"))
            .env("KINTHREAD_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        create
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        assert!(create.wait().unwrap().success());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // What the copies and PostgreSQL said, for the failure's reader.
            for name in [
                "server-1.log",
                "server-2.log",
                "server-3.log",
                "pg/primary.log",
            ] {
                if let Ok(text) = std::fs::read_to_string(self.dir.path().join(name)) {
                    let tail: Vec<&str> = text.lines().rev().take(15).collect();
                    let tail: Vec<&str> = tail.into_iter().rev().collect();
                    eprintln!("--- {name}\n{}", tail.join("\n"));
                }
            }
        }
        if let Err(err) = run_script("stop", self.dir.path(), &[]) {
            eprintln!("scripts/cluster stop: {err}");
        }
    }
}

/// Runs the script with this build's server binary, two minutes at most.
fn run_script(command: &str, dir: &Path, rest: &[&str]) -> Result<(), String> {
    let mut child = Command::new("bash")
        .arg(SCRIPT)
        .arg(command)
        .arg(dir)
        .args(rest)
        .env(
            "KINTHREAD_SERVER_BIN",
            env!("CARGO_BIN_EXE_kinthread-server"),
        )
        .env("KINTHREAD_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            if status.success() {
                return Ok(());
            }
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            return Err(format!("{status}: {stderr}"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("did not finish within 120 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a test's body on its own runtime, one cluster test at a time, within `TEST_LIMIT`.
fn run_bounded(body: impl std::future::Future<Output = ()>) {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(TEST_LIMIT, body)
                .await
                .expect("the test did not finish in time");
        });
}

/// The API through HAProxy, as one account.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn login(base: &str, username: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let answer: Value = client
            .post(format!("{base}/auth/login"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            client,
            base: base.to_owned(),
            token: answer["access_token"].as_str().unwrap().to_owned(),
        }
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "GET {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// A family with a mother working away and her child, and the mother's own account.
struct Family {
    id: String,
    mother: Value,
    child: Value,
}

async fn family(admin: &Api) -> Family {
    let family = admin.post("/families", &json!({"display_name": "F"})).await;
    let id = family["id"].as_str().unwrap().to_owned();
    let persons = format!("/families/{id}/persons");
    let mother = admin
        .post(
            &persons,
            &json!({"display_name": "M", "role": "mother", "lives_away": true}),
        )
        .await["id"]
        .clone();
    let child = admin
        .post(
            &persons,
            &json!({"display_name": "C", "role": "child", "birth_year": 2016}),
        )
        .await["id"]
        .clone();
    admin
        .post(
            "/users",
            &json!({"username": "mother", "password": PASSWORD, "role": "parent",
                "family_id": id, "person_id": mother}),
        )
        .await;
    Family { id, mother, child }
}

fn contact(family: &Family, client_id: uuid::Uuid, started_at: &str) -> Value {
    json!({"client_id": client_id, "kind": "text", "participants": [family.mother, family.child],
        "initiator": family.mother, "started_at": started_at, "content": "想你"})
}

/// An upload the server acknowledged, and when.
struct Ack {
    client_id: String,
    at: Instant,
}

/// Clients uploading contacts through HAProxy as fast as they can until stopped. A failed
/// upload (no answer, 502, 503) is sent again with the same `client_id`, as the phone app does,
/// until it is acknowledged.
struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<Ack>>>,
}

impl Load {
    fn start(api: &Api, family: &Family) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let path = format!("{}/families/{}/contacts", api.base, family.id);
        let tasks = (0..CLIENTS)
            .map(|_| {
                let (api, path, stop) = (api.clone(), path.clone(), Arc::clone(&stop));
                let (mother, child) = (family.mother.clone(), family.child.clone());
                tokio::spawn(async move {
                    let mut acks = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let client_id = uuid::Uuid::now_v7();
                        let body = json!({"client_id": client_id, "kind": "text",
                            "participants": [mother, child], "initiator": mother,
                            "started_at": "2026-03-01T20:00:00+08:00", "content": "想你"});
                        let first = Instant::now();
                        loop {
                            let sent = api
                                .client
                                .post(&path)
                                .bearer_auth(&api.token)
                                .json(&body)
                                .send()
                                .await;
                            match sent.map(|r| r.status().as_u16()) {
                                Ok(200 | 201) => break,
                                Ok(502..=504) | Err(_) => {}
                                Ok(status) => panic!("an upload was answered {status}"),
                            }
                            assert!(
                                first.elapsed() < UPLOAD_RETRY_LIMIT,
                                "an upload was not acknowledged within {UPLOAD_RETRY_LIMIT:?}"
                            );
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        acks.push(Ack {
                            client_id: client_id.to_string(),
                            at: Instant::now(),
                        });
                    }
                    acks
                })
            })
            .collect();
        Self { stop, tasks }
    }

    async fn finish(self) -> Vec<Ack> {
        self.stop.store(true, Ordering::Relaxed);
        let mut acks = Vec::new();
        for task in self.tasks {
            acks.extend(task.await.unwrap());
        }
        acks
    }
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    client_id: String,
    #[diesel(sql_type = BigInt)]
    copies: i64,
}

/// Checks that every acknowledged upload is stored exactly once on `conn`'s server; returns
/// the acknowledged uploads that are missing.
fn missing_or_doubled(conn: &mut PgConnection, acks: &[Ack]) -> Vec<String> {
    let stored: Vec<Stored> =
        diesel::sql_query("SELECT client_id, count(*) AS copies FROM contacts GROUP BY client_id")
            .load(conn)
            .unwrap();
    let doubled: Vec<&Stored> = stored.iter().filter(|s| s.copies != 1).collect();
    assert!(
        doubled.is_empty(),
        "contacts stored more than once: {:?}",
        doubled.iter().map(|s| &s.client_id).collect::<Vec<_>>()
    );
    let stored: HashSet<&str> = stored.iter().map(|s| s.client_id.as_str()).collect();
    acks.iter()
        .filter(|ack| !stored.contains(ack.client_id.as_str()))
        .map(|ack| ack.client_id.clone())
        .collect()
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Text)]
    lsn: String,
}

#[derive(QueryableByName)]
struct Replay {
    #[diesel(sql_type = BigInt)]
    bytes_behind: i64,
    #[diesel(sql_type = Double)]
    ms_since_commit: f64,
}

/// The standby's replay lag, sampled every 20 ms until `stop`: how many bytes of WAL the
/// standby had still to replay when the primary's position was read, and how long ago the
/// last transaction it replayed was committed on the primary (under steady load, the time
/// lag).
fn sample_lag(cluster: &Cluster, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Replay>> {
    let (mut primary, mut standby) = (cluster.primary(), cluster.standby());
    std::thread::spawn(move || {
        let mut samples = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let Ok(position) = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
                .get_result::<Position>(&mut primary)
            else {
                break;
            };
            let replay = diesel::sql_query(
                "SELECT greatest(pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint
                     AS bytes_behind,
                 coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000, 0)
                     ::float8 AS ms_since_commit",
            )
            .bind::<Text, _>(&position.lsn)
            .get_result::<Replay>(&mut standby);
            match replay {
                Ok(replay) => samples.push(replay),
                Err(_) => break,
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        samples
    })
}

/// Median and maximum of a list of figures.
fn median_max(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let median = values.get(values.len() / 2).copied().unwrap_or(0.0);
    (median, values.last().copied().unwrap_or(0.0))
}

/// Uploads through HAProxy for `seconds` while the lag is sampled; prints the figures.
async fn measure_lag(cluster: &Cluster, api: &Api, family: &Family, label: &str) {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_lag(cluster, Arc::clone(&stop));
    let started = Instant::now();
    let load = Load::start(api, family);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let acks = load.finish().await;
    stop.store(true, Ordering::Relaxed);
    let samples = tokio::task::spawn_blocking(move || sampler.join().unwrap())
        .await
        .unwrap();
    assert!(samples.len() > 20, "the lag was sampled: {}", samples.len());
    let rate = acks.len() as f64 / started.elapsed().as_secs_f64();
    let (bytes_median, bytes_max) =
        median_max(samples.iter().map(|s| s.bytes_behind as f64).collect());
    let (ms_median, ms_max) = median_max(samples.iter().map(|s| s.ms_since_commit).collect());
    println!(
        "replay lag ({label}), {CLIENTS} clients, {rate:.0} uploads/s, {} samples: \
         bytes behind median {bytes_median:.0} max {bytes_max:.0}; \
         ms since the last replayed commit median {ms_median:.1} max {ms_max:.1}",
        samples.len()
    );
}

/// Uploads while the primary crashes and the standby is promoted; returns every
/// acknowledged upload, and prints how long no upload was acknowledged.
async fn fail_over_under_load(cluster: &Cluster, api: &Api, family: &Family) -> Vec<Ack> {
    let load = Load::start(api, family);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let crash = Instant::now();
    cluster.script(&["crash-primary"]);
    cluster.script(&["promote"]);
    let promoted = Instant::now();
    // The copies reconnect to the promoted standby by themselves: wait for an upload
    // acknowledged after the promotion, then let the load run on a little.
    let mut probe = 0u32;
    let resumed = loop {
        let client_id = uuid::Uuid::now_v7();
        let sent = api
            .client
            .post(format!("{}/families/{}/contacts", api.base, family.id))
            .bearer_auth(&api.token)
            .json(&contact(family, client_id, "2026-03-02T20:00:00+08:00"))
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().as_u16() == 201) {
            break Instant::now();
        }
        probe += 1;
        assert!(
            probe < 600,
            "no upload was acknowledged after the promotion"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let acks = load.finish().await;
    let after = acks.iter().filter(|a| a.at > resumed).count();
    assert!(after > 0, "the load went on after the failover");
    println!(
        "failover: promote took {:.0} ms after the crash; uploads acknowledged again {:.0} ms \
         after the crash ({:.0} ms after the promotion); {} uploads acknowledged, {after} after",
        (promoted - crash).as_secs_f64() * 1000.0,
        (resumed - crash).as_secs_f64() * 1000.0,
        (resumed - promoted).as_secs_f64() * 1000.0,
        acks.len()
    );
    acks
}

#[test]
fn copies_behind_haproxy_lose_nothing_when_one_is_killed_or_the_standby_promoted() {
    run_bounded(async {
        let test = "copies_behind_haproxy_lose_nothing_when_one_is_killed_or_the_standby_promoted";
        let Some(cluster) = Cluster::start(test, &["--servers", "3", "--sync"]) else {
            return;
        };
        cluster.create_admin();
        let admin = Api::login(&cluster.haproxy(), "admin").await;
        let family = family(&admin).await;

        measure_lag(&cluster, &admin, &family, "synchronous standby").await;

        // A copy is killed with SIGKILL mid-load and started again.
        let load = Load::start(&admin, &family);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        cluster.script(&["kill-server", "1"]);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        cluster.script(&["start-server", "1"]);
        let restarted = Instant::now();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let acks = load.finish().await;
        assert!(acks.len() > 100, "the load ran: {}", acks.len());
        assert!(acks.iter().any(|a| a.at > restarted), "uploads went on");
        let missing = missing_or_doubled(&mut cluster.primary(), &acks);
        assert!(missing.is_empty(), "acknowledged, then lost: {missing:?}");

        // The primary crashes mid-load and the synchronous standby is promoted: it had
        // flushed every commit the primary acknowledged.
        let acks = fail_over_under_load(&cluster, &admin, &family).await;
        let missing = missing_or_doubled(&mut cluster.standby(), &acks);
        assert!(
            missing.is_empty(),
            "{} of {} acknowledged uploads lost with a synchronous standby: {missing:?}",
            missing.len(),
            acks.len()
        );
    });
}

#[derive(QueryableByName)]
struct Calls {
    #[diesel(sql_type = BigInt)]
    calls: i64,
}

/// How many statements on the contacts table `conn`'s server has run (pg_stat_statements
/// counts each server's own).
fn contact_statements(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT coalesce(sum(calls), 0)::bigint AS calls FROM pg_stat_statements
         WHERE query ILIKE '%contacts%' AND query NOT ILIKE '%pg_stat_statements%'",
    )
    .get_result::<Calls>(conn)
    .unwrap()
    .calls
}

/// The caseload row of the one family, as the administrator reads it.
async fn last_contact_in_caseload(admin: &Api) -> Option<chrono::DateTime<chrono::Utc>> {
    let caseload = admin.get("/reports/caseload").await;
    let row = &caseload["rows"][0];
    row["last_contact_at"]
        .as_str()
        .map(|at| at.parse().unwrap())
}

#[test]
fn staff_reports_read_the_standby_and_phones_read_the_primary() {
    run_bounded(async {
        let test = "staff_reports_read_the_standby_and_phones_read_the_primary";
        let Some(cluster) = Cluster::start(test, &["--servers", "2"]) else {
            return;
        };
        cluster.create_admin();
        let admin = Api::login(&cluster.haproxy(), "admin").await;
        let family = family(&admin).await;
        let mother = Api::login(&cluster.haproxy(), "mother").await;
        let (mut primary, mut standby) = (cluster.primary(), cluster.standby());
        let contacts = format!("/families/{}/contacts", family.id);
        // Whole seconds: the server keeps milliseconds.
        let now = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap();
        let at = |ago: chrono::Duration| {
            let at = now - ago;
            (at.to_rfc3339(), at)
        };

        let (text, first) = at(chrono::Duration::days(2));
        mother
            .post(&contacts, &contact(&family, uuid::Uuid::now_v7(), &text))
            .await;

        // The mother's phone reads her own upload back from the primary.
        let on_standby = contact_statements(&mut standby);
        let on_primary = contact_statements(&mut primary);
        let listed = mother.get(&contacts).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        assert_eq!(contact_statements(&mut standby), on_standby);
        assert!(contact_statements(&mut primary) > on_primary);
        // So is the family report she reads.
        let on_primary = contact_statements(&mut primary);
        let report = mother.get(&format!("/families/{}/report", family.id)).await;
        assert_eq!(report["family"]["id"].as_str(), Some(family.id.as_str()));
        assert_eq!(contact_statements(&mut standby), on_standby);
        assert!(contact_statements(&mut primary) > on_primary);

        // The caseload is read on the standby, and shows the upload just made.
        let last = last_contact_in_caseload(&admin).await.unwrap();
        assert_eq!(last.timestamp_millis(), first.timestamp_millis());
        assert!(contact_statements(&mut standby) > on_standby);

        // A standby that does not replay (paused here) does not serve a stale report: the
        // report waits for it, then reads the primary.
        cluster.script(&["pause-replay"]);
        let (text, second) = at(chrono::Duration::hours(1));
        mother
            .post(&contacts, &contact(&family, uuid::Uuid::now_v7(), &text))
            .await;
        let on_standby = contact_statements(&mut standby);
        let last = last_contact_in_caseload(&admin).await.unwrap();
        assert_eq!(last.timestamp_millis(), second.timestamp_millis());
        assert_eq!(contact_statements(&mut standby), on_standby);
        cluster.script(&["resume-replay"]);
        let last = last_contact_in_caseload(&admin).await.unwrap();
        assert_eq!(last.timestamp_millis(), second.timestamp_millis());
        assert!(contact_statements(&mut standby) > on_standby);

        measure_lag(&cluster, &admin, &family, "asynchronous standby").await;

        // Without a synchronous standby, a crash of the primary loses what it acknowledged
        // but had not yet sent: measured, not asserted.
        let acks = fail_over_under_load(&cluster, &admin, &family).await;
        let missing = missing_or_doubled(&mut cluster.standby(), &acks);
        println!(
            "asynchronous failover: {} of {} acknowledged uploads lost",
            missing.len(),
            acks.len()
        );
    });
}
