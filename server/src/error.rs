//! The HTTP error type: every error response of the API has the same JSON shape
//! (`{"error": {"code", "message", "fields"?}}`) with a stable machine code.
//!
//! This is the only place that knows status codes. A 500 says only "internal error" and the
//! request id (`crate::request_id`) that finds its detail in the log; a 503 says when to try
//! again (`Retry-After`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use kinthread_shared::api::{ErrorBody, ErrorDetail, FieldError};
use serde::Serialize;

use crate::db::{self, DbError};
use crate::request_id::RequestId;

/// What a 503 asks the client to wait, in seconds: a pool checkout gives up after
/// `db::CHECKOUT_TIMEOUT`, and a database restart takes a few seconds.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// A 500's body: the usual envelope, plus the request id a user can quote to find the detail
/// in the server log.
#[derive(Serialize)]
struct InternalErrorBody {
    error: InternalErrorDetail,
}

#[derive(Serialize)]
struct InternalErrorDetail {
    #[serde(flatten)]
    detail: ErrorDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is not valid JSON for this endpoint: {0}")]
    InvalidBody(String),
    #[error("invalid path: {0}")]
    InvalidPath(String),
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    #[error("the request failed validation")]
    Validation(Vec<FieldError>),
    #[error("sign in first: {0}")]
    Unauthenticated(&'static str),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("you may not {0}")]
    Forbidden(String),
    #[error(
        "this account must change its password first: POST /api/v1/me/password with the one-time password as old_password"
    )]
    PasswordChangeRequired,
    #[error("the old password is wrong")]
    WrongPassword,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// A name already taken where names must differ (families of one program, programs).
    #[error("{0}")]
    DuplicateName(String),
    #[error("the client id was used before for a different {0}; the first record is unchanged")]
    IdempotencyConflict(&'static str),
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    #[error("the request body is too large (at most {0} bytes)")]
    PayloadTooLarge(usize),
    /// The body arrived too slowly (`crate::edge`): the connection is closed after the answer.
    #[error(
        "the request body arrived too slowly (it must start within {} s and then average at least {} bytes a second)",
        .grace_seconds, .min_bytes_per_second
    )]
    RequestTimeout {
        grace_seconds: u64,
        min_bytes_per_second: u32,
    },
    /// A body the HTTP layer could not read: cut off, or a broken transfer or content encoding.
    #[error("the request body could not be read: {0}")]
    UnreadableBody(String),
    #[error("the request target (path and query) is too long (at most {0} bytes)")]
    UriTooLong(usize),
    #[error("{0}")]
    HeadersTooLarge(String),
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    #[error("too many attempts; try again in {} s", .0.as_secs().max(1))]
    TooManyRequests(std::time::Duration),
    #[error("the service is busy; try again")]
    Unavailable(String),
    /// The server received SIGTERM and finishes only the requests it had begun: the client
    /// sends the request again (to another copy behind the load balancer, or after the restart).
    #[error("the server is shutting down; nothing was stored, send the request again")]
    ShuttingDown,
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    pub fn forbidden(what: impl Into<String>) -> Self {
        ApiError::Forbidden(what.into())
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::InvalidBody(_) => "invalid_body",
            ApiError::InvalidPath(_) => "invalid_path",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::BadCredentials => "bad_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::PasswordChangeRequired => "password_change_required",
            ApiError::WrongPassword => "wrong_password",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::DuplicateName(_) => "duplicate_name",
            ApiError::IdempotencyConflict(_) => "idempotency_conflict",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::RequestTimeout { .. } => "request_timeout",
            // The code clients already knew for a body that was cut off.
            ApiError::UnreadableBody(_) => "bad_request",
            ApiError::UriTooLong(_) => "uri_too_long",
            ApiError::HeadersTooLarge(_) => "headers_too_large",
            ApiError::RouteNotFound => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::ShuttingDown => "shutting_down",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The body a client sees. Internal detail never leaves the server.
    pub fn detail(&self) -> ErrorDetail {
        let (message, fields) = match self {
            ApiError::Validation(fields) => {
                let summary = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                (format!("invalid request: {summary}"), fields.clone())
            }
            ApiError::Unavailable(_) => ("the service is busy; try again".to_owned(), vec![]),
            other => (other.to_string(), vec![]),
        };
        ErrorDetail {
            code: self.code().to_owned(),
            message,
            fields,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_)
            | ApiError::InvalidBody(_)
            | ApiError::UnreadableBody(_)
            | ApiError::InvalidPath(_)
            | ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated(_) | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::PasswordChangeRequired | ApiError::WrongPassword => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound(_) | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_)
            | ApiError::DuplicateName(_)
            | ApiError::IdempotencyConflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            ApiError::Unavailable(detail) => tracing::warn!(%detail, "service unavailable"),
            // Refused by the HTTP layer, not by a handler: worth an operator's eye (a client
            // that misbehaves, or an attack), never an error of ours. The message holds no
            // request content.
            ApiError::RequestTimeout { .. }
            | ApiError::UnreadableBody(_)
            | ApiError::UriTooLong(_)
            | ApiError::HeadersTooLarge(_) => {
                tracing::warn!(code = self.code(), "request refused at the edge: {self}");
            }
            _ => {}
        }
        let mut response = match self {
            ApiError::Internal(_) => {
                HttpResponse::build(self.status_code()).json(InternalErrorBody {
                    error: InternalErrorDetail {
                        detail: self.detail(),
                        request_id: RequestId::current().map(|id| id.to_string()),
                    },
                })
            }
            _ => HttpResponse::build(self.status_code()).json(ErrorBody {
                error: self.detail(),
            }),
        };
        match self {
            ApiError::Unavailable(_) | ApiError::ShuttingDown => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            ApiError::TooManyRequests(wait) => {
                // Whole seconds, rounded up: a client that waits that long is let in.
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            }
            _ => {}
        }
        // The connection cannot serve another request: a body was left half read, or the
        // server is going away.
        if matches!(
            self,
            ApiError::RequestTimeout { .. }
                | ApiError::UnreadableBody(_)
                | ApiError::UriTooLong(_)
                | ApiError::HeadersTooLarge(_)
                | ApiError::ShuttingDown
        ) {
            response
                .head_mut()
                .set_connection_type(ConnectionType::Close);
        }
        if matches!(
            self,
            ApiError::Unauthenticated(_) | ApiError::BadCredentials
        ) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Query(e) => e.into(),
            // No connection, a write the SQLite writer gave up, a commit that failed and was
            // rolled back: nothing was stored, and the same request may succeed in a moment.
            DbError::Pool(_) | DbError::Connect { .. } | DbError::Commit(_) => {
                ApiError::Unavailable(err.to_string())
            }
            DbError::BadUrl(_)
            | DbError::ReadNotPostgres(_)
            | DbError::Migration(_)
            | DbError::Cancelled
            | DbError::Panicked(_) => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => ApiError::NotFound("record"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::Conflict("a record with this identity exists already".to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                ApiError::Unavailable(info.message().to_owned())
            }
            lost if db::is_connection_lost(&lost) => ApiError::Unavailable(lost.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

// ---- extractor failures go through the same envelope -------------------------------------

pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::InvalidPath(err.to_string()).into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::InvalidQuery(err.to_string()).into()
}

/// Turns any error response that is not already our JSON envelope (actix's own 404, 405,
/// 413 ...) into the envelope, so that clients see one shape for every error.
pub fn envelope_foreign_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let api = match res.status() {
        StatusCode::NOT_FOUND => ApiError::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(crate::app::MAX_JSON_BODY_BYTES),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        status if status.is_client_error() => ApiError::BadRequest(
            status
                .canonical_reason()
                .unwrap_or("bad request")
                .to_lowercase(),
        ),
        status => ApiError::Internal(format!("unexpected {status} response")),
    };
    let (req, _) = res.into_parts();
    let response = api.error_response();
    let res = ServiceResponse::new(req, response).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

/// The catch-all service for unknown routes.
pub async fn route_not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}
