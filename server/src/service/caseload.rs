//! The staff caseload: each family's most urgent parent–child pair, most severe status first,
//! then the longest current gap, snoozed families left out, one page at a time.
//!
//! It must answer for 50,000 families and a million contacts in about a second, and for one
//! program in tens of milliseconds, with little memory, so it works in two passes:
//!
//! - [`rank`] places every family: slices of at most [`CHUNK_FAMILIES`] families each get
//!   their pairs' gap figures and signals from a handful of bulk queries, and only where each
//!   family stands is kept once its slice is done;
//! - [`rows_of`] builds the full rows (depth, names, follow-up) of one page's families only.
//!
//! The route keeps a ranking as a snapshot ([`Snapshots`]), so the next pages only build
//! their rows. The figures themselves come from `kinthread_shared::gaps` and
//! `kinthread_shared::depth::summary`. No note or text content enters a row.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use chrono::{DateTime, Duration, Utc};
use kinthread_shared::attention::{
    AttentionLevel, AttentionRank, CaregiverCheckin, FeedbackFact, FeedbackVisibility,
    PairEvidence, PairStanding, Signal, family_rank, pair_signals,
};
use kinthread_shared::depth::summary::summarize;
use kinthread_shared::gaps::{
    GapStatus, Pair, PairGaps, Urgency, Window, compare_urgency, pair_gaps,
};
use kinthread_shared::reports::assemble::report_pairs;
use kinthread_shared::reports::{CaseloadRow, FollowUp, PairKind, PersonSummary};
use kinthread_shared::{
    ContactEvent, ContactKind, ContactStatus, FamilyId, FamilyRole, FollowUpOutcome, ProgramId,
    UserId,
};

use super::reports::{ReportTime, gap_error};
use crate::access::{self, Action};
use crate::auth::AuthUser;
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::store::reports::{
    self as reports_store, CaseloadFamily, EventRange, FamilyFilter, Shard,
};
use crate::store::{self, follow_ups, voice};
use crate::store::{from_millis, to_millis};

/// The order of a caseload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaseloadOrder {
    /// SPEC 4a: attention level, then gap status, then current gap.
    #[default]
    Attention,
    /// Gap status, then current gap (the order before attention signals).
    Gap,
}

/// What the caseload was asked for.
#[derive(Clone, Debug)]
pub struct CaseloadRequest {
    pub filter: FamilyFilter,
    pub order: CaseloadOrder,
    pub time: ReportTime,
    pub include_snoozed: bool,
    /// Rows to skip (the cursor) and rows to return.
    pub offset: usize,
    pub limit: usize,
    /// At most how many families are gathered at once ([`CHUNK_FAMILIES`]; tests lower it to
    /// check that slices agree with one pass).
    pub chunk_families: usize,
}

/// One page of the caseload.
#[derive(Clone, Debug, Default)]
pub struct CaseloadPage {
    pub rows: Vec<CaseloadRow>,
    /// Rows over all pages (snoozed families left out).
    pub total_rows: usize,
    pub snoozed_hidden: u32,
}

/// The families `user` may see in a caseload, narrowed to one program if asked.
pub fn filter_for(
    conn: &mut DbConnection,
    user: &AuthUser,
    program_id: Option<ProgramId>,
) -> Result<FamilyFilter, ApiError> {
    let mine = access::program_scope(conn, user, Action::ReadCaseload)?;
    match (mine, program_id) {
        (None, None) => Ok(FamilyFilter::All),
        (None, Some(program)) => {
            store::programs::get(conn, program)?.ok_or(ApiError::NotFound("program"))?;
            Ok(FamilyFilter::Programs(vec![program]))
        }
        (Some(mine), None) => Ok(FamilyFilter::Programs(mine)),
        (Some(mine), Some(program)) if mine.contains(&program) => {
            Ok(FamilyFilter::Programs(vec![program]))
        }
        (Some(_), Some(_)) => Err(ApiError::forbidden(
            "read the caseload of a program you do not work in",
        )),
    }
}

