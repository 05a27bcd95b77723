//! The HTTP edge: what every request must meet before a handler sees it, in one middleware.
//!
//! - **The request line and headers** stay under limits of our own (`MAX_TARGET_BYTES`,
//!   `MAX_HEADER_COUNT`, `MAX_HEADER_BYTES`), set below actix-http's hard ones, so that a
//!   request over them is answered here in the JSON envelope (414 `uri_too_long`, 431
//!   `headers_too_large`) instead of by actix-http with an empty body.
//! - **The body has a deadline** ([`BodyDeadline`]): it must begin within a grace period and
//!   then average a minimum rate, as Apache's `mod_reqtimeout` asks. actix-web's own
//!   `client_request_timeout` covers the request head only, so without this a socket that
//!   sends one byte a second holds its connection and its handler for as long as it likes. A
//!   body past its deadline is answered 408 `request_timeout` and the connection is closed.
//! - **While the server drains** (`crate::shutdown`), a request that had not begun yet is
//!   answered 503 `shutting_down` and its connection closed.
//!
//! What actix-http answers itself, before any middleware runs, and so never in the envelope
//! (its `h1` dispatcher and decoder, read for actix-http 3.20): a request head over 128 KiB or
//! with more than 96 headers (431, empty body); a request line or header that does not parse,
//! an HTTP/1.1 request without `Host`, a bad `Content-Length` or `Transfer-Encoding` (400,
//! empty body); and a first request head not complete within `client_request_timeout` (408,
//! empty body). No request exists yet at that point, so no middleware or error handler of
//! ours is called. Those lines are logged by actix-http at `error`; `crate::telemetry` writes
//! them as warnings.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::rt::time::Instant;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage as _, ResponseError};
use futures_core::Stream;

use crate::error::ApiError;
use crate::shutdown::Draining;

/// The longest request target (path and query) answered by a handler; longer ones get 414.
/// 8 KiB, as most proxies allow; ours are far shorter.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
/// The most header fields a request may carry (actix-http refuses more than 96).
pub const MAX_HEADER_COUNT: usize = 64;
/// The most bytes of header names and values a request may carry (actix-http refuses a head
/// over 128 KiB). A client of ours sends a few hundred.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How slowly a request body may arrive: it has `grace` from the end of the request head,
/// plus one second for every `min_bytes_per_second` bytes received. A body sent at one byte a
/// second is cut off after about `grace`; one sent at the minimum rate or faster never is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyDeadline {
    pub grace: Duration,
    pub min_bytes_per_second: u32,
}

impl Default for BodyDeadline {
    /// 20 s and 500 bytes a second: `mod_reqtimeout`'s defaults. A phone on a 2G link (a few
    /// kilobytes a second) sends a batch of 1,000 contacts well within it.
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(20),
            min_bytes_per_second: 500,
        }
    }
}

impl BodyDeadline {
    /// When a body that has sent `received` bytes since `start` runs out of time.
    fn expires(&self, start: Instant, received: u64) -> Instant {
        let rate = u64::from(self.min_bytes_per_second.max(1));
        let earned = Duration::from_secs(received / rate)
            + Duration::from_nanos((received % rate) * 1_000_000_000 / rate);
        start + self.grace + earned
    }

    fn refusal(&self) -> ApiError {
        ApiError::RequestTimeout {
            grace_seconds: self.grace.as_secs(),
            min_bytes_per_second: self.min_bytes_per_second,
        }
    }
}

/// What the edge enforces, from the server's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeLimits {
    pub body: BodyDeadline,
    /// The largest bundle `POST /api/v1/bundles` reads (streamed; every other body is limited
    /// to `app::MAX_JSON_BODY_BYTES`).
    pub max_bundle_bytes: usize,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            body: BodyDeadline::default(),
            // A family of 30,000 contacts exports to about 22 MiB.
            max_bundle_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The middleware (`actix_web::middleware::from_fn(edge::middleware)`), inside the request id
