//! Privacy of minors (SPEC section 7): who read a family's data, a guardian's request to
//! delete it, and its deletion.

use actix_web::{HttpResponse, delete, get, post, web};
use kinthread_shared::api::{AuditEntry, DeletionReport, DeletionRequest, ErrorBody, Page};
use kinthread_shared::{AuditId, FamilyId};

use super::{PageQuery, id_cursor, next_cursor};
use crate::access::{self, Action, family_scope};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::service::deletion;
use crate::store;

/// Who of the staff and admins read or changed the family's data, when, in what role and why
/// (the purpose they stated), and every attempt refused, newest first: the family's guardians,
/// its program's staff and admins.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/access-log", tag = "privacy",
    params(("family_id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = Page<AuditEntry>, description = "newest first"),
        (status = 400, body = ErrorBody, description = "`invalid_query`: a bad cursor or limit"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a child, another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/access-log")]
pub async fn access_log(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<AuditEntry>>, ApiError> {
    let family_id = path.into_inner();
    let limit = page.limit()?;
    let before: Option<AuditId> = id_cursor(page.cursor.as_deref())?;
    let items = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::ReadAccessLog)?;
            Ok::<_, ApiError>(store::audit::access_log(conn, family_id, before, limit)?)
        })
        .await?;
    let next_cursor = next_cursor(&items, limit, |e| e.id.to_string());
    Ok(web::Json(Page { items, next_cursor }))
}

/// A guardian asks for the family's data to be deleted: the request is recorded (the
/// installation's admins carry it out with `DELETE /families/{id}`).
#[utoipa::path(post, path = "/api/v1/families/{family_id}/deletion-request", tag = "privacy",
    request_body = DeletionRequest,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 202, body = AuditEntry, description = "recorded for the admins"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not one of the family's guardians"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the reason is too long")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/deletion-request")]
pub async fn request_deletion(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<DeletionRequest>,
) -> Result<HttpResponse, ApiError> {
    let family_id = path.into_inner();
    let reason = deletion::reason(body.into_inner().reason)?;
    let entry = state
        .db
        .write(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::RequestDeletion)?;
            store::audit::record(
                conn,
                Some(&user),
                "family.deletion_requested",
                Some(family_id),
                reason.as_deref(),
            )?;
            let entry = store::audit::list(conn, Some(family_id), None, 1)?
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::internal("the request was not recorded"))?;
            Ok::<_, ApiError>(entry)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(entry))
}

/// Deletes a family and everything about it (admins): contacts, participants, depth results,
/// check-ins, the child's feedback and check-ins, follow-ups, consent records, persons and
/// their numbers, accounts (their sessions end at once) and the audit entries about it. The
/// audit keeps only a tombstone: that a deletion happened, when, by whom, why, and counts.
#[utoipa::path(delete, path = "/api/v1/families/{family_id}", tag = "privacy",
    request_body = DeletionRequest,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 200, body = DeletionReport, description = "deleted: what was erased, as counts"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family (or deleted already)"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the reason is missing or too long")),
    security(("bearer" = [])))]
#[delete("/families/{family_id}")]
pub async fn delete_family(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<DeletionRequest>,
) -> Result<web::Json<DeletionReport>, ApiError> {
    access::require(&user, Action::DeleteFamily)?;
    let family_id = path.into_inner();
    let reason = deletion::reason(body.into_inner().reason)?.ok_or_else(|| {
        ApiError::validation(
            "reason",
            "say why the family is deleted (a guardian's request, the family left the program)",
        )
    })?;
    let (report, accounts) = state
        .db
        .write(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::DeleteFamily)?;
            deletion::delete_family(conn, &user, family_id, &reason)
        })
        .await?;
    // This copy refuses the deleted accounts at once; the others within the standing's TTL.
    for account in accounts {
        state.standings.forget(account);
    }
    Ok(web::Json(report))
}
