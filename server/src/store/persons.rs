//! Persons of a family and their phone numbers.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use kinthread_shared::api::{NewPerson, Person};
use kinthread_shared::{FamilyId, FamilyRole, PersonId};

use super::{corrupt, from_millis, to_millis};
use crate::db::DbConnection;
use crate::schema::{person_phones, persons};

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
    pub created_at: i64,
}

impl PersonRow {
    /// The person as the API shows it, with their numbers in order.
    pub fn into_person(self, phones: Vec<String>) -> QueryResult<Person> {
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
            phone: phones.first().cloned(),
            phones,
            created_at: from_millis(self.created_at)?,
        })
    }
}

/// Stores a person; `phones` are the already normalised numbers and `birth_year` the one
/// in force (from `birth_date` where only that was given, see
/// [`kinthread_shared::validate::check_birth`]).
pub fn insert(
    conn: &mut DbConnection,
    family_id: FamilyId,
    new: &NewPerson,
    birth_year: Option<i32>,
    phones: &[String],
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
        created_at: to_millis(Utc::now()),
    };
    insert_row(conn, &row)?;
    set_phones(conn, family_id, row.id, phones)?;
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
    let Some(row) = persons::table
        .filter(persons::family_id.eq(family_id))
        .filter(persons::id.eq(id))
        .select(PersonRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let phones = phones_of(conn, family_id, id)?;
    row.into_person(phones).map(Some)
}

/// One person's numbers, in order.
pub fn phones_of(
    conn: &mut DbConnection,
    family_id: FamilyId,
    person_id: PersonId,
) -> QueryResult<Vec<String>> {
    person_phones::table
        .filter(person_phones::family_id.eq(family_id))
        .filter(person_phones::person_id.eq(person_id))
        .order(person_phones::position.asc())
        .select(person_phones::phone_e164)
        .load(conn)
}

/// Every number of a family, by person, each person's in order.
pub fn phones_of_family(
    conn: &mut DbConnection,
    family_id: FamilyId,
) -> QueryResult<HashMap<PersonId, Vec<String>>> {
    let rows: Vec<(PersonId, String)> = person_phones::table
        .filter(person_phones::family_id.eq(family_id))
        .order((
            person_phones::person_id.asc(),
            person_phones::position.asc(),
        ))
        .select((person_phones::person_id, person_phones::phone_e164))
        .load(conn)?;
    let mut phones: HashMap<PersonId, Vec<String>> = HashMap::new();
    for (person, number) in rows {
        phones.entry(person).or_default().push(number);
    }
    Ok(phones)
}

/// Replaces a person's numbers with `phones` (E.164, distinct), in that order.
pub fn set_phones(
    conn: &mut DbConnection,
    family_id: FamilyId,
    person_id: PersonId,
    phones: &[String],
) -> QueryResult<()> {
    diesel::delete(
        person_phones::table
            .filter(person_phones::family_id.eq(family_id))
            .filter(person_phones::person_id.eq(person_id)),
    )
    .execute(conn)?;
    let now = to_millis(Utc::now());
    for (position, number) in (0_i32..).zip(phones) {
        diesel::insert_into(person_phones::table)
            .values((
                person_phones::family_id.eq(family_id),
                person_phones::person_id.eq(person_id),
                person_phones::phone_e164.eq(number),
                person_phones::position.eq(position),
                person_phones::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A change to a person, checked already: `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PersonChange {
    pub display_name: Option<String>,
    pub role: Option<FamilyRole>,
    pub lives_away: Option<bool>,
    pub away_location: Option<Option<String>>,
    pub away_since: Option<Option<NaiveDate>>,
    pub birth_year: Option<Option<i32>>,
    pub birth_date: Option<Option<NaiveDate>>,
    /// Normalised and distinct.
    pub phones: Option<Vec<String>>,
}

/// Applies `change` to a person of `family_id`.
pub fn update(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: PersonId,
    change: &PersonChange,
) -> QueryResult<()> {
    let target = || {
        persons::table
            .filter(persons::family_id.eq(family_id))
            .filter(persons::id.eq(id))
    };
    if let Some(name) = &change.display_name {
        diesel::update(target())
            .set(persons::display_name.eq(name.trim()))
            .execute(conn)?;
    }
    if let Some(role) = change.role {
        diesel::update(target())
            .set(persons::role.eq(role))
            .execute(conn)?;
    }
    if let Some(away) = change.lives_away {
        diesel::update(target())
            .set(persons::lives_away.eq(away))
            .execute(conn)?;
    }
    if let Some(location) = &change.away_location {
        diesel::update(target())
            .set(persons::away_location.eq(location.as_deref()))
            .execute(conn)?;
    }
    if let Some(since) = change.away_since {
        diesel::update(target())
            .set(persons::away_since.eq(since.map(|d| d.to_string())))
            .execute(conn)?;
    }
    if let Some(year) = change.birth_year {
        diesel::update(target())
            .set(persons::birth_year.eq(year))
            .execute(conn)?;
    }
    if let Some(date) = change.birth_date {
        diesel::update(target())
            .set(persons::birth_date.eq(date.map(|d| d.to_string())))
            .execute(conn)?;
    }
    if let Some(phones) = &change.phones {
        set_phones(conn, family_id, id, phones)?;
    }
    Ok(())
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
    let mut phones = phones_of_family(conn, family_id)?;
    let mut people = persons::table
        .filter(persons::family_id.eq(family_id))
        .select(PersonRow::as_select())
        .order(persons::id.asc())
        .load(conn)?
        .into_iter()
        .map(|row| {
            let numbers = phones.remove(&row.id).unwrap_or_default();
            row.into_person(numbers)
        })
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
