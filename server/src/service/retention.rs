//! Retention (SPEC section 7): for each program with a retention period, `kinthread-server
//! retention` erases its families' contacts older than the period (every version of an
//! amended contact, when all of them are older, with their participants and the child's
//! feedback on them) and the check-ins observed before it. It works in batches, each its own
//! short immediate transaction with a pause after it on SQLite, so that a running server keeps
//! serving; the audit keeps the counts and the program's id, never a family's.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kinthread_shared::retention::{contact_expired, cut_off};
use kinthread_shared::{CheckinId, ChildCheckinId, ContactId, FamilyId, ProgramId};

use crate::db::{DbConnection, immediate_transaction};
use crate::schema::{
    checkins, child_checkins, contact_feedback, contact_participants, contacts, families, programs,
};
use crate::store::{self, corrupt, from_millis, to_millis};

/// Records erased per batch, each batch in a transaction of its own.
pub const DEFAULT_BATCH: usize = 1_000;

/// Whether records are erased or only counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    DryRun,
    Apply,
}

/// How many records were erased (or, in a dry run, would be).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub contacts: u64,
    pub participants: u64,
    pub feedback: u64,
    pub checkins: u64,
    pub child_checkins: u64,
}

/// One program's run: its period, the cut it gave and the counts.
#[derive(Clone, Debug)]
pub struct ProgramRetention {
    pub program_id: ProgramId,
    pub name: String,
    pub months: u16,
    pub cut: DateTime<Utc>,
    pub erased: Erased,
}

impl ProgramRetention {
    /// The counts in words, for the command's output and the audit.
    pub fn counts(&self) -> String {
        let e = &self.erased;
        format!(
            "{} contacts, {} participants, {} feedback, {} check-ins, {} child check-ins",
            e.contacts, e.participants, e.feedback, e.checkins, e.child_checkins
        )
    }
}

/// Runs retention for every program that has a period, as of `now`.
pub fn run(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    mode: Mode,
    batch: usize,
) -> QueryResult<Vec<ProgramRetention>> {
    let batch = batch.max(1);
    let kept: Vec<(ProgramId, String, Option<i32>)> = programs::table
        .filter(programs::retention_months.is_not_null())
        .select((programs::id, programs::name, programs::retention_months))
        .order(programs::id.asc())
        .load(conn)?;
    let mut outcome = Vec::new();
    for (program_id, name, months) in kept {
        let months = months
            .and_then(|m| u16::try_from(m).ok())
            .ok_or_else(|| corrupt(format!("program {program_id}: retention {months:?}")))?;
        let cut = cut_off(now, months);
        let mut erased = Erased::default();
        erase_contacts(conn, program_id, cut, mode, batch, &mut erased)?;
        erased.checkins = erase_checkins(conn, program_id, cut, mode, batch)?;
        erased.child_checkins = erase_child_checkins(conn, program_id, cut, mode, batch)?;
        let run = ProgramRetention {
            program_id,
            name,
            months,
            cut,
            erased,
        };
        if mode == Mode::Apply {
            let target = format!(
                "program {program_id}, {months} months, before {}: erased {}",
                cut.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                run.counts()
            );
            immediate_transaction(conn, |conn| {
                store::audit::record(conn, None, "retention.apply", None, Some(&target))
            })?;
        }
        outcome.push(run);
    }
    Ok(outcome)
}

