//! Nothing acknowledged is lost: contacts the server answered 2xx for are there after the
//! server process is killed with SIGKILL mid-load and started again.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests stop loudly")]

use std::collections::HashSet;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

mod common;

const PASSWORD: &str = "a long and secret passphrase";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn command(db: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinthread-server"));
    cmd.args(args)
        .env("KINTHREAD_DATABASE_URL", db)
        .env("KINTHREAD_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

async fn serve(db: &str, port: u16) -> Child {
    let mut child = command(db, &["--bind", &format!("127.0.0.1:{port}"), "serve"])
        .spawn()
        .unwrap();
    if common::answers_health(port).await {
        return child;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

async fn post(client: &reqwest::Client, url: &str, token: Option<&str>, body: &Value) -> Value {
    let mut request = client.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

async fn survives_sigkill(db: &str) {
    let mut create = command(db, &["create-admin", "--username", "admin"])
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(create.wait().unwrap().success());

    let port = free_port();
    let mut server = serve(db, port).await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::new();
    let login = post(
        &client,
        &format!("{base}/auth/login"),
        None,
        &json!({"username": "admin", "password": PASSWORD}),
    )
    .await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let family = post(
        &client,
        &format!("{base}/families"),
        Some(&token),
        &json!({"display_name": "F"}),
    )
    .await;
    let family_id = family["id"].as_str().unwrap().to_owned();
    let persons = format!("{base}/families/{family_id}/persons");
    let mother = post(
        &client,
        &persons,
        Some(&token),
        &json!({"display_name": "M", "role": "mother"}),
    )
    .await["id"]
        .clone();
    let child = post(
        &client,
        &persons,
        Some(&token),
        &json!({"display_name": "C", "role": "child"}),
    )
    .await["id"]
        .clone();

    // Eight clients upload as fast as they can; the server is killed while they do.
    let contacts = format!("{base}/families/{family_id}/contacts");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, contacts, token) = (client.clone(), contacts.clone(), token.clone());
        let (mother, child) = (mother.clone(), child.clone());
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            loop {
                let client_id = uuid::Uuid::now_v7();
                let body = json!({"client_id": client_id, "kind": "text", "participants": [mother, child],
                    "initiator": mother, "started_at": "2026-03-01T20:00:00+08:00", "content": "想你"});
                match client.post(&contacts).bearer_auth(&token).json(&body).send().await {
                    Ok(r) if r.status().as_u16() == 201 => acknowledged.push(client_id.to_string()),
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => return acknowledged,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let mut acknowledged = HashSet::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    assert!(
        acknowledged.len() > 50,
        "the load ran: {}",
        acknowledged.len()
    );

    let mut server = serve(db, port).await;
    let mut stored = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{contacts}?limit=200&cursor={c}"),
            None => format!("{contacts}?limit=200"),
        };
        let page: Value = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            stored.insert(item["client_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged contacts lost: {lost:?}",
        lost.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_contacts_survive_sigkill_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    survives_sigkill(&dir.path().join("kinthread.db").display().to_string()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_contacts_survive_sigkill_postgres() {
    // A database of its own, so the admin and families start from nothing.
    let Some(db) =
        common::PostgresSchema::new("acknowledged_contacts_survive_sigkill_postgres", "kt_crash")
    else {
        return;
    };
    survives_sigkill(&db.url).await;
}
