//! Caregiver check-ins about a child. Idempotent on `(family_id, client_id)` like contacts.

use diesel::prelude::*;
use kinthread_shared::{CheckinId, FamilyId};

use super::parse_stored;
use crate::db::DbConnection;
use crate::schema::checkins;

#[derive(Clone, Debug, PartialEq, Queryable, Insertable)]
#[diesel(table_name = checkins)]
#[diesel(treat_none_as_default_value = false)]
pub struct CheckinRow {
    pub family_id: String,
    pub id: String,
    pub client_id: String,
    pub request_hash: String,
    pub child_id: String,
    pub observed_at: i64,
    pub utc_offset_seconds: i32,
    pub mood: i32,
    pub health: Option<String>,
    pub school: Option<String>,
    pub worries: Option<String>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CheckinOutcome {
    Created(CheckinId),
    Existing(CheckinId),
    Conflict,
}

pub fn insert_idempotent(conn: &mut DbConnection, row: CheckinRow) -> QueryResult<CheckinOutcome> {
    conn.transaction(|conn| {
        let existing = checkins::table
            .filter(checkins::family_id.eq(&row.family_id))
            .filter(checkins::client_id.eq(&row.client_id))
            .select((checkins::id, checkins::request_hash))
            .first::<(String, String)>(conn)
            .optional()?;
        if let Some((id, hash)) = existing {
            return Ok(if hash == row.request_hash {
                CheckinOutcome::Existing(parse_stored("check-in id", &id)?)
            } else {
                CheckinOutcome::Conflict
            });
        }
        diesel::insert_into(checkins::table)
            .values(&row)
            .execute(conn)?;
        Ok(CheckinOutcome::Created(parse_stored(
            "check-in id",
            &row.id,
        )?))
    })
}

pub fn get(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: CheckinId,
) -> QueryResult<Option<CheckinRow>> {
    checkins::table
        .filter(checkins::family_id.eq(family_id.to_string()))
        .filter(checkins::id.eq(id.to_string()))
        .first(conn)
        .optional()
}

/// Newest first, after the cursor `(observed_at, id)`.
pub fn list(
    conn: &mut DbConnection,
    family_id: FamilyId,
    after: Option<(i64, String)>,
    limit: i64,
) -> QueryResult<Vec<CheckinRow>> {
    let mut query = checkins::table
        .filter(checkins::family_id.eq(family_id.to_string()))
        .order((checkins::observed_at.desc(), checkins::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            checkins::observed_at
                .lt(at)
                .or(checkins::observed_at.eq(at).and(checkins::id.lt(id))),
        );
    }
    query.load(conn)
}