/// middleware so that its refusals carry the id and get an access line.
pub async fn middleware<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if req
        .app_data::<web::Data<Draining>>()
        .is_some_and(|draining| draining.is_draining())
    {
        return Ok(refuse(req, &ApiError::ShuttingDown));
    }
    if let Some(refusal) = oversized_head(&req) {
        return Ok(refuse(req, &refusal));
    }
    let deadline = req
        .app_data::<web::Data<EdgeLimits>>()
        .map(|limits| limits.body)
        .unwrap_or_default();
    let expired = Rc::new(Cell::new(false));
    match req.take_payload() {
        Payload::None => {}
        payload => req.set_payload(Payload::Stream {
            payload: Box::pin(DeadlineStream {
                inner: payload,
                deadline,
                start: Instant::now(),
                received: 0,
                timer: None,
                expired: Rc::clone(&expired),
            }),
        }),
    }
    let response = next.call(req).await?;
    if expired.get() {
        // Whatever the handler made of the failed read, the client hears why, in the
        // envelope, and the connection goes.
        let (req, _) = response.into_parts();
        let refusal = deadline.refusal().error_response();
        return Ok(ServiceResponse::new(req, refusal).map_into_right_body());
    }
    Ok(response.map_into_left_body())
}

fn refuse<B>(req: ServiceRequest, refusal: &ApiError) -> ServiceResponse<EitherBody<B>> {
    req.into_response(refusal.error_response())
        .map_into_right_body()
}

/// The refusal of a request line or header section over our limits.
fn oversized_head(req: &ServiceRequest) -> Option<ApiError> {
    let target = req
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if target > MAX_TARGET_BYTES {
        return Some(ApiError::UriTooLong(MAX_TARGET_BYTES));
    }
    let headers = req.headers();
    if headers.len() > MAX_HEADER_COUNT {
        return Some(ApiError::HeadersTooLarge(format!(
            "too many header fields (at most {MAX_HEADER_COUNT})"
        )));
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    (bytes > MAX_HEADER_BYTES).then(|| {
        ApiError::HeadersTooLarge(format!(
            "the header fields are too large (at most {MAX_HEADER_BYTES} bytes together)"
        ))
    })
}

/// A request body that fails with a timeout once it falls behind its deadline, and says so
/// through `expired`.
struct DeadlineStream {
    inner: Payload,
    deadline: BodyDeadline,
    start: Instant,
    received: u64,
    /// Armed at the current deadline while the body waits for bytes.
    timer: Option<Pin<Box<actix_web::rt::time::Sleep>>>,
    expired: Rc<Cell<bool>>,
}

impl DeadlineStream {
    fn timed_out(&mut self) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.expired.set(true);
        self.timer = None;
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the request body arrived too slowly",
        )))))
    }
}

impl Stream for DeadlineStream {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.expired.get() {
            return Poll::Ready(None);
        }
        let expires = this.deadline.expires(this.start, this.received);
        // Checked before reading too: a body that trickles in never waits, so its timer would
        // never fire.
        if Instant::now() >= expires {
            return this.timed_out();
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                this.timer = None;
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(actix_web::rt::time::sleep_until(expires)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => this.timed_out(),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_grows_with_what_arrived() {
        let deadline = BodyDeadline {
            grace: Duration::from_secs(20),
            min_bytes_per_second: 500,
        };
        let start = Instant::now();
        for (received, seconds) in [(0, 20.0), (250, 20.5), (500, 21.0), (10_000, 40.0)] {
            let after = deadline.expires(start, received) - start;
            assert!(
                (after.as_secs_f64() - seconds).abs() < 1e-6,
                "{received} bytes: {after:?}"
            );
        }
        // A rate of 0 would never expire; it is read as 1 byte a second.
        let stingy = BodyDeadline {
            min_bytes_per_second: 0,
            ..deadline
        };
        assert_eq!(stingy.expires(start, 5) - start, Duration::from_secs(25));
    }
}
