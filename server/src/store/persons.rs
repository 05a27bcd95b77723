//! Persons of a family.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use kinthread_shared::api::{NewPerson, Person};
use kinthread_shared::{FamilyId, FamilyRole, PersonId};

use super::{corrupt, from_millis, to_millis};
use crate::db::DbConnection;
use crate::schema::persons;

/// A person row as stored.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = persons)]
#[diesel(treat_none_as_default_value = false)]
pub struct PersonRow {
    pub family_id: FamilyId,
    pub id: PersonId,
    pub display_name: String,
    pub role: FamilyRole,
    pub lives_away: bool,
    pub away_location: Option<String>,
    /// `YYYY-MM-DD`.
    pub away_since: Option<String>,
    pub birth_year: Option<i32>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub phone_e164: Option<String>,
    pub created_at: i64,
}

impl PersonRow {
    pub fn into_person(self) -> QueryResult<Person> {
        let away_since = self
            .away_since
            .map(|s| {
                s.parse::<NaiveDate>()
                    .map_err(|_| corrupt(format!("unreadable away_since `{s}`")))
            })
            .transpose()?;
        let birth_date = self
            .birth_date
            .map(|s| {
                s.parse::<NaiveDate>()
                    .map_err(|_| corrupt(format!("unreadable birth_date `{s}`")))
            })
            .transpose()?;
        Ok(Person {
            id: self.id,
            family_id: self.family_id,
            display_name: self.display_name,
            role: self.role,
            lives_away: self.lives_away,
            away_location: self.away_location,
            away_since,
            birth_year: self.birth_year,
            birth_date,
            phone: self.phone_e164,
            created_at: from_millis(self.created_at)?,
        })
    }
}

/// Stores a person; `phone_e164` is the already normalised number and `birth_year` the one
/// in force (from `birth_date` where only that was given, see
/// [`kinthread_shared::validate::check_birth`]).
pub fn insert(
    conn: &mut DbConnection,
    family_id: FamilyId,
    new: &NewPerson,
    birth_year: Option<i32>,
    phone_e164: Option<&str>,
) -> QueryResult<Person> {
    let row = PersonRow {
        family_id,
        id: PersonId::new(),
        display_name: new.display_name.trim().to_owned(),
        role: new.role,
        lives_away: new.lives_away,
        away_location: new.away_location.clone(),
        away_since: new.away_since.map(|d| d.to_string()),
        birth_year,
        birth_date: new.birth_date.map(|d| d.to_string()),
        phone_e164: phone_e164.map(str::to_owned),
        created_at: to_millis(Utc::now()),
    };
    insert_row(conn, &row)?;
    get(conn, family_id, row.id)?.ok_or(diesel::result::Error::NotFound)
}

/// Stores a row as given (bundle imports keep their ids and times).
pub fn insert_row(conn: &mut DbConnection, row: &PersonRow) -> QueryResult<()> {
    diesel::insert_into(persons::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn get(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: PersonId,
) -> QueryResult<Option<Person>> {
    persons::table
        .filter(persons::family_id.eq(family_id))
        .filter(persons::id.eq(id))
        .select(PersonRow::as_select())
        .first(conn)
        .optional()?
        .map(PersonRow::into_person)
        .transpose()
}

/// Persons with these ids, in whatever family they are.
pub fn rows_by_id(conn: &mut DbConnection, ids: &[PersonId]) -> QueryResult<Vec<PersonRow>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        found.extend(
            persons::table
                .filter(persons::id.eq_any(chunk))
                .select(PersonRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// Every person of a family (families are small), parents first.
pub fn of_family(conn: &mut DbConnection, family_id: FamilyId) -> QueryResult<Vec<Person>> {
    let mut people = persons::table
        .filter(persons::family_id.eq(family_id))
        .select(PersonRow::as_select())
        .order(persons::id.asc())
        .load(conn)?
        .into_iter()
        .map(PersonRow::into_person)
        .collect::<QueryResult<Vec<_>>>()?;
    people.sort_by_key(|p| (!p.role.is_parent(), !p.lives_away, p.id));
    Ok(people)
}

/// The ids and roles of a family's persons: what contact validation needs, cheaply.
pub fn roles_of_family(
    conn: &mut DbConnection,
    family_id: FamilyId,
) -> QueryResult<Vec<(PersonId, FamilyRole)>> {
    persons::table
        .filter(persons::family_id.eq(family_id))
        .select((persons::id, persons::role))
        .load(conn)
}
