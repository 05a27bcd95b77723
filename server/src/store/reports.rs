//! Queries behind the reports: a family's whole current log, and the caseload's few bulk
//! queries over every family a reader may see (families, persons, the window's contacts with
//! participants, long visits reaching into the window, and each pair's last contact before it).
//!
//! The caseload must stay fast at a million contacts, so it never loads a family at a time:
//! each query runs once over a slice of up to a thousand families (an id range, or the listed
//! ids of a program's families), reads the covering `contacts_report` index
//! (migration `2026-11-28-000002_reports`) without joining participants, and returns narrow
//! rows that the service groups in memory. Only current versions count
//! (`superseded_by IS NULL`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use kinthread_shared::attention::{CaregiverCheckin, Thresholds};
use kinthread_shared::reports::PersonSummary;
use kinthread_shared::{
    ContactEvent, ContactKind, ContactStatus, DepthLevel, EndRule, FamilyId, FamilyRole, PersonId,
    ProgramId, TargetCadence, TimeZoneName,
};

use super::contacts::parse_participant_list;
use super::{corrupt, from_millis};
use crate::db::DbConnection;
use crate::schema::{checkins, contacts, families, persons, programs};

/// Which families a bulk query covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FamilyFilter {
    /// Every family (an admin's whole installation).
    All,
    /// Families enrolled in these programs.
    Programs(Vec<ProgramId>),
    /// These families, already chosen by a filter above (a slice of a program's families, the
    /// rows of one caseload page). At most a few thousand: each id is one bound parameter.
    Families(Vec<FamilyId>),
}

/// Families with ids from `first` to `last`, both included: one slice of a caseload that is
/// computed on several connections at once.
#[derive(Clone, Debug)]
pub struct Shard {
    pub first: FamilyId,
    pub last: FamilyId,
}

impl Shard {
    /// The id bounds; without a shard, bounds around every id (the smallest and the largest
    /// UUID, whose stored texts sort around every other).
    pub(crate) fn bounds(shard: Option<&Shard>) -> (FamilyId, FamilyId) {
        shard.map_or(
            (FamilyId(uuid::Uuid::nil()), FamilyId(uuid::Uuid::max())),
            |s| (s.first, s.last),
        )
    }
}

/// Filters a boxed query of `$table` to the families in scope and in the shard: a listed
/// family by its id, otherwise through a subquery on `families` (a macro: each branch is its
/// own query type, and a boxed subquery cannot serve both engines of the multi-connection).
///
/// Listing the families matters for one program among many: behind a subquery PostgreSQL reads
/// every family's check-ins and feedback in the window and only then keeps the program's, where
/// a list of ids seeks each family's range of the index.
macro_rules! in_families {
    ($query:expr, $column:expr, $filter:expr, $shard:expr) => {{
        let (first, last) = Shard::bounds($shard);
        match $filter {
            FamilyFilter::Families(ids) => $query.filter($column.eq_any(ids.clone())),
            FamilyFilter::Programs(programs) => $query.filter(
                $column.eq_any(
                    families::table
                        .filter(families::program_id.eq_any(programs.clone()))
                        .filter(families::id.between(first, last))
                        .select(families::id),
                ),
            ),
            FamilyFilter::All => $query.filter(
                $column.eq_any(
                    families::table
                        .filter(families::id.between(first, last))
                        .select(families::id),
                ),
            ),
        }
    }};
}

pub(crate) use in_families;

/// What the caseload needs of a family.
#[derive(Clone, Debug)]
pub struct CaseloadFamily {
    pub id: FamilyId,
    pub display_name: String,
    pub program_id: Option<ProgramId>,
    pub time_zone: TimeZoneName,
    /// The target in force: the family's own, else its program's, else weekly.
    pub target: TargetCadence,
    /// The attention thresholds of its program (the defaults without one), shared by the
    /// program's families.
    pub thresholds: Arc<Thresholds>,
}

/// id, display name, program, time zone, own target.
type FamilyRow = (
    FamilyId,
    String,
    Option<ProgramId>,
    TimeZoneName,
    Option<TargetCadence>,
);

