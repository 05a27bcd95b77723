//! The child's own voice: feedback on a contact the child took part in (changeable, every
//! version kept) and the child's weekly check-in. Given only from the child's own account;
//! read by staff and admins (the words only with consent) and by the child; never record by
//! record by parents or caregivers, who see counts in the family report where the guardian
//! consented (SPEC section 2).

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use kinthread_shared::api::{
    ChildCheckin, ErrorBody, Feedback, FeedbackHistory, NewChildCheckin, NewFeedback, Page,
};
use kinthread_shared::{ChildCheckinId, ContactId, FamilyId, FeedbackId, PersonId};

use super::{PageQuery, PurposeQuery, decode_time_cursor, encode_time_cursor, next_cursor};
use crate::access::{Action, FamilyScope, family_scope};
use crate::app::{AppState, audit_staff_read};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::service::voice::{prepare_checkin, prepare_feedback, present_checkin, present_feedback};
use crate::store::contacts::{self as contacts_store, StoredContact};
use crate::store::voice::{self as store, VoiceOutcome};

/// How many amendments a feedback follows to reach a contact's current version.
const MAX_AMENDMENT_CHAIN: usize = 64;

/// The scope of `user` in the family, with `action` required and the purpose stated.
async fn voice_scope(
    state: &AppState,
    user: AuthUser,
    family_id: FamilyId,
    action: Action,
    purpose: Option<String>,
) -> Result<FamilyScope, ApiError> {
    state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?.with_purpose(purpose);
            scope.require(action)?;
            Ok(scope)
        })
        .await
}

/// The person a child's account speaks for, for actions narrowed to their own records.
fn own_person(scope: &FamilyScope, action: Action) -> Result<PersonId, ApiError> {
    scope
        .narrowed_to_own(action)
        .ok_or_else(|| ApiError::forbidden(action.refusal()))
}

/// The current version of a contact: feedback on a version that was amended since goes to the
/// amendment (a phone may rate the version it holds).
fn current_version(
    conn: &mut crate::db::DbConnection,
    family_id: FamilyId,
    contact_id: ContactId,
) -> Result<StoredContact, ApiError> {
    let mut stored =
        contacts_store::get(conn, family_id, contact_id)?.ok_or(ApiError::NotFound("contact"))?;
    for _ in 0..MAX_AMENDMENT_CHAIN {
        let Some(newer) = stored.row.superseded_by else {
            return Ok(stored);
        };
        stored =
            contacts_store::get(conn, family_id, newer)?.ok_or(ApiError::NotFound("contact"))?;
    }
    Err(ApiError::internal("a contact's amendments do not end"))
}

/// A row of the child's voice in a page, newest first by an instant (epoch ms), then by id.
trait PageKey {
    type Id: std::fmt::Display;
    fn page_key(&self) -> (i64, Self::Id);
}

impl PageKey for store::FeedbackRow {
    type Id = FeedbackId;
    fn page_key(&self) -> (i64, FeedbackId) {
        (self.given_at, self.id)
    }
}

impl PageKey for store::ChildCheckinRow {
    type Id = ChildCheckinId;
    fn page_key(&self) -> (i64, ChildCheckinId) {
        (self.observed_at, self.id)
    }
}

