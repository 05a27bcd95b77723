//! Caregiver check-ins about a child.

use std::collections::HashSet;

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use kinthread_shared::api::{Checkin, ErrorBody, NewCheckin, Page};
use kinthread_shared::{CheckinId, FamilyId, FamilyRole};

use super::{PageQuery, decode_time_cursor, encode_time_cursor, next_cursor};
use crate::access::{Action, family_scope};
use crate::app::{AppState, audit_staff_read};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::service::checkins::{prepare, present};
use crate::store::checkins::{self as store, CheckinOutcome};
use crate::store::persons;

/// Records a check-in (the family's caregivers, and admins). Idempotent on `client_id`.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/checkins", tag = "checkins", request_body = NewCheckin,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 201, body = Checkin, description = "stored"),
        (status = 200, body = Checkin, description = "sent before: the first record"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not the family's caregiver nor an admin"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 409, body = ErrorBody, description = "`idempotency_conflict`: the client id was sent before with different content"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: mood, child, time or a text does not fit; `fields` says which")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/checkins")]
pub async fn create_checkin(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<NewCheckin>,
) -> Result<HttpResponse, ApiError> {
    let family_id = path.into_inner();
    let new = body.into_inner();
    let (scope, children) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::RecordCheckin)?;
            let children: HashSet<_> = persons::roles_of_family(conn, family_id)?
                .into_iter()
                .filter(|(_, role)| *role == FamilyRole::Child)
                .map(|(id, _)| id)
                .collect();
            Ok::<_, ApiError>((scope, children))
        })
        .await?;
    let row = prepare(&scope, &children, new, Utc::now())?;
    let stored = state
        .db
        .write(move |conn| {
            let outcome = store::insert_idempotent(conn, row)?;
            let (id, created) = match outcome {
                CheckinOutcome::Created(id) => (id, true),
                CheckinOutcome::Existing(id) => (id, false),
                CheckinOutcome::Conflict => return Err(ApiError::IdempotencyConflict("check-in")),
            };
            let row = store::get(conn, family_id, id)?.ok_or(ApiError::NotFound("check-in"))?;
            Ok((row, created))
        })
        .await?;
    let (row, created) = stored;
    let checkin = present(&scope, row)?;
    Ok(if created {
        HttpResponse::Created().json(checkin)
    } else {
        HttpResponse::Ok().json(checkin)
    })
}

/// A family's check-ins, newest first (not for child accounts).
#[utoipa::path(get, path = "/api/v1/families/{family_id}/checkins", tag = "checkins",
    params(("family_id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = Page<Checkin>, description = "newest first"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a child, another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/checkins")]
pub async fn list_checkins(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<Checkin>>, ApiError> {
    let family_id = path.into_inner();
    let limit = page.limit()?;
    let after = page
        .cursor
        .as_deref()
        .map(decode_time_cursor::<CheckinId>)
        .transpose()?;
    let stated = page.purpose()?;
    let (scope, rows) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?.with_purpose(stated);
            scope.require(Action::ReadCheckins)?;
            let rows = store::list(conn, family_id, after, limit)?;
            Ok::<_, ApiError>((scope, rows))
        })
        .await?;
    audit_staff_read(&state, &scope, "checkins.list").await?;
    let next_cursor = next_cursor(&rows, limit, |row| {
        encode_time_cursor(row.observed_at, row.id)
    });
    let items = rows
        .into_iter()
        .map(|r| present(&scope, r))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page { items, next_cursor }))
}
