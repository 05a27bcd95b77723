//! Contacts and their participants. Contacts are append-only: an amendment is a new row that
//! supersedes the earlier one, which keeps its content and only gains a `superseded_by` link.
//!
//! Uploads are idempotent on `(family_id, client_id)`, and the database decides: every row is
//! inserted with `ON CONFLICT DO NOTHING` on that key, and a row it skipped is read back, so
//! two copies of one upload arriving at once (two server copies, a phone retrying while the
//! first attempt is still in flight) store one row. The same client id with the same
//! fingerprint returns the first record; with a different fingerprint it is a conflict.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Text};
use kinthread_shared::{
    ChildFeedback, ClientId, ContactEvent, ContactId, ContactKind, ContactSource, ContactStatus,
    DepthLevel, FamilyId, PersonId, TalkedMost, UserId,
};

use chrono::{DateTime, FixedOffset};

use super::voice::{self, FeedbackRow};
use super::{corrupt, from_millis, with_offset};
use crate::db::DbConnection;
use crate::schema::{contact_participants, contacts};

/// One stored contact row.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts)]
#[diesel(treat_none_as_default_value = false)]
pub struct ContactRow {
    pub family_id: FamilyId,
    pub id: ContactId,
    pub client_id: ClientId,
    /// The upload's fingerprint (`service::fingerprint`).
    pub request_hash: String,
    pub kind: ContactKind,
    pub status: ContactStatus,
    pub initiator_id: PersonId,
    /// Epoch milliseconds (UTC), with the offset the phone reported.
    pub started_at: i64,
    pub utc_offset_seconds: i32,
    pub duration_seconds: Option<i64>,
    pub ended_at: Option<i64>,
    pub ended_offset_seconds: Option<i32>,
    pub content: Option<String>,
    pub talked_most: Option<TalkedMost>,
    pub child_feedback: Option<ChildFeedback>,
    pub depth_score: Option<f64>,
    pub depth_level: Option<DepthLevel>,
    pub depth_lexicon: Option<String>,
    pub source: ContactSource,
    pub recorded_by: UserId,
    pub recorded_at: i64,
    pub supersedes: Option<ContactId>,
    pub superseded_by: Option<ContactId>,
    /// The participants' ids, comma-separated: a copy of the contact's
    /// `contact_participants` rows that reports read without a join.
    pub participant_ids: Option<String>,
}

impl ContactRow {
    /// When it started, in the offset the phone reported.
    pub fn started(&self) -> QueryResult<DateTime<FixedOffset>> {
        with_offset(self.started_at, self.utc_offset_seconds)
    }

    /// When a visit ended, in the offset the phone reported.
    pub fn ended(&self) -> QueryResult<Option<DateTime<FixedOffset>>> {
        match (self.ended_at, self.ended_offset_seconds) {
            (Some(at), Some(offset)) => with_offset(at, offset).map(Some),
            _ => Ok(None),
        }
    }

    /// The stored depth result, where the contact had content.
    pub fn depth(&self) -> Option<StoredDepth> {
        match (self.depth_score, self.depth_level, &self.depth_lexicon) {
            (Some(score), Some(level), Some(lexicon)) => Some(StoredDepth {
                score,
                level,
                lexicon: lexicon.clone(),
            }),
            _ => None,
        }
    }

    /// The contact as the gap and depth logic reads it.
    pub fn event(&self, participants: Vec<PersonId>) -> QueryResult<ContactEvent> {
        Ok(ContactEvent {
            kind: self.kind,
            status: self.status,
            participants,
            initiator: self.initiator_id,
            started_at: from_millis(self.started_at)?,
            duration_seconds: self.duration_seconds,
            ended_at: self.ended_at.map(from_millis).transpose()?,
            depth_score: self.depth_score.map(|s| s.round().clamp(0.0, 100.0) as u8),
            depth_level: self.depth_level,
        })
    }
}

