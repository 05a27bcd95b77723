//! The HTTP edge of the real `kinthread-server` binary, over raw sockets: request bodies that
//! arrive too slowly are answered 408 and their connections closed within the configured
//! bound while other clients are served; requests over the edge's limits, and malformed ones,
//! are answered in the JSON error envelope, or, where actix-http answers before any code of
//! ours runs (a head that does not parse, is too large or too slow), with the status
//! `server/src/edge.rs` documents; and every one of them is logged as a warning, none as an
//! error.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests stop loudly")]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[expect(
    dead_code,
    reason = "the PostgreSQL helpers serve the other test binaries"
)]
mod common;

/// Slow sockets at once: well under the 1,024 open files a process may get by default, on
/// both sides of the loopback.
const SLOW_SOCKETS: usize = 400;
/// The body deadline the server is started with (`--body-timeout`), in seconds.
const BODY_GRACE_SECONDS: u64 = 3;
/// How late after its deadline a slow socket may be closed on a loaded machine.
const SLACK: Duration = Duration::from_secs(5);

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
    async fn start(db: &str, port: u16, log: std::path::PathBuf) -> Self {
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kinthread-server"))
            .args(["--bind", &format!("127.0.0.1:{port}"), "serve"])
            .args(["--body-timeout", &BODY_GRACE_SECONDS.to_string()])
            .args(["--body-min-rate", "500"])
            .env("KINTHREAD_DATABASE_URL", db)
            .env("KINTHREAD_LOG", "info")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap();
        let server = Self { child, log };
        if common::answers_health(port).await {
            return server;
        }
        panic!("the server did not start: {}", server.stop());
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).unwrap()
    }
}

/// An answer read off a raw socket.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        let status = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        Self { status, body }
    }

    fn code(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Sends `request` (then half-closes the socket when `hang_up`) and reads until the server
/// closes the connection, which every refusal does.
async fn exchange(port: u16, request: &[u8], hang_up: bool) -> Answer {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // The server may answer and close before it read everything: its answer tells.
    let _ = socket.write_all(request).await;
    if hang_up {
        socket.shutdown().await.unwrap();
    }
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut raw)).await;
    assert!(
        read.is_ok(),
        "the server kept the connection open: {:?}",
        String::from_utf8_lossy(&raw)
    );
    Answer::parse(&raw)
}

