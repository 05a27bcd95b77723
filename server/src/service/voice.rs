//! The child's own voice: from a child's upload to a stored row, and from a row to what a
//! reader may see (the words only where the permission table and the consent in force allow).

use chrono::{DateTime, Utc};
use kinthread_shared::api::{ChildCheckin, Feedback, NewChildCheckin, NewFeedback};
use kinthread_shared::validate::{check_new_child_checkin, check_new_feedback};
use kinthread_shared::{ChildCheckinId, ClientId, ContactId, FeedbackId, PersonId};

use super::fingerprint;
use crate::access::{FamilyScope, Visible};
use crate::error::ApiError;
use crate::store::voice::{ChildCheckinRow, FeedbackRow};
use crate::store::{from_millis, to_millis};

/// Optional words as stored: trimmed, and blank words are no words (their length was checked
/// with the upload).
fn words(words: Option<String>) -> Option<String> {
    words.map(|w| w.trim().to_owned()).filter(|w| !w.is_empty())
}

/// Validates a child's feedback on `contact` (started at `contact_started`) and turns it into
/// a row; `child` is the person the child's account speaks for.
pub fn prepare_feedback(
    scope: &FamilyScope,
    child: PersonId,
    contact: ContactId,
    contact_started: DateTime<Utc>,
    new: NewFeedback,
    now: DateTime<Utc>,
) -> Result<FeedbackRow, ApiError> {
    check_new_feedback(&new, contact_started, now).map_err(ApiError::Validation)?;
    let request_hash = fingerprint::feedback(contact, &new);
    let given_at = new.given_at.unwrap_or_else(|| now.fixed_offset());
    Ok(FeedbackRow {
        family_id: scope.family_id(),
        id: FeedbackId::new(),
        client_id: ClientId(new.client_id),
        request_hash,
        contact_id: contact,
        child_id: child,
        rating: new.rating,
        words: words(new.words),
        given_at: to_millis(given_at.to_utc()),
        utc_offset_seconds: given_at.offset().local_minus_utc(),
        recorded_by: scope.user.id,
        recorded_at: to_millis(now),
        replaced_by: None,
    })
}

/// The child's words as `scope`'s reader may see them, and whether they were withheld.
fn shown_words(scope: &FamilyScope, words: Option<String>) -> (Option<String>, bool) {
    match words {
        Some(words) if scope.sees(Visible::ChildWords) => (Some(words), false),
        Some(_) => (None, true),
        None => (None, false),
    }
}

/// A stored feedback as `scope`'s reader may see it.
pub fn present_feedback(scope: &FamilyScope, row: FeedbackRow) -> Result<Feedback, ApiError> {
    let given_at = row.given()?;
    let (words, words_withheld) = shown_words(scope, row.words);
    Ok(Feedback {
        given_at,
        recorded_at: from_millis(row.recorded_at)?,
        id: row.id,
        family_id: row.family_id,
        client_id: row.client_id.as_uuid(),
        contact_id: row.contact_id,
        child_id: row.child_id,
        rating: row.rating,
        words,
        words_withheld,
        replaced_by: row.replaced_by,
    })
}

/// Validates a child's own check-in and turns it into a row.
pub fn prepare_checkin(
    scope: &FamilyScope,
    child: PersonId,
    new: NewChildCheckin,
    now: DateTime<Utc>,
) -> Result<ChildCheckinRow, ApiError> {
    check_new_child_checkin(&new, now).map_err(ApiError::Validation)?;
    Ok(ChildCheckinRow {
        family_id: scope.family_id(),
        id: ChildCheckinId::new(),
        client_id: ClientId(new.client_id),
        request_hash: fingerprint::child_checkin(&new),
        child_id: child,
        observed_at: to_millis(new.observed_at.to_utc()),
        utc_offset_seconds: new.observed_at.offset().local_minus_utc(),
        mood: new.mood,
        words: words(new.words),
        recorded_by: scope.user.id,
        recorded_at: to_millis(now),
    })
}

/// A stored child check-in as `scope`'s reader may see it.
pub fn present_checkin(
    scope: &FamilyScope,
    row: ChildCheckinRow,
) -> Result<ChildCheckin, ApiError> {
    let observed_at = row.observed()?;
    let (words, words_withheld) = shown_words(scope, row.words);
    Ok(ChildCheckin {
        observed_at,
        recorded_at: from_millis(row.recorded_at)?,
        id: row.id,
        family_id: row.family_id,
        client_id: row.client_id.as_uuid(),
        child_id: row.child_id,
        mood: row.mood,
        words,
        words_withheld,
    })
}
