//! The CLI's one error type and the exit codes scripts rely on.
//!
//! Every failure ends as one line on standard error, `kinthread: <code>: <message>`, where
//! `<code>` is the server's stable machine code when the server refused, else a local one.

use std::fmt;
use std::process::ExitCode;

use kinthread_shared::api::ErrorBody;

/// Exit codes, documented in `kinthread --help` and `docs/cli.md`.
/// Success is 0, as always.
pub mod exit {
    /// The server failed, could not be reached, or something else went wrong.
    pub const FAILURE: u8 = 1;
    /// The command line was wrong, or the server refused the request as invalid (400, 422).
    pub const USAGE: u8 = 2;
    /// Not signed in, the session expired, or the username or password is wrong (401).
    pub const AUTH: u8 = 3;
    /// The family, person or record does not exist or is not yours to see (403, 404).
    pub const NOT_FOUND: u8 = 4;
    /// The request conflicts with what is stored, e.g. a client id used before (409).
    pub const CONFLICT: u8 = 5;
}

/// What went wrong, grouped by what a script should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Failure,
    Usage,
    Auth,
    NotFound,
    Conflict,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Failure => exit::FAILURE,
            Kind::Usage => exit::USAGE,
            Kind::Auth => exit::AUTH,
            Kind::NotFound => exit::NOT_FOUND,
            Kind::Conflict => exit::CONFLICT,
        }
    }

    /// The kind an HTTP status stands for.
    pub fn of_status(status: u16) -> Kind {
        match status {
            401 => Kind::Auth,
            403 | 404 => Kind::NotFound,
            409 => Kind::Conflict,
            400..=499 => Kind::Usage,
            _ => Kind::Failure,
        }
    }
}

/// A failure with its stable code (the server's, or a local one) and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub kind: Kind,
    pub code: String,
    pub message: String,
}

pub type CliResult<T> = Result<T, CliError>;

impl CliError {
    pub fn new(kind: Kind, code: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, "usage", message)
    }

    pub fn not_signed_in() -> Self {
        Self::new(
            Kind::Auth,
            "not_signed_in",
            "not signed in; run `kinthread login` first",
        )
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, "not_found", what)
    }

    pub fn io(what: &str, err: impl fmt::Display) -> Self {
        Self::new(Kind::Failure, "io", format!("{what}: {err}"))
    }

    pub fn other(code: &str, message: impl Into<String>) -> Self {
        Self::new(Kind::Failure, code, message)
    }

    /// The error a server response stands for, from its envelope when it has one.
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        let kind = Kind::of_status(status);
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(ErrorBody { error }) => Self::new(kind, &error.code, error.message),
            Err(_) => Self::new(
                kind,
                "http",
                format!("the server answered {status} without an error body"),
            ),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.exit_code())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line: a message with newlines would break scripts reading stderr by line.
        let message = self.message.replace(['\n', '\r'], " ");
        write!(f, "{}: {}", self.code, message)
    }
}

impl std::error::Error for CliError {}

impl From<reqwest::Error> for CliError {
    fn from(err: reqwest::Error) -> Self {
        let what = if err.is_connect() {
            "cannot reach the server"
        } else if err.is_timeout() {
            "the server did not answer in time"
        } else if err.is_decode() {
            "the server's answer was not understood"
        } else {
            "the request failed"
        };
        // reqwest's Display repeats the URL, which is useful; its sources say why.
        let mut detail = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(inner) = source {
            detail.push_str(": ");
            detail.push_str(&inner.to_string());
            source = inner.source();
        }
        CliError::other("connection", format!("{what} ({detail})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_documented_exit_codes() {
        let cases = [
            (400, exit::USAGE),
            (422, exit::USAGE),
            (401, exit::AUTH),
            (403, exit::NOT_FOUND),
            (404, exit::NOT_FOUND),
            (409, exit::CONFLICT),
            (500, exit::FAILURE),
            (503, exit::FAILURE),
        ];
        for (status, code) in cases {
            assert_eq!(Kind::of_status(status).exit_code(), code, "{status}");
        }
    }

    #[test]
    fn server_envelope_becomes_one_line() {
        let body = br#"{"error":{"code":"not_found","message":"family\nnot found"}}"#;
        let err = CliError::from_response(404, body);
        assert_eq!(err.to_string(), "not_found: family not found");
        assert_eq!(err.kind, Kind::NotFound);
        let bare = CliError::from_response(502, b"<html>");
        assert_eq!(bare.kind, Kind::Failure);
        assert_eq!(bare.code, "http");
    }
}
