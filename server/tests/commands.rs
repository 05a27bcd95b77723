//! The `kinthread-server` binary's own commands, run as a user would: migrate, create-admin,
//! rescore, and the one-line errors for a bad database URL or read database URL.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests stop loudly")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use diesel::prelude::*;
use kinthread_server::db::{DatabaseUrl, Db};
use kinthread_server::schema::contacts;

fn server(db_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kinthread-server"))
        .args(args)
        .env("KINTHREAD_DATABASE_URL", db_url)
        .env("KINTHREAD_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn bad_database_urls_are_one_clear_line() {
    for (url, expected) in [
        ("mysql://localhost/kinthread", "unsupported database URL"),
        ("sqlite://:memory:", "unsupported database URL"),
        (
            "postgres://nobody@127.0.0.1:1/none",
            "cannot open the database",
        ),
        ("/proc/no/such/dir/kinthread.db", "cannot open the database"),
    ] {
        let out = server(url, &["migrate"], "");
        assert!(!out.status.success(), "{url}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{url}: {stderr}");
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{url}: one line: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{url}: {stderr}");
    }
}

#[test]
fn a_read_database_beside_sqlite_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kinthread.db").display().to_string();
    for read in [
        "postgres://kt:s3cret@127.0.0.1:1/kinthread",
        &dir.path().join("copy.db").display().to_string(),
    ] {
        let out = server(
            &db,
            &[
                "--bind",
                "127.0.0.1:0",
                "--read-database-url",
                read,
                "serve",
            ],
            "",
        );
        assert!(!out.status.success(), "{read}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("must be a PostgreSQL standby of a PostgreSQL primary"),
            "{read}: {stderr}"
        );
        assert!(!stderr.contains("s3cret"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{read}: {stderr}");
    }
}

#[test]
fn migrate_create_admin_and_rescore() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("kinthread.db");
    let url = db_path.display().to_string();

    let out = server(&url, &["migrate"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(db_path.exists());
    // Children's data: the file is the owner's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&db_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    // No default password: the admin's comes from standard input and must be long enough.
    let out = server(
        &url,
        &["create-admin", "--username", "root-admin"],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("password"),
        "{}",
        text(&out.stderr)
    );
    let out = server(
        &url,
        &["create-admin", "--username", "root-admin"],
        "a long and secret passphrase\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = server(
        &url,
        &["create-admin", "--username", "root-admin"],
        "a long and secret passphrase\n",
    );
    assert!(text(&out.stderr).contains("taken"));

    // Rescore: a stored score that disagrees with the lexicon is recomputed.
    let db = Db::connect(&DatabaseUrl::parse(&url).unwrap(), 2).unwrap();
    let mut conn = db.write_conn().unwrap();
    diesel::sql_query(
        "INSERT INTO families (id, display_name, program_id, time_zone, target_cadence_days,
            guardian_consent, share_notes_with_staff, child_feedback_visible_to_parents,
            created_at, updated_at)
         VALUES ('00000000-0000-0000-0000-0000000000f1', 'F', NULL, 'Asia/Shanghai', NULL, 1, 0, 0, 0, 0)",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO contacts (family_id, id, client_id, request_hash, kind, status,
            initiator_id, started_at, utc_offset_seconds, content, depth_score, depth_level,
            depth_lexicon, source, recorded_by, recorded_at)
         VALUES ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000c1',
            '00000000-0000-0000-0000-0000000000a1', 'h', 'text', 'completed',
            '00000000-0000-0000-0000-0000000000b1', 0, 0,
            '妈妈我好想你', 1.0, 'routine', 'old-lexicon', 'app',
            '00000000-0000-0000-0000-0000000000d1', 0)",
    )
    .execute(&mut conn)
    .unwrap();
    drop(conn);
    let out = server(&url, &["rescore"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("rescored 1 contact"),
        "{}",
        text(&out.stdout)
    );
    let mut conn = db.read_conn().unwrap();
    let (score, level, lexicon): (Option<f64>, Option<String>, Option<String>) = contacts::table
        .select((
            contacts::depth_score,
            contacts::depth_level,
            contacts::depth_lexicon,
        ))
        .first(&mut conn)
        .unwrap();
    assert!(score.unwrap() >= 50.0, "{score:?}");
    assert_eq!(level.as_deref(), Some("emotional"));
    assert_eq!(
        lexicon.as_deref(),
        Some(kinthread_shared::depth::LEXICON_VERSION)
    );
}
