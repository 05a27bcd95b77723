//! Health, the OpenAPI document, and the audit log.

use actix_web::{HttpResponse, get, web};
use kinthread_shared::api::{AuditEntry, ErrorBody, Health, Page};
use kinthread_shared::{AuditId, FamilyId};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::{id_cursor, next_cursor, page_limit};
use crate::access::{self, Action};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::store;

/// Whether the server and its database answer.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta",
    responses((status = 200, body = Health, description = "the server and its database answer")))]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    state
        .db
        .read(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1").map_err(ApiError::from)
        })
        .await?;
    Ok(web::Json(Health {
        status: "ok".into(),
        database: state.db.engine().name().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::ApiDoc::openapi())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub family_id: Option<FamilyId>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Entries per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The audit log, newest first (admins only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "meta", params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>, description = "newest first"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin")),
    security(("bearer" = [])))]
#[get("/audit")]
pub async fn audit(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEntry>>, ApiError> {
    access::require(&user, Action::ReadAuditLog)?;
    let query = query.into_inner();
    let limit = page_limit(query.limit)?;
    let before: Option<AuditId> = id_cursor(query.cursor.as_deref())?;
    let items = state
        .db
        .read(move |conn| {
            store::audit::list(conn, query.family_id, before, limit).map_err(ApiError::from)
        })
        .await?;
    let next_cursor = next_cursor(&items, limit, |e| e.id.to_string());
    Ok(web::Json(Page { items, next_cursor }))
}
