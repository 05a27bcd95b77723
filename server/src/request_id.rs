//! The request id and the access log, in one middleware.
//!
//! Every request gets an id: a proxy's `X-Request-Id` when it is sane (1 to 64 characters
//! from `A-Za-z0-9-_.:`), a new one otherwise. Every log line of the request carries it (a
//! `request` span, also entered on the blocking threads and the SQLite writer), the response
//! returns it in `X-Request-Id`, and a 500's body quotes it (`crate::error`), so that a user
//! can quote it and an operator can find the detail. The access log line names the query's
//! parameters but never their values: a token or a password may be sent there by mistake.

use std::fmt;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::Uri;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Requests not worth a line each: load balancers ask for health every few seconds.
const UNLOGGED_PATHS: &[&str] = &["/api/v1/health"];

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// A proxy's id if it is sane: short, and nothing that could forge or break a log line.
    pub fn parse(raw: &str) -> Option<Self> {
        let sane = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        sane.then(|| Self(raw.to_owned()))
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The id of the request being served, inside the middleware's scope.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The middleware (`actix_web::middleware::from_fn(request_id::middleware)`), outermost, so
/// that everything inside runs with the id.
pub async fn middleware<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(RequestId::parse)
        .unwrap_or_else(RequestId::generate);
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let method = req.method().clone();
    let target = loggable_target(req.uri());
    let logged = !UNLOGGED_PATHS.contains(&req.path());
    let served = CURRENT
        .scope(id.clone(), async move {
            // An error no layer inside turned into a response yet is turned here, inside
            // the scope, so that a 500 still quotes the id.
            next.call(req).await.map_err(|err| {
                let response = err.error_response();
                (err, response)
            })
        })
        .instrument(span.clone())
        .await;
    let header = HeaderValue::from_str(&id.0).ok();
    let log = |status: u16, routed: bool| {
        if logged {
            // A path that matched no route is not logged: it is whatever the client sent.
            let target = if routed {
                target.as_str()
            } else {
                "(no route)"
            };
            span.in_scope(|| {
                tracing::info!(
                    %method,
                    target,
                    status,
                    ms = started.elapsed().as_millis() as u64,
                    "request"
                );
            });
        }
    };
    match served {
        Ok(mut response) => {
            log(
                response.status().as_u16(),
                response.request().match_pattern().is_some(),
            );
            if let Some(header) = header {
                response.headers_mut().insert(HEADER, header);
            }
            Ok(response)
        }
        Err((err, mut response)) => {
            log(response.status().as_u16(), false);
            if let Some(header) = header {
                response.headers_mut().insert(HEADER, header);
            }
            Err(InternalError::from_response(err, response).into())
        }
    }
}

/// The path and the query's parameter names, with every value replaced by `***`. A name that
/// does not look like one (it may be a value sent without a name) is replaced too.
fn loggable_target(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query().filter(|q| !q.is_empty()) else {
        return path.to_owned();
    };
    let parameters: Vec<String> = query
        .split('&')
        .filter(|parameter| !parameter.is_empty())
        .map(|parameter| {
            let name = parameter
                .split_once('=')
                .map_or(parameter, |(name, _)| name);
            let plain = (1..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if plain {
                format!("{name}=***")
            } else {
                "***".to_owned()
            }
        })
        .collect();
    format!("{path}?{}", parameters.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_ids_are_taken_only_when_sane() {
        for (raw, taken) in [
            ("3f1c9a2e-77b0-4d1a-9d61-0c2f5a7e9b10", true),
            ("lb-01:20260301T120000.123_7", true),
            ("a", true),
            ("", false),
            ("two words", false),
            ("line\nbreak", false),
            ("quote\"d", false),
            ("é", false),
        ] {
            assert_eq!(RequestId::parse(raw).is_some(), taken, "{raw:?}");
        }
        assert!(RequestId::parse(&"x".repeat(64)).is_some());
        assert!(RequestId::parse(&"x".repeat(65)).is_none());
        let generated = RequestId::generate();
        assert_eq!(RequestId::parse(&generated.0), Some(generated));
    }

    #[test]
    fn query_values_never_reach_the_log() {
        for (uri, logged) in [
            ("/api/v1/families", "/api/v1/families"),
            ("/api/v1/families?", "/api/v1/families"),
            (
                "/api/v1/families?access_token=s3cr3t&limit=5",
                "/api/v1/families?access_token=***&limit=***",
            ),
            ("/api/v1/x?password=hunter2", "/api/v1/x?password=***"),
            ("/api/v1/x?eyJhbGciOiJIUzI1NiJ9.e30.sig", "/api/v1/x?***"),
            ("/api/v1/x?a%20b=c&&d", "/api/v1/x?***&d=***"),
        ] {
            let uri: Uri = uri.parse().unwrap();
            assert_eq!(loggable_target(&uri), logged);
        }
    }
}
