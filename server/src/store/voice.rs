//! The child's own voice: feedback on contacts (every version kept, one in force per contact
//! and child) and the child's weekly check-ins. Both are idempotent on `(family_id,
//! client_id)`. Who may read which part is decided in `access`, not here.

use std::collections::HashMap;

use diesel::prelude::*;
use kinthread_shared::attention::{ChildFeedbackEntry, FeedbackFact};
use kinthread_shared::{
    ChildCheckinId, ChildFeedback, ClientId, ContactId, FamilyId, FeedbackId, PersonId, UserId,
};

use super::contacts::parse_participant_list;
use super::reports::{FamilyFilter, Shard, in_families};
// `families` is named inside `in_families!`.
use super::{corrupt, from_millis, with_offset};
use crate::db::DbConnection;
use crate::schema::{child_checkins, contact_feedback, contacts, families};

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = contact_feedback)]
#[diesel(treat_none_as_default_value = false)]
pub struct FeedbackRow {
    pub family_id: FamilyId,
    pub id: FeedbackId,
    pub client_id: ClientId,
    pub request_hash: String,
    pub contact_id: ContactId,
    pub child_id: PersonId,
    pub rating: ChildFeedback,
    pub words: Option<String>,
    pub given_at: i64,
    pub utc_offset_seconds: i32,
    pub recorded_by: UserId,
    pub recorded_at: i64,
    pub replaced_by: Option<FeedbackId>,
}

impl FeedbackRow {
    pub fn given(&self) -> QueryResult<chrono::DateTime<chrono::FixedOffset>> {
        with_offset(self.given_at, self.utc_offset_seconds)
    }
}

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = child_checkins)]
#[diesel(treat_none_as_default_value = false)]
pub struct ChildCheckinRow {
    pub family_id: FamilyId,
    pub id: ChildCheckinId,
    pub client_id: ClientId,
    pub request_hash: String,
    pub child_id: PersonId,
    pub observed_at: i64,
    pub utc_offset_seconds: i32,
    pub mood: i32,
    pub words: Option<String>,
    pub recorded_by: UserId,
    pub recorded_at: i64,
}

impl ChildCheckinRow {
    pub fn observed(&self) -> QueryResult<chrono::DateTime<chrono::FixedOffset>> {
        with_offset(self.observed_at, self.utc_offset_seconds)
    }
}

/// What an idempotent write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoiceOutcome<I> {
    Created(I),
    /// The client id was sent before with the same content: the first record.
    Existing(I),
    /// The client id was sent before with other content.
    Conflict,
}

/// Stores a new version of a child's feedback on a contact: the version in force for that
/// contact and child (if any) is marked as replaced by it, in one transaction.
pub fn give_feedback(
    conn: &mut DbConnection,
    row: &FeedbackRow,
) -> QueryResult<VoiceOutcome<FeedbackId>> {
    conn.transaction(|conn| {
        let sent_before = contact_feedback::table
            .filter(contact_feedback::family_id.eq(row.family_id))
            .filter(contact_feedback::client_id.eq(row.client_id))
            .select((contact_feedback::id, contact_feedback::request_hash))
            .first::<(FeedbackId, String)>(conn)
            .optional()?;
        if let Some((id, hash)) = sent_before {
            return Ok(if hash == row.request_hash {
                VoiceOutcome::Existing(id)
            } else {
                VoiceOutcome::Conflict
            });
        }
        diesel::update(
            contact_feedback::table
                .filter(contact_feedback::family_id.eq(row.family_id))
                .filter(contact_feedback::contact_id.eq(row.contact_id))
                .filter(contact_feedback::child_id.eq(row.child_id))
                .filter(contact_feedback::replaced_by.is_null()),
        )
        .set(contact_feedback::replaced_by.eq(Some(row.id)))
        .execute(conn)?;
        insert_feedback_row(conn, row)?;
        Ok(VoiceOutcome::Created(row.id))
    })
}

