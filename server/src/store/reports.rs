//! Queries behind the reports: a family's whole current log, and the caseload's few bulk
//! queries over every family a reader may see (families, persons, the window's contacts with
//! participants, long visits reaching into the window, and each pair's last contact before it).
//!
//! The caseload must stay fast at a million contacts, so it never loads a family at a time:
//! each query runs once over the whole scope and returns narrow rows that the service groups
//! in memory. Only current versions count (`superseded_by IS NULL`).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use kinthread_shared::reports::PersonSummary;
use kinthread_shared::{
    ContactEvent, ContactKind, ContactStatus, DepthLevel, FamilyId, PersonId, ProgramId,
};

use super::programs::DEFAULT_TARGET_DAYS;
use super::{from_millis, parse_stored};
use crate::db::DbConnection;
use crate::schema::{checkins, contact_participants, contacts, families, persons, programs};

/// Which families a bulk query covers.
#[derive(Clone, Debug)]
pub enum FamilyFilter {
    /// Every family (an admin's whole installation).
    All,
    /// Families enrolled in these programs.
    Programs(Vec<ProgramId>),
}

impl FamilyFilter {
    fn program_strings(&self) -> Option<Vec<String>> {
        match self {
            FamilyFilter::All => None,
            FamilyFilter::Programs(ids) => Some(ids.iter().map(|p| p.to_string()).collect()),
        }
    }
}

/// What the caseload needs of a family.
#[derive(Clone, Debug)]
pub struct CaseloadFamily {
    pub id: FamilyId,
    pub display_name: String,
    pub program_id: Option<ProgramId>,
    pub time_zone: String,
    /// The target in force: the family's own, else its program's, else 7.
    pub target_days: i32,
}

/// id, display name, program, time zone, own target.
type FamilyRow = (String, String, Option<String>, String, Option<i32>);

/// The families in scope, in id order.
pub fn families_in(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
) -> QueryResult<Vec<CaseloadFamily>> {
    let targets: HashMap<String, i32> = programs::table
        .select((programs::id, programs::target_cadence_days))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    let mut query = families::table
        .select((
            families::id,
            families::display_name,
            families::program_id,
            families::time_zone,
            families::target_cadence_days,
        ))
        .order(families::id.asc())
        .into_boxed();
    if let Some(programs) = filter.program_strings() {
        query = query.filter(families::program_id.eq_any(programs));
    }
    let rows: Vec<FamilyRow> = query.load(conn)?;
    rows.into_iter()
        .map(|(id, display_name, program, time_zone, own)| {
            let program_target = program.as_ref().and_then(|p| targets.get(p)).copied();
            Ok(CaseloadFamily {
                id: parse_stored("family id", &id)?,
                display_name,
                program_id: program
                    .map(|p| parse_stored::<ProgramId>("program id", &p))
                    .transpose()?,
                time_zone,
                target_days: own.or(program_target).unwrap_or(DEFAULT_TARGET_DAYS),
            })
        })
        .collect()
}

/// The persons of the families in scope, as reports name them (no phone, no place).
pub fn persons_in(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
) -> QueryResult<Vec<(FamilyId, PersonSummary)>> {
    let mut query = persons::table
        .select((
            persons::family_id,
            persons::id,
            persons::display_name,
            persons::role,
            persons::lives_away,
        ))
        .into_boxed();
    if let Some(programs) = filter.program_strings() {
        query = query.filter(
            persons::family_id.eq_any(
                families::table
                    .filter(families::program_id.eq_any(programs))
                    .select(families::id),
            ),
        );
    }
    let rows: Vec<(String, String, String, String, bool)> = query.load(conn)?;
    rows.into_iter().map(to_summary).collect()
}

/// The persons of one family, as reports name them.
pub fn persons_of(conn: &mut DbConnection, family_id: FamilyId) -> QueryResult<Vec<PersonSummary>> {
    let rows: Vec<(String, String, String, String, bool)> = persons::table
        .filter(persons::family_id.eq(family_id.to_string()))
        .select((
            persons::family_id,
            persons::id,
            persons::display_name,
            persons::role,
            persons::lives_away,
        ))
        .order(persons::id.asc())
        .load(conn)?;
    rows.into_iter()
        .map(|row| to_summary(row).map(|(_, person)| person))
        .collect()
}