/// A request body sent one byte a second: the answer and how long after its head the
/// connection was closed.
async fn slow_body(port: u16, path: &str) -> (Answer, Duration) {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: kinthread\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let sent = Instant::now();
    let mut raw = Vec::new();
    let mut buffer = [0_u8; 4096];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let limit = sent + Duration::from_secs(BODY_GRACE_SECONDS) + SLACK + SLACK;
    loop {
        tokio::select! {
            read = socket.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buffer[..n]),
            },
            _ = tick.tick() => {
                // After the server's answer a write may fail: the read side tells the end.
                let _ = socket.write_all(b" ").await;
            }
            () = tokio::time::sleep_until(limit.into()) => break,
        }
    }
    (Answer::parse(&raw), sent.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_refuses_in_the_envelope_and_logs_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kinthread.db").display().to_string();
    let port = free_port();
    let server = Server::start(&db, port, dir.path().join("server.log")).await;

    // Many sockets that send a body one byte a second, against a body deadline of a few
    // seconds; a normal client meanwhile.
    let closed = Arc::new(AtomicUsize::new(0));
    let mut slow = Vec::new();
    for n in 0..SLOW_SOCKETS {
        let closed = Arc::clone(&closed);
        // Both kinds of body reader: the JSON extractor, and the streamed bundle import (an
        // unsigned caller is refused before its body is read, and the connection closed).
        let path = if n % 2 == 0 {
            "/api/v1/auth/refresh"
        } else {
            "/api/v1/bundles"
        };
        slow.push(tokio::spawn(async move {
            let outcome = slow_body(port, path).await;
            closed.fetch_add(1, Ordering::SeqCst);
            (path, outcome)
        }));
    }
    // A first request whose head never ends: actix-http's own head timeout (5 s).
    let slow_head = tokio::spawn(async move {
        let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        socket
            .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: kinthread\r\n")
            .await
            .unwrap();
        let sent = Instant::now();
        let mut raw = Vec::new();
        let mut buffer = [0_u8; 1024];
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                read = socket.read(&mut buffer) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => raw.extend_from_slice(&buffer[..n]),
                },
                _ = tick.tick() => {
                    let _ = socket.write_all(b"X-Slow: x\r\n").await;
                }
                () = tokio::time::sleep(Duration::from_secs(5) + SLACK + SLACK) => break,
            }
        }
        (Answer::parse(&raw), sent.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let refresh = client
        .post(format!("{base}/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": "not-a-token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status().as_u16(), 401);
    let served_while_open = closed.load(Ordering::SeqCst);
    assert_eq!(
        served_while_open, 0,
        "the normal client was served while every slow socket was still open"
    );

    // The refusals of our own limits, and of a body that cannot be read, in the envelope.
    let long_query = format!(
        "GET /api/v1/health?{} HTTP/1.1\r\nHost: kinthread\r\n\r\n",
        "limit=1&".repeat(1100)
    );
    let many_headers = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: kinthread\r\n{}\r\n",
        (0..70)
            .map(|n| format!("X-Field-{n}: x\r\n"))
            .collect::<String>()
    );
    let large_header = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: kinthread\r\nX-Large: {}\r\n\r\n",
        "x".repeat(17 * 1024)
    );
    let login = "POST /api/v1/auth/login HTTP/1.1\r\nHost: kinthread\r\n\
                 Content-Type: application/json\r\n";
    let bad_chunks = format!("{login}Transfer-Encoding: chunked\r\n\r\nZZ\r\n{{}}\r\n");
    let cut_off = format!("{login}Content-Length: 100\r\n\r\n{{\"username\":");
    let enveloped: [(&str, &[u8], bool, u16, &str); 5] = [
        (
            "a query string over 8 KiB",
            long_query.as_bytes(),
            false,
            414,
            "uri_too_long",
        ),
        (
            "70 header fields",
            many_headers.as_bytes(),
            false,
            431,
            "headers_too_large",
        ),
        (
            "a 17 KiB header",
            large_header.as_bytes(),
            false,
            431,
            "headers_too_large",
        ),
        (
            "a malformed chunked body",
            bad_chunks.as_bytes(),
            false,
            400,
            "bad_request",
        ),
        (
            "a body cut off",
            cut_off.as_bytes(),
            true,
            400,
            "bad_request",
        ),
    ];
    for (case, request, hang_up, status, code) in enveloped {
        let answer = exchange(port, request, hang_up).await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (status, code),
            "{case}: {answer:?}"
        );
    }

    // What actix-http answers itself, before any code of ours: the documented statuses,
    // with an empty body.
    // Exactly 128 KiB of a head that has not ended: actix-http reads all of it before it
    // refuses, so its answer is not lost to a reset for unread bytes.
    let mut huge_head = "GET /api/v1/health HTTP/1.1\r\nHost: kinthread\r\nX-Huge: ".to_owned();
    huge_head.push_str(&"x".repeat(128 * 1024 - huge_head.len()));
    let too_many = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: kinthread\r\n{}\r\n",
        (0..100)
            .map(|n| format!("X-Field-{n}: x\r\n"))
            .collect::<String>()
    );
    let bare: [(&str, &[u8], u16); 6] = [
        (
            "a request line that does not parse",
            b"GARBAGE\r\n\r\n",
            400,
        ),
        (
            "HTTP/1.1 without Host",
            b"GET /api/v1/health HTTP/1.1\r\n\r\n",
            400,
        ),
        (
            "a bad Content-Length",
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: kinthread\r\nContent-Length: many\r\n\r\n",
            400,
        ),
        (
            "both Content-Length and Transfer-Encoding",
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: kinthread\r\nContent-Length: 2\r\n\
              Transfer-Encoding: chunked\r\n\r\n{}",
            400,
        ),
        ("a head of 128 KiB", huge_head.as_bytes(), 431),
        ("more than 96 header fields", too_many.as_bytes(), 431),
    ];
    for (case, request, status) in bare {
        let answer = exchange(port, request, false).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (status, ""),
            "{case}"
        );
    }

    // Every slow socket: answered 408 in the envelope (the bundle import's unsigned callers
    // 401 at once), and closed within its deadline.
    let bound = Duration::from_secs(BODY_GRACE_SECONDS) + SLACK;
    let mut timed_out = 0;
    for task in slow {
        let (path, (answer, open_for)) = task.await.unwrap();
        assert!(
            open_for < bound,
            "{path}: open for {open_for:?}: {answer:?}"
        );
        if path.ends_with("/bundles") {
            assert_eq!(
                (answer.status, answer.code().as_str()),
                (401, "unauthenticated")
            );
        } else {
            assert_eq!(
                (answer.status, answer.code().as_str()),
                (408, "request_timeout"),
                "{answer:?}"
            );
            assert!(
                open_for >= Duration::from_secs(BODY_GRACE_SECONDS),
                "cut off before its deadline: {open_for:?}"
            );
            timed_out += 1;
        }
    }
    assert_eq!(timed_out, SLOW_SOCKETS / 2);
    let (answer, open_for) = slow_head.await.unwrap();
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (408, ""),
        "a slow head"
    );
    assert!(open_for < Duration::from_secs(5) + SLACK, "{open_for:?}");

    let log = server.stop();
    let warnings = |needle: &str| {
        log.lines()
            .filter(|l| l.contains(" WARN ") && l.contains(needle))
            .count()
    };
    assert_eq!(
        warnings("code=\"request_timeout\""),
        SLOW_SOCKETS / 2,
        "{log}"
    );
    assert_eq!(warnings("code=\"uri_too_long\""), 1, "{log}");
    assert_eq!(warnings("code=\"headers_too_large\""), 2, "{log}");
    assert_eq!(warnings("code=\"bad_request\""), 2, "{log}");
    // actix-http's own refusals, which it logs at `error`, are written as warnings.
    assert!(warnings("actix_http::h1::dispatcher") >= 6, "{log}");
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