/// The comma-separated copy of a contact's participants that reports read (see
/// `store::reports`); `participants` is sorted.
pub fn participant_list(participants: &[PersonId]) -> String {
    participants
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads [`participant_list`] back.
pub fn parse_participant_list(ids: &str) -> QueryResult<Vec<PersonId>> {
    ids.split(',')
        .map(|id| {
            id.parse()
                .map_err(|_| corrupt(format!("unreadable participant id `{id}`")))
        })
        .collect()
}

/// One participant of a contact. No column has a default: the rows of a multi-row insert go
/// in one statement on SQLite too (diesel inserts rows that may use a default one by one
/// there, in a savepoint of their own).
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = contact_participants)]
#[diesel(treat_none_as_default_value = false)]
pub struct ParticipantRow {
    pub family_id: FamilyId,
    pub contact_id: ContactId,
    pub person_id: PersonId,
}

/// A row with its participants, sorted.
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
    /// The child's feedback given with the upload (a child logging their own contact): the
    /// first version of a feedback record, stored with the contact when it is new.
    pub feedback: Option<FeedbackRow>,
}

impl PreparedContact {
    fn participant_rows(&self) -> impl Iterator<Item = ParticipantRow> + '_ {
        self.participants.iter().map(|&person_id| ParticipantRow {
            family_id: self.row.family_id,
            contact_id: self.row.id,
            person_id,
        })
    }
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

/// Contact rows in one multi-row statement: a whole batch of the API (at most 1,000), at 24
/// bind parameters a row, stays under the limits of both engines (SQLite 32,766 in the bundled
/// build, PostgreSQL 65,535), so a batch costs one statement, not one per few dozen rows.
const ROWS_PER_STATEMENT: usize = 1000;

/// Participant rows in one multi-row statement (3 bind parameters a row).
const PARTICIPANTS_PER_STATEMENT: usize = 5000;

/// Stores contacts of one family, all or none; the ones sent before are not stored again (see
/// the module doc). It is atomic on its own: run it outside a transaction where it can be
/// (`Db::write_atomic`).
///
/// On PostgreSQL one new contact (without the child's feedback, which has a record of its
/// own) is one statement, [`InsertWithParticipants`]. Otherwise it runs in a transaction,
/// and each chunk costs one `INSERT … ON CONFLICT DO NOTHING RETURNING id` and one insert of
/// the new rows' participants. Either way the stored rows are read back only where the
/// database skipped a row (a client id sent before), to tell a retry from a conflict.
pub fn insert_idempotent(
    conn: &mut DbConnection,
    family_id: FamilyId,
    prepared: Vec<PreparedContact>,
) -> QueryResult<Vec<InsertOutcome>> {
    if let (DbConnection::Postgres(pg), [one]) = (&mut *conn, prepared.as_slice())
        && one.feedback.is_none()
    {
        let stored = InsertWithParticipants::new(&one.row, &one.participants).execute(pg)?;
        let outcome = if stored > 0 {
            InsertOutcome::Created(one.row.id)
        } else {
            // Skipped: sent before. Nothing was written, so the read needs no transaction.
            outcome_of_skipped(
                &one.row,
                &stored_by_client_id(conn, family_id, &[one.row.client_id])?,
            )?
        };
        return Ok(vec![outcome]);
    }
    conn.transaction(|conn| {
        let mut outcomes = Vec::with_capacity(prepared.len());
        for chunk in prepared.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<&ContactRow> = chunk.iter().map(|p| &p.row).collect();
            let inserted: HashSet<ContactId> = insert_new_rows(conn, &rows)?.into_iter().collect();
            let skipped: Vec<ClientId> = rows
                .iter()
                .filter(|row| !inserted.contains(&row.id))
                .map(|row| row.client_id)
                .collect();
            let stored = if skipped.is_empty() {
                HashMap::new()
            } else {
                stored_by_client_id(conn, family_id, &skipped)?
            };
            let mut created = Vec::new();
            for item in chunk {
                let outcome = if inserted.contains(&item.row.id) {
                    created.push(item);
                    InsertOutcome::Created(item.row.id)
                } else {
                    outcome_of_skipped(&item.row, &stored)?
                };
                outcomes.push(outcome);
            }
            let participants: Vec<ParticipantRow> = created
                .iter()
                .flat_map(|item| item.participant_rows())
                .collect();
            insert_participants(conn, &participants)?;
            for item in created {
                if let Some(feedback) = &item.feedback {
                    voice::give_feedback(conn, feedback)?;
                }
            }
        }
        Ok(outcomes)
    })
}