/// The families in scope, in id order.
pub fn families_in(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
) -> QueryResult<Vec<CaseloadFamily>> {
    let mut targets: HashMap<ProgramId, (TargetCadence, Arc<Thresholds>)> = HashMap::new();
    for (id, target, stored) in programs::table
        .select((
            programs::id,
            programs::target_cadence_days,
            programs::attention_thresholds,
        ))
        .load::<(ProgramId, TargetCadence, Option<String>)>(conn)?
    {
        let thresholds = super::programs::thresholds(stored.as_deref())?;
        targets.insert(id, (target, Arc::new(thresholds)));
    }
    let defaults = Arc::new(Thresholds::default());
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
    match filter {
        FamilyFilter::All => {}
        FamilyFilter::Programs(programs) => {
            query = query.filter(families::program_id.eq_any(programs.clone()));
        }
        FamilyFilter::Families(ids) => query = query.filter(families::id.eq_any(ids.clone())),
    }
    let rows: Vec<FamilyRow> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, display_name, program_id, time_zone, own)| {
            let program = program_id.and_then(|p| targets.get(&p));
            CaseloadFamily {
                id,
                display_name,
                program_id,
                time_zone,
                target: TargetCadence::in_force(own, program.map(|(target, _)| *target)),
                thresholds: program.map_or_else(|| defaults.clone(), |(_, t)| t.clone()),
            }
        })
        .collect())
}

/// The persons with one of `roles` of the families in scope, as reports name them (no phone,
/// no place).
pub fn persons_in(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
    shard: Option<&Shard>,
    roles: &[FamilyRole],
) -> QueryResult<Vec<(FamilyId, PersonSummary)>> {
    let mut query = persons::table
        .filter(persons::role.eq_any(roles))
        .select((
            persons::family_id,
            persons::id,
            persons::display_name,
            persons::role,
            persons::lives_away,
        ))
        .into_boxed();
    if shard.is_some() || !matches!(filter, FamilyFilter::All) {
        query = in_families!(query, persons::family_id, filter, shard);
    }
    let rows: Vec<SummaryRow> = query.load(conn)?;
    Ok(rows.into_iter().map(to_summary).collect())
}

/// The persons of one family, as reports name them.
pub fn persons_of(conn: &mut DbConnection, family_id: FamilyId) -> QueryResult<Vec<PersonSummary>> {
    let rows: Vec<SummaryRow> = persons::table
        .filter(persons::family_id.eq(family_id))
        .select((
            persons::family_id,
            persons::id,
            persons::display_name,
            persons::role,
            persons::lives_away,
        ))
        .order(persons::id.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(|row| to_summary(row).1).collect())
}

/// family, id, display name, role, lives away.
type SummaryRow = (FamilyId, PersonId, String, FamilyRole, bool);

fn to_summary(
    (family, id, display_name, role, lives_away): SummaryRow,
) -> (FamilyId, PersonSummary) {
    (
        family,
        PersonSummary {
            id,
            display_name,
            role,
            lives_away,
        },
    )
}

/// One contact as reports read it: family, kind, status, initiator, start, duration, end,
/// depth score and level, participants (comma-separated). Kind, status and level come as
/// codes (see [`code_of`]): a million contacts are a few million fewer strings.
type EventRow = (
    FamilyId,
    i32,
    i32,
    PersonId,
    i64,
    Option<i64>,
    Option<i64>,
    Option<f64>,
    Option<i32>,
    Option<String>,
);

/// A SQL expression giving each stored spelling of `column` its position in `spellings`
/// (NULL for anything else).
fn code_of(column: &str, spellings: impl Iterator<Item = &'static str>) -> String {
    let arms: String = spellings
        .enumerate()
        .map(|(code, spelling)| format!(" WHEN '{spelling}' THEN {code}"))
        .collect();
    format!("CASE {column}{arms} ELSE NULL END")
}

/// The value whose spelling has position `code` in `all`.
fn from_code<T: Copy>(what: &str, all: &[T], code: i32) -> QueryResult<T> {
    usize::try_from(code)
        .ok()
        .and_then(|index| all.get(index).copied())
        .ok_or_else(|| corrupt(format!("unreadable {what}")))
}

/// Which contacts an event query loads.
#[derive(Clone, Copy, Debug)]
pub enum EventRange {
    /// Started in `[from, to]` (epoch ms).
    Started { from: i64, to: i64 },
    /// Visits that started before `before` and ended at or after it: the only contacts
    /// starting that early that can still reach into a window beginning a day after `before`.
    VisitsAcross { before: i64 },
    /// Everything.
    All,
}

