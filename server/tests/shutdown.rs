//! SIGTERM drains: the real `kinthread-server` binary, under upload load and with a batch
//! upload whose body is still arriving, is sent SIGTERM. The batch in flight is served and
//! stored; no request that begins after the signal is acknowledged; the process exits by
//! itself within its shutdown timeout; and every contact it acknowledged is in the database
//! when it is started again.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests stop loudly")]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

mod common;

const PASSWORD: &str = "a long and secret passphrase";
/// The server's `--shutdown-timeout`, in seconds.
const SHUTDOWN_TIMEOUT: u64 = 10;

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
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    cmd
}

/// A server whose log lines arrive on `lines` as it writes them.
struct Server {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

async fn serve(db: &str, port: u16) -> Server {
    serve_with_timeout(db, port, SHUTDOWN_TIMEOUT).await
}

async fn serve_with_timeout(db: &str, port: u16, shutdown_timeout: u64) -> Server {
    let mut child = command(db, &["--bind", &format!("127.0.0.1:{port}"), "serve"])
        .args(["--shutdown-timeout", &shutdown_timeout.to_string()])
        .env("KINTHREAD_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, lines) = mpsc::unbounded_channel();
    // Read to the end, so that the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    if common::answers_health(port).await {
        return Server { child, lines };
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

impl Server {
    /// Waits (at most `within`) for a log line containing `needle`.
    async fn wait_for_line(&mut self, needle: &str, within: Duration) -> String {
        let found = tokio::time::timeout(within, async {
            while let Some(line) = self.lines.recv().await {
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            _ => panic!("no log line with `{needle}` within {within:?}"),
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-s", name, &pid]).status();
        assert!(sent.unwrap().success(), "kill -s {name} {pid}");
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

fn contact(mother: &Value, child: &Value, client_id: uuid::Uuid) -> Value {
    json!({"client_id": client_id, "kind": "text", "participants": [mother, child],
           "initiator": mother, "started_at": "2026-03-01T20:00:00+08:00", "content": "想你"})
}

/// What one upload heard back.
enum Heard {
    Stored,
    /// 503 `shutting_down`: refused, to be sent again.
    Refused,
}

async fn drains_on_sigterm(db: &str) {
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

    let port = free_port();
    let mut server = serve(db, port).await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
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
    let contacts = format!("{base}/families/{family_id}/contacts");

    // A batch whose head and first half are sent before the signal, the rest after it.
    let batch_ids: Vec<uuid::Uuid> = (0..200).map(|_| uuid::Uuid::now_v7()).collect();
    let batch = serde_json::to_vec(&json!({"contacts": batch_ids
        .iter()
        .map(|id| contact(&mother, &child, *id))
        .collect::<Vec<_>>()}))
    .unwrap();
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /api/v1/families/{family_id}/contacts/batch HTTP/1.1\r\nHost: kinthread\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        batch.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = batch.split_at(batch.len() / 2);
    in_flight.write_all(first).await.unwrap();

    // Eight clients upload as fast as they can until the server goes; each upload remembers
    // when it was sent and what it heard.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, contacts, token) = (client.clone(), contacts.clone(), token.clone());
        let (mother, child) = (mother.clone(), child.clone());
        tasks.push(tokio::spawn(async move {
            let mut heard = Vec::new();
            loop {
                let client_id = uuid::Uuid::now_v7();
                let sent = Instant::now();
                let answer = client
                    .post(&contacts)
                    .bearer_auth(&token)
                    .json(&contact(&mother, &child, client_id))
                    .send()
                    .await;
                let response = match answer {
                    Ok(response) => response,
                    // Refused by the socket (the server stopped listening) or closed.
                    Err(_) => return heard,
                };
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                match status {
                    201 => heard.push((sent, client_id.to_string(), Heard::Stored)),
                    503 => {
                        assert_eq!(body["error"]["code"], "shutting_down", "{body}");
                        heard.push((sent, client_id.to_string(), Heard::Refused));
                    }
                    other => panic!("unexpected {other}: {body}"),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    server.signal("TERM");
    let signalled = Instant::now();
    let line = server
        .wait_for_line("draining", Duration::from_secs(10))
        .await;
    // Every request sent from here on begins after the server marked itself as draining.
    let draining = Instant::now();
    assert!(line.contains("SIGTERM"), "{line}");

    // The batch in flight is served to the end.
    in_flight.write_all(rest).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), in_flight.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    let answer: Value = serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(answer["created"], 200, "{answer}");

    // A new request now is refused, by the socket or with 503.
    match client.get(format!("{base}/health")).send().await {
        Ok(response) => assert_eq!(response.status().as_u16(), 503),
        Err(err) => assert!(err.is_connect() || err.is_request(), "{err}"),
    }

    // The process ends by itself, within its timeout.
    let exited = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(SHUTDOWN_TIMEOUT + 10),
            "still running {:?} after SIGTERM",
            signalled.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exited.success(), "{exited}");
    server
        .wait_for_line("kinthread-server stopped", Duration::from_secs(5))
        .await;

    let mut acknowledged: HashSet<String> = batch_ids.iter().map(|id| id.to_string()).collect();
    let mut stored_count = 0;
    for task in tasks {
        for (sent, client_id, heard) in task.await.unwrap() {
            match heard {
                Heard::Stored => {
                    assert!(sent < draining, "acknowledged though sent after the signal");
                    stored_count += 1;
                    acknowledged.insert(client_id);
                }
                Heard::Refused => {}
            }
        }
    }
    assert!(stored_count > 20, "the load ran: {stored_count}");

    let server = serve(db, port).await;
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
    server.kill();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged contacts lost: {lost:?}",
        lost.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_loses_nothing_acknowledged_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    drains_on_sigterm(&dir.path().join("kinthread.db").display().to_string()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_loses_nothing_acknowledged_postgres() {
    let Some(db) = common::PostgresSchema::new(
        "sigterm_drains_and_loses_nothing_acknowledged_postgres",
        "kt_drain",
    ) else {
        return;
    };
    drains_on_sigterm(&db.url).await;
}

/// A second SIGTERM while draining stops at once: a request still arriving is dropped
/// unanswered (never acknowledged), and the process does not wait for its timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kinthread.db").display().to_string();
    let port = free_port();
    let mut server = serve_with_timeout(&db, port, 60).await;
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    in_flight
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: kinthread\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
        )
        .await
        .unwrap();
    // Let the server begin the request before the signal.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("TERM");
    server
        .wait_for_line("draining", Duration::from_secs(10))
        .await;
    let second = Instant::now();
    server.signal("TERM");
    let exited = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            second.elapsed() < Duration::from_secs(10),
            "still running {:?} after the second SIGTERM",
            second.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(exited.code(), Some(143), "{exited}");
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), in_flight.read_to_end(&mut raw)).await;
    assert!(
        !String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 2"),
        "answered: {}",
        String::from_utf8_lossy(&raw)
    );
}
