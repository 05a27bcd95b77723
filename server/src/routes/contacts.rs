//! The contact log: single and batch uploads (idempotent on the client id), reads, lists and
//! amendments.

use std::collections::HashSet;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, FixedOffset, Utc};
use kinthread_shared::api::{
    BatchItemResult, BatchItemStatus, BatchResponse, Contact, ContactBatch, ErrorBody, NewContact,
    Page,
};
use kinthread_shared::{ContactId, ContactKind, FamilyId, PersonId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{PurposeQuery, decode_time_cursor, encode_time_cursor, page_limit};
use crate::access::{Action, FamilyScope, family_scope};
use crate::app::{AppState, audit_staff_read};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::service::contacts::{prepare, present, present_all};
use crate::store::contacts::{
    self as store, AmendOutcome, ContactCursor, ContactFilter, InsertOutcome, StoredContact,
};
use crate::store::{persons, to_millis};

/// The most contacts one batch may carry.
pub const MAX_BATCH: usize = 1000;

/// The family's scope and its persons, which every upload is checked against.
async fn upload_scope(
    state: &AppState,
    user: AuthUser,
    family_id: FamilyId,
    action: Action,
) -> Result<(FamilyScope, HashSet<PersonId>), ApiError> {
    state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(action)?;
            let people = persons::roles_of_family(conn, family_id)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            Ok((scope, people))
        })
        .await
}

async fn load_presented(
    state: &AppState,
    scope: &FamilyScope,
    ids: Vec<ContactId>,
) -> Result<Vec<Contact>, ApiError> {
    let family_id = scope.family_id();
    let scope = scope.clone();
    state
        .db
        .read(move |conn| {
            let stored = store::get_many(conn, family_id, &ids)?;
            present_all(conn, &scope, stored)
        })
        .await
}

/// Logs one contact. The same `client_id` sent again returns the first record (200) instead
/// of a second one; with different content it is refused (409).
#[utoipa::path(post, path = "/api/v1/families/{family_id}/contacts", tag = "contacts", request_body = NewContact,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 201, body = Contact, description = "stored"),
        (status = 200, body = Contact, description = "sent before: the first record"),
        (status = 403, body = ErrorBody, description = "`forbidden`: staff, another family, or a child's contact they do not take part in"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 409, body = ErrorBody, description = "`idempotency_conflict`: the client id was sent before with different content"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: participants, times, duration or content do not fit; `fields` says which")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/contacts")]
pub async fn create_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<NewContact>,
) -> Result<HttpResponse, ApiError> {
    let (scope, people) = upload_scope(&state, user, path.into_inner(), Action::LogContact).await?;
    let prepared = prepare(&scope, &people, body.into_inner(), Utc::now())?;
    // What is stored is what was prepared: answer from it rather than reading it back.
    let stored = StoredContact {
        row: prepared.row.clone(),
        participants: prepared.participants.clone(),
    };
    let rating = prepared.feedback.as_ref().map(|f| f.rating);
    let family_id = scope.family_id();
    let outcome = state
        .db
        .write_atomic(move |conn| {
            store::insert_idempotent(conn, family_id, vec![prepared]).map_err(ApiError::from)
        })
        .await?;
    match outcome.first() {
        Some(InsertOutcome::Created(_)) => {
            Ok(HttpResponse::Created().json(present(&scope, stored, rating)?))
        }
        Some(InsertOutcome::Existing(id)) => {
            let contact = load_presented(&state, &scope, vec![*id])
                .await?
                .pop()
                .ok_or(ApiError::NotFound("contact"))?;
            Ok(HttpResponse::Ok().json(contact))
        }
        Some(InsertOutcome::Conflict) => Err(ApiError::IdempotencyConflict("contact")),
        None => Err(ApiError::internal("no outcome for a single upload")),
    }
}

/// Logs many contacts at once (a phone that was offline). Each item gets its own result;
/// a refused item does not stop the others, and the stored ones are stored together.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/contacts/batch", tag = "contacts", request_body = ContactBatch,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 200, body = BatchResponse, description = "a result per contact, refused ones included"),
        (status = 403, body = ErrorBody, description = "`forbidden`: staff, or another family"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the batch is empty or holds more than 1000 contacts")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/contacts/batch")]