/// The parent–child pairs a caseload row is chosen from: those with a parent living away,
/// since a parent at home rarely logs contact with the child beside them; a family with no
/// parent living away has all its parent–child pairs considered.
pub fn caseload_pairs(persons: &[PersonSummary]) -> Vec<(&PersonSummary, &PersonSummary)> {
    let all: Vec<(&PersonSummary, &PersonSummary)> = report_pairs(persons)
        .into_iter()
        .filter(|(kind, _, _)| *kind == PairKind::ParentChild)
        .map(|(_, parent, child)| (parent, child))
        .collect();
    if all.iter().any(|(parent, _)| parent.lives_away) {
        all.into_iter()
            .filter(|(parent, _)| parent.lives_away)
            .collect()
    } else {
        all
    }
}

/// Whether a contact counts for a pair (SPEC section 4) and started by `as_of`.
fn counts_for(event: &ContactEvent, pair: &Pair, as_of: DateTime<Utc>) -> bool {
    event.started_at <= as_of && event.counted_span().is_some() && pair.took_part_in(event)
}

/// `(snoozed_until, recheck_at)` from the latest follow-up: a `remind_later` snoozes the
/// family until its re-check; any outcome with a re-check shows it.
pub fn follow_up_times(
    latest: Option<&FollowUp>,
    as_of: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let Some(latest) = latest else {
        return (None, None);
    };
    let snoozed = match (latest.outcome, latest.recheck_at) {
        (FollowUpOutcome::RemindLater, Some(until)) if until > as_of => Some(until),
        _ => None,
    };
    (snoozed, latest.recheck_at)
}

/// The pair a caseload row shows: its gap figures, the signals of every caseload pair of the
/// family, and the indices of parent and child in the family's persons.
struct ShownPair {
    gaps: PairGaps,
    signals: Vec<Signal>,
    pair: Pair,
    parent: usize,
    child: usize,
}

/// A family of a slice ranked by its most urgent pair, before its row is built.
struct Ranked {
    /// Index into the slice.
    family: usize,
    /// The pair the row shows: the one most in need of attention. `None` for a family
    /// without a parent–child pair.
    worst: Option<ShownPair>,
    /// The family's attention level and worst gap (SPEC 4a).
    rank: AttentionRank,
}

impl Ranked {
    fn status(&self) -> GapStatus {
        self.urgency().status
    }

    /// A family without a pair ranks as `never`, with no gap.
    fn urgency(&self) -> Urgency {
        self.worst
            .as_ref()
            .map_or(Urgency::NEVER, |shown| Urgency::of(&shown.gaps))
    }

    /// SPEC 4a: a remind-later follow-up never hides a family whose gap is critical, stale
    /// or never, nor one whose attention level is high.
    fn may_be_snoozed(&self) -> bool {
        let gap_allows = match self.status() {
            GapStatus::Critical | GapStatus::Stale | GapStatus::Never => false,
            GapStatus::OnTrack | GapStatus::Due | GapStatus::Overdue | GapStatus::Serious => true,
        };
        gap_allows && self.rank.level != AttentionLevel::High
    }
}

/// Where a family stands in the order, kept for every family in scope while the rest of its
/// figures are dropped with its slice.
#[derive(Clone, Copy, Debug)]
struct Placed {
    /// Index into the families in scope.
    family: usize,
    rank: AttentionRank,
    urgency: Urgency,
}

/// The staff-list order applied to families, then by name and id so equally urgent rows
/// keep a stable order.
fn compare_placed(
    order: CaseloadOrder,
    families: &[CaseloadFamily],
    a: &Placed,
    b: &Placed,
) -> Ordering {
    let first = match order {
        CaseloadOrder::Attention => a.rank.cmp(&b.rank),
        CaseloadOrder::Gap => a.urgency.cmp(&b.urgency),
    };
    first.then_with(|| match (families.get(a.family), families.get(b.family)) {
        (Some(x), Some(y)) => (&x.display_name, x.id).cmp(&(&y.display_name, y.id)),
        _ => Ordering::Equal,
    })
}