/// Current contacts of the families in scope (or of one family), as the gap and depth logic
/// reads them, grouped by family.
///
/// One table, no join: the participants come from `participant_ids`, and every column read is
/// in the `contacts_report` index, so a report reads each family's range of that index only.
/// The family filter is always written as a subquery on `families` (even for every family),
/// which leads SQLite to seek that index family by family instead of scanning the table.
pub fn events(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
    shard: Option<&Shard>,
    family: Option<FamilyId>,
    range: EventRange,
) -> QueryResult<HashMap<FamilyId, Vec<ContactEvent>>> {
    let kind = code_of("contacts.kind", ContactKind::ALL.iter().map(|k| k.as_str()));
    let status = code_of(
        "contacts.status",
        ContactStatus::ALL.iter().map(|s| s.as_str()),
    );
    let level = code_of(
        "contacts.depth_level",
        DepthLevel::ALL.iter().map(|l| l.as_str()),
    );
    let mut query = contacts::table
        .filter(contacts::superseded_by.is_null())
        .select((
            contacts::family_id,
            sql::<Integer>(&kind),
            sql::<Integer>(&status),
            contacts::initiator_id,
            contacts::started_at,
            contacts::duration_seconds,
            contacts::ended_at,
            contacts::depth_score,
            sql::<Nullable<Integer>>(&level),
            contacts::participant_ids,
        ))
        .into_boxed();
    let visits_across = matches!(range, EventRange::VisitsAcross { .. });
    match (family, filter, shard) {
        (Some(family), ..) => query = query.filter(contacts::family_id.eq(family)),
        // Visits across the cut are few: the `contacts_ended` index finds them faster than a
        // walk through every family's history.
        (None, FamilyFilter::All, None) if visits_across => {}
        (None, ..) => query = in_families!(query, contacts::family_id, filter, shard),
    }
    query = match range {
        EventRange::Started { from, to } => query
            .filter(contacts::started_at.ge(from))
            .filter(contacts::started_at.le(to)),
        EventRange::VisitsAcross { before } => query
            .filter(contacts::ended_at.ge(before))
            .filter(contacts::started_at.lt(before))
            .filter(contacts::kind.eq_any(lasting_kinds().collect::<Vec<_>>())),
        EventRange::All => query,
    };
    let mut by_family: HashMap<FamilyId, Vec<ContactEvent>> = HashMap::new();
    // Rows are turned into events as they come (SQLite steps through them), so the text of
    // a million rows is never held at once.
    for row in query.load_iter::<EventRow, diesel::connection::DefaultLoadingMode>(conn)? {
        let (family, event) = to_event(row?)?;
        by_family.entry(family).or_default().push(event);
    }
    Ok(by_family)
}

fn to_event(row: EventRow) -> QueryResult<(FamilyId, ContactEvent)> {
    let (family, kind, status, initiator, started, duration, ended, score, level, participants) =
        row;
    let participants = participants
        .as_deref()
        .map(parse_participant_list)
        .transpose()?
        .ok_or_else(|| {
            corrupt(format!(
                "a contact of family {family} has no participant_ids"
            ))
        })?;
    Ok((
        family,
        ContactEvent {
            kind: from_code("contact kind", ContactKind::ALL, kind)?,
            status: from_code("contact status", ContactStatus::ALL, status)?,
            participants,
            initiator,
            started_at: from_millis(started)?,
            duration_seconds: duration,
            ended_at: ended.map(from_millis).transpose()?,
            depth_score: score.map(|s| s.round().clamp(0.0, 100.0) as u8),
            depth_level: level
                .map(|code| from_code("depth level", DepthLevel::ALL, code))
                .transpose()?,
        },
    ))
}

/// The last moment each set of participants was in contact through a counted contact that
/// started before `before` (epoch ms), for the given families; the caller expands each set
/// into its pairs. Visits still going on at `before` are left out: [`EventRange::VisitsAcross`]
/// loads them in full.
///
/// Aggregated in the database over the `contacts_report` index, so the history before a
/// report's window never leaves it: the caseload only needs the last contact of pairs that
/// had none in the window. Returns `(family, participants, last contact ms)`.
pub fn last_contacts_before(
    conn: &mut DbConnection,
    families: &[FamilyId],
    before: i64,
) -> QueryResult<Vec<(FamilyId, Vec<PersonId>, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        family_id: FamilyId,
        #[diesel(sql_type = Nullable<Text>)]
        participant_ids: Option<String>,
        #[diesel(sql_type = BigInt)]
        last_end: i64,
    }
    let mut found = Vec::new();
    // The ids are written into the statement: they are UUIDs this server formatted (hex and
    // hyphens only), and `before` is a number, so nothing from a client reaches the SQL
    // text. Literal lists keep one statement for both engines' placeholder styles.
    for chunk in families.chunks(2_000) {
        if chunk.is_empty() {
            continue;
        }
        let ids = chunk
            .iter()
            .map(|f| format!("'{}'", f.as_uuid().hyphenated()))
            .collect::<Vec<_>>()
            .join(",");
        // The contact rule of `kinthread_shared::counted_span`, as SQL built from the same
        // enum metadata.
        let (counts, end, lasting) = (&*COUNTS_SQL, &*COUNTED_END_SQL, &*LASTING_KINDS_SQL);
        let sql = format!(
            "SELECT family_id, participant_ids, MAX({end}) AS last_end \
             FROM contacts \
             WHERE family_id IN ({ids}) \
               AND superseded_by IS NULL \
               AND started_at < {before} \
               AND ({counts}) \
               AND NOT (kind IN ({lasting}) AND ended_at IS NOT NULL AND ended_at >= {before}) \
             GROUP BY family_id, participant_ids"
        );
        let rows: Vec<Row> = diesel::sql_query(sql).load(conn)?;
        for row in rows {
            let Some(participants) = row.participant_ids.as_deref() else {
                return Err(corrupt(format!(
                    "a contact of family {} has no participant_ids",
                    row.family_id
                )));
            };
            found.push((
                row.family_id,
                parse_participant_list(participants)?,
                row.last_end,
            ));
        }
    }
    Ok(found)
}