fn to_summary(
    (family, id, display_name, role, lives_away): (String, String, String, String, bool),
) -> QueryResult<(FamilyId, PersonSummary)> {
    Ok((
        parse_stored("family id", &family)?,
        PersonSummary {
            id: parse_stored("person id", &id)?,
            display_name,
            role: parse_stored("role", &role)?,
            lives_away,
        },
    ))
}

/// One row of a contact joined with one of its participants.
type EventRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<f64>,
    Option<String>,
    String,
);

/// Which contacts an event query loads.
#[derive(Clone, Copy, Debug)]
pub enum EventRange {
    /// Started in `[from, to]` (epoch ms).
    Started { from: i64, to: i64 },
    /// Visits that started before `before` and ended at or after it: the only contacts
    /// starting that early that can still reach into a window beginning after `before`.
    VisitsAcross { before: i64 },
    /// Everything.
    All,
}

/// Current contacts of the families in scope (or of one family), with participants, as the
/// gap and depth logic reads them; grouped by family, each family's in no particular order.
pub fn events(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
    family: Option<FamilyId>,
    range: EventRange,
) -> QueryResult<HashMap<FamilyId, Vec<ContactEvent>>> {
    let mut query = contacts::table
        .inner_join(
            contact_participants::table.on(contact_participants::family_id
                .eq(contacts::family_id)
                .and(contact_participants::contact_id.eq(contacts::id))),
        )
        .filter(contacts::superseded_by.is_null())
        .select((
            contacts::family_id,
            contacts::id,
            contacts::kind,
            contacts::status,
            contacts::initiator_id,
            contacts::started_at,
            contacts::duration_seconds,
            contacts::ended_at,
            contacts::depth_score,
            contacts::depth_level,
            contact_participants::person_id,
        ))
        .into_boxed();
    if let Some(family) = family {
        query = query.filter(contacts::family_id.eq(family.to_string()));
    }
    if let Some(programs) = filter.program_strings() {
        query = query.filter(
            contacts::family_id.eq_any(
                families::table
                    .filter(families::program_id.eq_any(programs))
                    .select(families::id),
            ),
        );
    }
    query = match range {
        EventRange::Started { from, to } => query
            .filter(contacts::started_at.ge(from))
            .filter(contacts::started_at.le(to)),
        EventRange::VisitsAcross { before } => query
            .filter(contacts::ended_at.ge(before))
            .filter(contacts::started_at.lt(before))
            .filter(contacts::kind.eq(ContactKind::Visit.as_str())),
        EventRange::All => query,
    };
    let rows: Vec<EventRow> = query.load(conn)?;
    group_events(rows)
}

/// Folds contact–participant rows into one event per contact.
fn group_events(rows: Vec<EventRow>) -> QueryResult<HashMap<FamilyId, Vec<ContactEvent>>> {
    let mut by_family: HashMap<FamilyId, Vec<ContactEvent>> = HashMap::new();
    // Where each contact's event sits, so rows of one contact may come in any order.
    let mut placed: HashMap<String, (FamilyId, usize)> = HashMap::with_capacity(rows.len() / 2);
    for (family, id, kind, status, initiator, started, duration, ended, score, level, person) in
        rows
    {
        let person: PersonId = parse_stored("person id", &person)?;
        if let Some((family_id, index)) = placed.get(&id) {
            if let Some(event) = by_family
                .get_mut(family_id)
                .and_then(|events| events.get_mut(*index))
            {
                event.participants.push(person);
            }
            continue;
        }
        let family_id: FamilyId = parse_stored("family id", &family)?;
        let event = ContactEvent {
            kind: parse_stored::<ContactKind>("kind", &kind)?,
            status: parse_stored::<ContactStatus>("status", &status)?,
            participants: vec![person],
            initiator: parse_stored("initiator", &initiator)?,
            started_at: from_millis(started)?,
            duration_seconds: duration,
            ended_at: ended.map(from_millis).transpose()?,
            depth_score: score.map(|s| s.round().clamp(0.0, 100.0) as u8),
            depth_level: level
                .map(|l| parse_stored::<DepthLevel>("depth level", &l))
                .transpose()?,
        };
        let events = by_family.entry(family_id).or_default();
        placed.insert(id, (family_id, events.len()));
        events.push(event);
    }
    Ok(by_family)
}

