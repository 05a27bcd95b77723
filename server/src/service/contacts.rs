//! Contacts: from an upload to a stored row, and from a row to what a reader may see.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, Utc};
use kinthread_shared::api::{Contact, ContactDepth, NewContact};
use kinthread_shared::depth;
use kinthread_shared::validate::{check_new_contact, effective_status};
use kinthread_shared::{
    AccountRole, ChildFeedback, ContactId, ContactKind, ContactSource, ContactStatus, DepthLevel,
    PersonId, TalkedMost, UserId,
};

use super::request_hash;
use crate::access::FamilyScope;
use crate::error::ApiError;
use crate::store::contacts::{ContactRow, PreparedContact, StoredContact};
use crate::store::{from_millis, parse_stored, to_millis, with_offset};

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
    let hash = request_hash(&new);
    let depth = new
        .content
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(depth::score);
    let mut participants = new.participants.clone();
    participants.sort();
    let row = ContactRow {
        family_id: scope.family_id().to_string(),
        id: ContactId::new().to_string(),
        client_id: new.client_id.to_string(),
        request_hash: hash,
        kind: new.kind.as_str().to_owned(),
        status: effective_status(&new).as_str().to_owned(),
        initiator_id: new.initiator.to_string(),
        started_at: to_millis(new.started_at.with_timezone(&Utc)),
        utc_offset_seconds: new.started_at.offset().local_minus_utc(),
        duration_seconds: new.duration_seconds,
        ended_at: new.ended_at.map(|e| to_millis(e.with_timezone(&Utc))),
        ended_offset_seconds: new.ended_at.map(|e| e.offset().local_minus_utc()),
        content: new.content,
        talked_most: new.talked_most.map(|t| t.as_str().to_owned()),
        child_feedback: new.child_feedback.map(|f| f.as_str().to_owned()),
        depth_score: depth.as_ref().map(|d| d.score),
        depth_level: depth.as_ref().map(|d| d.level.as_str().to_owned()),
        depth_lexicon: depth.as_ref().map(|d| d.lexicon_version.clone()),
        source: new.source.unwrap_or(ContactSource::App).as_str().to_owned(),
        recorded_by: scope.user.id.to_string(),
        recorded_at: to_millis(now),
        supersedes: None,
        superseded_by: None,
        participant_ids: Some(participant_ids(&participants)),
    };
    Ok(PreparedContact { row, participants })
}

/// The comma-separated copy of a contact's participants that reports read (see
/// `store::reports`); `participants` is sorted.
pub fn participant_ids(participants: &[PersonId]) -> String {
    participants
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A stored row read back into domain values, before any reader's view is applied: what the
/// API's contacts and the bundle's contacts are both made from.
pub struct DecodedContact {
    pub id: ContactId,
    pub client_id: uuid::Uuid,
    pub kind: ContactKind,
    pub status: ContactStatus,
    pub initiator: PersonId,
    pub started_at: DateTime<FixedOffset>,
    pub ended_at: Option<DateTime<FixedOffset>>,
    pub talked_most: Option<TalkedMost>,
    pub child_feedback: Option<ChildFeedback>,
    /// Score, level and lexicon version.
    pub depth: Option<(f64, DepthLevel, String)>,
    pub source: ContactSource,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
    pub supersedes: Option<ContactId>,
    pub superseded_by: Option<ContactId>,
}

/// Parses a row's stored spellings and instants; a value that does not read back is an
/// internal error (see `store::corrupt`).
pub fn decode(row: &ContactRow) -> Result<DecodedContact, ApiError> {
    fn optional<T: std::str::FromStr>(
        column: &str,
        value: &Option<String>,
    ) -> Result<Option<T>, ApiError> {
        Ok(value
            .as_deref()
            .map(|v| parse_stored(column, v))
            .transpose()?)
    }
    Ok(DecodedContact {
        id: parse_stored("contact id", &row.id)?,
        client_id: parse_stored("client id", &row.client_id)?,
        kind: parse_stored("kind", &row.kind)?,
        status: parse_stored("status", &row.status)?,
        initiator: parse_stored("initiator", &row.initiator_id)?,
        started_at: with_offset(row.started_at, row.utc_offset_seconds)?,
        ended_at: match (row.ended_at, row.ended_offset_seconds) {
            (Some(at), Some(offset)) => Some(with_offset(at, offset)?),
            _ => None,
        },
        talked_most: optional("talked most", &row.talked_most)?,
        child_feedback: optional("child feedback", &row.child_feedback)?,
        depth: match (row.depth_score, &row.depth_level, &row.depth_lexicon) {
            (Some(score), Some(level), Some(lexicon)) => {
                Some((score, parse_stored("depth level", level)?, lexicon.clone()))
            }
            _ => None,
        },
        source: parse_stored("source", &row.source)?,
        recorded_by: parse_stored("recorded by", &row.recorded_by)?,
        recorded_at: from_millis(row.recorded_at)?,
        supersedes: optional("supersedes", &row.supersedes)?,
        superseded_by: optional("superseded by", &row.superseded_by)?,
    })
}

/// A stored contact as `scope`'s viewer may see it.
pub fn present(scope: &FamilyScope, stored: StoredContact) -> Result<Contact, ApiError> {
    let decoded = decode(&stored.row)?;
    let row = stored.row;
    let has_content = row.content.is_some();
    let content = if scope.sees_content() {
        row.content
    } else {
        None
    };
    let depth = decoded.depth.map(|(score, level, lexicon_version)| {
        // Evidence is recomputed, not stored: scoring is deterministic and takes
        // microseconds, and it only explains the stored score under the same lexicon.
        let evidence = match &content {
            Some(text) if lexicon_version == depth::LEXICON_VERSION => depth::score(text).evidence,
            _ => Vec::new(),
        };
        ContactDepth {
            score,
            level,
            lexicon_version,
            evidence,
        }
    });
    Ok(Contact {
        id: decoded.id,
        family_id: parse_stored("family id", &row.family_id)?,
        client_id: decoded.client_id,
        kind: decoded.kind,
        status: decoded.status,
        participants: stored.participants,
        initiator: decoded.initiator,
        started_at: decoded.started_at,
        duration_seconds: row.duration_seconds,
        ended_at: decoded.ended_at,
        content_withheld: has_content && content.is_none(),
        content,
        talked_most: decoded.talked_most,
        child_feedback: decoded
            .child_feedback
            .filter(|_| scope.sees_child_feedback()),
        depth,
        source: decoded.source,
        recorded_by: decoded.recorded_by,
        recorded_at: decoded.recorded_at,
        supersedes: decoded.supersedes,
        superseded_by: decoded.superseded_by,
    })
}
