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
    // The most a production operator would turn on.
    serve_at(db, port, log, "debug").await
}

async fn serve_at(db: &str, port: u16, log: std::path::PathBuf, level: &str) -> Server {
    let file = std::fs::File::create(&log).unwrap();
    let child = command(db, &["--bind", &format!("127.0.0.1:{port}"), "serve"])
        .env("KINTHREAD_LOG", level)
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

/// What a family told the server, every piece of which must stay out of the log.
mod family_data {
    /// The mother's numbers in every form a client sends them, and as stored.
    pub const PHONES: [&str; 5] = [
        "+86 138 2468 1357",
        "13824681357",
        "+8613824681357",
        "0086-139-8765-4321",
        "+44 7700 900456",
    ];
    pub const PHONE_DIGITS: [&str; 3] = ["13824681357", "13987654321", "7700900456"];
    pub const FAMILY: &str = "留守的赵家";
    pub const CHILD: &str = "赵小燕";
    pub const MOTHER: &str = "刘春梅";
    pub const GRANDMOTHER: &str = "赵奶奶";
    pub const NOTES: [&str; 3] = [
        "她说数学考试没及格，哭了很久",
        "told her dad is coming home for the spring festival",
        "想妈妈，晚上睡不着",
    ];
    pub const CHILD_WORDS: [&str; 2] = ["妈妈只问我吃饭了没有", "I miss mum every night"];
    pub const WORRIES: &str = "被同学欺负，不敢告诉老师";
    pub const PURPOSE: &str = "home visit planning 7c21";
    pub const USERNAMES: [&str; 4] = [
        "zhao-mother-61",
        "zhao-child-62",
        "zhao-gran-63",
        "staff-he-64",
    ];
}

/// A client of the running server: JSON in and out, with a bearer token.
struct Session {
    client: reqwest::Client,
    base: String,
}

impl Session {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, token: &str, body: Value, expected: u16) -> Value {
        let (status, answer) = self
            .call(reqwest::Method::POST, path, Some(token), Some(body))
            .await;
        assert_eq!(status, expected, "POST {path}: {answer}");
        answer
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let (status, answer) = self
            .call(reqwest::Method::GET, path, Some(token), None)
            .await;
        assert_eq!(status, 200, "GET {path}: {answer}");
        answer
    }

    /// Signs in; answers the access and the refresh token.
    async fn login(&self, username: &str, password: &str) -> (String, String) {
        let (status, answer) = self
            .call(
                reqwest::Method::POST,
                "/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        (
            answer["access_token"].as_str().unwrap().to_owned(),
            answer["refresh_token"].as_str().unwrap().to_owned(),
        )
    }
}

