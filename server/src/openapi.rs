//! The OpenAPI document: the operations of every served route (`routes::RouteDoc`, built
//! from the one route list and the handlers' annotations), the bearer scheme, and the error
//! statuses that follow from a route's shape.
//!
//! A handler's annotation declares what its own logic answers (success, 403, 404 of a record
//! it looks up, 409, 422 of its checks). What the shared machinery answers is filled in here,
//! read off the operation itself, so it cannot drift from the extractors: a bad path id (400
//! `invalid_path`, 404 when it names nothing), a bad query (400 `invalid_query`), a bad body
//! (400 `invalid_body`, 413, 415, 422 for a NUL character), a missing or bad token (401) on
//! every route with `security` (and 403 `password_change_required` on those an account with a
//! one-time password may not reach yet), 408 `request_timeout` on every route with a body, 414
//! `uri_too_long` and 431 `headers_too_large` on every route (`crate::edge`), and 503
//! `unavailable` (with `Retry-After`) or `shutting_down` on every route, since any of them can
//! meet a database outage or a server that drains. An annotation that declares one of these
//! statuses itself keeps its own description.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder, ResponsesBuilder,
};
use utoipa::{Modify, OpenApi};

use crate::app::MAX_JSON_BODY_BYTES;
use crate::edge::{MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_TARGET_BYTES};
use crate::error::RETRY_AFTER_SECONDS;
use crate::routes::RouteDoc;

/// The whole document, as served at `/api/v1/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "kinthread API",
        description = "Keeps the thread between migrant parents and the children they left at home: \
                       the contact log, check-ins, reports and follow-ups, families and accounts.",
    ),
    modifiers(&Routes, &BearerAuth, &SharedErrors)
)]
pub struct ApiDoc;

/// Adds the operations of the route list, with the schemas they name.
struct Routes;

impl Modify for Routes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(RouteDoc::openapi());
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Names of the shared responses under `components/responses`.
const UNAUTHENTICATED: &str = "Unauthenticated";
const PAYLOAD_TOO_LARGE: &str = "PayloadTooLarge";
const UNSUPPORTED_MEDIA_TYPE: &str = "UnsupportedMediaType";
const UNAVAILABLE: &str = "Unavailable";
const REQUEST_TIMEOUT: &str = "RequestTimeout";
const URI_TOO_LONG: &str = "UriTooLong";
const HEADERS_TOO_LARGE: &str = "HeadersTooLarge";

/// The operations (handlers taking `auth::SignedIn`) that an account which must change its
/// password may reach.
const PASSWORD_CHANGE_REACHES: [&str; 3] = ["change_password", "me", "logout"];

/// Declares on every operation the statuses its shape makes possible (see the module doc).
struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.responses.extend(shared_responses());
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                add_shared_errors(operation);
            }
        }
    }
}

fn add_shared_errors(operation: &mut Operation) {
    let has_params = |place: ParameterIn| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == place)
    };
    let path = has_params(ParameterIn::Path);
    let query = has_params(ParameterIn::Query);
    let body = operation.request_body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());

    let mut bad_request = Vec::new();
    if path {
        bad_request.push("`invalid_path`: an id in the path is not a UUID");
    }
    if query {
        bad_request.push(
            "`invalid_query`: an unknown, malformed or out-of-range query parameter, page \
             size or cursor",
        );
    }
    if body {
        bad_request.push(
            "`invalid_body`: the body is not JSON of this shape (a wrong type, a missing or \
             unknown field, an unknown enum value); `bad_request`: the body was cut off or \
             its transfer encoding is malformed",
        );
    }

    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, response: RefOr<Response>| {
        responses.entry(status.to_owned()).or_insert(response);
    };
    if !bad_request.is_empty() {
        add("400", error_response(&bad_request.join("; ")).into());
    }
    if secured {
        add("401", shared(UNAUTHENTICATED));
        let reachable = operation
            .operation_id
            .as_deref()
            .is_some_and(|id| PASSWORD_CHANGE_REACHES.contains(&id));
        if !reachable {
            add(
                "403",
                error_response(
                    "`password_change_required`: the account signed in with a one-time \
                     password and must change it first (`POST /api/v1/me/password`)",
                )
                .into(),
            );
        }
    }
    if path {
        add(
            "404",
            error_response("`not_found`: the record named in the path does not exist").into(),
        );
    }
    if body {
        add("408", shared(REQUEST_TIMEOUT));
        add("413", shared(PAYLOAD_TOO_LARGE));
        add("415", shared(UNSUPPORTED_MEDIA_TYPE));
        add(
            "422",
            error_response(
                "`validation_failed`: a text holds a NUL character (U+0000); `fields` says \
                 where",
            )
            .into(),
        );
    }
    add("414", shared(URI_TOO_LONG));
    add("431", shared(HEADERS_TOO_LARGE));
    add("503", shared(UNAVAILABLE));
}

fn shared(name: &str) -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name(name))
}

/// A response with the error envelope as its body.
fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

fn shared_responses() -> BTreeMap<String, RefOr<Response>> {
    let seconds = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
    };
    let mut unauthenticated = error_response(
        "`unauthenticated`: no `Authorization: Bearer` header, or an expired or forged \
         access token",
    );
    unauthenticated.headers.insert(
        "WWW-Authenticate".to_owned(),
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some("`Bearer`"))
            .build(),
    );
    let mut unavailable = error_response(
        "`unavailable`: the database is busy, down or restarting; `shutting_down`: the server \
         is stopping and did not begin this request. Nothing was stored, so the same request \
         may be sent again after `Retry-After` seconds (to another server copy, or to this one \
         once it is back)",
    );
    unavailable.headers.insert(
        "Retry-After".to_owned(),
        HeaderBuilder::new()
            .schema(seconds().examples([RETRY_AFTER_SECONDS]))
            .description(Some("Seconds to wait before trying again"))
            .build(),
    );
    ResponsesBuilder::new()
        .response(UNAUTHENTICATED, unauthenticated)
        .response(
            PAYLOAD_TOO_LARGE,
            error_response(&format!(
                "`payload_too_large`: the body is over {MAX_JSON_BODY_BYTES} bytes"
            )),
        )
        .response(
            UNSUPPORTED_MEDIA_TYPE,
            error_response(
                "`unsupported_media_type`: the body's content type is not `application/json`",
            ),
        )
        .response(UNAVAILABLE, unavailable)
        .response(
            REQUEST_TIMEOUT,
            error_response(
                "`request_timeout`: the body arrived too slowly (it must begin within the \
                 server's body timeout, 20 s by default, and then average its minimum rate, \
                 500 bytes a second by default); the connection is closed",
            ),
        )
        .response(
            URI_TOO_LONG,
            error_response(&format!(
                "`uri_too_long`: the path and query are over {MAX_TARGET_BYTES} bytes"
            )),
        )
        .response(
            HEADERS_TOO_LARGE,
            error_response(&format!(
                "`headers_too_large`: more than {MAX_HEADER_COUNT} header fields, or over \
                 {MAX_HEADER_BYTES} bytes of them"
            )),
        )
        .build()
        .into()
}