/// At most this many families are gathered at once: each slice's contacts are dropped once
/// its families are placed, so the memory a caseload holds does not grow with the
/// installation. (`CaseloadRequest::chunk_families` lowers it in tests.)
pub const CHUNK_FAMILIES: usize = 1_000;

/// Slices are not made smaller than this to share work between connections: below it a
/// thread costs more than it saves.
const MIN_SHARED_CHUNK: usize = 250;

/// At most this many connections work on one caseload.
const MAX_SHARDS: usize = 4;

/// How long to wait for a spare connection before leaving the work to the held one.
const SPARE_CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

/// The caseload's order: every family in scope, most in need of attention first, without
/// the families a remind-later follow-up hides.
#[derive(Clone, Debug, Default)]
pub struct Ranking {
    pub order: Vec<FamilyId>,
    pub snoozed_hidden: u32,
}

/// One page of the caseload of the families in `request.filter`: the order of every family
/// ([`rank`]), then the full rows of the page's families only ([`rows_of`]).
pub fn caseload(
    db: &Db,
    conn: &mut DbConnection,
    request: &CaseloadRequest,
) -> Result<CaseloadPage, ApiError> {
    let ranking = rank(db, conn, request)?;
    let page: Vec<FamilyId> = ranking
        .order
        .iter()
        .skip(request.offset)
        .take(request.limit)
        .copied()
        .collect();
    Ok(CaseloadPage {
        rows: rows_of(conn, request.time, &page)?,
        total_rows: ranking.order.len(),
        snoozed_hidden: ranking.snoozed_hidden,
    })
}

/// Orders every family in `request.filter`.
///
/// The families are cut into slices (in id order) of at most `request.chunk_families`;
/// threads, each on a pooled connection of its own (PostgreSQL runs them in parallel
/// backends, SQLite in parallel readers), take the next slice until none is left, gather it
/// with a few bulk queries and keep only where each family stands. A thread that finds no
/// spare connection quickly is not started; `conn` always works.
pub fn rank(
    db: &Db,
    conn: &mut DbConnection,
    request: &CaseloadRequest,
) -> Result<Ranking, ApiError> {
    let families = reports_store::families_in(conn, &request.filter)?;
    if families.is_empty() {
        return Ok(Ranking::default());
    }
    let latest = follow_ups::latest_in(conn, &request.filter, to_millis(request.time.as_of))?;
    let mut cut = Cut::of(request.time, &families)?;
    if request.filter == FamilyFilter::All {
        let across = EventRange::VisitsAcross {
            before: cut.millis(),
        };
        cut.visits = Some(reports_store::events(
            conn,
            &FamilyFilter::All,
            None,
            None,
            across,
        )?);
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_SHARDS);
    let shared = families.len().div_ceil(workers).max(MIN_SHARED_CHUNK);
    let chunk = request.chunk_families.min(shared).max(1);
    let slices: Vec<(usize, &[CaseloadFamily])> = families
        .chunks(chunk)
        .enumerate()
        .map(|(index, slice)| (index * chunk, slice))
        .collect();
    let next = AtomicUsize::new(0);
    let work = |conn: &mut DbConnection| -> Result<(Vec<Placed>, u32), ApiError> {
        let mut placed = Vec::new();
        let mut snoozed_hidden = 0;
        while let Some(&(start, slice)) = slices.get(next.fetch_add(1, AtomicOrdering::Relaxed)) {
            let gathered = gather(conn, request, slice, &latest, &cut)?;
            snoozed_hidden += gathered.snoozed_hidden;
            placed.extend(gathered.ranked.iter().map(|entry| Placed {
                family: start + entry.family,
                rank: entry.rank,
                urgency: entry.urgency(),
            }));
        }
        Ok((placed, snoozed_hidden))
    };
    let results: Vec<Result<(Vec<Placed>, u32), ApiError>> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..workers.min(slices.len()))
            .map_while(|_| db.spare_read_conn(SPARE_CONNECTION_WAIT))
            .map(|mut spare| {
                let work = &work;
                scope.spawn(move || work(&mut spare))
            })
            .collect();
        let mut results = vec![work(conn)];
        for handle in helpers {
            results.push(
                handle
                    .join()
                    .unwrap_or_else(|_| Err(ApiError::internal("a caseload thread panicked"))),
            );
        }
        results
    });
    let mut placed = Vec::with_capacity(families.len());
    let mut snoozed_hidden = 0;
    for result in results {
        let (some, hidden) = result?;
        placed.extend(some);
        snoozed_hidden += hidden;
    }
    let order = request.order;
    placed.sort_by(|a, b| compare_placed(order, &families, a, b));
    Ok(Ranking {
        order: placed
            .iter()
            .filter_map(|entry| families.get(entry.family).map(|family| family.id))
            .collect(),
        snoozed_hidden,
    })
}

