//! Staff follow-up outcomes on families. Append-only: a new outcome is a new row, and the
//! latest one is what the caseload shows.

use std::collections::HashMap;

use diesel::prelude::*;
use kinthread_shared::reports::FollowUp;
use kinthread_shared::{FamilyId, FollowUpId, UserId};

use super::reports::FamilyFilter;
use super::{from_millis, parse_stored, to_millis};
use crate::db::DbConnection;
use crate::schema::{families, follow_ups};

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    i64,
);

const COLUMNS: (
    follow_ups::family_id,
    follow_ups::id,
    follow_ups::staff_id,
    follow_ups::outcome,
    follow_ups::reason,
    follow_ups::recheck_at,
    follow_ups::created_at,
) = (
    follow_ups::family_id,
    follow_ups::id,
    follow_ups::staff_id,
    follow_ups::outcome,
    follow_ups::reason,
    follow_ups::recheck_at,
    follow_ups::created_at,
);

fn to_follow_up(row: Row) -> QueryResult<FollowUp> {
    let (family, id, staff, outcome, reason, recheck_at, created_at) = row;
    Ok(FollowUp {
        id: parse_stored("follow-up id", &id)?,
        family_id: parse_stored("family id", &family)?,
        staff_id: parse_stored::<UserId>("staff id", &staff)?,
        outcome: parse_stored("outcome", &outcome)?,
        reason,
        recheck_at: recheck_at.map(from_millis).transpose()?,
        created_at: from_millis(created_at)?,
    })
}

pub fn insert(conn: &mut DbConnection, follow_up: &FollowUp) -> QueryResult<()> {
    diesel::insert_into(follow_ups::table)
        .values((
            follow_ups::family_id.eq(follow_up.family_id.to_string()),
            follow_ups::id.eq(follow_up.id.to_string()),
            follow_ups::staff_id.eq(follow_up.staff_id.to_string()),
            follow_ups::outcome.eq(follow_up.outcome.as_str()),
            follow_ups::reason.eq(follow_up.reason.as_deref()),
            follow_ups::recheck_at.eq(follow_up.recheck_at.map(to_millis)),
            follow_ups::created_at.eq(to_millis(follow_up.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A family's follow-ups, newest first (ids are time-ordered), after the cursor id.
pub fn list(
    conn: &mut DbConnection,
    family_id: FamilyId,
    before: Option<FollowUpId>,
    limit: i64,
) -> QueryResult<Vec<FollowUp>> {
    let mut query = follow_ups::table
        .filter(follow_ups::family_id.eq(family_id.to_string()))
        .select(COLUMNS)
        .order(follow_ups::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(follow_ups::id.lt(before.to_string()));
    }
    query
        .load::<Row>(conn)?
        .into_iter()
        .map(to_follow_up)
        .collect()
}

/// The latest follow-up of one family recorded up to `as_of_ms`.
pub fn latest(
    conn: &mut DbConnection,
    family_id: FamilyId,
    as_of_ms: i64,
) -> QueryResult<Option<FollowUp>> {
    follow_ups::table
        .filter(follow_ups::family_id.eq(family_id.to_string()))
        .filter(follow_ups::created_at.le(as_of_ms))
        .select(COLUMNS)
        .order((follow_ups::created_at.desc(), follow_ups::id.desc()))
        .first::<Row>(conn)
        .optional()?
        .map(to_follow_up)
        .transpose()
}

/// The latest follow-up of every family in scope that has one, recorded up to `as_of_ms`.
pub fn latest_in(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
    as_of_ms: i64,
) -> QueryResult<HashMap<FamilyId, FollowUp>> {
    // Follow-ups are few next to contacts (a handful per family), so reading them all and
    // keeping the newest per family is simpler than a greatest-per-group query on two engines.
    let mut query = follow_ups::table
        .filter(follow_ups::created_at.le(as_of_ms))
        .select(COLUMNS)
        .into_boxed();
    if let FamilyFilter::Programs(programs) = filter {
        let programs: Vec<String> = programs.iter().map(|p| p.to_string()).collect();
        query = query.filter(
            follow_ups::family_id.eq_any(
                families::table
                    .filter(families::program_id.eq_any(programs))
                    .select(families::id),
            ),
        );
    }
    let mut latest: HashMap<FamilyId, FollowUp> = HashMap::new();
    for row in query.load::<Row>(conn)? {
        let follow_up = to_follow_up(row)?;
        let newer = latest
            .get(&follow_up.family_id)
            .is_none_or(|seen| (seen.created_at, seen.id) < (follow_up.created_at, follow_up.id));
        if newer {
            latest.insert(follow_up.family_id, follow_up);
        }
    }
    Ok(latest)
}
