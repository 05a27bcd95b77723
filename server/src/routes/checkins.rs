//! Caregiver check-ins about a child.

use std::collections::HashSet;

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use kinthread_shared::api::{Checkin, NewCheckin, Page};
use kinthread_shared::validate::check_new_checkin;
use kinthread_shared::{CheckinId, FamilyId, FamilyRole};

use super::{PageQuery, decode_time_cursor, encode_time_cursor, next_cursor};
use crate::access::{FamilyScope, family_scope};
use crate::app::{AppState, audit_staff_read};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::service::request_hash;
use crate::store::checkins::{self as store, CheckinOutcome, CheckinRow};
use crate::store::{from_millis, parse_stored, persons, to_millis, with_offset};

fn present(scope: &FamilyScope, row: CheckinRow) -> Result<Checkin, ApiError> {
    let show = scope.sees_content();
    let has_text =
        row.health.is_some() || row.school.is_some() || row.worries.is_some() || row.note.is_some();
    let keep = |v: Option<String>| if show { v } else { None };
    Ok(Checkin {
        id: parse_stored("check-in id", &row.id)?,
        family_id: parse_stored("family id", &row.family_id)?,
        client_id: parse_stored("client id", &row.client_id)?,
        child_id: parse_stored("child id", &row.child_id)?,
        observed_at: with_offset(row.observed_at, row.utc_offset_seconds)?,
        mood: row.mood,
        health: keep(row.health),
        school: keep(row.school),
        worries: keep(row.worries),
        note: keep(row.note),
        content_withheld: has_text && !show,
        recorded_by: parse_stored("recorded by", &row.recorded_by)?,
        recorded_at: from_millis(row.recorded_at)?,
    })
}

/// Records a check-in (the family's caregivers, and admins). Idempotent on `client_id`.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/checkins", tag = "checkins", request_body = NewCheckin,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 201, body = Checkin), (status = 200, body = Checkin, description = "sent before"),
        (status = 403, body = kinthread_shared::api::ErrorBody), (status = 409, body = kinthread_shared::api::ErrorBody),
        (status = 422, body = kinthread_shared::api::ErrorBody)),
    security(("bearer" = [])))]
#[post("/families/{family_id}/checkins")]
pub async fn create_checkin(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: web::Json<NewCheckin>,
) -> Result<HttpResponse, ApiError> {
    let family_id = path.into_inner();
    let new = body.into_inner();
    let (scope, children) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require_checkin_writer()?;
            let children: HashSet<_> = persons::roles_of_family(conn, family_id)?
                .into_iter()
                .filter(|(_, role)| *role == FamilyRole::Child)
                .map(|(id, _)| id)
                .collect();
            Ok::<_, ApiError>((scope, children))
        })
        .await?;
    let now = Utc::now();
    check_new_checkin(&new, &children, now).map_err(ApiError::Validation)?;
    let row = CheckinRow {
        family_id: family_id.to_string(),
        id: CheckinId::new().to_string(),
        client_id: new.client_id.to_string(),
        request_hash: request_hash(&new),
        child_id: new.child_id.to_string(),
        observed_at: to_millis(new.observed_at.with_timezone(&Utc)),
        utc_offset_seconds: new.observed_at.offset().local_minus_utc(),
        mood: new.mood,
        health: new.health,
        school: new.school,
        worries: new.worries,
        note: new.note,
        recorded_by: scope.user.id.to_string(),
        recorded_at: to_millis(now),
    };
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
    responses((status = 200, body = Page<Checkin>), (status = 403, body = kinthread_shared::api::ErrorBody)),
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
    let (scope, rows) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require_checkin_reader()?;
            let rows = store::list(conn, family_id, after, limit)?;
            Ok::<_, ApiError>((scope, rows))
        })
        .await?;
    audit_staff_read(&state, &scope, "checkins.list").await?;
    let next_cursor = next_cursor(&rows, limit, |row| {
        encode_time_cursor(row.observed_at, &row.id)
    });
    let items = rows
        .into_iter()
        .map(|r| present(&scope, r))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page { items, next_cursor }))
}