/// The full caseload rows of `ids`, in that order, at `time` (a page of a [`Ranking`]).
/// Families no longer there (deleted since the ranking) are left out.
pub fn rows_of(
    conn: &mut DbConnection,
    time: ReportTime,
    ids: &[FamilyId],
) -> Result<Vec<CaseloadRow>, ApiError> {
    let mut rows: HashMap<FamilyId, CaseloadRow> = HashMap::with_capacity(ids.len());
    for some in ids.chunks(CHUNK_FAMILIES) {
        let filter = FamilyFilter::Families(some.to_vec());
        let families = reports_store::families_in(conn, &filter)?;
        let mut latest = follow_ups::latest_in(conn, &filter, to_millis(time.as_of))?;
        let request = CaseloadRequest {
            filter,
            order: CaseloadOrder::default(),
            time,
            // The ranking decided what shows; every family asked for gets its row.
            include_snoozed: true,
            offset: 0,
            limit: some.len(),
            chunk_families: CHUNK_FAMILIES,
        };
        let cut = Cut::of(time, &families)?;
        let gathered = gather(conn, &request, &families, &latest, &cut)?;
        for entry in &gathered.ranked {
            let Some(family) = families.get(entry.family) else {
                continue;
            };
            let window = gathered
                .windows
                .get(entry.family)
                .map(|(_, window)| *window)
                .ok_or_else(|| ApiError::internal("a caseload family lost its window"))?;
            let row = caseload_row(
                family,
                gathered
                    .persons
                    .get(&family.id)
                    .map_or(&[][..], Vec::as_slice),
                gathered
                    .events
                    .get(&family.id)
                    .map_or(&[][..], Vec::as_slice),
                &window,
                entry,
                latest.remove(&family.id),
                time.as_of,
            );
            rows.insert(family.id, row);
        }
    }
    Ok(ids.iter().filter_map(|id| rows.remove(id)).collect())
}

/// Where the contacts read in full begin: a day before the earliest window start of the
/// families, so that each window's contacts are loaded in full (a call lasts at most a day)
/// and older history is only aggregated to each pair's last contact.
struct Cut {
    earliest: DateTime<Utc>,
    /// The visits still going on at the cut, of every family, when the caseload covers every
    /// family: the `contacts_ended` index finds them in one walk, which each slice would
    /// otherwise repeat. `None`: each slice reads its own.
    visits: Option<HashMap<FamilyId, Vec<ContactEvent>>>,
}

impl Cut {
    fn of(time: ReportTime, families: &[CaseloadFamily]) -> Result<Self, ApiError> {
        let mut earliest = time.as_of;
        for family in families {
            earliest = earliest.min(time.window(family.time_zone.tz())?.from);
        }
        Ok(Self {
            earliest,
            visits: None,
        })
    }

    fn millis(&self) -> i64 {
        to_millis(self.earliest - Duration::days(1))
    }
}

/// One slice of families, gathered and ranked: each family's most urgent pair, with what its
/// row needs.
struct Gathered {
    persons: HashMap<FamilyId, Vec<PersonSummary>>,
    events: HashMap<FamilyId, Vec<ContactEvent>>,
    windows: Vec<(chrono_tz::Tz, Window)>,
    /// `family` indexes the slice.
    ranked: Vec<Ranked>,
    snoozed_hidden: u32,
}

