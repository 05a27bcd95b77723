//! Consent records: who may give or withdraw which consent, and through which channel
//! (SPEC section 3). A guardian gives their own from their own account; the child gives only
//! their own agreement to feedback counts; staff and admins record a signed paper form, with
//! its reference, for a named guardian.

use chrono::{DateTime, Utc};
use kinthread_shared::api::{ConsentUpdate, NewConsent};
use kinthread_shared::{AccountRole, ConsentKind, ConsentVia, FamilyRole, PersonId};

use crate::access::FamilyScope;
use crate::db::DbConnection;
use kinthread_shared::validate::optional_text;

use crate::error::ApiError;
use crate::store::consent::{self, ConsentRow, Withdrawal};
use crate::store::persons;

/// The longest paper-form reference kept.
const MAX_REFERENCE_CHARS: usize = 200;

/// A paper form's reference, trimmed and checked.
pub fn checked_reference(given: Option<String>) -> Result<Option<String>, ApiError> {
    optional_text("reference", given, MAX_REFERENCE_CHARS)
        .map_err(|e| ApiError::Validation(vec![e]))
}

/// Whether `person` of the family may give `kind`: the child's own agreement is the child's,
/// every other consent a guardian's (a parent or a caregiver).
fn fits(
    conn: &mut DbConnection,
    scope: &FamilyScope,
    person: PersonId,
    kind: ConsentKind,
) -> Result<(), ApiError> {
    let role = persons::get(conn, scope.family_id(), person)?
        .ok_or_else(|| ApiError::validation("person_id", "is not a person of this family"))?
        .role;
    let ok = match kind {
        ConsentKind::ChildAgreesFeedbackCounts => role == FamilyRole::Child,
        ConsentKind::DataKept
        | ConsentKind::ShareNotesWithStaff
        | ConsentKind::ChildAccount
        | ConsentKind::FeedbackCountsToParents
        | ConsentKind::AnonymousStatistics => role.is_parent() || role.is_caregiver(),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            "person_id",
            match kind {
                ConsentKind::ChildAgreesFeedbackCounts => {
                    "the child's agreement is the child's own"
                }
                _ => "only a guardian (a parent or a caregiver) gives this consent",
            },
        ))
    }
}

/// The record a request gives, checked against who asks.
pub fn prepare(
    conn: &mut DbConnection,
    scope: &FamilyScope,
    new: NewConsent,
    now: DateTime<Utc>,
) -> Result<ConsentRow, ApiError> {
    let reference = checked_reference(new.reference)?;
    let own = |kind_ok: bool| -> Result<(PersonId, ConsentVia), ApiError> {
        let me = scope
            .person()
            .ok_or_else(|| ApiError::forbidden("give consent without a person of this family"))?;
        if new.person_id.is_some_and(|p| p != me) {
            return Err(ApiError::forbidden(
                "give consent for someone else from your account: staff record a paper form",
            ));
        }
        if !kind_ok {
            return Err(ApiError::forbidden(match new.kind {
                ConsentKind::ChildAgreesFeedbackCounts => {
                    "give the child's agreement: that is the child's own"
                }
                _ => "give a guardian's consent from a child's account",
            }));
        }
        Ok((me, ConsentVia::OwnAccount))
    };
    let (person, via) = match scope.role() {
        AccountRole::Parent | AccountRole::Caregiver => {
            own(new.kind != ConsentKind::ChildAgreesFeedbackCounts)?
        }
        AccountRole::Child => own(new.kind == ConsentKind::ChildAgreesFeedbackCounts)?,
        AccountRole::Staff | AccountRole::Admin => {
            let person = new.person_id.ok_or_else(|| {
                ApiError::validation("person_id", "a paper form names the person who signed it")
            })?;
            if reference.is_none() {
                return Err(ApiError::validation(
                    "reference",
                    "a paper form is recorded with its reference",
                ));
            }
            (person, ConsentVia::PaperForm)
        }
    };
    fits(conn, scope, person, new.kind)?;
    Ok(ConsentRow::given(
        scope.family_id(),
        new.kind,
        Some(person),
        Some(scope.user.id),
        via,
        reference,
        now,
    ))
}

/// Whether this reader may withdraw `record`: a guardian any guardian's consent, the child
/// their own agreement, staff and admins any (recording a paper withdrawal).
pub fn may_withdraw(scope: &FamilyScope, record: &ConsentRow) -> Result<Withdrawal, ApiError> {
    let (allowed, via) = match scope.role() {
        AccountRole::Parent | AccountRole::Caregiver => (
            record.kind != ConsentKind::ChildAgreesFeedbackCounts,
            ConsentVia::OwnAccount,
        ),
        AccountRole::Child => (
            record.kind == ConsentKind::ChildAgreesFeedbackCounts
                && record.person_id.is_some()
                && record.person_id == scope.person(),
            ConsentVia::OwnAccount,
        ),
        AccountRole::Staff | AccountRole::Admin => (true, ConsentVia::PaperForm),
    };
    if !allowed {
        return Err(ApiError::forbidden("withdraw this consent"));
    }
    Ok(Withdrawal {
        by: scope.user.id,
        via,
        reference: None,
        at: Utc::now(),
    })
}

/// `PATCH /families/{id}` with `consent`: each named `true` records the caller's consent,
/// each `false` withdraws every record of that kind in force. Answers what changed, for the
/// audit.
pub fn apply_update(
    conn: &mut DbConnection,
    scope: &FamilyScope,
    change: &ConsentUpdate,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ApiError> {
    let mut changed = Vec::new();
    for (kind, answer) in change.named() {
        if answer {
            let person = scope.person();
            if consent::is_in_force(conn, scope.family_id(), kind, person)? {
                continue;
            }
            let via = match scope.role() {
                AccountRole::Parent | AccountRole::Caregiver | AccountRole::Child => {
                    ConsentVia::OwnAccount
                }
                AccountRole::Staff | AccountRole::Admin => ConsentVia::PaperForm,
            };
            let row = ConsentRow::given(
                scope.family_id(),
                kind,
                person,
                Some(scope.user.id),
                via,
                None,
                now,
            );
            consent::insert(conn, &row)?;
            changed.push(format!("consent {kind} given ({})", row.id));
        } else {
            let how = Withdrawal {
                by: scope.user.id,
                via: match scope.role() {
                    AccountRole::Parent | AccountRole::Caregiver | AccountRole::Child => {
                        ConsentVia::OwnAccount
                    }
                    AccountRole::Staff | AccountRole::Admin => ConsentVia::PaperForm,
                },
                reference: None,
                at: now,
            };
            let count = consent::withdraw_kind(conn, scope.family_id(), kind, &how)?;
            if count > 0 {
                changed.push(format!("consent {kind} withdrawn ({count})"));
            }
        }
    }
    if !changed.is_empty() {
        crate::store::families::sync_consent_copy(conn, scope.family_id())?;
    }
    Ok(changed)
}
