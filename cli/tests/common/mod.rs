//! The harness the CLI's end-to-end tests share: the real `kinthread` binary run as one
//! person at one terminal, with a config directory of their own.

#![allow(dead_code, reason = "each test binary uses its part of the harness")]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use kinthread_tests::TestApp;
use kinthread_tests::fixtures::PASSWORD;
use serde_json::Value;

/// What one run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// One person at one terminal: a config directory of their own.
pub struct Terminal {
    dir: tempfile::TempDir,
}

impl Terminal {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A file in this terminal's own temp folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn session_file(&self) -> PathBuf {
        self.config_dir().join("session.json")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kinthread"))
            .args(args)
            .env("KINTHREAD_CONFIG_DIR", self.config_dir())
            .env_remove("KINTHREAD_SERVER")
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
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    /// Runs and insists on exit 0.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "kinthread {args:?} failed: {run:?}");
        run.stdout
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self, args: &[&str]) -> T {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Runs with `--format csv` and parses the output.
    pub fn csv(&self, args: &[&str]) -> Vec<Vec<String>> {
        let mut all = args.to_vec();
        all.extend(["--format", "csv"]);
        parse_csv(&self.ok(&all))
    }

    pub fn login(&self, app: &TestApp, username: &str) {
        let run = self.run_with_stdin(
            &[
                "login",
                "--server",
                &app.base_url,
                "--username",
                username,
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
        assert_eq!(run.code, 0, "login as {username}: {run:?}");
    }

    pub fn session(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.session_file()).unwrap()).unwrap()
    }
}

/// A strict RFC 4180 reader: every row must have as many fields as the header.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quote in CSV: {text}");
    assert!(
        field.is_empty() && row.is_empty(),
        "CSV must end with a line break: {text}"
    );
    let width = rows.first().map(Vec::len).unwrap_or(0);
    assert!(width > 0, "CSV without a header: {text}");
    for r in &rows {
        assert_eq!(r.len(), width, "ragged CSV row {r:?} in {text}");
    }
    rows
}