/// Gathers `families` (a slice of `request.filter`'s, in id order) and ranks each by its most
/// urgent pair. Every family's slice is read by its id range, except where the filter is
/// narrower than every family: then by the listed ids (see `in_families!`).
fn gather(
    conn: &mut DbConnection,
    request: &CaseloadRequest,
    families: &[CaseloadFamily],
    latest: &HashMap<FamilyId, FollowUp>,
    cut: &Cut,
) -> Result<Gathered, ApiError> {
    let time = request.time;
    let (filter, shard) = match (&request.filter, families.first(), families.last()) {
        (FamilyFilter::All, Some(first), Some(last)) => (
            FamilyFilter::All,
            Some(Shard {
                first: first.id,
                last: last.id,
            }),
        ),
        _ => (
            FamilyFilter::Families(families.iter().map(|family| family.id).collect()),
            None,
        ),
    };
    let (filter, shard) = (&filter, shard.as_ref());
    let mut persons: HashMap<FamilyId, Vec<PersonSummary>> = HashMap::new();
    // Only parents and children make caseload pairs.
    let roles = [FamilyRole::Mother, FamilyRole::Father, FamilyRole::Child];
    for (family, person) in reports_store::persons_in(conn, filter, shard, &roles)? {
        persons.entry(family).or_default().push(person);
    }
    let mut windows = Vec::with_capacity(families.len());
    for family in families {
        let tz = family.time_zone.tz();
        windows.push((tz, time.window(tz)?));
    }
    let (earliest, cut_ms) = (cut.earliest, cut.millis());
    let started = EventRange::Started {
        from: cut_ms,
        to: to_millis(time.as_of),
    };
    let mut events = reports_store::events(conn, filter, shard, None, started)?;
    let (from, to) = (to_millis(earliest), to_millis(time.as_of));
    let checkins = reports_store::checkins_in(conn, filter, shard, None, from, to)?;
    let feedbacks = voice::feedback_facts_in(conn, filter, shard, None, from, to)?;
    match &cut.visits {
        Some(visits) => {
            for family in families {
                if let Some(theirs) = visits.get(&family.id) {
                    events
                        .entry(family.id)
                        .or_default()
                        .extend(theirs.iter().cloned());
                }
            }
        }
        None => {
            let across = EventRange::VisitsAcross { before: cut_ms };
            for (family, visits) in reports_store::events(conn, filter, shard, None, across)? {
                events.entry(family).or_default().extend(visits);
            }
        }
    }

    // Each family's caseload pairs, as indices into its persons.
    let no_persons = Vec::new();
    let no_events = Vec::new();
    let mut family_pairs: Vec<Vec<(Pair, usize, usize)>> = Vec::with_capacity(families.len());
    let mut need_history = Vec::new();
    for family in families {
        let people = persons.get(&family.id).unwrap_or(&no_persons);
        let index_of = |id| people.iter().position(|p| p.id == id).unwrap_or(0);
        let mut pairs = Vec::new();
        for (parent, child) in caseload_pairs(people) {
            let pair = Pair::parent_child(parent.id, child.id).map_err(ApiError::internal)?;
            pairs.push((pair, index_of(parent.id), index_of(child.id)));
        }
        // Pairs with no counted contact since the cut need their last contact before it.
        let log = events.get(&family.id).unwrap_or(&no_events);
        if pairs
            .iter()
            .any(|(pair, ..)| !log.iter().any(|event| counts_for(event, pair, time.as_of)))
        {
            need_history.push(family.id);
        }
        family_pairs.push(pairs);
    }
    for (family, participants, last_end) in
        reports_store::last_contacts_before(conn, &need_history, cut_ms)?
    {
        // The last contact before the cut, as a moment: it ends before every window starts,
        // so it only sets the last contact (current gap, status), never a window figure.
        let Some(&initiator) = participants.first() else {
            continue;
        };
        events.entry(family).or_default().push(ContactEvent {
            kind: ContactKind::Text,
            status: ContactStatus::Completed,
            participants,
            initiator,
            started_at: from_millis(last_end)?,
            duration_seconds: None,
            ended_at: None,
            depth_score: None,
            depth_level: None,
        });
    }

    // Every family's most urgent pair, enough to order and filter.
    let no_checkins = Vec::new();
    let no_feedbacks = Vec::new();
    let mut ranked = Vec::with_capacity(families.len());
    let mut snoozed_hidden = 0_u32;
    for (index, family) in families.iter().enumerate() {
        let log = events.get(&family.id).unwrap_or(&no_events);
        let (tz, window) = windows
            .get(index)
            .copied()
            .ok_or_else(|| ApiError::internal("a caseload family lost its window"))?;
        let target = family.target;
        let people = persons.get(&family.id).unwrap_or(&no_persons);
        let family_checkins = checkins.get(&family.id).unwrap_or(&no_checkins);
        let family_feedbacks = feedbacks.get(&family.id).unwrap_or(&no_feedbacks);
        let thresholds = &*family.thresholds;
        let mut worst: Option<ShownPair> = None;
        let mut standings = Vec::new();
        let mut family_signals = Vec::new();
        for &(pair, parent, child) in family_pairs.get(index).map_or(&[][..], Vec::as_slice) {
            let gaps = pair_gaps(log, &pair, &window, tz, target).map_err(gap_error)?;
            let (Some(parent_person), Some(child_person)) = (people.get(parent), people.get(child))
            else {
                continue;
            };
            let about_child: Vec<CaregiverCheckin> = family_checkins
                .iter()
                .filter(|(about, _)| *about == child_person.id)
                .map(|(_, checkin)| *checkin)
                .collect();
            let evidence = PairEvidence {
                parent: parent_person.id,
                parent_role: parent_person.role,
                child: child_person.id,
                contacts: log,
                checkins: &about_child,
                feedbacks: &FeedbackFact::for_pair(
                    family_feedbacks,
                    parent_person.id,
                    child_person.id,
                ),
            };
            let signals = pair_signals(&evidence, &window, thresholds)
                .map_err(|e| ApiError::internal(format!("attention signals: {e}")))?;
            let standing = PairStanding {
                parent_lives_away: parent_person.lives_away,
                status: gaps.status,
                current_gap_seconds: gaps.current_gap_seconds,
                signals: signals.codes(),
            };
            standings.push(standing);
            // Every pair's signals show on the row (their reasons name the parent); the gap
            // figures are the most urgent pair's.
            family_signals.extend(signals.signals);
            let more_urgent = worst
                .as_ref()
                .is_none_or(|shown| compare_urgency(&gaps, &shown.gaps) == Ordering::Less);
            if more_urgent {
                worst = Some(ShownPair {
                    gaps,
                    signals: Vec::new(),
                    pair,
                    parent,
                    child,
                });
            }
        }
        if let Some(shown) = &mut worst {
            shown.signals = family_signals;
        }
        let entry = Ranked {
            family: index,
            worst,
            rank: family_rank(&standings, FeedbackVisibility::Included),
        };
        let (snoozed, _) = follow_up_times(latest.get(&family.id), time.as_of);
        if snoozed.is_some() && !request.include_snoozed && entry.may_be_snoozed() {
            snoozed_hidden += 1;
            continue;
        }
        ranked.push(entry);
    }
    Ok(Gathered {
        persons,
        events,
        windows,
        ranked,
        snoozed_hidden,
    })
}

