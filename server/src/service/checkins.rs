//! Check-ins: from an upload to a stored row, and from a row to what a reader may see.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use kinthread_shared::api::{Checkin, NewCheckin};
use kinthread_shared::validate::check_new_checkin;
use kinthread_shared::{CheckinId, ClientId, PersonId};

use super::fingerprint;
use crate::access::FamilyScope;
use crate::error::ApiError;
use crate::store::checkins::CheckinRow;
use crate::store::{from_millis, to_millis};

/// Validates a check-in against the family's children and turns it into a row.
pub fn prepare(
    scope: &FamilyScope,
    children: &HashSet<PersonId>,
    new: NewCheckin,
    now: DateTime<Utc>,
) -> Result<CheckinRow, ApiError> {
    check_new_checkin(&new, children, now).map_err(ApiError::Validation)?;
    Ok(CheckinRow {
        family_id: scope.family_id(),
        id: CheckinId::new(),
        client_id: ClientId(new.client_id),
        request_hash: fingerprint::checkin(&new),
        child_id: new.child_id,
        observed_at: to_millis(new.observed_at.to_utc()),
        utc_offset_seconds: new.observed_at.offset().local_minus_utc(),
        mood: new.mood,
        health: new.health,
        school: new.school,
        worries: new.worries,
        note: new.note,
        recorded_by: scope.user.id,
        recorded_at: to_millis(now),
    })
}

/// A stored check-in as `scope`'s reader may see it: its text only with the right to notes.
pub fn present(scope: &FamilyScope, row: CheckinRow) -> Result<Checkin, ApiError> {
    let show = scope.sees_content();
    let has_text = row.has_text();
    let keep = |v: Option<String>| if show { v } else { None };
    Ok(Checkin {
        observed_at: row.observed()?,
        recorded_at: from_millis(row.recorded_at)?,
        id: row.id,
        family_id: row.family_id,
        client_id: row.client_id.as_uuid(),
        child_id: row.child_id,
        mood: row.mood,
        health: keep(row.health),
        school: keep(row.school),
        worries: keep(row.worries),
        note: keep(row.note),
        content_withheld: has_text && !show,
        recorded_by: row.recorded_by,
    })
}
