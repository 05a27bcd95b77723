//! HTTP handlers under `/api/v1`, one module per resource. Each handler extracts, checks
//! permission, calls the store or a service, and answers; nothing more.

pub mod auth;
pub mod bundles;
pub mod checkins;
pub mod consent;
pub mod contacts;
pub mod families;
pub mod meta;
pub mod privacy;
pub mod programs;
pub mod reminders;
pub mod reports;
pub mod users;
pub mod voice;

use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use kinthread_shared::validate::optional_text;

use crate::error::ApiError;

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: u32 = 200;
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Paging parameters of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Why staff read a family's records (kept in the family's access record); staff get note
    /// text and the child's words only with one, and only where the family consented.
    #[param(max_length = 200)]
    pub purpose: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<i64, ApiError> {
        page_limit(self.limit)
    }

    pub fn purpose(&self) -> Result<Option<String>, ApiError> {
        purpose(self.purpose.clone())
    }
}

/// The stated purpose of a read, alone.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PurposeQuery {
    /// Why staff read a family's records (kept in the family's access record); staff get note
    /// text only with one, and only where the family consented.
    #[param(max_length = 200)]
    pub purpose: Option<String>,
}

/// The longest purpose kept.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// A stated purpose, trimmed: blank is none, and a long one is refused.
pub fn purpose(given: Option<String>) -> Result<Option<String>, ApiError> {
    optional_text("purpose", given, MAX_PURPOSE_CHARS)
        .map_err(|e| ApiError::InvalidQuery(format!("{} must be {}", e.field, e.message)))
}

pub fn page_limit(limit: Option<u32>) -> Result<i64, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE_SIZE) {
        0 => Err(ApiError::InvalidQuery("limit must be at least 1".into())),
        n if n > MAX_PAGE_SIZE => Err(ApiError::InvalidQuery(format!(
            "limit must be at most {MAX_PAGE_SIZE}"
        ))),
        n => Ok(i64::from(n)),
    }
}

/// Parses an id cursor (lists in id order).
pub fn id_cursor<T: std::str::FromStr>(cursor: Option<&str>) -> Result<Option<T>, ApiError> {
    cursor
        .map(|c| {
            c.parse()
                .map_err(|_| ApiError::InvalidQuery("cursor is not valid".into()))
        })
        .transpose()
}

/// The cursor for the page after `items`, if the page was full.
pub fn next_cursor<T>(items: &[T], limit: i64, cursor_of: impl Fn(&T) -> String) -> Option<String> {
    if i64::try_from(items.len()).unwrap_or(i64::MAX) < limit {
        return None;
    }
    items.last().map(cursor_of)
}

/// The cursor after the last item of a page ordered newest first by an instant (epoch ms),
/// then by id: opaque to clients.
pub fn encode_time_cursor(at_millis: i64, id: impl std::fmt::Display) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at_millis}.{id}"))
}

/// Reads a cursor of [`encode_time_cursor`] whose id is an `I`.
pub fn decode_time_cursor<I: std::str::FromStr>(raw: &str) -> Result<(i64, I), ApiError> {
    use base64::Engine as _;
    let invalid = || ApiError::InvalidQuery("cursor is not valid".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (at, id) = text.split_once('.').ok_or_else(invalid)?;
    let id: I = id.parse().map_err(|_| invalid())?;
    Ok((at.parse().map_err(|_| invalid())?, id))
}

/// Declares the served routes once: `configure` serves them under `/api/v1`, and
/// [`RouteDoc`] documents the same list (the handlers' `#[utoipa::path]` annotations), so
/// a route cannot be served undocumented or documented unserved. The integration test
/// `openapi` checks that every documented path and method really reaches its handler.
macro_rules! routes {
    ($($module:ident::$handler:ident),+ $(,)?) => {
        /// Registers every route under `/api/v1`.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            cfg.service(web::scope("/api/v1")$(.service($module::$handler))+);
        }

        /// The operations of every served route; `crate::openapi::ApiDoc` adds the rest of
        /// the document.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($module::$handler),+))]
        pub struct RouteDoc;
    };
}

routes! {
    meta::health,
    meta::openapi,
    meta::audit,
    auth::login,
    auth::refresh,
    auth::logout,
    auth::me,
    auth::change_password,
    users::create_user,
    users::list_users,
    users::update_user,
    users::reset_password,
    programs::create_program,
    programs::list_programs,
    programs::get_program,
    programs::update_program,
    programs::program_statistics,
    families::create_family,
    families::list_families,
    families::get_family,
    families::update_family,
    families::create_person,
    consent::consent_history,
    consent::give_consent,
    consent::withdraw_consent,
    privacy::access_log,
    privacy::request_deletion,
    privacy::delete_family,
    families::list_persons,
    families::update_person,
    contacts::create_contact,
    contacts::batch_contacts,
    contacts::list_contacts,
    contacts::get_contact,
    contacts::amend_contact,
    voice::give_feedback,
    voice::feedback_history,
    voice::list_feedback,
    voice::create_child_checkin,
    voice::list_child_checkins,
    checkins::create_checkin,
    checkins::list_checkins,
    reports::family_report,
    reports::caseload,
    reports::create_follow_up,
    reports::list_follow_ups,
    reminders::my_reminders,
    bundles::export_bundle,
    bundles::import_bundle,
}