/// How long a ranking is kept for its next pages.
pub const SNAPSHOT_TTL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// At most this many rankings are kept (the oldest goes first): at 50,000 families one is
/// under a megabyte.
const MAX_SNAPSHOTS: usize = 32;

/// What a ranking answered: a cursor serves a page only for the same question, asked by the
/// same user with the same rights (their programs are part of the filter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotKey {
    pub user: UserId,
    pub filter: FamilyFilter,
    pub order: CaseloadOrder,
    pub include_snoozed: bool,
    pub time: ReportTime,
}

/// A caseload's order as computed for its first page.
#[derive(Debug)]
pub struct Snapshot {
    pub id: uuid::Uuid,
    pub key: SnapshotKey,
    pub ranking: Ranking,
}

/// The rankings kept in this server process for their next pages (a keyset cursor over a
/// snapshot: paging never ranks again, and pages never skip or repeat a family while the log
/// changes). A cursor whose snapshot is gone — expired, pushed out, or made by another copy
/// of the server — is answered by ranking again at the cursor's `as_of`, which gives the same
/// order unless contacts were logged meanwhile with earlier times.
#[derive(Debug, Default)]
pub struct Snapshots {
    kept: std::sync::Mutex<Vec<(std::time::Instant, Arc<Snapshot>)>>,
}

