//! `kinthread-server retention`, run as an operator runs it, beside a serving server, on
//! SQLite and PostgreSQL: a program's records older than its period are erased (contacts with
//! every version, participants and feedback; check-ins; the child's check-ins), newer ones and
//! a program without a period are untouched, a dry run erases nothing, and the run is audited
//! by counts and the program's id.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests stop loudly")]

use std::process::{Child, Command, Stdio};

use chrono::{Duration, Utc};
use diesel::prelude::*;
use kinthread_server::db::{DatabaseUrl, Db, DbConnection};
use kinthread_server::schema::{
    audit_log, checkins, child_checkins, contact_feedback, contact_participants, contacts,
    families, persons, programs,
};

mod common;

fn server(db_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinthread-server"));
    cmd.args(args)
        .env("KINTHREAD_DATABASE_URL", db_url)
        .env("KINTHREAD_LOG", "warn")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn retention(db_url: &str, args: &[&str]) -> String {
    let mut all = vec!["retention"];
    all.extend(args);
    let out = server(db_url, &all).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn id(n: u32) -> String {
    format!("00000000-0000-0000-0000-{n:012}")
}

fn ms_days_ago(days: i64) -> i64 {
    (Utc::now() - Duration::days(days)).timestamp_millis()
}

/// Two years, a month, thirteen months: before and after a twelve-month cut.
const OLD: i64 = 730;
const RECENT: i64 = 30;

struct Seed<'a> {
    conn: &'a mut DbConnection,
    next: u32,
}

impl Seed<'_> {
    fn next_id(&mut self) -> String {
        self.next += 1;
        id(self.next)
    }

    fn program(&mut self, name: &str, months: Option<i32>) -> String {
        let program = self.next_id();
        diesel::insert_into(programs::table)
            .values((
                programs::id.eq(&program),
                programs::name.eq(name),
                programs::target_cadence_days.eq(7),
                programs::created_at.eq(0_i64),
                programs::retention_months.eq(months),
            ))
            .execute(self.conn)
            .unwrap();
        program
    }

    /// A family of the program with a mother and a child; answers (family, mother, child).
    fn family(&mut self, program: &str, name: &str) -> (String, String, String) {
        let family = self.next_id();
        diesel::insert_into(families::table)
            .values((
                families::id.eq(&family),
                families::display_name.eq(name),
                families::program_id.eq(program),
                families::time_zone.eq("Asia/Shanghai"),
                families::guardian_consent.eq(true),
                families::share_notes_with_staff.eq(false),
                families::child_feedback_visible_to_parents.eq(false),
                families::created_at.eq(0_i64),
                families::updated_at.eq(0_i64),
            ))
            .execute(self.conn)
            .unwrap();
        let mut person = |role: &str| {
            let person = self.next_id();
            diesel::insert_into(persons::table)
                .values((
                    persons::family_id.eq(&family),
                    persons::id.eq(&person),
                    persons::display_name.eq(format!("{name} {role}")),
                    persons::role.eq(role),
                    persons::lives_away.eq(false),
                    persons::created_at.eq(0_i64),
                ))
                .execute(self.conn)
                .unwrap();
            person
        };
        let mother = person("mother");
        let child = person("child");
        (family, mother, child)
    }

    /// A visit between the two persons, with both as participants and a feedback of the
    /// child's; `ended` days ago for its end, `supersedes` an earlier version.
    fn contact(
        &mut self,
        (family, mother, child): &(String, String, String),
        started_days_ago: i64,
        ended_days_ago: Option<i64>,
        supersedes: Option<&str>,
    ) -> String {
        let contact = self.next_id();
        diesel::insert_into(contacts::table)
            .values((
                contacts::family_id.eq(family),
                contacts::id.eq(&contact),
                contacts::client_id.eq(self.next_id()),
                contacts::request_hash.eq("h"),
                contacts::kind.eq("visit"),
                contacts::status.eq("completed"),
                contacts::initiator_id.eq(mother),
                contacts::started_at.eq(ms_days_ago(started_days_ago)),
                contacts::utc_offset_seconds.eq(28_800),
                contacts::ended_at.eq(ended_days_ago.map(ms_days_ago)),
                contacts::content.eq("我们一起去了镇上"),
                contacts::source.eq("app"),
                contacts::recorded_by.eq(mother),
                contacts::recorded_at.eq(0_i64),
                contacts::supersedes.eq(supersedes),
            ))
            .execute(self.conn)
            .unwrap();
        if let Some(earlier) = supersedes {
            diesel::update(
                contacts::table
                    .filter(contacts::family_id.eq(family))
                    .filter(contacts::id.eq(earlier)),
            )
            .set(contacts::superseded_by.eq(&contact))
            .execute(self.conn)
            .unwrap();
        }
        for person in [mother, child] {
            diesel::insert_into(contact_participants::table)
                .values((
                    contact_participants::family_id.eq(family),
                    contact_participants::contact_id.eq(&contact),
                    contact_participants::person_id.eq(person),
                ))
                .execute(self.conn)
                .unwrap();
        }
        diesel::insert_into(contact_feedback::table)
            .values((
                contact_feedback::family_id.eq(family),
                contact_feedback::id.eq(self.next_id()),
                contact_feedback::client_id.eq(self.next_id()),
                contact_feedback::request_hash.eq("h"),
                contact_feedback::contact_id.eq(&contact),
                contact_feedback::child_id.eq(child),
                contact_feedback::rating.eq("good"),
                contact_feedback::given_at.eq(ms_days_ago(started_days_ago)),
                contact_feedback::utc_offset_seconds.eq(28_800),
                contact_feedback::recorded_by.eq(child),
                contact_feedback::recorded_at.eq(0_i64),
            ))
            .execute(self.conn)
            .unwrap();
        contact
    }

    /// A caregiver's check-in and a child's own, `days_ago`.
    fn checkins(&mut self, (family, mother, child): &(String, String, String), days_ago: i64) {
        diesel::insert_into(checkins::table)
            .values((
                checkins::family_id.eq(family),
                checkins::id.eq(self.next_id()),
                checkins::client_id.eq(self.next_id()),
                checkins::request_hash.eq("h"),
                checkins::child_id.eq(child),
                checkins::observed_at.eq(ms_days_ago(days_ago)),
                checkins::utc_offset_seconds.eq(28_800),
                checkins::mood.eq(3),
                checkins::recorded_by.eq(mother),
                checkins::recorded_at.eq(0_i64),
            ))
            .execute(self.conn)
            .unwrap();
        diesel::insert_into(child_checkins::table)
            .values((
                child_checkins::family_id.eq(family),
                child_checkins::id.eq(self.next_id()),
                child_checkins::client_id.eq(self.next_id()),
                child_checkins::request_hash.eq("h"),
                child_checkins::child_id.eq(child),
                child_checkins::observed_at.eq(ms_days_ago(days_ago)),
                child_checkins::utc_offset_seconds.eq(28_800),
                child_checkins::mood.eq(2),
                child_checkins::recorded_by.eq(child),
                child_checkins::recorded_at.eq(0_i64),
            ))
            .execute(self.conn)
            .unwrap();
    }
}

