//! Caregiver check-ins about a child. Idempotent on `(family_id, client_id)` like contacts,
//! and the database decides (`ON CONFLICT DO NOTHING`, then read back).

use diesel::prelude::*;
use kinthread_shared::{CheckinId, ClientId, FamilyId, PersonId, UserId};

use super::with_offset;
use crate::db::DbConnection;
use crate::schema::checkins;

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkins)]
#[diesel(treat_none_as_default_value = false)]
pub struct CheckinRow {
    pub family_id: FamilyId,
    pub id: CheckinId,
    pub client_id: ClientId,
    pub request_hash: String,
    pub child_id: PersonId,
    pub observed_at: i64,
    pub utc_offset_seconds: i32,
    pub mood: i32,
    pub health: Option<String>,
    pub school: Option<String>,
    pub worries: Option<String>,
    pub note: Option<String>,
    pub recorded_by: UserId,
    pub recorded_at: i64,
}

impl CheckinRow {
    pub fn observed(&self) -> QueryResult<chrono::DateTime<chrono::FixedOffset>> {
        with_offset(self.observed_at, self.utc_offset_seconds)
    }

    /// Whether any free text was written.
    pub fn has_text(&self) -> bool {
        [&self.health, &self.school, &self.worries, &self.note]
            .iter()
            .any(|text| text.is_some())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum CheckinOutcome {
    Created(CheckinId),
    Existing(CheckinId),
    Conflict,
}

pub fn insert_idempotent(conn: &mut DbConnection, row: CheckinRow) -> QueryResult<CheckinOutcome> {
    conn.transaction(|conn| {
        macro_rules! insert {
            ($conn:expr) => {
                diesel::insert_into(checkins::table)
                    .values(&row)
                    .on_conflict((checkins::family_id, checkins::client_id))
                    .do_nothing()
                    .execute($conn)
            };
        }
        match conn {
            DbConnection::Sqlite(conn) => insert!(conn),
            DbConnection::Postgres(conn) => insert!(conn),
        }?;
        let (id, hash) = checkins::table
            .filter(checkins::family_id.eq(row.family_id))
            .filter(checkins::client_id.eq(row.client_id))
            .select((checkins::id, checkins::request_hash))
            .first::<(CheckinId, String)>(conn)?;
        Ok(if id == row.id {
            CheckinOutcome::Created(id)
        } else if hash == row.request_hash {
            CheckinOutcome::Existing(id)
        } else {
            CheckinOutcome::Conflict
        })
    })
}

/// Stores a row as given (bundle imports keep their ids and times).
pub fn insert_row(conn: &mut DbConnection, row: &CheckinRow) -> QueryResult<()> {
    diesel::insert_into(checkins::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn get(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: CheckinId,
) -> QueryResult<Option<CheckinRow>> {
    checkins::table
        .filter(checkins::family_id.eq(family_id))
        .filter(checkins::id.eq(id))
        .select(CheckinRow::as_select())
        .first(conn)
        .optional()
}

/// Newest first, after the cursor `(observed_at, id)`.
pub fn list(
    conn: &mut DbConnection,
    family_id: FamilyId,
    after: Option<(i64, CheckinId)>,
    limit: i64,
) -> QueryResult<Vec<CheckinRow>> {
    let mut query = checkins::table
        .filter(checkins::family_id.eq(family_id))
        .order((checkins::observed_at.desc(), checkins::id.desc()))
        .limit(limit)
        .select(CheckinRow::as_select())
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

/// Every check-in row of a family, oldest first.
pub fn all_rows(conn: &mut DbConnection, family_id: FamilyId) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::family_id.eq(family_id))
        .order((checkins::observed_at.asc(), checkins::id.asc()))
        .select(CheckinRow::as_select())
        .load(conn)
}