/// One page of the child's voice for a reader: the scope with the stated purpose, the rows
/// after the cursor (the child's own only, for a child), the read audited, each row presented.
async fn voice_page<I, R, T>(
    state: &AppState,
    user: AuthUser,
    family_id: FamilyId,
    page: &PageQuery,
    audit: &'static str,
    load: impl FnOnce(
        &mut crate::db::DbConnection,
        Option<PersonId>,
        Option<(i64, I)>,
        i64,
    ) -> diesel::QueryResult<Vec<R>>
    + Send
    + 'static,
    present: impl Fn(&FamilyScope, R) -> Result<T, ApiError>,
) -> Result<Page<T>, ApiError>
where
    I: std::str::FromStr + std::fmt::Display + Send + 'static,
    R: PageKey<Id = I> + Send + 'static,
{
    let limit = page.limit()?;
    let after = page
        .cursor
        .as_deref()
        .map(decode_time_cursor::<I>)
        .transpose()?;
    let scope = voice_scope(
        state,
        user,
        family_id,
        Action::ReadChildVoice,
        page.purpose()?,
    )
    .await?;
    let only = scope.narrowed_to_own(Action::ReadChildVoice);
    let rows = state
        .db
        .read(move |conn| Ok::<_, ApiError>(load(conn, only, after, limit)?))
        .await?;
    audit_staff_read(state, &scope, audit).await?;
    let next_cursor = next_cursor(&rows, limit, |row| {
        let (at, id) = row.page_key();
        encode_time_cursor(at, id)
    });
    let items = rows
        .into_iter()
        .map(|row| present(&scope, row))
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor })
}

/// Gives or changes the child's feedback on a contact they took part in ("how did the call
/// feel?"), from the child's own account. A change is a new version; the one it replaces stays
/// in the history. Idempotent on `client_id`.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/contacts/{contact_id}/feedback", tag = "child's voice",
    request_body = NewFeedback,
    params(("family_id" = String, Path, format = Uuid), ("contact_id" = String, Path, format = Uuid)),
    responses((status = 201, body = Feedback, description = "stored: now the version in force"),
        (status = 200, body = Feedback, description = "sent before: the first record"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not a child's own account, another family, or a contact the child did not take part in"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family, or no such contact in it"),
        (status = 409, body = ErrorBody, description = "`idempotency_conflict`: the client id was sent before with different content"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the time or the words do not fit; `fields` says which")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/contacts/{contact_id}/feedback")]
pub async fn give_feedback(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(FamilyId, ContactId)>,
    body: Json<NewFeedback>,
) -> Result<HttpResponse, ApiError> {
    let (family_id, contact_id) = path.into_inner();
    let scope = voice_scope(&state, user, family_id, Action::GiveFeedback, None).await?;
    let child = own_person(&scope, Action::GiveFeedback)?;
    let new = body.into_inner();
    let write_scope = scope.clone();
    let (row, created) = state
        .db
        .write(move |conn| {
            let contact = current_version(conn, family_id, contact_id)?;
            if !contact.participants.contains(&child) {
                return Err(ApiError::forbidden(
                    "give feedback on a contact you did not take part in",
                ));
            }
            let started = contact.row.started()?.to_utc();
            let row = prepare_feedback(
                &write_scope,
                child,
                contact.row.id,
                started,
                new,
                Utc::now(),
            )?;
            let (id, created) = match store::give_feedback(conn, &row)? {
                VoiceOutcome::Created(id) => (id, true),
                VoiceOutcome::Existing(id) => (id, false),
                VoiceOutcome::Conflict => return Err(ApiError::IdempotencyConflict("feedback")),
            };
            let row =
                store::feedback(conn, family_id, id)?.ok_or(ApiError::NotFound("feedback"))?;
            Ok((row, created))
        })
        .await?;
    let feedback = present_feedback(&scope, row)?;
    Ok(if created {
        HttpResponse::Created().json(feedback)
    } else {
        HttpResponse::Ok().json(feedback)
    })
}

/// Every version of the child's feedback on one contact, newest first: staff and admins (the
/// words only where the family consented to share them), and the child their own.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/contacts/{contact_id}/feedback", tag = "child's voice",
    params(("family_id" = String, Path, format = Uuid), ("contact_id" = String, Path, format = Uuid), PurposeQuery),
    responses((status = 200, body = FeedbackHistory, description = "newest first"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a parent or caregiver (they see counts in the family report), another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family, or no such contact in it")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/contacts/{contact_id}/feedback")]
pub async fn feedback_history(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(FamilyId, ContactId)>,
    query: web::Query<PurposeQuery>,
) -> Result<web::Json<FeedbackHistory>, ApiError> {
    let (family_id, contact_id) = path.into_inner();
    let stated = super::purpose(query.into_inner().purpose)?;
    let scope = voice_scope(&state, user, family_id, Action::ReadChildVoice, stated).await?;
    let only = scope.narrowed_to_own(Action::ReadChildVoice);
    let rows = state
        .db
        .read(move |conn| {
            contacts_store::get(conn, family_id, contact_id)?
                .ok_or(ApiError::NotFound("contact"))?;
            Ok::<_, ApiError>(store::feedback_on(conn, family_id, contact_id, only)?)
        })
        .await?;
    audit_staff_read(&state, &scope, "feedback.read").await?;
    let items = rows
        .into_iter()
        .map(|row| present_feedback(&scope, row))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(FeedbackHistory { contact_id, items }))
}

