//! Staff follow-up outcomes on families. Append-only: a new outcome is a new row, and the
//! latest one is what the caseload shows.

use std::collections::HashMap;

use diesel::prelude::*;
use kinthread_shared::reports::FollowUp;
use kinthread_shared::{FamilyId, FollowUpId, FollowUpOutcome, UserId};

use super::reports::FamilyFilter;
use super::{from_millis, to_millis};
use crate::db::DbConnection;
use crate::schema::{families, follow_ups};

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = follow_ups)]
#[diesel(treat_none_as_default_value = false)]
pub struct FollowUpRow {
    pub family_id: FamilyId,
    pub id: FollowUpId,
    pub staff_id: UserId,
    pub outcome: FollowUpOutcome,
    pub reason: Option<String>,
    pub recheck_at: Option<i64>,
    pub created_at: i64,
}

impl FollowUpRow {
    fn from_follow_up(follow_up: &FollowUp) -> Self {
        Self {
            family_id: follow_up.family_id,
            id: follow_up.id,
            staff_id: follow_up.staff_id,
            outcome: follow_up.outcome,
            reason: follow_up.reason.clone(),
            recheck_at: follow_up.recheck_at.map(to_millis),
            created_at: to_millis(follow_up.created_at),
        }
    }

    fn into_follow_up(self) -> QueryResult<FollowUp> {
        Ok(FollowUp {
            id: self.id,
            family_id: self.family_id,
            staff_id: self.staff_id,
            outcome: self.outcome,
            reason: self.reason,
            recheck_at: self.recheck_at.map(from_millis).transpose()?,
            created_at: from_millis(self.created_at)?,
        })
    }
}

pub fn insert(conn: &mut DbConnection, follow_up: &FollowUp) -> QueryResult<()> {
    diesel::insert_into(follow_ups::table)
        .values(FollowUpRow::from_follow_up(follow_up))
        .execute(conn)
        .map(drop)
}

/// A family's follow-ups, newest first (ids are time-ordered), after the cursor id.
pub fn list(
    conn: &mut DbConnection,
    family_id: FamilyId,
    before: Option<FollowUpId>,
    limit: i64,
) -> QueryResult<Vec<FollowUp>> {
    let mut query = follow_ups::table
        .filter(follow_ups::family_id.eq(family_id))
        .select(FollowUpRow::as_select())
        .order(follow_ups::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(follow_ups::id.lt(before));
    }
    query
        .load(conn)?
        .into_iter()
        .map(FollowUpRow::into_follow_up)
        .collect()
}

/// The latest follow-up of one family recorded up to `as_of_ms`.
pub fn latest(
    conn: &mut DbConnection,
    family_id: FamilyId,
    as_of_ms: i64,
) -> QueryResult<Option<FollowUp>> {
    follow_ups::table
        .filter(follow_ups::family_id.eq(family_id))
        .filter(follow_ups::created_at.le(as_of_ms))
        .select(FollowUpRow::as_select())
        .order((follow_ups::created_at.desc(), follow_ups::id.desc()))
        .first(conn)
        .optional()?
        .map(FollowUpRow::into_follow_up)
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
        .select(FollowUpRow::as_select())
        .into_boxed();
    match filter {
        FamilyFilter::All => {}
        FamilyFilter::Programs(programs) => {
            query = query.filter(
                follow_ups::family_id.eq_any(
                    families::table
                        .filter(families::program_id.eq_any(programs.clone()))
                        .select(families::id),
                ),
            );
        }
        FamilyFilter::Families(ids) => {
            query = query.filter(follow_ups::family_id.eq_any(ids.clone()));
        }
    }
    let mut latest: HashMap<FamilyId, FollowUp> = HashMap::new();
    for row in query.load(conn)? {
        let follow_up = FollowUpRow::into_follow_up(row)?;
        let newer = latest
            .get(&follow_up.family_id)
            .is_none_or(|seen| (seen.created_at, seen.id) < (follow_up.created_at, follow_up.id));
        if newer {
            latest.insert(follow_up.family_id, follow_up);
        }
    }
    Ok(latest)
}