/// What an upload the database skipped comes to: the stored row with its client id is the
/// first record of the same upload (its fingerprint matches) or a different one.
fn outcome_of_skipped(
    row: &ContactRow,
    stored: &HashMap<ClientId, (ContactId, String)>,
) -> QueryResult<InsertOutcome> {
    match stored.get(&row.client_id) {
        // Stored by this very statement: the row's participants were not (a contact without
        // any cannot be uploaded, but the outcome would be right).
        Some((id, _)) if *id == row.id => Ok(InsertOutcome::Created(*id)),
        Some((id, hash)) if *hash == row.request_hash => Ok(InsertOutcome::Existing(*id)),
        Some(_) => Ok(InsertOutcome::Conflict),
        None => Err(corrupt(format!(
            "contact with client id {} neither stored nor found",
            row.client_id
        ))),
    }
}

/// One contact and its participants in one PostgreSQL statement, a data-modifying `WITH`:
///
/// ```sql
/// WITH stored AS (INSERT INTO contacts (…) VALUES (…)
///                 ON CONFLICT (family_id, client_id) DO NOTHING
///                 RETURNING family_id, id)
/// INSERT INTO contact_participants (family_id, contact_id, person_id)
/// SELECT stored.family_id, stored.id, person FROM stored CROSS JOIN unnest($25) AS person
/// ```
///
/// It is atomic without a transaction, and a client id sent before skips it as a whole
/// (it then stores no participant row). One round trip instead of four (`BEGIN`, two
/// inserts, `COMMIT`); its shape is fixed, so it is prepared once per connection. The
/// contact's insert is diesel's own, so its columns follow [`ContactRow`].
struct InsertWithParticipants<'a, Insert> {
    insert: Insert,
    participants: &'a [PersonId],
}

impl<'a> InsertWithParticipants<'a, ()> {
    fn new(
        row: &'a ContactRow,
        participants: &'a [PersonId],
    ) -> InsertWithParticipants<'a, impl QueryFragment<diesel::pg::Pg> + QueryId + 'a> {
        let insert = diesel::insert_into(contacts::table)
            .values(row)
            .on_conflict((contacts::family_id, contacts::client_id))
            .do_nothing()
            .returning((contacts::family_id, contacts::id));
        InsertWithParticipants {
            insert,
            participants,
        }
    }
}

impl<Insert: QueryId> QueryId for InsertWithParticipants<'_, Insert> {
    type QueryId = InsertWithParticipants<'static, Insert::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = Insert::HAS_STATIC_QUERY_ID;
}

impl<Insert> QueryFragment<diesel::pg::Pg> for InsertWithParticipants<'_, Insert>
where
    Insert: QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql("WITH stored AS (");
        self.insert.walk_ast(out.reborrow())?;
        out.push_sql(
            ") INSERT INTO contact_participants (family_id, contact_id, person_id) \
             SELECT stored.family_id, stored.id, person FROM stored CROSS JOIN unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(self.participants)?;
        out.push_sql(") AS person");
        Ok(())
    }
}

impl<Insert> RunQueryDsl<diesel::PgConnection> for InsertWithParticipants<'_, Insert> {}

