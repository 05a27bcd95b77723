//! What the binary's tests share.

use std::io::Write;

/// A PostgreSQL test without `KINTHREAD_TEST_POSTGRES_URL` is skipped and says so past the
/// test runner's capture; under CI (`CI` set) it fails instead: a suite must never pass by
/// skipping PostgreSQL.
pub fn skip_postgres(test: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    assert!(
        !ci,
        "{test}: KINTHREAD_TEST_POSTGRES_URL is not set, and CI is: it must run, not be skipped"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: KINTHREAD_TEST_POSTGRES_URL is not set"
    );
}

/// A PostgreSQL schema of its own for one test, dropped when this goes: the URL to give the
/// server (`search_path` set to the schema), and an admin connection for the test's own SQL.
pub struct PostgresSchema {
    pub admin: diesel::PgConnection,
    pub schema: String,
    pub url: String,
}

impl PostgresSchema {
    /// A fresh schema named `{prefix}_…` in the database of `KINTHREAD_TEST_POSTGRES_URL`;
    /// `None` (after [`skip_postgres`]) when the variable is not set.
    pub fn new(test: &str, prefix: &str) -> Option<Self> {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        let Ok(admin_url) = std::env::var("KINTHREAD_TEST_POSTGRES_URL") else {
            skip_postgres(test);
            return None;
        };
        let schema = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
        Some(Self { admin, schema, url })
    }
}

impl Drop for PostgresSchema {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

/// Waits (10 s at most) for a server on `port` to answer its health check.
pub async fn answers_health(port: u16) -> bool {
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/health");
    for _ in 0..200 {
        let answer = client.get(&url).send().await;
        if answer.is_ok_and(|r| r.status().is_success()) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}
