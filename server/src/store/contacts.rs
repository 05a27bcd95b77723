//! Contacts and their participants. Contacts are append-only: an amendment is a new row that
//! supersedes the earlier one, which keeps its content and only gains a `superseded_by` link.
//!
//! Uploads are idempotent on `(family_id, client_id)`: the same client id with the same
//! request returns the first record; with a different request it is a conflict.

use std::collections::HashMap;

use diesel::prelude::*;
use kinthread_shared::{ContactId, ContactKind, FamilyId, PersonId};

use super::{corrupt, parse_stored};
use crate::db::DbConnection;
use crate::schema::{contact_participants, contacts};

/// One stored contact row.
#[derive(Clone, Debug, PartialEq, Queryable, Insertable)]
#[diesel(table_name = contacts)]
#[diesel(treat_none_as_default_value = false)]
pub struct ContactRow {
    pub family_id: String,
    pub id: String,
    pub client_id: String,
    pub request_hash: String,
    pub kind: String,
    pub status: String,
    pub initiator_id: String,
    pub started_at: i64,
    pub utc_offset_seconds: i32,
    pub duration_seconds: Option<i64>,
    pub ended_at: Option<i64>,
    pub ended_offset_seconds: Option<i32>,
    pub content: Option<String>,
    pub talked_most: Option<String>,
    pub child_feedback: Option<String>,
    pub depth_score: Option<f64>,
    pub depth_level: Option<String>,
    pub depth_lexicon: Option<String>,
    pub source: String,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    /// The participants' ids, comma-separated: a copy of the contact's
    /// `contact_participants` rows that reports read without a join.
    pub participant_ids: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Insertable)]
#[diesel(table_name = contact_participants)]
pub struct ParticipantRow {
    pub family_id: String,
    pub contact_id: String,
    pub person_id: String,
}

/// A row with its participants, in the order they were given.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredContact {
    pub row: ContactRow,
    pub participants: Vec<PersonId>,
}

/// A contact ready to store: row and participants.
#[derive(Clone, Debug)]
pub struct PreparedContact {
    pub row: ContactRow,
    pub participants: Vec<PersonId>,
}

/// What happened to one upload.
#[derive(Clone, Debug, PartialEq)]
pub enum InsertOutcome {
    Created(ContactId),
    /// Sent before with the same content; the first record's id.
    Existing(ContactId),
    /// The client id was used before for a different contact.
    Conflict,
}

/// Stores contacts of one family in one transaction, skipping the ones sent before.
pub fn insert_idempotent(
    conn: &mut DbConnection,
    family_id: FamilyId,
    prepared: Vec<PreparedContact>,
) -> QueryResult<Vec<InsertOutcome>> {
    conn.transaction(|conn| {
        let family = family_id.to_string();
        let client_ids: Vec<&str> = prepared.iter().map(|p| p.row.client_id.as_str()).collect();
        let mut known: HashMap<String, (String, String)> = HashMap::new();
        // Look the ids up in slices: some engines cap the number of bound parameters.
        for chunk in client_ids.chunks(500) {
            let query = contacts::table
                .filter(contacts::family_id.eq(&family))
                .select((contacts::client_id, contacts::id, contacts::request_hash));
            // A single upload, the common case, uses `=`: a statement of fixed shape is
            // prepared once per connection, an `IN` list of varying length every time.
            let found = match chunk {
                [one] => query
                    .filter(contacts::client_id.eq(*one))
                    .load::<(String, String, String)>(conn)?,
                many => query
                    .filter(contacts::client_id.eq_any(many))
                    .load::<(String, String, String)>(conn)?,
            };
            for (client_id, id, hash) in found {
                known.insert(client_id, (id, hash));
            }
        }

        let mut outcomes = Vec::with_capacity(prepared.len());
        let mut new_rows = Vec::new();
        let mut new_participants = Vec::new();
        for item in prepared {
            if let Some((id, hash)) = known.get(&item.row.client_id) {
                outcomes.push(if *hash == item.row.request_hash {
                    InsertOutcome::Existing(parse_stored("contact id", id)?)
                } else {
                    InsertOutcome::Conflict
                });
                continue;
            }
            known.insert(
                item.row.client_id.clone(),
                (item.row.id.clone(), item.row.request_hash.clone()),
            );
            outcomes.push(InsertOutcome::Created(parse_stored(
                "contact id",
                &item.row.id,
            )?));
            for person in &item.participants {
                new_participants.push(ParticipantRow {
                    family_id: family.clone(),
                    contact_id: item.row.id.clone(),
                    person_id: person.to_string(),
                });
            }
            new_rows.push(item.row);
        }
        insert_rows(conn, &new_rows, &new_participants)?;
        Ok(outcomes)
    })
}