/// On SQLite, where one writer holds the database at a time, waits as long as the batch
/// took (5 ms at least) before the next one, so that the server's writes, sleeping in their
/// busy handler, find the lock free: without it they wait for the whole run. PostgreSQL's
/// writers are not held up by ours.
fn yield_to_writers(conn: &DbConnection, batch_started: Instant) {
    if let DbConnection::Sqlite(_) = conn {
        std::thread::sleep(batch_started.elapsed().max(Duration::from_millis(5)));
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn limit(batch: usize) -> i64 {
    i64::try_from(batch).unwrap_or(i64::MAX)
}

/// A contact's times and its links to the other versions of it.
type ContactTimes = (
    FamilyId,
    ContactId,
    i64,
    Option<i64>,
    Option<i64>,
    Option<ContactId>,
    Option<ContactId>,
);

fn expired(row: &ContactTimes, cut: DateTime<Utc>) -> QueryResult<bool> {
    let ended = row.4.map(from_millis).transpose()?;
    Ok(contact_expired(from_millis(row.2)?, row.3, ended, cut))
}

/// Every version linked to `start` (itself included), and whether all of them are older than
/// the cut.
fn versions(
    start: ContactId,
    linked: &HashMap<ContactId, ContactTimes>,
    cut: DateTime<Utc>,
) -> QueryResult<(Vec<ContactId>, bool)> {
    let mut seen = HashSet::from([start]);
    let mut queue = vec![start];
    let mut all_expired = true;
    while let Some(id) = queue.pop() {
        let Some(row) = linked.get(&id) else {
            continue;
        };
        all_expired &= expired(row, cut)?;
        for next in [row.5, row.6].into_iter().flatten() {
            if seen.insert(next) {
                queue.push(next);
            }
        }
    }
    Ok((seen.into_iter().collect(), all_expired))
}

fn erase_contacts(
    conn: &mut DbConnection,
    program: ProgramId,
    cut: DateTime<Utc>,
    mode: Mode,
    batch: usize,
    erased: &mut Erased,
) -> QueryResult<()> {
    let cut_ms = to_millis(cut);
    let mut after: Option<(FamilyId, ContactId)> = None;
    // Versions handled ahead of the cursor (a dry run meets them again).
    let mut handled: HashSet<(FamilyId, ContactId)> = HashSet::new();
    loop {
        let started = Instant::now();
        let last = immediate_transaction(conn, |conn| {
            let mut page = contacts::table
                .filter(
                    contacts::family_id.eq_any(
                        families::table
                            .filter(families::program_id.eq(program))
                            .select(families::id),
                    ),
                )
                .filter(contacts::started_at.lt(cut_ms))
                .select((
                    contacts::family_id,
                    contacts::id,
                    contacts::started_at,
                    contacts::duration_seconds,
                    contacts::ended_at,
                    contacts::supersedes,
                    contacts::superseded_by,
                ))
                .order((contacts::family_id.asc(), contacts::id.asc()))
                .limit(limit(batch))
                .into_boxed();
            if let Some((family, id)) = after {
                page = page.filter(
                    contacts::family_id
                        .gt(family)
                        .or(contacts::family_id.eq(family).and(contacts::id.gt(id))),
                );
            }
            let rows: Vec<ContactTimes> = page.load(conn)?;
            let mut linked_of: HashMap<FamilyId, HashMap<ContactId, ContactTimes>> = HashMap::new();
            let mut doomed: BTreeMap<FamilyId, Vec<ContactId>> = BTreeMap::new();
            for row in &rows {
                let (family, id) = (row.0, row.1);
                if handled.contains(&(family, id)) || !expired(row, cut)? {
                    continue;
                }
                if row.5.is_none() && row.6.is_none() {
                    doomed.entry(family).or_default().push(id);
                    continue;
                }
                let linked = match linked_of.entry(family) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let rows: Vec<ContactTimes> = contacts::table
                            .filter(contacts::family_id.eq(family))
                            .filter(
                                contacts::supersedes
                                    .is_not_null()
                                    .or(contacts::superseded_by.is_not_null()),
                            )
                            .select((
                                contacts::family_id,
                                contacts::id,
                                contacts::started_at,
                                contacts::duration_seconds,
                                contacts::ended_at,
                                contacts::supersedes,
                                contacts::superseded_by,
                            ))
                            .load(conn)?;
                        e.insert(rows.into_iter().map(|r| (r.1, r)).collect())
                    }
                };
                let (versions, all_expired) = versions(id, linked, cut)?;
                if !all_expired {
                    continue;
                }
                for version in versions {
                    if handled.insert((family, version)) {
                        doomed.entry(family).or_default().push(version);
                    }
                }
            }
            for (family, ids) in &doomed {
                erase_contact_batch(conn, *family, ids, mode, erased)?;
            }
            Ok::<_, diesel::result::Error>(rows.last().map(|r| (r.0, r.1)))
        })?;
        yield_to_writers(conn, started);
        match last {
            Some(key) => after = Some(key),
            None => return Ok(()),
        }
    }
}