/// The child's feedback in force on the family's contacts, newest first: staff and admins (the
/// words only where the family consented to share them), and the child their own.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/feedback", tag = "child's voice",
    params(("family_id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = Page<Feedback>, description = "newest first"),
        (status = 400, body = ErrorBody, description = "`invalid_query`: a bad cursor or limit"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a parent or caregiver, another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/feedback")]
pub async fn list_feedback(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<Feedback>>, ApiError> {
    let family_id = path.into_inner();
    let page = voice_page(
        &state,
        user,
        family_id,
        &page,
        "feedback.list",
        move |conn, only, after: Option<(i64, FeedbackId)>, limit| {
            store::feedback_list(conn, family_id, only, after, limit)
        },
        present_feedback,
    )
    .await?;
    Ok(web::Json(page))
}

/// Records the child's own weekly "how are you" (mood, optional words), from the child's own
/// account. Idempotent on `client_id`.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/child-checkins", tag = "child's voice",
    request_body = NewChildCheckin,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 201, body = ChildCheckin, description = "stored"),
        (status = 200, body = ChildCheckin, description = "sent before: the first record"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not a child's own account, or another family"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 409, body = ErrorBody, description = "`idempotency_conflict`: the client id was sent before with different content"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: mood, time or words do not fit; `fields` says which")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/child-checkins")]
pub async fn create_child_checkin(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<NewChildCheckin>,
) -> Result<HttpResponse, ApiError> {
    let family_id = path.into_inner();
    let scope = voice_scope(&state, user, family_id, Action::RecordChildCheckin, None).await?;
    let child = own_person(&scope, Action::RecordChildCheckin)?;
    let row = prepare_checkin(&scope, child, body.into_inner(), Utc::now())?;
    let (row, created) = state
        .db
        .write(move |conn| {
            let (id, created) = match store::record_checkin(conn, &row)? {
                VoiceOutcome::Created(id) => (id, true),
                VoiceOutcome::Existing(id) => (id, false),
                VoiceOutcome::Conflict => return Err(ApiError::IdempotencyConflict("check-in")),
            };
            let row = store::checkin(conn, family_id, id)?.ok_or(ApiError::NotFound("check-in"))?;
            Ok((row, created))
        })
        .await?;
    let checkin = present_checkin(&scope, row)?;
    Ok(if created {
        HttpResponse::Created().json(checkin)
    } else {
        HttpResponse::Ok().json(checkin)
    })
}

/// The children's own check-ins, newest first: staff and admins (the words only where the
/// family consented to share them), and the child their own.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/child-checkins", tag = "child's voice",
    params(("family_id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = Page<ChildCheckin>, description = "newest first"),
        (status = 400, body = ErrorBody, description = "`invalid_query`: a bad cursor or limit"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a parent or caregiver, another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/child-checkins")]
pub async fn list_child_checkins(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<ChildCheckin>>, ApiError> {
    let family_id = path.into_inner();
    let page = voice_page(
        &state,
        user,
        family_id,
        &page,
        "child_checkins.list",
        move |conn, only, after: Option<(i64, ChildCheckinId)>, limit| {
            store::checkin_list(conn, family_id, only, after, limit)
        },
        present_checkin,
    )
    .await?;
    Ok(web::Json(page))
}