/// `INSERT … ON CONFLICT (family_id, client_id) DO NOTHING RETURNING id`: the ids of the rows
/// stored, each engine through its own connection type, since the multi-engine connection
/// has no upsert.
fn insert_new_rows(conn: &mut DbConnection, rows: &[&ContactRow]) -> QueryResult<Vec<ContactId>> {
    macro_rules! insert {
        ($conn:expr) => {
            match rows {
                // A single row's statement is prepared once per connection; a multi-row one
                // anew for each size.
                [row] => diesel::insert_into(contacts::table)
                    .values(*row)
                    .on_conflict((contacts::family_id, contacts::client_id))
                    .do_nothing()
                    .returning(contacts::id)
                    .get_results($conn),
                many => diesel::insert_into(contacts::table)
                    .values(many.to_vec())
                    .on_conflict((contacts::family_id, contacts::client_id))
                    .do_nothing()
                    .returning(contacts::id)
                    .get_results($conn),
            }
        };
    }
    match conn {
        DbConnection::Sqlite(conn) => insert!(conn),
        DbConnection::Postgres(conn) => insert!(conn),
    }
}

/// `(id, fingerprint)` of the stored contacts with these client ids.
fn stored_by_client_id(
    conn: &mut DbConnection,
    family_id: FamilyId,
    client_ids: &[ClientId],
) -> QueryResult<HashMap<ClientId, (ContactId, String)>> {
    let query = contacts::table
        .filter(contacts::family_id.eq(family_id))
        .select((contacts::client_id, contacts::id, contacts::request_hash));
    // A single upload, the common case, uses `=`: a statement of fixed shape is prepared once
    // per connection, an `IN` list of varying length every time.
    let found: Vec<(ClientId, ContactId, String)> = match client_ids {
        [one] => query.filter(contacts::client_id.eq(one)).load(conn)?,
        many => query.filter(contacts::client_id.eq_any(many)).load(conn)?,
    };
    Ok(found
        .into_iter()
        .map(|(client_id, id, hash)| (client_id, (id, hash)))
        .collect())
}

/// Inserts contact rows and their participants as given (bundle imports keep their ids).
pub fn insert_rows(
    conn: &mut DbConnection,
    rows: &[ContactRow],
    participants: &[ParticipantRow],
) -> QueryResult<()> {
    macro_rules! insert_all {
        ($conn:expr) => {{
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                diesel::insert_into(contacts::table)
                    .values(chunk)
                    .execute($conn)?;
            }
        }};
    }
    match conn {
        DbConnection::Sqlite(conn) => insert_all!(conn),
        DbConnection::Postgres(conn) => insert_all!(conn),
    }
    insert_participants(conn, participants)
}