/// The last moment each pair of persons was in contact through a counted contact that
/// started before `before` (epoch ms), for the given families. Visits still going on at
/// `before` are left out: [`EventRange::VisitsAcross`] loads them in full.
///
/// Aggregated in the database, so the history before a report's window is never sent over:
/// for the caseload only the last contact of a pair without contact in the window matters.
/// Returns `(family, lower person id, higher person id, last contact ms)`.
pub fn last_contacts_before(
    conn: &mut DbConnection,
    families: &[FamilyId],
    before: i64,
) -> QueryResult<Vec<(FamilyId, PersonId, PersonId, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        family_id: String,
        #[diesel(sql_type = Text)]
        a: String,
        #[diesel(sql_type = Text)]
        b: String,
        #[diesel(sql_type = BigInt)]
        last_end: i64,
    }
    let mut found = Vec::new();
    // The ids are written into the statement: they are UUIDs this server formatted (hex and
    // hyphens only), and `before` is a number, so nothing from a client reaches the SQL
    // text. Literal lists keep one statement for both engines' placeholder styles.
    for chunk in families.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let ids = chunk
            .iter()
            .map(|f| format!("'{}'", f.as_uuid().hyphenated()))
            .collect::<Vec<_>>()
            .join(",");
        // A call's contact ends at its start plus its duration, a visit at its end (or its
        // start if the end is missing or earlier), a text at its time: as in shared::gaps.
        let sql = format!(
            "SELECT c.family_id AS family_id, pa.person_id AS a, pb.person_id AS b, \
                 MAX(CASE \
                     WHEN c.kind IN ('call', 'video_call') \
                         THEN c.started_at + COALESCE(c.duration_seconds, 0) * 1000 \
                     WHEN c.kind = 'visit' AND c.ended_at > c.started_at THEN c.ended_at \
                     ELSE c.started_at END) AS last_end \
             FROM contacts c \
             JOIN contact_participants pa ON pa.family_id = c.family_id AND pa.contact_id = c.id \
             JOIN contact_participants pb ON pb.family_id = c.family_id AND pb.contact_id = c.id \
                 AND pa.person_id < pb.person_id \
             WHERE c.family_id IN ({ids}) \
               AND c.superseded_by IS NULL \
               AND c.started_at < {before} \
               AND (c.status = 'completed' OR c.kind IN ('text', 'visit')) \
               AND NOT (c.kind = 'visit' AND c.ended_at IS NOT NULL AND c.ended_at >= {before}) \
             GROUP BY c.family_id, pa.person_id, pb.person_id"
        );
        let rows: Vec<Row> = diesel::sql_query(sql).load(conn)?;
        for row in rows {
            found.push((
                parse_stored("family id", &row.family_id)?,
                parse_stored("person id", &row.a)?,
                parse_stored("person id", &row.b)?,
                row.last_end,
            ));
        }
    }
    Ok(found)
}

/// `(observed_at ms, mood)` of a family's check-ins observed in `[from, to]`.
pub fn checkin_moods(
    conn: &mut DbConnection,
    family_id: FamilyId,
    from: i64,
    to: i64,
) -> QueryResult<Vec<(i64, i32)>> {
    checkins::table
        .filter(checkins::family_id.eq(family_id.to_string()))
        .filter(checkins::observed_at.ge(from))
        .filter(checkins::observed_at.le(to))
        .select((checkins::observed_at, checkins::mood))
        .load(conn)
}
