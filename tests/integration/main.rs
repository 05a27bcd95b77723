//! kinthread's integration tests: one binary, the real server on a random port, each test on
//! SQLite and (when `KINTHREAD_TEST_POSTGRES_URL` is set) on PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test that cannot go on should stop loudly"
)]

mod accounts;
mod attention;
mod auth;
mod bad_input;
mod bundles;
mod consent;
mod contacts;
mod enrolment;
mod errors;
mod faults;
mod logins;
mod migrations;
mod openapi;
mod passwords;
mod permissions;
mod persons;
mod privacy;
mod reminders;
mod reports;
mod retention;
mod snapshots;
mod storage;

mod voice;

use chrono::{DateTime, Duration, Utc};
use kinthread_shared::PersonId;
use serde_json::{Value, json};

/// A completed call between two persons, `days_ago` days before now.
pub fn call(from: PersonId, to: PersonId, days_ago: i64, note: Option<&str>) -> Value {
    let started: DateTime<Utc> = Utc::now() - Duration::days(days_ago);
    json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": "call",
        "participants": [from, to],
        "initiator": from,
        "started_at": started.with_timezone(&china()).to_rfc3339(),
        "duration_seconds": 240,
        "content": note,
    })
}

/// UTC+8, the offset most family phones report.
pub fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap()
}