fn quoted(spellings: impl Iterator<Item = &'static str>) -> String {
    spellings
        .map(|spelling| format!("'{spelling}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "The contact counts" (SPEC section 4) as SQL over `contacts`, from
/// [`ContactKind::counts_with`].
static COUNTS_SQL: LazyLock<String> = LazyLock::new(|| {
    ContactKind::ALL
        .iter()
        .filter_map(|&kind| {
            let statuses: Vec<&'static str> = ContactStatus::ALL
                .iter()
                .filter(|&&status| kind.counts_with(status))
                .map(|status| status.as_str())
                .collect();
            match statuses.len() {
                0 => None,
                n if n == ContactStatus::ALL.len() => Some(format!("kind = '{kind}'")),
                _ => Some(format!(
                    "(kind = '{kind}' AND status IN ({}))",
                    quoted(statuses.into_iter())
                )),
            }
        })
        .collect::<Vec<_>>()
        .join(" OR ")
});

/// Where a counted contact ends, as SQL over `contacts` (epoch ms), from
/// [`ContactKind::end_rule`].
static COUNTED_END_SQL: LazyLock<String> = LazyLock::new(|| {
    let arms: String = ContactKind::ALL
        .iter()
        .map(|&kind| {
            let end = match kind.end_rule() {
                EndRule::StartPlusDuration => {
                    "CASE WHEN duration_seconds > 0 \
                     THEN started_at + duration_seconds * 1000 ELSE started_at END"
                }
                EndRule::AtStart => "started_at",
                EndRule::EndedAt => {
                    "CASE WHEN ended_at > started_at THEN ended_at ELSE started_at END"
                }
            };
            format!(" WHEN '{kind}' THEN {end}")
        })
        .collect();
    format!("CASE kind{arms} ELSE NULL END")
});

/// The kinds whose contact lasts until a recorded end (visits), quoted for an `IN` list.
static LASTING_KINDS_SQL: LazyLock<String> = LazyLock::new(|| quoted(lasting_kinds()));

fn lasting_kinds() -> impl Iterator<Item = &'static str> {
    ContactKind::ALL
        .iter()
        .filter(|kind| kind.end_rule() == EndRule::EndedAt)
        .map(|kind| kind.as_str())
}

/// The caregivers' check-ins of the families in scope observed in `[from, to]` (epoch ms),
/// as the attention signals read them: whose child, when, mood, whether a worry was noted.
/// Never their text.
pub fn checkins_in(
    conn: &mut DbConnection,
    filter: &FamilyFilter,
    shard: Option<&Shard>,
    family: Option<FamilyId>,
    from: i64,
    to: i64,
) -> QueryResult<HashMap<FamilyId, Vec<(PersonId, CaregiverCheckin)>>> {
    let mut query = checkins::table
        .filter(checkins::observed_at.ge(from))
        .filter(checkins::observed_at.le(to))
        .select((
            checkins::family_id,
            checkins::child_id,
            checkins::observed_at,
            checkins::mood,
            checkins::worries.is_not_null(),
        ))
        .into_boxed();
    query = match family {
        Some(family) => query.filter(checkins::family_id.eq(family)),
        None => in_families!(query, checkins::family_id, filter, shard),
    };
    let rows: Vec<(FamilyId, PersonId, i64, i32, bool)> = query.load(conn)?;
    let mut by_family: HashMap<FamilyId, Vec<(PersonId, CaregiverCheckin)>> = HashMap::new();
    for (family, child, observed, mood, worry_noted) in rows {
        by_family.entry(family).or_default().push((
            child,
            CaregiverCheckin {
                observed_at: from_millis(observed)?,
                mood,
                worry_noted,
            },
        ));
    }
    Ok(by_family)
}
