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