fn insert_participants(
    conn: &mut DbConnection,
    participants: &[ParticipantRow],
) -> QueryResult<()> {
    macro_rules! insert_all {
        ($conn:expr) => {{
            // A single upload's participants, two to four most often, go as an array: a
            // statement of fixed shape, prepared once per connection.
            match participants {
                [] => {}
                [a, b] => {
                    diesel::insert_into(contact_participants::table)
                        .values([a.clone(), b.clone()])
                        .execute($conn)?;
                }
                [a, b, c] => {
                    diesel::insert_into(contact_participants::table)
                        .values([a.clone(), b.clone(), c.clone()])
                        .execute($conn)?;
                }
                [a, b, c, d] => {
                    diesel::insert_into(contact_participants::table)
                        .values([a.clone(), b.clone(), c.clone(), d.clone()])
                        .execute($conn)?;
                }
                many => {
                    for chunk in many.chunks(PARTICIPANTS_PER_STATEMENT) {
                        diesel::insert_into(contact_participants::table)
                            .values(chunk)
                            .execute($conn)?;
                    }
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
        let existing = stored_by_client_id(conn, family_id, &[amendment.row.client_id])?;
        if let Some((id, hash)) = existing.get(&amendment.row.client_id) {
            return Ok(if *hash == amendment.row.request_hash {
                AmendOutcome::Existing(*id)
            } else {
                AmendOutcome::Conflict
            });
        }
        let superseded_by = contacts::table
            .filter(contacts::family_id.eq(family_id))
            .filter(contacts::id.eq(original))
            .select(contacts::superseded_by)
            .first::<Option<ContactId>>(conn)
            .optional()?;
        match superseded_by {
            None => return Ok(AmendOutcome::NotFound),
            Some(Some(newer)) => return Ok(AmendOutcome::AlreadySuperseded(newer)),
            Some(None) => {}
        }
        amendment.row.supersedes = Some(original);
        let new_id = amendment.row.id;
        // Only the current version gains a link: of two amendments racing for one record,
        // the second finds it superseded (and its transaction, insert included, is undone).
        let linked = diesel::update(
            contacts::table
                .filter(contacts::family_id.eq(family_id))
                .filter(contacts::id.eq(original))
                .filter(contacts::superseded_by.is_null()),
        )
        .set(contacts::superseded_by.eq(Some(new_id)))
        .execute(conn)?;
        if linked == 0 {
            let newer = contacts::table
                .filter(contacts::family_id.eq(family_id))
                .filter(contacts::id.eq(original))
                .select(contacts::superseded_by)
                .first::<Option<ContactId>>(conn)?;
            return Ok(newer.map_or(AmendOutcome::NotFound, AmendOutcome::AlreadySuperseded));
        }
        let participants: Vec<ParticipantRow> = amendment.participant_rows().collect();
        insert_rows(conn, std::slice::from_ref(&amendment.row), &participants)?;
        // What the child said about the contact stays with it through the correction.
        voice::follow_amendment(conn, family_id, original, new_id)?;
        if let Some(feedback) = &amendment.feedback {
            voice::give_feedback(conn, feedback)?;
        }
        Ok(AmendOutcome::Created(new_id))
    })
}

/// Loads contacts by id, with participants, in the order of `ids`.
pub fn get_many(
    conn: &mut DbConnection,
    family_id: FamilyId,
    ids: &[ContactId],
) -> QueryResult<Vec<StoredContact>> {
    let mut rows: HashMap<ContactId, ContactRow> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in contacts::table
            .filter(contacts::family_id.eq(family_id))
            .filter(contacts::id.eq_any(chunk))
            .select(ContactRow::as_select())
            .load(conn)?
        {
            rows.insert(row.id, row);
        }
    }
    let ordered: Vec<ContactRow> = ids.iter().filter_map(|id| rows.remove(id)).collect();
    with_participants(conn, family_id, ordered)
}

pub fn get(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: ContactId,
) -> QueryResult<Option<StoredContact>> {
    Ok(get_many(conn, family_id, &[id])?.into_iter().next())
}

/// Every participant of the given contacts (all of the family's with `None`), sorted per
/// contact.
pub fn participants_of(
    conn: &mut DbConnection,
    family_id: FamilyId,
    contacts: Option<&[ContactId]>,
) -> QueryResult<HashMap<ContactId, Vec<PersonId>>> {
    let query = contact_participants::table
        .filter(contact_participants::family_id.eq(family_id))
        .select((
            contact_participants::contact_id,
            contact_participants::person_id,
        ));
    let mut found: Vec<(ContactId, PersonId)> = Vec::new();
    match contacts {
        None => found = query.load(conn)?,
        Some(ids) => {
            for chunk in ids.chunks(500) {
                found.extend(
                    query
                        .filter(contact_participants::contact_id.eq_any(chunk))
                        .load::<(ContactId, PersonId)>(conn)?,
                );
            }
        }
    }
    let mut by_contact: HashMap<ContactId, Vec<PersonId>> = HashMap::new();
    for (contact, person) in found {
        by_contact.entry(contact).or_default().push(person);
    }
    for list in by_contact.values_mut() {
        list.sort();
    }
    Ok(by_contact)
}

fn with_participants(
    conn: &mut DbConnection,
    family_id: FamilyId,
    rows: Vec<ContactRow>,
) -> QueryResult<Vec<StoredContact>> {
    let ids: Vec<ContactId> = rows.iter().map(|r| r.id).collect();
    let mut by_contact = participants_of(conn, family_id, Some(&ids))?;
    rows.into_iter()
        .map(|row| {
            let participants = by_contact
                .remove(&row.id)
                .ok_or_else(|| corrupt(format!("contact {} has no participants", row.id)))?;
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContactCursor {
    pub started_at: i64,
    pub id: ContactId,
}

/// One page of a family's contacts, newest first.
pub fn list(
    conn: &mut DbConnection,
    family_id: FamilyId,
    filter: &ContactFilter,
    after: Option<&ContactCursor>,
    limit: i64,
) -> QueryResult<Vec<StoredContact>> {
    let mut query = contacts::table
        .filter(contacts::family_id.eq(family_id))
        .order((contacts::started_at.desc(), contacts::id.desc()))
        .limit(limit)
        .select(ContactRow::as_select())
        .into_boxed();
    if !filter.include_superseded {
        query = query.filter(contacts::superseded_by.is_null());
    }
    if let Some(kind) = filter.kind {
        query = query.filter(contacts::kind.eq(kind));
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
            .filter(contact_participants::family_id.eq(family_id))
            .filter(contact_participants::person_id.eq(person))
            .select(contact_participants::contact_id);
        query = query.filter(contacts::id.eq_any(taking_part));
    }
    if let Some(cursor) = after {
        query = query.filter(
            contacts::started_at
                .lt(cursor.started_at)
                .or(contacts::started_at
                    .eq(cursor.started_at)
                    .and(contacts::id.lt(cursor.id))),
        );
    }
    let rows = query.load(conn)?;
    with_participants(conn, family_id, rows)
}

/// Every contact row of a family, amended versions included, oldest first.
pub fn all_rows(conn: &mut DbConnection, family_id: FamilyId) -> QueryResult<Vec<ContactRow>> {
    contacts::table
        .filter(contacts::family_id.eq(family_id))
        .order((contacts::started_at.asc(), contacts::id.asc()))
        .select(ContactRow::as_select())
        .load(conn)
}

/// Stores a new depth result for one contact (rescoring after a lexicon change).
pub fn set_depth(
    conn: &mut DbConnection,
    family_id: FamilyId,
    id: ContactId,
    depth: &StoredDepth,
) -> QueryResult<()> {
    diesel::update(
        contacts::table
            .filter(contacts::family_id.eq(family_id))
            .filter(contacts::id.eq(id)),
    )
    .set((
        contacts::depth_score.eq(Some(depth.score)),
        contacts::depth_level.eq(Some(depth.level)),
        contacts::depth_lexicon.eq(Some(&depth.lexicon)),
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

/// A depth result as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDepth {
    pub score: f64,
    pub level: DepthLevel,
    pub lexicon: String,
}

/// Recomputes the stored depth of every contact with content, in pages, one transaction a
/// page, so a long rescore neither holds the database nor starts over after a stop.
pub fn rescore_all(
    conn: &mut DbConnection,
    score: impl Fn(&str) -> StoredDepth,
) -> QueryResult<RescoreSummary> {
    let mut summary = RescoreSummary::default();
    let mut after: Option<(FamilyId, ContactId)> = None;
    loop {
        // Immediate on SQLite: the page reads, then writes, beside a serving server.
        let page = crate::db::immediate_transaction(conn, |conn| {
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
            let page = match after {
                Some((family, id)) => page.filter(
                    contacts::family_id
                        .gt(family)
                        .or(contacts::family_id.eq(family).and(contacts::id.gt(id))),
                ),
                None => page,
            };
            let rows: Vec<(FamilyId, ContactId, String, Option<DepthLevel>)> = page.load(conn)?;
            for (family, id, content, old_level) in &rows {
                let depth = score(content);
                if *old_level != Some(depth.level) {
                    summary.level_changed += 1;
                }
                set_depth(conn, *family, *id, &depth)?;
                summary.scored += 1;
            }
            Ok::<_, diesel::result::Error>(rows)
        })?;
        match page.last() {
            Some((family, id, _, _)) => after = Some((*family, *id)),
            None => break,
        }
    }
    Ok(summary)
}
