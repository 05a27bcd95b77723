//! Contacts logged per second, each figure beside its ceilings measured in the same run: on
//! SQLite (a temp file) and PostgreSQL (when `KINTHREAD_TEST_POSTGRES_URL` is set), concurrent
//! clients upload single contacts and then batches, and the same load goes to
//!
//! - `kinthread`: the real server on a random port (sign-in, access check, validation, depth
//!   score, idempotency by client id);
//! - `baseline … via=server`: a minimal actix-web + diesel server that stores the same contact
//!   and does nothing else: the same JSON body parsed into the same type, the contact's row and
//!   its participants' rows written in one transaction, with the same HTTP workers and pool
//!   size, on the same database;
//! - `baseline … via=diesel`: that same insert through diesel without HTTP, from the same load
//!   generator: the engine's ceiling for this client;
//! - `baseline … via=pgbench` (PostgreSQL): `pgbench` inserting the same rows from a script,
//!   with as many clients: the engine's ceiling without any Rust client in the way.
//!
//! Every figure is printed with its ratio to the minimal server's and the engine's, and after
//! the last run the medians of all runs. Absolute figures move between machines and with
//! what else runs; ratios measured in one run move much less.
//!
//! `cargo bench -p kinthread-tests --bench upload` (options: `-- --runs 3 --seconds 5
//! --clients 16 --batch 500 --batch-clients 4 --pool 16 --history 20000 --only postgres --ways kinthread
//! --random-ids`). The load generator runs in the same process on the same cores as the
//! servers and the database, as a phone fleet would not: the figures are a floor.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops loudly"
)]

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{FixedOffset, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2;
use kinthread_server::app::MAX_JSON_BODY_BYTES;
use kinthread_server::config::Settings;
use kinthread_server::db::{DatabaseUrl, DbConnection, Manager};
use kinthread_server::schema::{contact_participants, contacts};
use kinthread_server::store::contacts::{ContactRow, ParticipantRow, participant_list};
use kinthread_shared::api::{ContactBatch, NewContact};
use kinthread_shared::validate::effective_status;
use kinthread_shared::{ClientId, ContactId, ContactKind, ContactSource, FamilyId, UserId};
use kinthread_tests::fixtures::World;
use kinthread_tests::{Engine, TestApp, TestDatabase};

const NOTE: &str = "问她吃饭了没有，钱够不够，要好好学习";

/// HTTP workers of both servers: as many as `TestApp` gives kinthread's.
const WORKERS: usize = 2;

#[derive(Clone)]
struct Options {
    runs: usize,
    seconds: u64,
    clients: usize,
    batch: usize,
    batch_clients: usize,
    pool: u32,
    only: Option<String>,
    /// Some of `diesel,server,kinthread` (all by default), to profile one of them.
    ways: Option<String>,
    /// Contacts the family has before the clock starts.
    history: usize,
    random_ids: bool,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let number =
        |name: &str, default: u64| value(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    // The server's own default pool size, so that the benchmark measures what is deployed.
    let default_pool = Settings::new(
        "127.0.0.1:0".parse().unwrap(),
        DatabaseUrl::parse("unused.db").unwrap(),
    )
    .pool_size;
    Options {
        runs: number("--runs", 3) as usize,
        seconds: number("--seconds", 5),
        clients: number("--clients", 16) as usize,
        batch: number("--batch", 500) as usize,
        batch_clients: number("--batch-clients", 4) as usize,
        pool: number("--pool", u64::from(default_pool)) as u32,
        only: value("--only").cloned(),
        ways: value("--ways").cloned(),
        history: number("--history", 20_000) as usize,
        random_ids: args.iter().any(|a| a == "--random-ids"),
    }
}

/// The `n`th contact a client uploads: a call of mother and child, a third with a note.
fn contact(world: &World, n: u64, random_ids: bool) -> NewContact {
    let client_id = if random_ids {
        uuid::Uuid::new_v4()
    } else {
        uuid::Uuid::now_v7()
    };
    let minutes = i64::try_from(n % 100_000).unwrap();
    let china = FixedOffset::east_opt(8 * 3600).unwrap();
    NewContact {
        client_id,
        kind: ContactKind::Call,
        status: None,
        participants: vec![world.f.mother, world.f.child],
        initiator: world.f.mother,
        started_at: (Utc::now() - chrono::Duration::minutes(minutes)).with_timezone(&china),
        duration_seconds: Some(180 + i64::try_from(n % 600).unwrap()),
        ended_at: None,
        content: n.is_multiple_of(3).then(|| NOTE.to_owned()),
        talked_most: None,
        child_feedback: None,
        source: None,
    }
}

// ---- the minimal way to store a contact with diesel, shared by `via=server` and `via=diesel`

/// Where the baselines write: a pool of `--pool` connections on PostgreSQL; on SQLite, which
/// admits one writer at a time, one connection that writers take in turn (connections of a
/// pool taking turns through SQLite's busy timeout would measure its back-off sleeps, not the
/// engine). Connections are set up as the server sets up its own.
enum Store {
    Pool(r2d2::Pool<Manager>),
    Writer(Mutex<DbConnection>),
}

impl Store {
    fn open(url: &str, pool: u32) -> anyhow::Result<Self> {
        let url = DatabaseUrl::parse(url)?;
        Ok(match url.engine() {
            kinthread_server::db::Engine::Postgres => Store::Pool(
                r2d2::Pool::builder()
                    .max_size(pool)
                    .build(Manager::new(url))?,
            ),
            kinthread_server::db::Engine::Sqlite => {
                Store::Writer(Mutex::new(Manager::new(url).establish()?))
            }
        })
    }

    /// Stores the contacts' rows and their participants' rows in one transaction, one
    /// multi-row statement each.
    fn insert(&self, family: FamilyId, by: UserId, new: &[NewContact]) -> QueryResult<()> {
        let (rows, participants) = stored_rows(family, by, new);
        let write = |conn: &mut DbConnection| {
            macro_rules! insert {
                ($conn:expr) => {
                    $conn.transaction(|conn| {
                        diesel::insert_into(contacts::table)
                            .values(&rows)
                            .execute(conn)?;
                        diesel::insert_into(contact_participants::table)
                            .values(&participants)
                            .execute(conn)
                    })
                };
            }
            match conn {
                DbConnection::Sqlite(conn) => insert!(conn),
                DbConnection::Postgres(conn) => insert!(conn),
            }
            .map(drop)
        };
        match self {
            Store::Pool(pool) => {
                let mut conn = pool
                    .get()
                    .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
                write(&mut conn)
            }
            Store::Writer(conn) => write(&mut conn.lock().unwrap()),
        }
    }
}

impl Store {
    /// Gives the family `contacts` of history and the planner statistics of a database in
    /// use. On tables that were never analysed PostgreSQL plans the foreign-key checks of
    /// `contact_participants` by the first index on `contacts` that fits (`family_id` only)
    /// and keeps that plan for the connection's life, so every participant row would scan the
    /// family's contacts: a fresh database's accident, gone with autovacuum's first analysis,
    /// that would make each way slower than the one measured before it.
    fn fill_history(&self, world: &World, contacts: usize) -> anyhow::Result<()> {
        let by = UserId::new();
        let mut n = 50_000_000;
        for _ in 0..contacts.div_ceil(500) {
            let batch: Vec<NewContact> = (0..500)
                .map(|_| {
                    n += 1;
                    contact(world, n, false)
                })
                .collect();
            self.insert(world.f.id, by, &batch)?;
        }
        let analyze = "ANALYZE contacts; ANALYZE contact_participants; ANALYZE persons; \
                       ANALYZE families; ANALYZE consent_records; ANALYZE users;";
        match self {
            Store::Pool(pool) => pool.get()?.batch_execute(analyze)?,
            Store::Writer(conn) => conn.lock().unwrap().batch_execute(analyze)?,
        }
        Ok(())
    }
}

/// The rows kinthread stores for these uploads, without what it computes (no fingerprint, no
/// depth score).
fn stored_rows(
    family: FamilyId,
    by: UserId,
    new: &[NewContact],
) -> (Vec<ContactRow>, Vec<ParticipantRow>) {
    let now = Utc::now().timestamp_millis();
    let mut rows = Vec::with_capacity(new.len());
    let mut participants = Vec::with_capacity(new.len() * 2);
    for contact in new {
        let id = ContactId::new();
        let mut people = contact.participants.clone();
        people.sort();
        participants.extend(people.iter().map(|&person_id| ParticipantRow {
            family_id: family,
            contact_id: id,
            person_id,
        }));
        rows.push(ContactRow {
            family_id: family,
            id,
            client_id: ClientId(contact.client_id),
            request_hash: String::new(),
            kind: contact.kind,
            status: effective_status(contact),
            initiator_id: contact.initiator,
            started_at: contact.started_at.timestamp_millis(),
            utc_offset_seconds: contact.started_at.offset().local_minus_utc(),
            duration_seconds: contact.duration_seconds,
            ended_at: None,
            ended_offset_seconds: None,
            content: contact.content.clone(),
            talked_most: contact.talked_most,
            child_feedback: None,
            depth_score: None,
            depth_level: None,
            depth_lexicon: None,
            source: contact.source.unwrap_or(ContactSource::App),
            recorded_by: by,
            recorded_at: now,
            supersedes: None,
            superseded_by: None,
            participant_ids: Some(participant_list(&people)),
        });
    }
    (rows, participants)
}

/// The minimal server: the same paths as kinthread's, no sign-in, no checks.
struct MinimalServer {
    base_url: String,
    handle: actix_web::dev::ServerHandle,
}

struct Minimal {
    store: Arc<Store>,
    by: UserId,
}

async fn minimal_single(
    state: web::Data<Minimal>,
    family: web::Path<FamilyId>,
    body: web::Json<NewContact>,
) -> HttpResponse {
    let (family, new) = (family.into_inner(), body.into_inner());
    let client_id = new.client_id;
    let stored = web::block(move || state.store.insert(family, state.by, &[new])).await;
    match stored {
        Ok(Ok(())) => HttpResponse::Created().json(serde_json::json!({ "client_id": client_id })),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

async fn minimal_batch(
    state: web::Data<Minimal>,
    family: web::Path<FamilyId>,
    body: web::Json<ContactBatch>,
) -> HttpResponse {
    let (family, batch) = (family.into_inner(), body.into_inner());
    let created = batch.contacts.len();
    let stored = web::block(move || state.store.insert(family, state.by, &batch.contacts)).await;
    match stored {
        Ok(Ok(())) => HttpResponse::Ok().json(serde_json::json!({ "created": created })),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

impl MinimalServer {
    async fn start(store: Arc<Store>, workers: usize) -> anyhow::Result<Self> {
        let state = web::Data::new(Minimal {
            store,
            by: UserId::new(),
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(state.clone())
                    .app_data(web::JsonConfig::default().limit(MAX_JSON_BODY_BYTES))
                    .route(
                        "/api/v1/families/{family_id}/contacts",
                        web::post().to(minimal_single),
                    )
                    .route(
                        "/api/v1/families/{family_id}/contacts/batch",
                        web::post().to(minimal_batch),
                    )
            })
            .workers(workers)
            .bind(("127.0.0.1", 0));
            match server {
                Ok(server) => {
                    let addr = server.addrs()[0];
                    let server = server.run();
                    let _ = tx.send(Ok((server.handle(), addr)));
                    let _ = actix_web::rt::System::new().block_on(server);
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
        let (handle, addr) =
            tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
                .await???;
        Ok(Self {
            base_url: format!("http://{addr}"),
            handle,
        })
    }
}

impl Drop for MinimalServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

// ---- the load generator

/// Sends one request's contacts; answers whether they were stored.
type Way = Arc<dyn Fn(Vec<NewContact>) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// POSTs to a server's contact paths, as the family's mother.
fn over_http(base_url: &str, world: &World, batch: bool) -> Way {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let path = if batch {
        "/contacts/batch"
    } else {
        "/contacts"
    };
    let url = format!("{base_url}/api/v1/families/{}{path}", world.f.id);
    let token = world.parent_f.clone();
    Arc::new(move |mut contacts| {
        let request = client.post(&url).bearer_auth(&token);
        // The body is serialised here, before the clock starts, as a phone would have it ready.
        let request = if batch {
            request.json(&ContactBatch { contacts })
        } else {
            request.json(&contacts.pop().unwrap())
        };
        Box::pin(async move {
            match request.send().await {
                Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
                _ => false,
            }
        })
    })
}

/// Inserts through diesel without HTTP, on the blocking threads of `inserts` (a runtime of
/// its own, so that their CPU time is not counted as the load generator's).
fn over_diesel(store: Arc<Store>, world: &World, inserts: tokio::runtime::Handle) -> Way {
    let (family, by) = (world.f.id, UserId::new());
    Arc::new(move |contacts| {
        let store = store.clone();
        let insert = inserts.spawn_blocking(move || store.insert(family, by, &contacts));
        Box::pin(async move { insert.await.is_ok_and(|stored| stored.is_ok()) })
    })
}

// ---- CPU time

/// The name of the load generator's threads.
const LOAD_THREADS: &str = "load";
/// `application_name` of the bench's PostgreSQL connections, to find their backends.
const APPLICATION: &str = "kinthread-upload-bench";

/// CPU time used so far: by the load generator's threads, by the rest of this process (the
/// servers, their blocking threads and SQLite) and by the PostgreSQL backends of `backends`.
/// On a machine that other work shares, CPU time a contact says more than contacts a second.
#[derive(Clone, Copy, Default)]
struct CpuTime {
    load: Duration,
    rest: Duration,
    database: Duration,
}

/// User and system time of a `/proc/…/stat` line (fields 14 and 15, after the name, which may
/// hold spaces), in clock ticks of 10 ms.
fn stat_time(stat: &str) -> Duration {
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

fn cpu_time(backends: &[i32]) -> CpuTime {
    let total = stat_time(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default());
    let mut load = Duration::ZERO;
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        if stat.contains(&format!("({LOAD_THREADS}")) {
            load += stat_time(&stat);
        }
    }
    let database = backends
        .iter()
        .map(|pid| {
            stat_time(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
        })
        .sum();
    CpuTime {
        load,
        rest: total.saturating_sub(load),
        database,
    }
}

#[derive(QueryableByName)]
struct Backend {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// The PostgreSQL backends serving this bench now (none on SQLite).
fn postgres_backends(admin_url: Option<&str>) -> Vec<i32> {
    let Some(url) = admin_url else {
        return Vec::new();
    };
    let Ok(mut conn) = diesel::PgConnection::establish(url) else {
        return Vec::new();
    };
    diesel::sql_query("SELECT pid FROM pg_stat_activity WHERE application_name = $1")
        .bind::<diesel::sql_types::Text, _>(APPLICATION)
        .load::<Backend>(&mut conn)
        .map(|rows| rows.into_iter().map(|b| b.pid).collect())
        .unwrap_or_default()
}

struct Run {
    requests: usize,
    contacts: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    errors: usize,
    /// CPU time the run cost.
    cpu: CpuTime,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.contacts as f64 / self.elapsed.as_secs_f64()
    }

    /// Microseconds of CPU a contact: the serving side (servers, or the direct inserts, with
    /// SQLite's own work), the load generator, PostgreSQL's backends.
    fn cpu_per_contact(&self) -> (f64, f64, f64) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.contacts.max(1) as f64;
        (
            per(self.cpu.rest),
            per(self.cpu.load),
            per(self.cpu.database),
        )
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }
}

/// `clients` loops, each sending `size` contacts a request, one request after another, for
/// `seconds`.
async fn load(
    world: Arc<World>,
    send: Way,
    clients: usize,
    size: usize,
    seconds: u64,
    random_ids: bool,
    backends: &[i32],
) -> Run {
    let cpu_before = cpu_time(backends);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (world, send) = (world.clone(), send.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut contacts, mut errors, mut n) = (0usize, 0usize, client as u64 * 1_000_000);
            while Instant::now() < deadline {
                let batch: Vec<NewContact> = (0..size)
                    .map(|_| {
                        n += 1;
                        contact(&world, n, random_ids)
                    })
                    .collect();
                let request = send(batch);
                let sent = Instant::now();
                if request.await {
                    latencies.push(sent.elapsed());
                    contacts += size;
                } else {
                    errors += 1;
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
        cpu: CpuTime::default(),
    };
    for task in tasks {
        let (latencies, contacts, errors) = task.await.unwrap();
        run.requests += latencies.len();
        run.latencies.extend(latencies);
        run.contacts += contacts;
        run.errors += errors;
    }
    run.elapsed = started.elapsed();
    let cpu_after = cpu_time(backends);
    run.cpu = CpuTime {
        load: cpu_after.load.saturating_sub(cpu_before.load),
        rest: cpu_after.rest.saturating_sub(cpu_before.rest),
        database: cpu_after.database.saturating_sub(cpu_before.database),
    };
    run.latencies.sort();
    run
}

// ---- pgbench

/// The same rows as [`stored_rows`], from `pgbench`'s own clients: one contact a transaction,
/// or `:batch` of them, each statement inserting the contacts and their participants at once.
fn pgbench_script(batch: Option<usize>) -> String {
    let (values, source) = match batch {
        None => (
            "VALUES (:family, gen_random_uuid()::text, gen_random_uuid()::text, '', 'call', \
             'completed', :mother, :now::bigint - :n::bigint * 60000, 28800, 180 + :n::int % 600, \
             CASE WHEN :n::int % 3 = 0 THEN :note END, 'app', :by, :now::bigint, :pids)",
            "",
        ),
        Some(_) => (
            "SELECT :family, gen_random_uuid()::text, gen_random_uuid()::text, '', 'call', \
             'completed', :mother, :now::bigint - (:n::bigint + g) * 60000, 28800, \
             180 + (:n::int + g) % 600, CASE WHEN (:n::int + g) % 3 = 0 THEN :note END, 'app', \
             :by, :now::bigint, :pids",
            " FROM generate_series(1, :batch::int) AS g",
        ),
    };
    format!(
        "\\set n random(0, 99999)\n\
         WITH c AS (INSERT INTO contacts (family_id, id, client_id, request_hash, kind, status, \
         initiator_id, started_at, utc_offset_seconds, duration_seconds, content, source, \
         recorded_by, recorded_at, participant_ids) {values}{source} RETURNING family_id, id) \
         INSERT INTO contact_participants (family_id, contact_id, person_id) \
         SELECT c.family_id, c.id, p.id FROM c CROSS JOIN (VALUES (:mother), (:child)) AS p (id);\n"
    )
}

/// Contacts a second through `pgbench`, or `None` when it is not installed or failed.
async fn pgbench(
    url: &str,
    world: &World,
    clients: usize,
    batch: Option<usize>,
    seconds: u64,
) -> Option<f64> {
    let script = tempfile::NamedTempFile::new().ok()?;
    std::fs::write(script.path(), pgbench_script(batch)).ok()?;
    let mut people = [world.f.mother, world.f.child];
    people.sort();
    let define = [
        ("family", world.f.id.to_string()),
        ("mother", world.f.mother.to_string()),
        ("child", world.f.child.to_string()),
        ("by", UserId::new().to_string()),
        ("pids", participant_list(&people)),
        ("note", NOTE.to_owned()),
        ("now", Utc::now().timestamp_millis().to_string()),
        ("batch", batch.unwrap_or(1).to_string()),
    ];
    let mut command = std::process::Command::new("pgbench");
    command.args(["-n", "-M", "prepared", "-j", "2"]);
    command.args(["-c", &clients.to_string(), "-T", &seconds.to_string()]);
    command.arg("-f").arg(script.path());
    for (name, value) in define {
        command.arg("-D").arg(format!("{name}={value}"));
    }
    command.arg(url);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .ok()?
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tps: Option<f64> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok());
    if tps.is_none() {
        eprintln!(
            "pgbench failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    tps.map(|tps| tps * batch.unwrap_or(1) as f64)
}

// ---- reporting

/// The figures of one kind of upload on one engine in one run.
#[derive(Clone, Copy, Default)]
struct Figures {
    kinthread: f64,
    kinthread_p99_ms: f64,
    server: f64,
    diesel: f64,
    pgbench: Option<f64>,
}

fn line(who: &str, engine: &str, kind: &str, clients: usize, run: &Run) {
    let (serving, load, database) = run.cpu_per_contact();
    println!(
        "{who:<9} {engine:<8} {kind:<17} clients={clients:<3} requests/s={:>6.0} contacts/s={:>6.0} p50={:>7.2}ms p99={:>7.2}ms errors={} cpu/contact: serving={serving:.0}us db={database:.0}us load={load:.0}us",
        run.requests as f64 / run.elapsed.as_secs_f64(),
        run.per_second(),
        run.percentile(0.50).as_secs_f64() * 1e3,
        run.percentile(0.99).as_secs_f64() * 1e3,
        run.errors,
    );
}

fn ratios(engine: &str, kind: &str, f: &Figures) {
    let pgbench = f
        .pgbench
        .map(|p| format!(" kinthread/pgbench={:.2}", f.kinthread / p))
        .unwrap_or_default();
    println!(
        "ratio     {engine:<8} {kind:<6} kinthread/server={:.2} kinthread/diesel={:.2}{pgbench}",
        f.kinthread / f.server,
        f.kinthread / f.diesel,
    );
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// What one engine's measurements share: the servers, the store, the family.
struct Bench<'a> {
    engine: &'static str,
    // Dropped in this order: kinthread's server last, with the database it owns.
    minimal: MinimalServer,
    store: Arc<Store>,
    world: Arc<World>,
    app: TestApp,
    /// Where the PostgreSQL backends are found.
    admin_url: Option<String>,
    inserts: tokio::runtime::Handle,
    opts: &'a Options,
}

impl Bench<'_> {
    /// A fresh database with its family's history, kinthread and the minimal server on it.
    async fn start<'a>(
        engine: Engine,
        opts: &'a Options,
        inserts: tokio::runtime::Handle,
    ) -> anyhow::Result<Option<Bench<'a>>> {
        let (db, admin_url) = match engine {
            Engine::Sqlite => (TestDatabase::new(engine)?, None),
            Engine::Postgres => match std::env::var(kinthread_tests::POSTGRES_URL_VAR) {
                Ok(admin) => {
                    // Named, so that their backends' CPU time can be read.
                    let sep = if admin.contains('?') { '&' } else { '?' };
                    let named = format!("{admin}{sep}application_name={APPLICATION}");
                    (Some(TestDatabase::postgres_schema(&named)?), Some(admin))
                }
                Err(_) => (None, None),
            },
        };
        let Some(db) = db else {
            return Ok(None);
        };
        let app = TestApp::spawn_on(db, opts.pool).await?;
        let world = Arc::new(World::build(&app).await?);
        let store = Arc::new(Store::open(&app.db_url, opts.pool)?);
        store.fill_history(&world, opts.history)?;
        let minimal = MinimalServer::start(store.clone(), WORKERS).await?;
        Ok(Some(Bench {
            engine: match engine {
                Engine::Sqlite => "sqlite",
                Engine::Postgres => "postgres",
            },
            app,
            world,
            store,
            minimal,
            admin_url,
            inserts,
            opts,
        }))
    }

    /// One kind of upload (single or batch) through the three ways.
    async fn measure(&self, batch: Option<usize>) -> Figures {
        let (opts, engine, world) = (self.opts, self.engine, &self.world);
        let (kind, clients, size) = match batch {
            None => ("single", opts.clients, 1),
            Some(size) => ("batch", opts.batch_clients, size),
        };
        let is_batch = batch.is_some();
        let ways = [
            (
                "diesel",
                over_diesel(self.store.clone(), world, self.inserts.clone()),
            ),
            ("server", over_http(&self.minimal.base_url, world, is_batch)),
            ("kinthread", over_http(&self.app.base_url, world, is_batch)),
        ];
        let mut figures = Figures::default();
        for (way, send) in ways {
            if opts
                .ways
                .as_deref()
                .is_some_and(|ways| !ways.split(',').any(|w| w == way))
            {
                continue;
            }
            // Warm-up: connections, statement caches, the writer thread.
            let _ = load(
                world.clone(),
                send.clone(),
                clients,
                size,
                1,
                opts.random_ids,
                &[],
            )
            .await;
            let backends = postgres_backends(self.admin_url.as_deref());
            let run = load(
                world.clone(),
                send,
                clients,
                size,
                opts.seconds,
                opts.random_ids,
                &backends,
            )
            .await;
            let (who, label) = match way {
                "kinthread" => ("kinthread", kind.to_owned()),
                _ => ("baseline", format!("{kind} via={way}")),
            };
            line(who, engine, &label, clients, &run);
            let rate = run.per_second();
            match way {
                "diesel" => figures.diesel = rate,
                "server" => figures.server = rate,
                _ => {
                    figures.kinthread = rate;
                    figures.kinthread_p99_ms = run.percentile(0.99).as_secs_f64() * 1e3;
                }
            }
        }
        if engine == "postgres" && opts.ways.is_none() {
            figures.pgbench = pgbench(&self.app.db_url, world, clients, batch, opts.seconds).await;
            if let Some(rate) = figures.pgbench {
                let label = format!("{kind} via=pgbench");
                println!(
                    "baseline  {engine:<8} {label:<17} clients={clients:<3} contacts/s={rate:>6.0}"
                );
            }
        }
        ratios(engine, kind, &figures);
        figures
    }
}

fn main() -> anyhow::Result<()> {
    let opts = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(LOAD_THREADS)
        .enable_all()
        .build()?;
    let inserts = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("diesel-inserts")
        .build()?;
    println!(
        "pool={} workers={WORKERS} clients={} batch={}x{} seconds={} history={} runs={}",
        opts.pool,
        opts.clients,
        opts.batch_clients,
        opts.batch,
        opts.seconds,
        opts.history,
        opts.runs
    );
    let mut all: BTreeMap<(&str, &str), Vec<Figures>> = BTreeMap::new();
    runtime.block_on(async {
        for run in 1..=opts.runs {
            println!("-- run {run}");
            for engine in [Engine::Sqlite, Engine::Postgres] {
                let name = if engine == Engine::Sqlite {
                    "sqlite"
                } else {
                    "postgres"
                };
                if opts.only.as_deref().is_some_and(|only| only != name) {
                    continue;
                }
                let Some(bench) = Bench::start(engine, &opts, inserts.handle().clone()).await?
                else {
                    continue;
                };
                let single = bench.measure(None).await;
                let batch = bench.measure(Some(opts.batch)).await;
                all.entry((name, "single")).or_default().push(single);
                all.entry((name, "batch")).or_default().push(batch);
            }
        }
        Ok::<(), anyhow::Error>(())
    })?;
    println!(
        "-- medians of {} runs (ratios: the median of each run's ratio)",
        opts.runs
    );
    for ((engine, kind), runs) in &all {
        let of = |f: &dyn Fn(&Figures) -> Option<f64>| {
            let values: Vec<f64> = runs.iter().filter_map(f).collect();
            (!values.is_empty()).then(|| median(values))
        };
        let figure = |f: &dyn Fn(&Figures) -> Option<f64>| of(f).unwrap_or(f64::NAN);
        println!(
            "kinthread {engine:<8} {kind:<6} contacts/s={:>7.0} p99={:.1}ms",
            figure(&|f| Some(f.kinthread)),
            figure(&|f| Some(f.kinthread_p99_ms)),
        );
        for (way, rate) in [
            ("server", of(&|f| Some(f.server))),
            ("diesel", of(&|f| Some(f.diesel))),
            ("pgbench", of(&|f| f.pgbench)),
        ] {
            if let Some(rate) = rate {
                println!("baseline  {engine:<8} {kind:<6} via={way} contacts/s={rate:>7.0}");
            }
        }
        let pgbench = of(&|f| f.pgbench.map(|p| f.kinthread / p))
            .map(|r| format!(" kinthread/pgbench={r:.2}"))
            .unwrap_or_default();
        println!(
            "ratio     {engine:<8} {kind:<6} kinthread/server={:.2} kinthread/diesel={:.2}{pgbench}",
            figure(&|f| Some(f.kinthread / f.server)),
            figure(&|f| Some(f.kinthread / f.diesel)),
        );
    }
    Ok(())
}
