//! A family's consent as a history: read it, give a consent, withdraw one (SPEC section 3).

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use kinthread_shared::api::{
    ConsentHistory, ConsentRecord, ConsentWithdrawal, ErrorBody, NewConsent,
};
use kinthread_shared::{ConsentId, FamilyId};

use crate::access::{Action, family_scope};
use crate::app::{AppState, audit_staff_read};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::service::consent as service;
use crate::store;

/// The family's consent in force and every record, given and withdrawn, newest first: its
/// guardians, its program's staff and admins.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/consents", tag = "consent",
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 200, body = ConsentHistory, description = "in force, and the history"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a child, another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/consents")]
pub async fn consent_history(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
) -> Result<web::Json<ConsentHistory>, ApiError> {
    let family_id = path.into_inner();
    let (scope, history) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::ReadConsent)?;
            let records = store::consent::history(conn, family_id)?
                .into_iter()
                .map(|row| row.into_record())
                .collect::<Result<Vec<_>, _>>()?;
            let history = ConsentHistory {
                in_force: scope.family.consent,
                records,
            };
            Ok::<_, ApiError>((scope, history))
        })
        .await?;
    audit_staff_read(&state, &scope, "consents.read").await?;
    Ok(web::Json(history))
}

/// Gives a consent: a guardian from their own account, the child their own agreement to
/// feedback counts, staff or an admin recording a signed paper form (`person_id` and
/// `reference`). In force at once for every later read. Audited.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/consents", tag = "consent",
    request_body = NewConsent,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 201, body = ConsentRecord, description = "recorded, in force"),
        (status = 403, body = ErrorBody, description = "`forbidden`: another family or program, someone else's consent from one's own account, or a consent the account may not give"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: no such person, a person who may not give it, or a paper form without its reference")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/consents")]
pub async fn give_consent(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<NewConsent>,
) -> Result<HttpResponse, ApiError> {
    let family_id = path.into_inner();
    let new = body.into_inner();
    let record = state
        .db
        .write(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::RecordConsent)?;
            let row = service::prepare(conn, &scope, new, Utc::now())?;
            store::consent::insert(conn, &row)?;
            store::families::sync_consent_copy(conn, family_id)?;
            store::audit::record(
                conn,
                Some(&user),
                "consent.give",
                Some(family_id),
                Some(&format!("{} {} via {}", row.id, row.kind, row.given_via)),
            )?;
            Ok::<_, ApiError>(row.into_record()?)
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

/// Withdraws a consent, at once for every later read. A guardian withdraws any guardian's
/// consent, the child their own agreement; staff and admins record a paper withdrawal.
/// Withdrawing one already withdrawn is `409`. Audited.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/consents/{consent_id}/withdraw", tag = "consent",
    request_body = ConsentWithdrawal,
    params(("family_id" = String, Path, format = Uuid), ("consent_id" = String, Path, format = Uuid)),
    responses((status = 200, body = ConsentRecord, description = "withdrawn"),
        (status = 403, body = ErrorBody, description = "`forbidden`: another family or program, or a consent the account may not withdraw"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family, or no such consent in it"),
        (status = 409, body = ErrorBody, description = "`conflict`: withdrawn already"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the reference is too long")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/consents/{consent_id}/withdraw")]
pub async fn withdraw_consent(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(FamilyId, ConsentId)>,
    body: Json<ConsentWithdrawal>,
) -> Result<web::Json<ConsentRecord>, ApiError> {
    let (family_id, consent_id) = path.into_inner();
    let reference = body.into_inner().reference;
    let record = state
        .db
        .write(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::RecordConsent)?;
            let row = store::consent::get(conn, family_id, consent_id)?
                .ok_or(ApiError::NotFound("consent"))?;
            let mut how = service::may_withdraw(&scope, &row)?;
            how.reference = service::checked_reference(reference)?;
            if store::consent::withdraw(conn, family_id, consent_id, &how)? == 0 {
                return Err(ApiError::Conflict(
                    "this consent was withdrawn already".to_owned(),
                ));
            }
            store::families::sync_consent_copy(conn, family_id)?;
            store::audit::record(
                conn,
                Some(&user),
                "consent.withdraw",
                Some(family_id),
                Some(&format!("{consent_id} {} via {}", row.kind, how.via)),
            )?;
            let row = store::consent::get(conn, family_id, consent_id)?
                .ok_or(ApiError::NotFound("consent"))?;
            Ok::<_, ApiError>(row.into_record()?)
        })
        .await?;
    Ok(web::Json(record))
}