/// Inserts contact rows and their participants as given (uploads, amendments, bundle imports).
/// diesel's multi-engine connection has no multi-row insert, so each engine gets the same
/// statement through its own type.
pub fn insert_rows(
    conn: &mut DbConnection,
    rows: &[ContactRow],
    participants: &[ParticipantRow],
) -> QueryResult<()> {
    // 24 columns a row: 40 rows stay under SQLite's 999-parameter floor of old builds.
    macro_rules! insert_all {
        ($conn:expr) => {{
            // Single rows go one by one: their statements are prepared once per connection,
            // while a multi-row statement is prepared anew for each size.
            if let [row] = rows {
                diesel::insert_into(contacts::table)
                    .values(row)
                    .execute($conn)?;
            } else {
                for chunk in rows.chunks(40) {
                    diesel::insert_into(contacts::table)
                        .values(chunk)
                        .execute($conn)?;
                }
            }
            if participants.len() <= 4 {
                for participant in participants {
                    diesel::insert_into(contact_participants::table)
                        .values(participant)
                        .execute($conn)?;
                }
            } else {
                for chunk in participants.chunks(300) {
                    diesel::insert_into(contact_participants::table)
                        .values(chunk)
                        .execute($conn)?;
                }
            }
        }};
    }
    match conn {
        DbConnection::Sqlite(conn) => insert_all!(conn),
        DbConnection::Postgres(conn) => insert_all!(conn),
    }
    Ok(())
}

/// What an amendment came to.
#[derive(Clone, Debug, PartialEq)]
pub enum AmendOutcome {
    Created(ContactId),
    Existing(ContactId),
    Conflict,
    /// The contact to amend does not exist in this family.
    NotFound,
    /// It was amended already; amend the newest version.
    AlreadySuperseded(ContactId),
}

/// Stores `amendment` as the new version of `original`.
pub fn amend(
    conn: &mut DbConnection,
    family_id: FamilyId,
    original: ContactId,
    mut amendment: PreparedContact,
) -> QueryResult<AmendOutcome> {
    conn.transaction(|conn| {
        let family = family_id.to_string();
        let existing = contacts::table
            .filter(contacts::family_id.eq(&family))
            .filter(contacts::client_id.eq(&amendment.row.client_id))
            .select((contacts::id, contacts::request_hash))
            .first::<(String, String)>(conn)
            .optional()?;
        if let Some((id, hash)) = existing {
            return Ok(if hash == amendment.row.request_hash {
                AmendOutcome::Existing(parse_stored("contact id", &id)?)
            } else {
                AmendOutcome::Conflict
            });
        }
        let superseded_by = contacts::table
            .filter(contacts::family_id.eq(&family))
            .filter(contacts::id.eq(original.to_string()))
            .select(contacts::superseded_by)
            .first::<Option<String>>(conn)
            .optional()?;
        match superseded_by {
            None => return Ok(AmendOutcome::NotFound),
            Some(Some(newer)) => {
                return Ok(AmendOutcome::AlreadySuperseded(parse_stored(
                    "contact id",
                    &newer,
                )?));
            }
            Some(None) => {}
        }
        amendment.row.supersedes = Some(original.to_string());
        let new_id = amendment.row.id.clone();
        let participants: Vec<ParticipantRow> = amendment
            .participants
            .iter()
            .map(|p| ParticipantRow {
                family_id: family.clone(),
                contact_id: new_id.clone(),
                person_id: p.to_string(),
            })
            .collect();
        insert_rows(conn, std::slice::from_ref(&amendment.row), &participants)?;
        diesel::update(
            contacts::table
                .filter(contacts::family_id.eq(&family))
                .filter(contacts::id.eq(original.to_string())),
        )
        .set(contacts::superseded_by.eq(Some(&new_id)))
        .execute(conn)?;
        Ok(AmendOutcome::Created(parse_stored("contact id", &new_id)?))
    })
}

/// Loads contacts by id, with participants, in the order of `ids`.
pub fn get_many(
    conn: &mut DbConnection,
    family_id: FamilyId,
    ids: &[ContactId],
) -> QueryResult<Vec<StoredContact>> {
    let family = family_id.to_string();
    let wanted: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let mut rows: HashMap<String, ContactRow> = HashMap::new();
    for chunk in wanted.chunks(500) {
        for row in contacts::table
            .filter(contacts::family_id.eq(&family))
            .filter(contacts::id.eq_any(chunk))
            .load::<ContactRow>(conn)?
        {
            rows.insert(row.id.clone(), row);
        }
    }
    let ordered: Vec<ContactRow> = wanted.iter().filter_map(|id| rows.remove(id)).collect();
    with_participants(conn, &family, ordered)
}

pub fn get(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: ContactId,
) -> QueryResult<Option<StoredContact>> {
    Ok(get_many(conn, family_id, &[id])?.into_iter().next())
}

fn with_participants(
    conn: &mut DbConnection,
    family: &str,
    rows: Vec<ContactRow>,
) -> QueryResult<Vec<StoredContact>> {
    let mut by_contact: HashMap<String, Vec<PersonId>> = HashMap::new();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    for chunk in ids.chunks(500) {
        let found = contact_participants::table
            .filter(contact_participants::family_id.eq(family))
            .filter(contact_participants::contact_id.eq_any(chunk))
            .select((
                contact_participants::contact_id,
                contact_participants::person_id,
            ))
            .load::<(String, String)>(conn)?;
        for (contact, person) in found {
            by_contact
                .entry(contact)
                .or_default()
                .push(parse_stored("person id", &person)?);
        }
    }
    rows.into_iter()
        .map(|row| {
            let mut participants = by_contact
                .remove(&row.id)
                .ok_or_else(|| corrupt(format!("contact {} has no participants", row.id)))?;
            participants.sort();
            Ok(StoredContact { row, participants })
        })
        .collect()
}

