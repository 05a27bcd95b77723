//! Persons of a family.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use kinthread_shared::api::{NewPerson, Person};
use kinthread_shared::{FamilyId, FamilyRole, PersonId};

use super::{from_millis, parse_stored, to_millis};
use crate::db::DbConnection;
use crate::schema::persons;

type Row = (
    String,
    String,
    String,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<String>,
    i64,
);

const COLUMNS: (
    persons::family_id,
    persons::id,
    persons::display_name,
    persons::role,
    persons::lives_away,
    persons::away_location,
    persons::away_since,
    persons::birth_year,
    persons::phone_e164,
    persons::created_at,
) = (
    persons::family_id,
    persons::id,
    persons::display_name,
    persons::role,
    persons::lives_away,
    persons::away_location,
    persons::away_since,
    persons::birth_year,
    persons::phone_e164,
    persons::created_at,
);

fn to_person(row: Row) -> QueryResult<Person> {
    let (family, id, name, role, away, location, since, birth_year, phone, created) = row;
    Ok(Person {
        id: parse_stored("person id", &id)?,
        family_id: parse_stored("family id", &family)?,
        display_name: name,
        role: parse_stored("role", &role)?,
        lives_away: away,
        away_location: location,
        away_since: since
            .map(|s| parse_stored::<NaiveDate>("away since", &s))
            .transpose()?,
        birth_year,
        phone,
        created_at: from_millis(created)?,
    })
}

/// Stores a person; `phone_e164` is the already normalised number.
pub fn insert(
    conn: &mut DbConnection,
    family_id: FamilyId,
    new: &NewPerson,
    phone_e164: Option<&str>,
) -> QueryResult<Person> {
    let id = PersonId::new();
    diesel::insert_into(persons::table)
        .values((
            persons::family_id.eq(family_id.to_string()),
            persons::id.eq(id.to_string()),
            persons::display_name.eq(new.display_name.trim()),
            persons::role.eq(new.role.as_str()),
            persons::lives_away.eq(new.lives_away),
            persons::away_location.eq(new.away_location.as_deref()),
            persons::away_since.eq(new.away_since.map(|d| d.to_string())),
            persons::birth_year.eq(new.birth_year),
            persons::phone_e164.eq(phone_e164),
            persons::created_at.eq(to_millis(Utc::now())),
        ))
        .execute(conn)?;
    get(conn, family_id, id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn get(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: PersonId,
) -> QueryResult<Option<Person>> {
    persons::table
        .filter(persons::family_id.eq(family_id.to_string()))
        .filter(persons::id.eq(id.to_string()))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(to_person)
        .transpose()
}

/// Every person of a family (families are small), parents first.
pub fn of_family(conn: &mut DbConnection, family_id: FamilyId) -> QueryResult<Vec<Person>> {
    let mut people = persons::table
        .filter(persons::family_id.eq(family_id.to_string()))
        .select(COLUMNS)
        .order(persons::id.asc())
        .load::<Row>(conn)?
        .into_iter()
        .map(to_person)
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
        .filter(persons::family_id.eq(family_id.to_string()))
        .select((persons::id, persons::role))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(id, role)| {
            Ok((
                parse_stored("person id", &id)?,
                parse_stored("role", &role)?,
            ))
        })
        .collect()
}