impl Snapshots {
    /// Keeps `ranking` for `key` and returns it with its id.
    pub fn keep(&self, key: SnapshotKey, ranking: Ranking) -> Arc<Snapshot> {
        let snapshot = Arc::new(Snapshot {
            id: uuid::Uuid::new_v4(),
            key,
            ranking,
        });
        let now = std::time::Instant::now();
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.retain(|(made, _)| now.duration_since(*made) < SNAPSHOT_TTL);
        if kept.len() >= MAX_SNAPSHOTS {
            kept.remove(0);
        }
        kept.push((now, snapshot.clone()));
        snapshot
    }

    /// The snapshot `id` if it is still kept and answered `key`.
    pub fn get(&self, id: uuid::Uuid, key: &SnapshotKey) -> Option<Arc<Snapshot>> {
        let now = std::time::Instant::now();
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.iter()
            .find(|(made, snapshot)| {
                snapshot.id == id
                    && now.duration_since(*made) < SNAPSHOT_TTL
                    && snapshot.key == *key
            })
            .map(|(_, snapshot)| snapshot.clone())
    }
}

/// Where the next page of a caseload starts: the snapshot's id, its `as_of` (epoch ms, for
/// ranking again when the snapshot is gone) and the offset into its order. Opaque to clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseloadCursor {
    pub snapshot: uuid::Uuid,
    pub as_of_ms: i64,
    pub offset: usize,
}

impl CaseloadCursor {
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('.');
        let cursor = Self {
            snapshot: parts.next()?.parse().ok()?,
            as_of_ms: parts.next()?.parse().ok()?,
            offset: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(cursor)
    }
}

impl std::fmt::Display for CaseloadCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.snapshot, self.as_of_ms, self.offset)
    }
}