/// Filters for a family's contact list.
#[derive(Clone, Debug, Default)]
pub struct ContactFilter {
    pub person: Option<PersonId>,
    pub kind: Option<ContactKind>,
    /// Epoch ms, inclusive.
    pub from: Option<i64>,
    /// Epoch ms, exclusive.
    pub to: Option<i64>,
    /// Include versions that were amended later.
    pub include_superseded: bool,
    /// Only contacts this person took part in (a child's own view).
    pub visible_to_participant: Option<PersonId>,
}

/// The position after the last item of a page: newest first, by start then id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactCursor {
    pub started_at: i64,
    pub id: String,
}

/// One page of a family's contacts, newest first.
pub fn list(
    conn: &mut DbConnection,
    family_id: FamilyId,
    filter: &ContactFilter,
    after: Option<&ContactCursor>,
    limit: i64,
) -> QueryResult<Vec<StoredContact>> {
    let family = family_id.to_string();
    let mut query = contacts::table
        .filter(contacts::family_id.eq(&family))
        .order((contacts::started_at.desc(), contacts::id.desc()))
        .limit(limit)
        .into_boxed();
    if !filter.include_superseded {
        query = query.filter(contacts::superseded_by.is_null());
    }
    if let Some(kind) = filter.kind {
        query = query.filter(contacts::kind.eq(kind.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(contacts::started_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(contacts::started_at.lt(to));
    }
    for person in [filter.person, filter.visible_to_participant]
        .into_iter()
        .flatten()
    {
        let taking_part = contact_participants::table
            .filter(contact_participants::family_id.eq(family.clone()))
            .filter(contact_participants::person_id.eq(person.to_string()))
            .select(contact_participants::contact_id);
        query = query.filter(contacts::id.eq_any(taking_part));
    }
    if let Some(cursor) = after {
        query = query.filter(
            contacts::started_at
                .lt(cursor.started_at)
                .or(contacts::started_at
                    .eq(cursor.started_at)
                    .and(contacts::id.lt(cursor.id.clone()))),
        );
    }
    let rows = query.load::<ContactRow>(conn)?;
    with_participants(conn, &family, rows)
}

/// Stores a new depth result for one contact (rescoring after a lexicon change).
pub fn set_depth(
    conn: &mut DbConnection,
    family: &str,
    id: &str,
    score: f64,
    level: &str,
    lexicon: &str,
) -> QueryResult<()> {
    diesel::update(
        contacts::table
            .filter(contacts::family_id.eq(family))
            .filter(contacts::id.eq(id)),
    )
    .set((
        contacts::depth_score.eq(Some(score)),
        contacts::depth_level.eq(Some(level)),
        contacts::depth_lexicon.eq(Some(lexicon)),
    ))
    .execute(conn)?;
    Ok(())
}

/// What a rescoring did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RescoreSummary {
    pub scored: usize,
    pub level_changed: usize,
}

/// A depth result as stored: score, level, lexicon version.
pub type StoredDepth = (f64, String, String);

/// Recomputes the stored depth of every contact with content, in pages, one transaction a
/// page, so a long rescore neither holds the database nor starts over after a stop.
pub fn rescore_all(
    conn: &mut DbConnection,
    score: impl Fn(&str) -> StoredDepth,
) -> QueryResult<RescoreSummary> {
    let mut summary = RescoreSummary::default();
    let mut after: Option<(String, String)> = None;
    loop {
        let page = conn.transaction(|conn| {
            let page = contacts::table
                .filter(contacts::content.is_not_null())
                .select((
                    contacts::family_id,
                    contacts::id,
                    contacts::content.assume_not_null(),
                    contacts::depth_level,
                ))
                .order((contacts::family_id.asc(), contacts::id.asc()))
                .limit(500)
                .into_boxed();
            let page = match &after {
                Some((family, id)) => page.filter(
                    contacts::family_id
                        .gt(family.clone())
                        .or(contacts::family_id
                            .eq(family.clone())
                            .and(contacts::id.gt(id.clone()))),
                ),
                None => page,
            };
            let rows: Vec<(String, String, String, Option<String>)> = page.load(conn)?;
            for (family, id, content, old_level) in &rows {
                let (score, level, lexicon) = score(content);
                if old_level.as_deref() != Some(level.as_str()) {
                    summary.level_changed += 1;
                }
                set_depth(conn, family, id, score, &level, &lexicon)?;
                summary.scored += 1;
            }
            Ok::<_, diesel::result::Error>(rows)
        })?;
        match page.last() {
            Some((family, id, _, _)) => after = Some((family.clone(), id.clone())),
            None => break,
        }
    }
    Ok(summary)
}