pub async fn batch_contacts(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<ContactBatch>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    let contacts = body.into_inner().contacts;
    if contacts.is_empty() || contacts.len() > MAX_BATCH {
        return Err(ApiError::validation(
            "contacts",
            format!("a batch holds 1 to {MAX_BATCH} contacts"),
        ));
    }
    let (scope, people) = upload_scope(&state, user, path.into_inner(), Action::LogContact).await?;
    let now = Utc::now();
    let mut results: Vec<BatchItemResult> = Vec::with_capacity(contacts.len());
    let mut prepared = Vec::new();
    let mut prepared_index = Vec::new();
    for (index, new) in contacts.into_iter().enumerate() {
        let client_id = new.client_id;
        results.push(BatchItemResult {
            index,
            client_id,
            status: BatchItemStatus::Rejected,
            contact_id: None,
            error: None,
        });
        match prepare(&scope, &people, new, now) {
            Ok(p) => {
                prepared.push(p);
                prepared_index.push(index);
            }
            Err(e) => {
                if let Some(r) = results.last_mut() {
                    r.error = Some(e.detail());
                }
            }
        }
    }
    let family_id = scope.family_id();
    let outcomes = state
        .db
        .write_atomic(move |conn| {
            store::insert_idempotent(conn, family_id, prepared).map_err(ApiError::from)
        })
        .await?;
    for (index, outcome) in prepared_index.into_iter().zip(outcomes) {
        let Some(result) = results.get_mut(index) else {
            continue;
        };
        match outcome {
            InsertOutcome::Created(id) => {
                result.status = BatchItemStatus::Created;
                result.contact_id = Some(id);
            }
            InsertOutcome::Existing(id) => {
                result.status = BatchItemStatus::Existing;
                result.contact_id = Some(id);
            }
            InsertOutcome::Conflict => {
                result.error = Some(ApiError::IdempotencyConflict("contact").detail());
            }
        }
    }
    let count = |status| results.iter().filter(|r| r.status == status).count();
    Ok(web::Json(BatchResponse {
        created: count(BatchItemStatus::Created),
        existing: count(BatchItemStatus::Existing),
        rejected: count(BatchItemStatus::Rejected),
        results,
    }))
}

/// Filters and paging of the contact list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactListQuery {
    /// Only contacts this person took part in.
    pub person_id: Option<PersonId>,
    pub kind: Option<ContactKind>,
    /// Started at or after (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<DateTime<FixedOffset>>,
    /// Started before (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<FixedOffset>>,
    /// Also list versions that were amended later (default false).
    #[serde(default)]
    pub include_superseded: bool,
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Why staff read the contacts (see `PageQuery::purpose`).
    #[param(max_length = 200)]
    pub purpose: Option<String>,
}

/// A family's contacts, newest first.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/contacts", tag = "contacts",
    params(("family_id" = String, Path, format = Uuid), ContactListQuery),
    responses((status = 200, body = Page<Contact>, description = "newest first"),
        (status = 403, body = ErrorBody, description = "`forbidden`: another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/contacts")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    query: web::Query<ContactListQuery>,
) -> Result<web::Json<Page<Contact>>, ApiError> {
    let family_id = path.into_inner();
    let query = query.into_inner();
    let limit = page_limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(decode_time_cursor::<ContactId>)
        .transpose()?
        .map(|(started_at, id)| ContactCursor { started_at, id });
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::InvalidQuery(
            "`from` must not be after `to`".into(),
        ));
    }
    let stated = super::purpose(query.purpose.clone())?;
    let (scope, items, next_cursor) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?.with_purpose(stated);
            scope.require(Action::ReadContacts)?;
            let filter = ContactFilter {
                person: query.person_id,
                kind: query.kind,
                from: query.from.map(|f| to_millis(f.with_timezone(&Utc))),
                to: query.to.map(|t| to_millis(t.with_timezone(&Utc))),
                include_superseded: query.include_superseded,
                visible_to_participant: scope.only_own_contacts(),
            };
            let stored = store::list(conn, family_id, &filter, after.as_ref(), limit)?;
            let next_cursor = next_cursor_of(&stored, limit);
            let items = present_all(conn, &scope, stored)?;
            Ok::<_, ApiError>((scope, items, next_cursor))
        })
        .await?;
    audit_staff_read(&state, &scope, "contacts.list").await?;
    Ok(web::Json(Page { items, next_cursor }))
}