/// One family's row from its most urgent pair.
fn caseload_row(
    family: &CaseloadFamily,
    persons: &[PersonSummary],
    events: &[ContactEvent],
    window: &Window,
    entry: &Ranked,
    latest_follow_up: Option<FollowUp>,
    as_of: DateTime<Utc>,
) -> CaseloadRow {
    let (snoozed_until, recheck_at) = follow_up_times(latest_follow_up.as_ref(), as_of);
    let pair_count = u32::try_from(caseload_pairs(persons).len()).unwrap_or(u32::MAX);
    let mut row = CaseloadRow {
        family_id: family.id,
        family_name: family.display_name.clone(),
        program_id: family.program_id,
        parent: None,
        child: None,
        pair_count,
        status: GapStatus::Never,
        attention_level: AttentionLevel::None,
        signals: Vec::new(),
        target_days: family.target.days(),
        last_contact_at: None,
        current_gap_days: None,
        longest_gap_days: 0.0,
        contacts_per_week: 0.0,
        child_initiated_share: None,
        talk_minutes: 0.0,
        unanswered_attempts: 0,
        mean_depth: None,
        routine_only_share: None,
        latest_follow_up,
        snoozed_until,
        recheck_at,
    };
    row.attention_level = entry.rank.level;
    let Some(ShownPair {
        gaps,
        signals,
        pair,
        parent,
        child,
    }) = &entry.worst
    else {
        return row;
    };
    row.signals = signals.clone();
    let theirs: Vec<ContactEvent> = events
        .iter()
        .filter(|event| pair.took_part_in(event))
        .cloned()
        .collect();
    let depth = summarize(&theirs, window.from, window.as_of);
    row.parent = persons.get(*parent).cloned();
    row.child = persons.get(*child).cloned();
    row.status = gaps.status;
    row.last_contact_at = gaps.last_contact_at;
    row.current_gap_days = gaps.current_gap_days;
    row.longest_gap_days = gaps.longest_gap_days;
    row.contacts_per_week = (gaps.contacts_per_week * 100.0).round() / 100.0;
    row.child_initiated_share = gaps
        .child_initiated_share
        .map(|share| (share * 1000.0).round() / 1000.0);
    row.talk_minutes = gaps.talk_minutes;
    row.unanswered_attempts = gaps.unanswered_attempts.iter().map(|a| a.count).sum();
    row.mean_depth = depth.mean_depth;
    row.routine_only_share = depth.routine_only_share;
    row
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use kinthread_shared::{FamilyRole, FollowUpId, PersonId, UserId};

    use super::*;

    fn person(name: &str, role: FamilyRole, lives_away: bool) -> PersonSummary {
        PersonSummary {
            id: PersonId::new(),
            display_name: name.into(),
            role,
            lives_away,
        }
    }

    fn noon(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn caseload_looks_at_parents_away() {
        let father_home = person("Father", FamilyRole::Father, false);
        let mother_away = person("Mother", FamilyRole::Mother, true);
        let child = person("Child", FamilyRole::Child, false);
        let persons = vec![father_home.clone(), child.clone(), mother_away.clone()];
        // The caseload looks only at the parent working away, while there is one.
        let caseload: Vec<PersonId> = caseload_pairs(&persons)
            .into_iter()
            .map(|(parent, _)| parent.id)
            .collect();
        assert_eq!(caseload, vec![mother_away.id]);
        let both_home = [father_home.clone(), child.clone()];
        assert_eq!(caseload_pairs(&both_home).len(), 1);
    }

    fn follow_up(outcome: FollowUpOutcome, created: DateTime<Utc>) -> FollowUp {
        FollowUp {
            id: FollowUpId::new(),
            family_id: FamilyId::new(),
            staff_id: UserId::new(),
            outcome,
            reason: None,
            recheck_at: outcome
                .recheck_after_days()
                .map(|days| created + Duration::days(days)),
            created_at: created,
        }
    }

    #[test]
    fn remind_later_snoozes_for_seven_days() {
        let snooze = follow_up(FollowUpOutcome::RemindLater, noon(1));
        assert_eq!(
            follow_up_times(Some(&snooze), noon(7)),
            (Some(noon(8)), Some(noon(8)))
        );
        // At the re-check the family is back on the list.
        assert_eq!(
            follow_up_times(Some(&snooze), noon(8)),
            (None, Some(noon(8)))
        );
        let agreed = follow_up(FollowUpOutcome::ParentAgreedToCall, noon(1));
        assert_eq!(
            follow_up_times(Some(&agreed), noon(2)),
            (None, Some(noon(1) + Duration::days(30)))
        );
        let reached = follow_up(FollowUpOutcome::ReachedParent, noon(1));
        assert_eq!(follow_up_times(Some(&reached), noon(2)), (None, None));
        assert_eq!(follow_up_times(None, noon(2)), (None, None));
    }

    #[test]
    fn counted_contacts_follow_the_spec() {
        let (a, b) = (PersonId::new(), PersonId::new());
        let pair = Pair::parent_child(a, b).unwrap();
        let event = |kind, status| ContactEvent {
            kind,
            status,
            participants: vec![a, b],
            initiator: a,
            started_at: noon(1),
            duration_seconds: None,
            ended_at: None,
            depth_score: None,
            depth_level: None,
        };
        assert!(counts_for(
            &event(ContactKind::Call, ContactStatus::Completed),
            &pair,
            noon(2)
        ));
        assert!(counts_for(
            &event(ContactKind::Text, ContactStatus::Completed),
            &pair,
            noon(2)
        ));
        assert!(!counts_for(
            &event(ContactKind::Call, ContactStatus::Missed),
            &pair,
            noon(2)
        ));
        assert!(!counts_for(
            &event(ContactKind::VideoCall, ContactStatus::Declined),
            &pair,
            noon(2)
        ));
        // Not yet happened at `as_of`.
        assert!(!counts_for(
            &event(ContactKind::Visit, ContactStatus::Completed),
            &pair,
            noon(1) - Duration::seconds(1)
        ));
    }
}