/// Rows per table of a family: contacts, participants, feedback, check-ins, child check-ins.
fn rows_of(conn: &mut DbConnection, family: &str) -> [i64; 5] {
    [
        contacts::table
            .filter(contacts::family_id.eq(family))
            .count()
            .get_result(conn)
            .unwrap(),
        contact_participants::table
            .filter(contact_participants::family_id.eq(family))
            .count()
            .get_result(conn)
            .unwrap(),
        contact_feedback::table
            .filter(contact_feedback::family_id.eq(family))
            .count()
            .get_result(conn)
            .unwrap(),
        checkins::table
            .filter(checkins::family_id.eq(family))
            .count()
            .get_result(conn)
            .unwrap(),
        child_checkins::table
            .filter(child_checkins::family_id.eq(family))
            .count()
            .get_result(conn)
            .unwrap(),
    ]
}

fn contact_ids(conn: &mut DbConnection, family: &str) -> Vec<String> {
    contacts::table
        .filter(contacts::family_id.eq(family))
        .select(contacts::id)
        .order(contacts::id.asc())
        .load::<String>(conn)
        .unwrap()
}

fn retention_audit(conn: &mut DbConnection) -> Vec<Option<String>> {
    audit_log::table
        .filter(audit_log::action.eq("retention.apply"))
        .select(audit_log::target)
        .load(conn)
        .unwrap()
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn erases_what_is_older_than_the_period(url: &str) {
    let db = Db::connect(&DatabaseUrl::parse(url).unwrap(), 2).unwrap();
    db.migrate().unwrap();
    let mut conn = db.write_conn().unwrap();
    let mut seed = Seed {
        conn: &mut conn,
        next: 0,
    };
    let kept_a_year = seed.program("一年", Some(12));
    let forever = seed.program("永久", None);
    let a = seed.family(&kept_a_year, "王家");
    let b = seed.family(&forever, "李家");

    // Family A: erased, an old contact, and an amended one whose versions are both old.
    let old = seed.contact(&a, OLD, None, None);
    let amended_old = seed.contact(&a, OLD, None, None);
    let amendment_old = seed.contact(&a, OLD - 1, None, Some(&amended_old));
    // Kept: a recent contact, a visit begun before the cut and ended after it, and an old
    // contact amended onto a recent date.
    let recent = seed.contact(&a, RECENT, None, None);
    let visit = seed.contact(&a, 400, Some(330), None);
    let moved = seed.contact(&a, OLD, None, None);
    let moved_to = seed.contact(&a, RECENT, None, Some(&moved));
    seed.checkins(&a, OLD);
    seed.checkins(&a, OLD + 1);
    seed.checkins(&a, RECENT);
    // Family B, in a program that keeps everything: as old, all kept.
    seed.contact(&b, OLD, None, None);
    seed.checkins(&b, OLD);
    let a_before = rows_of(&mut conn, &a.0);
    let b_before = rows_of(&mut conn, &b.0);
    assert_eq!(a_before, [7, 14, 7, 3, 3]);
    assert_eq!(b_before, [1, 2, 1, 1, 1]);
    drop(conn);

    // The server serves throughout.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let serving = Serving(
        server(url, &["--bind", &format!("127.0.0.1:{port}"), "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(common::answers_health(port).await);

    // A dry run counts and erases nothing (batches of two: the pages cross the versions).
    let expected = "3 contacts, 6 participants, 3 feedback, 2 check-ins, 2 child check-ins";
    let out = retention(url, &["--dry-run", "--batch-size", "2"]);
    assert!(
        out.contains(&format!("program 一年 ({kept_a_year}), 12 months"))
            && out.contains(&format!("would erase {expected}")),
        "{out}"
    );
    assert!(!out.contains("永久") && !out.contains(&forever), "{out}");
    let mut conn = db.write_conn().unwrap();
    assert_eq!(rows_of(&mut conn, &a.0), a_before);
    assert!(retention_audit(&mut conn).is_empty());
    drop(conn);

    // Applied: the same counts, erased.
    let out = retention(url, &["--apply", "--batch-size", "2"]);
    assert!(out.contains(&format!("erased {expected}")), "{out}");
    assert!(
        common::answers_health(port).await,
        "the server still serves"
    );
    let mut conn = db.write_conn().unwrap();
    assert_eq!(rows_of(&mut conn, &a.0), [4, 8, 4, 1, 1]);
    let mut kept = vec![recent, visit, moved, moved_to];
    kept.sort();
    assert_eq!(contact_ids(&mut conn, &a.0), kept);
    for gone in [old, amended_old, amendment_old] {
        assert!(!contact_ids(&mut conn, &a.0).contains(&gone));
    }
    assert_eq!(rows_of(&mut conn, &b.0), b_before);

    // Audited: the program and the counts, no family's id or name.
    let audit = retention_audit(&mut conn);
    assert_eq!(audit.len(), 1, "{audit:?}");
    let target = audit[0].clone().unwrap();
    assert!(
        target.contains(&kept_a_year) && target.contains(expected),
        "{target}"
    );
    for family in [&a.0, "王家", &b.0, "李家"] {
        assert!(!target.contains(family), "{target}");
    }
    drop(conn);

    // Again: nothing left to erase.
    let out = retention(url, &["--apply"]);
    assert!(
        out.contains("erased 0 contacts, 0 participants, 0 feedback, 0 check-ins, 0 child"),
        "{out}"
    );
    drop(serving);

    // Neither mode alone is a run.
    let out = server(url, &["retention"]).output().unwrap();
    assert!(!out.status.success());
    let out = server(url, &["retention", "--dry-run", "--apply"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// Erases `CONTACTS` old contacts (with their participants and feedback) and as many
/// check-ins of each kind while a client writes to the server without pause: every write
/// succeeds, and none waits for the whole run. Prints the numbers (`--nocapture`).
async fn serves_while_erasing(url: &str) {
    const CONTACTS: usize = 3_000;
    let db = Db::connect(&DatabaseUrl::parse(url).unwrap(), 2).unwrap();
    db.migrate().unwrap();
    let mut conn = db.write_conn().unwrap();
    let family = kinthread_server::db::immediate_transaction(&mut conn, |conn| {
        let mut seed = Seed { conn, next: 0 };
        let program = seed.program("一年", Some(12));
        let family = seed.family(&program, "王家");
        for _ in 0..CONTACTS {
            seed.contact(&family, OLD, None, None);
            seed.checkins(&family, OLD);
        }
        Ok::<_, diesel::result::Error>(family)
    })
    .unwrap();
    drop(conn);

    let mut create = server(url, &["create-admin", "--username", "admin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut create.stdin.take().unwrap(),
        b"a long and secret passphrase\n",
    )
    .unwrap();
    assert!(create.wait().unwrap().success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let serving = Serving(
        server(url, &["--bind", &format!("127.0.0.1:{port}"), "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(common::answers_health(port).await);
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"username": "admin",
                                  "password": "a long and secret passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();

    // A writer creating programs until told to stop; each answer's status and time kept.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, client, base) = (stop.clone(), client.clone(), base.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let started = std::time::Instant::now();
                let status = client
                    .post(format!("{base}/programs"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"name": format!("program {n}")}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                answers.push((status, started.elapsed()));
            }
            answers
        })
    };
    let url_owned = url.to_owned();
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        retention(&url_owned, &["--apply", "--batch-size", "500"])
    })
    .await
    .unwrap();
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answers = writer.await.unwrap();
    drop(serving);

    assert!(
        out.contains(&format!(
            "erased {CONTACTS} contacts, {} participants, {CONTACTS} feedback, {CONTACTS} \
             check-ins, {CONTACTS} child check-ins",
            2 * CONTACTS
        )),
        "{out}"
    );
    let mut conn = db.write_conn().unwrap();
    assert_eq!(rows_of(&mut conn, &family.0), [0; 5]);
    let failed: Vec<_> = answers.iter().filter(|(s, _)| *s != 201).collect();
    assert!(
        failed.is_empty(),
        "writes failed during the run: {failed:?}"
    );
    answers.sort_by_key(|(_, t)| *t);
    let median = answers[answers.len() / 2].1;
    let slowest = answers[answers.len() - 1].1;
    eprintln!(
        "retention of {CONTACTS} contacts + {} other rows in batches of 500: {took:?}; \
         {} writes meanwhile, all 201, median {median:?}, slowest {slowest:?}",
        4 * CONTACTS,
        answers.len()
    );
    assert!(
        answers.len() >= 5,
        "the server kept answering: {}",
        answers.len()
    );
    // Without the pause between batches on SQLite, a write waited for the whole run.
    assert!(
        slowest * 2 < took,
        "no write waits for the whole run: {slowest:?} of {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_serves_while_erasing_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("kinthread.db").display().to_string();
    serves_while_erasing(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_serves_while_erasing_postgres() {
    let Some(db) = common::PostgresSchema::new(
        "retention_serves_while_erasing_postgres",
        "kt_retention_load",
    ) else {
        return;
    };
    serves_while_erasing(&db.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_erases_what_is_older_than_the_period_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("kinthread.db").display().to_string();
    erases_what_is_older_than_the_period(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_erases_what_is_older_than_the_period_postgres() {
    let Some(db) = common::PostgresSchema::new(
        "retention_erases_what_is_older_than_the_period_postgres",
        "kt_retention",
    ) else {
        return;
    };
    erases_what_is_older_than_the_period(&db.url).await;
}
