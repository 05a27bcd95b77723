//! Raw reads and writes for family bundles: a family's rows exactly as stored (ids,
//! timestamps, amended versions), and inserts that keep the given ids. Deciding what a bundle
//! may hold and what counts as a conflict is `service::bundles`' job.

use std::collections::HashMap;

use diesel::prelude::*;
use kinthread_shared::api::Person;
use kinthread_shared::{FamilyId, PersonId, ProgramId, UserId};

use super::checkins::CheckinRow;
use super::contacts::ContactRow;
use super::parse_stored;
use crate::db::DbConnection;
use crate::schema::{checkins, contact_participants, contacts, families, persons, programs, users};

/// A family row as stored: the family's own target (not the one in force) and `updated_at`.
#[derive(Clone, Debug, PartialEq, Queryable, Insertable)]
#[diesel(table_name = families)]
#[diesel(treat_none_as_default_value = false)]
pub struct FamilyRow {
    pub id: String,
    pub display_name: String,
    pub program_id: Option<String>,
    pub time_zone: String,
    pub target_cadence_days: Option<i32>,
    pub guardian_consent: bool,
    pub share_notes_with_staff: bool,
    pub child_feedback_visible_to_parents: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A person row as stored.
#[derive(Clone, Debug, PartialEq, Queryable, Insertable)]
#[diesel(table_name = persons)]
#[diesel(treat_none_as_default_value = false)]
pub struct PersonRow {
    pub family_id: String,
    pub id: String,
    pub display_name: String,
    pub role: String,
    pub lives_away: bool,
    pub away_location: Option<String>,
    pub away_since: Option<String>,
    pub birth_year: Option<i32>,
    pub phone_e164: Option<String>,
    pub created_at: i64,
}

impl PersonRow {
    pub fn from_person(person: &Person) -> Self {
        Self {
            family_id: person.family_id.to_string(),
            id: person.id.to_string(),
            display_name: person.display_name.clone(),
            role: person.role.as_str().to_owned(),
            lives_away: person.lives_away,
            away_location: person.away_location.clone(),
            away_since: person.away_since.map(|d| d.to_string()),
            birth_year: person.birth_year,
            phone_e164: person.phone.clone(),
            created_at: person.created_at.timestamp_millis(),
        }
    }
}

pub fn family(conn: &mut DbConnection, id: FamilyId) -> QueryResult<Option<FamilyRow>> {
    families::table
        .filter(families::id.eq(id.to_string()))
        .first::<FamilyRow>(conn)
        .optional()
}

pub fn insert_family(conn: &mut DbConnection, row: &FamilyRow) -> QueryResult<()> {
    diesel::insert_into(families::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_program(
    conn: &mut DbConnection,
    id: ProgramId,
    name: &str,
    target_cadence_days: i32,
    created_at: i64,
) -> QueryResult<()> {
    diesel::insert_into(programs::table)
        .values((
            programs::id.eq(id.to_string()),
            programs::name.eq(name),
            programs::target_cadence_days.eq(target_cadence_days),
            programs::created_at.eq(created_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Persons with these ids, in whatever family they are.
pub fn persons_by_id(
    conn: &mut DbConnection,
    ids: &[PersonId],
) -> QueryResult<HashMap<String, PersonRow>> {
    let wanted: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut found = HashMap::new();
    for chunk in wanted.chunks(500) {
        for row in persons::table
            .filter(persons::id.eq_any(chunk))
            .load::<PersonRow>(conn)?
        {
            found.insert(row.id.clone(), row);
        }
    }
    Ok(found)
}

pub fn insert_person(conn: &mut DbConnection, row: &PersonRow) -> QueryResult<()> {
    diesel::insert_into(persons::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Every contact row of a family, amended versions included, oldest first.
pub fn contact_rows(conn: &mut DbConnection, family: FamilyId) -> QueryResult<Vec<ContactRow>> {
    contacts::table
        .filter(contacts::family_id.eq(family.to_string()))
        .order((contacts::started_at.asc(), contacts::id.asc()))
        .load::<ContactRow>(conn)
}

/// Every participant of every contact of a family, sorted per contact.
pub fn participants(
    conn: &mut DbConnection,
    family: FamilyId,
) -> QueryResult<HashMap<String, Vec<PersonId>>> {
    let rows: Vec<(String, String)> = contact_participants::table
        .filter(contact_participants::family_id.eq(family.to_string()))
        .select((
            contact_participants::contact_id,
            contact_participants::person_id,
        ))
        .load(conn)?;
    let mut by_contact: HashMap<String, Vec<PersonId>> = HashMap::new();
    for (contact, person) in rows {
        by_contact
            .entry(contact)
            .or_default()
            .push(parse_stored("person id", &person)?);
    }
    for list in by_contact.values_mut() {
        list.sort();
    }
    Ok(by_contact)
}

/// Links an older version to the amendment that supersedes it.
pub fn set_superseded_by(
    conn: &mut DbConnection,
    family: FamilyId,
    id: &str,
    superseded_by: &str,
) -> QueryResult<()> {
    diesel::update(
        contacts::table
            .filter(contacts::family_id.eq(family.to_string()))
            .filter(contacts::id.eq(id)),
    )
    .set(contacts::superseded_by.eq(Some(superseded_by)))
    .execute(conn)
    .map(drop)
}

/// Every check-in row of a family, oldest first.
pub fn checkin_rows(conn: &mut DbConnection, family: FamilyId) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::family_id.eq(family.to_string()))
        .order((checkins::observed_at.asc(), checkins::id.asc()))
        .load::<CheckinRow>(conn)
}

pub fn insert_checkin(conn: &mut DbConnection, row: &CheckinRow) -> QueryResult<()> {
    diesel::insert_into(checkins::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Which of these user ids have an account here.
pub fn existing_users(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<String>> {
    let wanted: Vec<String> = ids.iter().map(ToString::to_string).collect();
    users::table
        .filter(users::id.eq_any(wanted))
        .select(users::id)
        .load(conn)
}

/// A disabled staff account that only keeps an imported follow-up's author: it cannot sign
/// in (disabled, and no password hash verifies against `!`).
pub fn insert_placeholder_staff(conn: &mut DbConnection, id: UserId, now: i64) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id.to_string()),
            users::username.eq(format!("imported-staff-{}", id.as_uuid().simple())),
            users::password_hash.eq("!"),
            users::role.eq("staff"),
            users::display_name.eq(Some("imported staff account")),
            users::family_id.eq(None::<String>),
            users::person_id.eq(None::<String>),
            users::disabled.eq(true),
            users::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