fn next_cursor_of(stored: &[store::StoredContact], limit: i64) -> Option<String> {
    super::next_cursor(stored, limit, |s| {
        encode_time_cursor(s.row.started_at, s.row.id)
    })
}

/// One contact (any version: superseded records stay readable).
#[utoipa::path(get, path = "/api/v1/families/{family_id}/contacts/{contact_id}", tag = "contacts",
    params(("family_id" = String, Path, format = Uuid), ("contact_id" = String, Path, format = Uuid), PurposeQuery),
    responses((status = 200, body = Contact, description = "the contact, in any version"),
        (status = 403, body = ErrorBody, description = "`forbidden`: another family, or a child's contact they did not take part in"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family, or no such contact in it")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/contacts/{contact_id}")]
pub async fn get_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(FamilyId, ContactId)>,
    query: web::Query<PurposeQuery>,
) -> Result<web::Json<Contact>, ApiError> {
    let (family_id, contact_id) = path.into_inner();
    let stated = super::purpose(query.into_inner().purpose)?;
    let (scope, contact) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?.with_purpose(stated);
            scope.require(Action::ReadContacts)?;
            let stored =
                store::get(conn, family_id, contact_id)?.ok_or(ApiError::NotFound("contact"))?;
            if let Some(me) = scope.only_own_contacts()
                && !stored.participants.contains(&me)
            {
                return Err(ApiError::forbidden(
                    "read a contact you did not take part in",
                ));
            }
            let contact = present_all(conn, &scope, vec![stored])?
                .pop()
                .ok_or(ApiError::NotFound("contact"))?;
            Ok::<_, ApiError>((scope, contact))
        })
        .await?;
    audit_staff_read(&state, &scope, "contact.read").await?;
    Ok(web::Json(contact))
}

/// Corrects a contact: the body is the whole corrected contact, with a new `client_id`. The
/// earlier record stays in the history, marked as superseded.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/contacts/{contact_id}/amend", tag = "contacts",
    request_body = NewContact,
    params(("family_id" = String, Path, format = Uuid), ("contact_id" = String, Path, format = Uuid)),
    responses((status = 201, body = Contact, description = "the correction, stored"),
        (status = 200, body = Contact, description = "sent before: the first correction"),
        (status = 403, body = ErrorBody, description = "`forbidden`: staff, another family, or a contact someone else recorded (only its recorder or an admin corrects it)"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family, or no such contact in it"),
        (status = 409, body = ErrorBody, description = "`conflict`: the contact was amended already; `idempotency_conflict`: the client id was sent before with different content"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: participants, times, duration or content do not fit; `fields` says which")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/contacts/{contact_id}/amend")]
pub async fn amend_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(FamilyId, ContactId)>,
    body: Json<NewContact>,
) -> Result<HttpResponse, ApiError> {
    let (family_id, original) = path.into_inner();
    let (scope, people) = upload_scope(&state, user, family_id, Action::AmendContact).await?;
    let stored = state
        .db
        .read(move |conn| store::get(conn, family_id, original).map_err(ApiError::from))
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    if !scope.may_amend(stored.row.recorded_by) {
        return Err(ApiError::forbidden(
            "amend a contact someone else recorded: ask them, or an administrator, to correct it",
        ));
    }
    let prepared = prepare(&scope, &people, body.into_inner(), Utc::now())?;
    let outcome = state
        .db
        .write(move |conn| {
            store::amend(conn, family_id, original, prepared).map_err(ApiError::from)
        })
        .await?;
    let (id, created) = match outcome {
        AmendOutcome::Created(id) => (id, true),
        AmendOutcome::Existing(id) => (id, false),
        AmendOutcome::Conflict => return Err(ApiError::IdempotencyConflict("contact")),
        AmendOutcome::NotFound => return Err(ApiError::NotFound("contact")),
        AmendOutcome::AlreadySuperseded(newer) => {
            return Err(ApiError::Conflict(format!(
                "this contact was amended already; amend the newest version, {newer}"
            )));
        }
    };
    let contact = load_presented(&state, &scope, vec![id])
        .await?
        .pop()
        .ok_or(ApiError::NotFound("contact"))?;
    Ok(if created {
        HttpResponse::Created().json(contact)
    } else {
        HttpResponse::Ok().json(contact)
    })
}
