//! Contacts: from an upload to a stored row, and from a row to what a reader may see.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use kinthread_shared::api::{Contact, ContactDepth, NewContact};
use kinthread_shared::depth;
use kinthread_shared::validate::{check_new_contact, effective_status};
use kinthread_shared::{
    AccountRole, ChildFeedback, ClientId, ContactId, ContactSource, FeedbackId, PersonId,
};

use super::fingerprint;
use crate::access::FamilyScope;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::store::contacts::{ContactRow, PreparedContact, StoredContact, participant_list};
use crate::store::voice::{self, FeedbackRow};
use crate::store::{from_millis, to_millis};

/// Validates an upload against the family and the uploader and turns it into a row.
pub fn prepare(
    scope: &FamilyScope,
    persons: &HashSet<PersonId>,
    new: NewContact,
    now: DateTime<Utc>,
) -> Result<PreparedContact, ApiError> {
    check_new_contact(&new, persons, now).map_err(ApiError::Validation)?;
    if new.child_feedback.is_some() && scope.role() != AccountRole::Child {
        return Err(ApiError::validation(
            "child_feedback",
            "only the child's own account may give feedback",
        ));
    }
    if scope.role() == AccountRole::Child
        && !scope
            .person()
            .is_some_and(|me| new.participants.contains(&me))
    {
        return Err(ApiError::forbidden(
            "log a contact you did not take part in",
        ));
    }
    let request_hash = fingerprint::contact(&new);
    let depth = new
        .content
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(depth::score);
    let mut participants = new.participants.clone();
    participants.sort();
    let id = ContactId::new();
    // A child who logs their own contact may say how it felt at once: that is the first
    // version of a feedback record of its own (dated at the contact), not a field of the
    // contact, so that a later correction of the contact keeps it.
    let feedback = match (new.child_feedback, scope.person()) {
        (Some(rating), Some(child)) => Some(FeedbackRow {
            family_id: scope.family_id(),
            id: FeedbackId::new(),
            client_id: ClientId(new.client_id),
            request_hash: request_hash.clone(),
            contact_id: id,
            child_id: child,
            rating,
            words: None,
            given_at: to_millis(new.started_at.to_utc()),
            utc_offset_seconds: new.started_at.offset().local_minus_utc(),
            recorded_by: scope.user.id,
            recorded_at: to_millis(now),
            replaced_by: None,
        }),
        _ => None,
    };
    let row = ContactRow {
        family_id: scope.family_id(),
        id,
        client_id: ClientId(new.client_id),
        request_hash,
        kind: new.kind,
        status: effective_status(&new),
        initiator_id: new.initiator,
        started_at: to_millis(new.started_at.to_utc()),
        utc_offset_seconds: new.started_at.offset().local_minus_utc(),
        duration_seconds: new.duration_seconds,
        ended_at: new.ended_at.map(|e| to_millis(e.to_utc())),
        ended_offset_seconds: new.ended_at.map(|e| e.offset().local_minus_utc()),
        content: new.content,
        talked_most: new.talked_most,
        // Written no more: the feedback is a record of its own (`store::voice`).
        child_feedback: None,
        depth_score: depth.as_ref().map(|d| d.score),
        depth_level: depth.as_ref().map(|d| d.level),
        depth_lexicon: depth.as_ref().map(|d| d.lexicon_version.clone()),
        source: new.source.unwrap_or(ContactSource::App),
        recorded_by: scope.user.id,
        recorded_at: to_millis(now),
        supersedes: None,
        superseded_by: None,
        participant_ids: Some(participant_list(&participants)),
    };
    Ok(PreparedContact {
        row,
        participants,
        feedback,
    })
}

/// A stored contact as `scope`'s viewer may see it. `child_feedback` is the rating in force
/// on it (see `store::voice::ratings_in_force`), shown where the reader may see ratings.
pub fn present(
    scope: &FamilyScope,
    stored: StoredContact,
    child_feedback: Option<ChildFeedback>,
) -> Result<Contact, ApiError> {
    let row = stored.row;
    let (started_at, ended_at, stored_depth) = (row.started()?, row.ended()?, row.depth());
    let has_content = row.content.is_some();
    let content = if scope.sees_content() {
        row.content
    } else {
        None
    };
    let depth = stored_depth.map(|stored| {
        // Evidence is recomputed, not stored: scoring is deterministic and takes
        // microseconds, and it only explains the stored score under the same lexicon.
        let evidence = match &content {
            Some(text) if stored.lexicon == depth::LEXICON_VERSION => depth::score(text).evidence,
            _ => Vec::new(),
        };
        ContactDepth {
            score: stored.score,
            level: stored.level,
            lexicon_version: stored.lexicon,
            evidence,
        }
    });
    Ok(Contact {
        id: row.id,
        family_id: row.family_id,
        client_id: row.client_id.as_uuid(),
        kind: row.kind,
        status: row.status,
        participants: stored.participants,
        initiator: row.initiator_id,
        started_at,
        duration_seconds: row.duration_seconds,
        ended_at,
        content_withheld: has_content && content.is_none(),
        content,
        talked_most: row.talked_most,
        child_feedback: child_feedback.filter(|_| scope.sees_child_feedback()),
        depth,
        source: row.source,
        recorded_by: row.recorded_by,
        recorded_at: from_millis(row.recorded_at)?,
        supersedes: row.supersedes,
        superseded_by: row.superseded_by,
    })
}

/// Stored contacts as `scope`'s reader may see them, with the child's rating in force on each
/// where the reader may see ratings (a child sees their own).
pub fn present_all(
    conn: &mut DbConnection,
    scope: &FamilyScope,
    stored: Vec<StoredContact>,
) -> Result<Vec<Contact>, ApiError> {
    let ratings = if scope.sees_child_feedback() && !stored.is_empty() {
        let ids: Vec<ContactId> = stored.iter().map(|s| s.row.id).collect();
        let only = scope.only_own_contacts();
        voice::ratings_in_force(conn, scope.family_id(), &ids, only)?
    } else {
        HashMap::new()
    };
    stored
        .into_iter()
        .map(|s| {
            let rating = ratings.get(&s.row.id).copied();
            present(scope, s, rating)
        })
        .collect()
}