/// Erases (or counts) some contacts of one family with their feedback and participants,
/// which refer to them and so go first.
fn erase_contact_batch(
    conn: &mut DbConnection,
    family: FamilyId,
    ids: &[ContactId],
    mode: Mode,
    erased: &mut Erased,
) -> QueryResult<()> {
    let feedback = contact_feedback::table
        .filter(contact_feedback::family_id.eq(family))
        .filter(contact_feedback::contact_id.eq_any(ids));
    let participants = contact_participants::table
        .filter(contact_participants::family_id.eq(family))
        .filter(contact_participants::contact_id.eq_any(ids));
    let contacts = contacts::table
        .filter(contacts::family_id.eq(family))
        .filter(contacts::id.eq_any(ids));
    match mode {
        Mode::Apply => {
            erased.feedback += count(diesel::delete(feedback).execute(conn)?);
            erased.participants += count(diesel::delete(participants).execute(conn)?);
            erased.contacts += count(diesel::delete(contacts).execute(conn)?);
        }
        Mode::DryRun => {
            let n = |n: i64| u64::try_from(n).unwrap_or(0);
            erased.feedback += n(feedback.count().get_result(conn)?);
            erased.participants += n(participants.count().get_result(conn)?);
            erased.contacts += n(contacts.count().get_result(conn)?);
        }
    }
    Ok(())
}

/// Erases (or counts) the rows of a check-in table observed before the cut, in batches.
macro_rules! erase_observed {
    ($name:ident, $table:ident, $id:ty) => {
        fn $name(
            conn: &mut DbConnection,
            program: ProgramId,
            cut: DateTime<Utc>,
            mode: Mode,
            batch: usize,
        ) -> QueryResult<u64> {
            let cut_ms = to_millis(cut);
            let mut total = 0_u64;
            let mut after: Option<(FamilyId, $id)> = None;
            loop {
                let started = Instant::now();
                let (rows, erased) = immediate_transaction(conn, |conn| {
                    let mut page = $table::table
                        .filter(
                            $table::family_id.eq_any(
                                families::table
                                    .filter(families::program_id.eq(program))
                                    .select(families::id),
                            ),
                        )
                        .filter($table::observed_at.lt(cut_ms))
                        .select(($table::family_id, $table::id))
                        .order(($table::family_id.asc(), $table::id.asc()))
                        .limit(limit(batch))
                        .into_boxed();
                    if let Some((family, id)) = after {
                        page = page.filter(
                            $table::family_id
                                .gt(family)
                                .or($table::family_id.eq(family).and($table::id.gt(id))),
                        );
                    }
                    let rows: Vec<(FamilyId, $id)> = page.load(conn)?;
                    let mut erased = count(rows.len());
                    if mode == Mode::Apply {
                        let mut by_family: BTreeMap<FamilyId, Vec<$id>> = BTreeMap::new();
                        for (family, id) in &rows {
                            by_family.entry(*family).or_default().push(*id);
                        }
                        erased = 0;
                        for (family, ids) in by_family {
                            erased += count(
                                diesel::delete(
                                    $table::table
                                        .filter($table::family_id.eq(family))
                                        .filter($table::id.eq_any(ids)),
                                )
                                .execute(conn)?,
                            );
                        }
                    }
                    Ok::<_, diesel::result::Error>((rows, erased))
                })?;
                total += erased;
                yield_to_writers(conn, started);
                match rows.last() {
                    Some(key) => after = Some(*key),
                    None => return Ok(total),
                }
            }
        }
    };
}

erase_observed!(erase_checkins, checkins, CheckinId);
erase_observed!(erase_child_checkins, child_checkins, ChildCheckinId);