/// Stores a row as given (bundle imports keep their ids, times and links).
pub fn insert_feedback_row(conn: &mut DbConnection, row: &FeedbackRow) -> QueryResult<()> {
    diesel::insert_into(contact_feedback::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Marks a version as replaced by `newer` (bundle imports bringing a later version).
pub fn set_replaced_by(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: FeedbackId,
    newer: FeedbackId,
) -> QueryResult<()> {
    diesel::update(
        contact_feedback::table
            .filter(contact_feedback::family_id.eq(family_id))
            .filter(contact_feedback::id.eq(id)),
    )
    .set(contact_feedback::replaced_by.eq(Some(newer)))
    .execute(conn)
    .map(drop)
}

/// Moves the feedback on a contact to the version that amends it, so that a correction of the
/// contact keeps what the child said about it.
pub fn follow_amendment(
    conn: &mut DbConnection,
    family_id: FamilyId,
    original: ContactId,
    amendment: ContactId,
) -> QueryResult<usize> {
    diesel::update(
        contact_feedback::table
            .filter(contact_feedback::family_id.eq(family_id))
            .filter(contact_feedback::contact_id.eq(original)),
    )
    .set(contact_feedback::contact_id.eq(amendment))
    .execute(conn)
}

pub fn feedback(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: FeedbackId,
) -> QueryResult<Option<FeedbackRow>> {
    contact_feedback::table
        .filter(contact_feedback::family_id.eq(family_id))
        .filter(contact_feedback::id.eq(id))
        .select(FeedbackRow::as_select())
        .first(conn)
        .optional()
}

/// Every version of the feedback on one contact, newest first; `child` narrows it to one
/// child's.
pub fn feedback_on(
    conn: &mut DbConnection,
    family_id: FamilyId,
    contact_id: ContactId,
    child: Option<PersonId>,
) -> QueryResult<Vec<FeedbackRow>> {
    let mut query = contact_feedback::table
        .filter(contact_feedback::family_id.eq(family_id))
        .filter(contact_feedback::contact_id.eq(contact_id))
        .order((
            contact_feedback::recorded_at.desc(),
            contact_feedback::id.desc(),
        ))
        .select(FeedbackRow::as_select())
        .into_boxed();
    if let Some(child) = child {
        query = query.filter(contact_feedback::child_id.eq(child));
    }
    query.load(conn)
}

/// The ratings in force on `contacts`, by contact (one per child; the first child's when
/// several children rated one contact).
pub fn ratings_in_force(
    conn: &mut DbConnection,
    family_id: FamilyId,
    contact_ids: &[ContactId],
    child: Option<PersonId>,
) -> QueryResult<HashMap<ContactId, ChildFeedback>> {
    let mut ratings = HashMap::new();
    for chunk in contact_ids.chunks(500) {
        let mut query = contact_feedback::table
            .filter(contact_feedback::family_id.eq(family_id))
            .filter(contact_feedback::contact_id.eq_any(chunk))
            .filter(contact_feedback::replaced_by.is_null())
            .order(contact_feedback::child_id.asc())
            .select((contact_feedback::contact_id, contact_feedback::rating))
            .into_boxed();
        if let Some(child) = child {
            query = query.filter(contact_feedback::child_id.eq(child));
        }
        for (contact, rating) in query.load::<(ContactId, ChildFeedback)>(conn)? {
            ratings.entry(contact).or_insert(rating);
        }
    }
    Ok(ratings)
}

/// The feedback in force of a family, newest given first, after the cursor
/// `(given_at, id)`; `child` narrows it to one child's.
pub fn feedback_list(
    conn: &mut DbConnection,
    family_id: FamilyId,
    child: Option<PersonId>,
    after: Option<(i64, FeedbackId)>,
    limit: i64,
) -> QueryResult<Vec<FeedbackRow>> {
    let mut query = contact_feedback::table
        .filter(contact_feedback::family_id.eq(family_id))
        .filter(contact_feedback::replaced_by.is_null())
        .order((
            contact_feedback::given_at.desc(),
            contact_feedback::id.desc(),
        ))
        .limit(limit)
        .select(FeedbackRow::as_select())
        .into_boxed();
    if let Some(child) = child {
        query = query.filter(contact_feedback::child_id.eq(child));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            contact_feedback::given_at
                .lt(at)
                .or(contact_feedback::given_at
                    .eq(at)
                    .and(contact_feedback::id.lt(id))),
        );
    }
    query.load(conn)
}

/// Every feedback row of a family (every version), oldest first.
pub fn all_feedback_rows(
    conn: &mut DbConnection,
    family_id: FamilyId,
) -> QueryResult<Vec<FeedbackRow>> {
    contact_feedback::table
        .filter(contact_feedback::family_id.eq(family_id))
        .order((
            contact_feedback::recorded_at.asc(),
            contact_feedback::id.asc(),
        ))
        .select(FeedbackRow::as_select())
        .load(conn)
}

/// The feedback in force given from `from` to `to` (epoch ms) in the families in scope (or in
/// `family` alone), as the reports read it: with the participants of the contact rated.
pub fn feedback_facts_in(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
    shard: Option<&Shard>,
    family: Option<FamilyId>,
    from: i64,
    to: i64,
) -> QueryResult<HashMap<FamilyId, Vec<FeedbackFact>>> {
    let mut query = contact_feedback::table
        .inner_join(
            contacts::table.on(contacts::family_id
                .eq(contact_feedback::family_id)
                .and(contacts::id.eq(contact_feedback::contact_id))),
        )
        .filter(contact_feedback::replaced_by.is_null())
        .filter(contact_feedback::given_at.ge(from))
        .filter(contact_feedback::given_at.le(to))
        .select((
            contact_feedback::family_id,
            contact_feedback::child_id,
            contact_feedback::given_at,
            contact_feedback::rating,
            contacts::participant_ids,
        ))
        .into_boxed();
    query = match family {
        Some(family) => query.filter(contact_feedback::family_id.eq(family)),
        None => in_families!(query, contact_feedback::family_id, filter, shard),
    };
    let rows: Vec<(FamilyId, PersonId, i64, ChildFeedback, Option<String>)> = query.load(conn)?;
    let mut by_family: HashMap<FamilyId, Vec<FeedbackFact>> = HashMap::new();
    for (family, child, given_at, rating, participants) in rows {
        let participants = participants
            .as_deref()
            .ok_or_else(|| {
                corrupt(format!(
                    "a contact of family {family} has no participant_ids"
                ))
            })
            .and_then(parse_participant_list)?;
        by_family.entry(family).or_default().push(FeedbackFact {
            child,
            participants,
            entry: ChildFeedbackEntry {
                given_at: from_millis(given_at)?,
                rating,
            },
        });
    }
    Ok(by_family)
}

/// Stores a child's check-in unless its client id was sent before.
pub fn record_checkin(
    conn: &mut DbConnection,
    row: &ChildCheckinRow,
) -> QueryResult<VoiceOutcome<ChildCheckinId>> {
    conn.transaction(|conn| {
        macro_rules! insert {
            ($conn:expr) => {
                diesel::insert_into(child_checkins::table)
                    .values(row)
                    .on_conflict((child_checkins::family_id, child_checkins::client_id))
                    .do_nothing()
                    .execute($conn)
            };
        }
        match conn {
            DbConnection::Sqlite(conn) => insert!(conn),
            DbConnection::Postgres(conn) => insert!(conn),
        }?;
        let (id, hash) = child_checkins::table
            .filter(child_checkins::family_id.eq(row.family_id))
            .filter(child_checkins::client_id.eq(row.client_id))
            .select((child_checkins::id, child_checkins::request_hash))
            .first::<(ChildCheckinId, String)>(conn)?;
        Ok(if id == row.id {
            VoiceOutcome::Created(id)
        } else if hash == row.request_hash {
            VoiceOutcome::Existing(id)
        } else {
            VoiceOutcome::Conflict
        })
    })
}

/// Stores a row as given (bundle imports).
pub fn insert_checkin_row(conn: &mut DbConnection, row: &ChildCheckinRow) -> QueryResult<()> {
    diesel::insert_into(child_checkins::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn checkin(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: ChildCheckinId,
) -> QueryResult<Option<ChildCheckinRow>> {
    child_checkins::table
        .filter(child_checkins::family_id.eq(family_id))
        .filter(child_checkins::id.eq(id))
        .select(ChildCheckinRow::as_select())
        .first(conn)
        .optional()
}

/// A family's child check-ins, newest first, after the cursor `(observed_at, id)`; `child`
/// narrows them to one child's.
pub fn checkin_list(
    conn: &mut DbConnection,
    family_id: FamilyId,
    child: Option<PersonId>,
    after: Option<(i64, ChildCheckinId)>,
    limit: i64,
) -> QueryResult<Vec<ChildCheckinRow>> {
    let mut query = child_checkins::table
        .filter(child_checkins::family_id.eq(family_id))
        .order((
            child_checkins::observed_at.desc(),
            child_checkins::id.desc(),
        ))
        .limit(limit)
        .select(ChildCheckinRow::as_select())
        .into_boxed();
    if let Some(child) = child {
        query = query.filter(child_checkins::child_id.eq(child));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            child_checkins::observed_at
                .lt(at)
                .or(child_checkins::observed_at
                    .eq(at)
                    .and(child_checkins::id.lt(id))),
        );
    }
    query.load(conn)
}

/// Every child check-in of a family, oldest first.
pub fn all_checkin_rows(
    conn: &mut DbConnection,
    family_id: FamilyId,
) -> QueryResult<Vec<ChildCheckinRow>> {
    child_checkins::table
        .filter(child_checkins::family_id.eq(family_id))
        .order((child_checkins::observed_at.asc(), child_checkins::id.asc()))
        .select(ChildCheckinRow::as_select())
        .load(conn)
}

/// `(observed_at, mood)` of the child check-ins from `from` to `to` (epoch ms) of one family.
pub fn checkin_moods(
    conn: &mut DbConnection,
    family_id: FamilyId,
    from: i64,
    to: i64,
) -> QueryResult<Vec<(chrono::DateTime<chrono::Utc>, i32)>> {
    child_checkins::table
        .filter(child_checkins::family_id.eq(family_id))
        .filter(child_checkins::observed_at.ge(from))
        .filter(child_checkins::observed_at.le(to))
        .select((child_checkins::observed_at, child_checkins::mood))
        .load::<(i64, i32)>(conn)?
        .into_iter()
        .map(|(at, mood)| Ok((from_millis(at)?, mood)))
        .collect()
}