/// A whole session at `trace`, the most verbose level there is: a family with persons and
/// numbers, accounts, contacts with notes, the child's feedback and check-in in words,
/// caregivers' worries, staff reading with a purpose, a bundle export, a refreshed and a
/// revoked session. The log holds none of the family's data, names, numbers or tokens.
async fn a_traced_session_logs_nothing_personal(db: &str) {
    use family_data::*;
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
    let server = serve_at(db, port, dir.path().join("server.log"), "trace").await;
    let api = Session {
        client: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}/api/v1"),
    };
    let (admin, admin_refresh) = api.login("admin", PASSWORD).await;
    let mut tokens = vec![admin.clone(), admin_refresh.clone()];

    let program = api
        .post(
            "/programs",
            &admin,
            json!({"name": "河南关爱项目 trace"}),
            201,
        )
        .await;
    let family = api
        .post(
            "/families",
            &admin,
            json!({"display_name": FAMILY, "program_id": program["id"],
                   "consent": {"guardian_consent": true, "share_notes_with_staff": true,
                               "child_account": true}}),
            201,
        )
        .await;
    let family_id = family["id"].as_str().unwrap().to_owned();
    let persons = format!("/families/{family_id}/persons");
    let mother = api
        .post(
            &persons,
            &admin,
            json!({"display_name": MOTHER, "role": "mother", "lives_away": true,
                   "away_location": "深圳宝安区", "phone": PHONES[0],
                   "phones": [PHONES[3], PHONES[4]]}),
            201,
        )
        .await;
    let child = api
        .post(
            &persons,
            &admin,
            json!({"display_name": CHILD, "role": "child", "birth_date": "2014-05-02"}),
            201,
        )
        .await;
    let grandmother = api
        .post(
            &persons,
            &admin,
            json!({"display_name": GRANDMOTHER, "role": "grandmother", "phone": PHONES[2]}),
            201,
        )
        .await;
    let (mother, child, grandmother) = (
        mother["id"].as_str().unwrap().to_owned(),
        child["id"].as_str().unwrap().to_owned(),
        grandmother["id"].as_str().unwrap().to_owned(),
    );
    let (status, changed) = api
        .call(
            reqwest::Method::PATCH,
            &format!("{persons}/{mother}"),
            Some(&admin),
            Some(json!({"phones": [PHONES[1], PHONES[4]]})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");

    // Accounts, each signed in.
    let member = |username: &str, role: &str, person: &str| {
        json!({"username": username, "password": PASSWORD, "role": role,
               "family_id": family_id, "person_id": person})
    };
    api.post(
        "/users",
        &admin,
        member(USERNAMES[0], "parent", &mother),
        201,
    )
    .await;
    api.post("/users", &admin, member(USERNAMES[1], "child", &child), 201)
        .await;
    api.post(
        "/users",
        &admin,
        member(USERNAMES[2], "caregiver", &grandmother),
        201,
    )
    .await;
    api.post(
        "/users",
        &admin,
        json!({"username": USERNAMES[3], "password": PASSWORD, "role": "staff",
               "program_ids": [program["id"]]}),
        201,
    )
    .await;
    // Mistakes that carry the data back in a database error: a username taken, a number
    // taken by no one but refused, a person of another family.
    api.post(
        "/users",
        &admin,
        member(USERNAMES[0], "parent", &mother),
        409,
    )
    .await;
    api.post(
        &persons,
        &admin,
        json!({"display_name": CHILD, "role": "child", "phone": "10086"}),
        422,
    )
    .await;
    let (parent, parent_refresh) = api.login(USERNAMES[0], PASSWORD).await;
    let (child_token, _) = api.login(USERNAMES[1], PASSWORD).await;
    let (caregiver, _) = api.login(USERNAMES[2], PASSWORD).await;
    let (staff, _) = api.login(USERNAMES[3], PASSWORD).await;
    tokens.extend([
        parent.clone(),
        parent_refresh.clone(),
        child_token.clone(),
        caregiver.clone(),
        staff.clone(),
    ]);

    // Contacts with notes, the child's feedback and check-in, the caregiver's worries.
    let contacts = format!("/families/{family_id}/contacts");
    let now = chrono::Utc::now();
    let mut contact_ids = Vec::new();
    for (hours, note) in [(30, NOTES[0]), (20, NOTES[1]), (2, NOTES[2])] {
        let contact = api
            .post(
                &contacts,
                &parent,
                json!({"client_id": uuid::Uuid::now_v7(), "kind": "call",
                       "participants": [mother, child], "initiator": mother,
                       "started_at": (now - chrono::Duration::hours(hours)).to_rfc3339(),
                       "duration_seconds": 300, "content": note}),
                201,
            )
            .await;
        contact_ids.push(contact["id"].as_str().unwrap().to_owned());
    }
    api.post(
        &format!("{contacts}/{}/feedback", contact_ids[2]),
        &child_token,
        json!({"client_id": uuid::Uuid::now_v7(), "rating": "bad", "words": CHILD_WORDS[0]}),
        201,
    )
    .await;
    api.post(
        &format!("/families/{family_id}/child-checkins"),
        &child_token,
        json!({"client_id": uuid::Uuid::now_v7(), "observed_at": now.to_rfc3339(),
               "mood": 2, "words": CHILD_WORDS[1]}),
        201,
    )
    .await;
    api.post(
        &format!("/families/{family_id}/checkins"),
        &caregiver,
        json!({"client_id": uuid::Uuid::now_v7(), "child_id": child,
               "observed_at": now.to_rfc3339(), "mood": 2, "worries": WORRIES}),
        201,
    )
    .await;

    // Staff read with a purpose; the family reads its report and reminders; an export.
    let purpose = PURPOSE.replace(' ', "%20");
    for path in [
        format!("{contacts}?purpose={purpose}"),
        format!("/families/{family_id}/checkins?purpose={purpose}"),
        format!("/families/{family_id}/feedback?purpose={purpose}"),
        format!("/families/{family_id}/child-checkins?purpose={purpose}"),
        format!("/families/{family_id}/report"),
        format!("/families/{family_id}/access-log"),
        persons.clone(),
    ] {
        api.get(&path, &staff).await;
    }
    let bundle = api
        .get(
            &format!("/families/{family_id}/bundle?purpose={purpose}"),
            &staff,
        )
        .await;
    assert!(
        bundle.to_string().contains(NOTES[0]),
        "the export has the notes"
    );
    api.get(&format!("/families/{family_id}/report"), &parent)
        .await;
    api.get("/me/reminders", &parent).await;
    api.get(&format!("/families/{family_id}/consents"), &parent)
        .await;
    // A refreshed session and a sign-out.
    let (status, refreshed) = api
        .call(
            reqwest::Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": parent_refresh})),
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let new_access = refreshed["access_token"].as_str().unwrap().to_owned();
    let new_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let (status, _) = api
        .call(
            reqwest::Method::POST,
            "/auth/logout",
            Some(&new_access),
            Some(json!({"refresh_token": new_refresh})),
        )
        .await;
    assert!(status < 300, "{status}");
    tokens.extend([new_access, new_refresh]);
    // A refused read, which is audited too.
    let (status, _) = api
        .call(
            reqwest::Method::GET,
            &format!("/families/{family_id}/feedback"),
            Some(&parent),
            None,
        )
        .await;
    assert_eq!(status, 403);

    let log = server.stop();
    assert!(log.contains(" TRACE "), "the log is at trace level: {log}");
    let access = log.lines().filter(|l| l.contains(" status=")).count();
    assert!(access >= 30, "an access line per request: {access}\n{log}");
    for secret in [
        PASSWORD,
        FAMILY,
        CHILD,
        MOTHER,
        GRANDMOTHER,
        WORRIES,
        PURPOSE,
        "深圳宝安区",
    ]
    .into_iter()
    .chain(PHONES)
    .chain(PHONE_DIGITS)
    .chain(NOTES)
    .chain(CHILD_WORDS)
    .chain(USERNAMES)
    .chain(tokens.iter().map(String::as_str))
    {
        let line = log.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "`{secret}` is in the log: {line:?}");
    }
    // Nor any part of a token (a JWT's payload, a refresh token's halves).
    for token in &tokens {
        for part in token.split('.').filter(|p| p.len() >= 16) {
            let line = log.lines().find(|l| l.contains(part));
            assert!(line.is_none(), "part of a token is in the log: {line:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traced_session_logs_nothing_personal_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kinthread.db").display().to_string();
    a_traced_session_logs_nothing_personal(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traced_session_logs_nothing_personal_postgres() {
    let Some(db) = common::PostgresSchema::new(
        "a_traced_session_logs_nothing_personal_postgres",
        "kt_trace",
    ) else {
        return;
    };
    a_traced_session_logs_nothing_personal(&db.url).await;
}
