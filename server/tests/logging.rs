//! The server's log, read as an operator reads it: the real binary with its standard error
//! captured. Secrets sent where they should not be (a token or a password in a query string,
//! a password in the database URL) never reach it; every line of a request carries the
//! request id, which the response returns and a 500's body quotes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests stop loudly")]

use std::io::Write;
use std::process::{Child, Command, Stdio};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

mod common;

const PASSWORD: &str = "a long and secret passphrase";
const WRONG_PASSWORD: &str = "wrong-body-password-5d1e";
const QUERY_TOKEN: &str = "query-token-8c2f41";
const QUERY_PASSWORD: &str = "query-password-7a9b03";
const URL_PASSWORD: &str = "url-password-3e6d58";
const NEW_PASSWORD: &str = "a new passphrase 41c7e9";
/// A person's numbers as sent, and their digits as stored.
const PHONES: [&str; 3] = ["447700900123", "+86 139 1234 5678", "14155550199"];
const PHONE_DIGITS: [&str; 3] = ["7700900123", "13912345678", "4155550199"];

fn command(db: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinthread-server"));
    cmd.args(args)
        .env("KINTHREAD_DATABASE_URL", db)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    log: std::path::PathBuf,
}

impl Server {
    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).unwrap()
    }
}

async fn serve(db: &str, port: u16, log: std::path::PathBuf) -> Server {
    let file = std::fs::File::create(&log).unwrap();
    let child = command(db, &["--bind", &format!("127.0.0.1:{port}"), "serve"])
        // The most a production operator would turn on.
        .env("KINTHREAD_LOG", "debug")
        .stderr(Stdio::from(file))
        .spawn()
        .unwrap();
    let server = Server { child, log };
    if common::answers_health(port).await {
        return server;
    }
    panic!("the server did not start: {}", server.stop());
}

/// Status, `X-Request-Id` and JSON body of a response.
async fn answer(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, id, response.json().await.unwrap_or(Value::Null))
}

/// Runs the scenario on the database at `db`; `break_programs` makes the programs query fail
/// (an internal error nobody can cause through the API).
async fn secrets_stay_out_and_ids_are_quoted(db: &str, break_programs: impl FnOnce()) {
    let mut create = command(db, &["create-admin", "--username", "admin"])
        .env("KINTHREAD_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(create.wait().unwrap().success());

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = serve(db, port, dir.path().join("server.log")).await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::new();

    // A failed sign-in with a password in the query string as well as in the body.
    let (status, _, _) = answer(
        client
            .post(format!("{base}/auth/login?password={QUERY_PASSWORD}"))
            .json(&json!({"username": "admin", "password": WRONG_PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, login) = answer(
        client
            .post(format!("{base}/auth/login"))
            .json(&json!({"username": "admin", "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let mut token = login["access_token"].as_str().unwrap().to_owned();

    // A token in the query string, as some clients send it.
    let (_, generated, _) = answer(
        client
            .get(format!(
                "{base}/families?access_token={QUERY_TOKEN}&limit=5"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(generated.len(), 32, "a generated id: {generated:?}");

    // A proxy's id is taken; one that could break a log line is replaced.
    let (status, id, _) = answer(
        client
            .get(format!("{base}/programs"))
            .bearer_auth(&token)
            .header("x-request-id", "proxy-7f3a:1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, id.as_str()), (200, "proxy-7f3a:1"));
    let (_, id, _) = answer(
        client
            .get(format!("{base}/programs"))
            .bearer_auth(&token)
            .header("x-request-id", "forged\tstatus=200")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(id.len(), 32, "replaced: {id:?}");

    // A person's numbers, on creation and in a change, and a password change.
    let (status, _, family) = answer(
        client
            .post(format!("{base}/families"))
            .bearer_auth(&token)
            .json(&json!({"display_name": "Wang"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{family}");
    let persons = format!("{base}/families/{}/persons", family["id"].as_str().unwrap());
    let (status, _, person) = answer(
        client
            .post(&persons)
            .bearer_auth(&token)
            .json(&json!({"display_name": "Mother", "role": "mother",
                          "phone": PHONES[0], "phones": [PHONES[1]]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{person}");
    let (status, _, changed) = answer(
        client
            .patch(format!("{persons}/{}", person["id"].as_str().unwrap()))
            .bearer_auth(&token)
            .json(&json!({"phones": [PHONES[2], PHONES[0], "10086"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "a service number: {changed}");
    let (status, _, changed) = answer(
        client
            .post(format!("{base}/me/password"))
            .bearer_auth(&token)
            .json(&json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    token = changed["access_token"].as_str().unwrap().to_owned();

    // An internal error: the body says only that, and the request id to quote.
    break_programs();
    let (status, id, body) = answer(
        client
            .get(format!("{base}/programs?limit=7"))
            .bearer_auth(&token)
            .header("x-request-id", "support-case-42")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(id, "support-case-42");
    assert_eq!(
        body,
        json!({"error": {"code": "internal", "message": "internal error",
                         "request_id": "support-case-42"}})
    );
    let (status, generated_500, body) = answer(
        client
            .get(format!("{base}/programs"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(body["error"]["request_id"], generated_500.as_str());

    let log = server.stop();
    for secret in [
        PASSWORD,
        WRONG_PASSWORD,
        QUERY_TOKEN,
        QUERY_PASSWORD,
        URL_PASSWORD,
        NEW_PASSWORD,
        token.as_str(),
    ]
    .into_iter()
    .chain(PHONES)
    .chain(PHONE_DIGITS)
    {
        assert!(!log.contains(secret), "`{secret}` is in the log:\n{log}");
    }
    // The access log names the query's parameters, not their values.
    assert!(
        log.contains("/api/v1/families?access_token=***&limit=***"),
        "{log}"
    );
    // The failing request's lines: the error with its detail, and the access line, both
    // with the id the user was given.
    for id in ["support-case-42", generated_500.as_str()] {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(&format!("request_id={id}")))
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("ERROR") && l.contains("internal error")),
            "{id}: {lines:#?}\n{log}"
        );
        assert!(
            lines.iter().any(|l| l.contains("status=500")),
            "{id}: {lines:#?}"
        );
    }
    // Every access line carries an id.
    let access: Vec<&str> = log.lines().filter(|l| l.contains(" target=")).collect();
    assert!(access.len() >= 6, "{log}");
    assert!(
        access.iter().all(|l| l.contains("request{request_id=")),
        "{access:#?}"
    );
    assert!(!log.contains("forged"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_keeps_secrets_out_and_quotes_request_ids_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kinthread.db").display().to_string();
    let path = db.clone();
    secrets_stay_out_and_ids_are_quoted(&db, move || {
        let mut conn = diesel::SqliteConnection::establish(&path).unwrap();
        conn.batch_execute("DROP TABLE programs").unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_keeps_secrets_out_and_quotes_request_ids_postgres() {
    let Some(mut db) = common::PostgresSchema::new(
        "log_keeps_secrets_out_and_quotes_request_ids_postgres",
        "kt_log",
    ) else {
        return;
    };
    // A password in the URL's query, which libpq accepts (the test server trusts anyway).
    let url = format!("{}&password={URL_PASSWORD}", db.url);
    let drop_programs = format!("DROP TABLE {}.programs CASCADE", db.schema);
    secrets_stay_out_and_ids_are_quoted(&url, || {
        db.admin.batch_execute(&drop_programs).unwrap();
    })
    .await;
}
