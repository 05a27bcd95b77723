//! The staff caseload: each family's most urgent parent–child pair, most severe status first,
//! then the longest current gap, snoozed families left out, one page at a time.
//!
//! It must answer for 50,000 families and a million contacts in under a second, so it works in
//! two passes: every family gets its pairs' gap figures (what the order needs) from a handful
//! of bulk queries, and only the rows of the requested page get the rest (depth, names,
//! follow-up). The figures themselves come from `kinthread_shared::gaps` and
//! `kinthread_shared::depth::summary`. No note or text content enters a row.

use std::cmp::Ordering;
use std::collections::HashMap;

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
    /// From how many families the work is split over connections ([`SHARD_FROM_FAMILIES`];
    /// tests lower it to check that slices agree with one pass).
    pub shard_from_families: usize,
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

/// A family placed in the order, before its row is built.
struct Ranked {
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

/// The staff-list order applied to families, then by name and id so equally urgent rows
/// keep a stable order.
fn compare_ranked(
    order: CaseloadOrder,
    a: &Ranked,
    b: &Ranked,
    family_a: Option<&CaseloadFamily>,
    family_b: Option<&CaseloadFamily>,
) -> Ordering {
    let first = match order {
        CaseloadOrder::Attention => a.rank.cmp(&b.rank),
        CaseloadOrder::Gap => a.urgency().cmp(&b.urgency()),
    };
    first.then_with(|| match (family_a, family_b) {
        (Some(x), Some(y)) => (&x.display_name, x.id).cmp(&(&y.display_name, y.id)),
        _ => Ordering::Equal,
    })
}

/// Families with fewer than this are computed on one connection: threads would cost more
/// than they save.
pub const SHARD_FROM_FAMILIES: usize = 2_000;

/// At most this many connections work on one caseload.
const MAX_SHARDS: usize = 4;

/// How long to wait for a spare connection before computing a shard on the held one.
const SPARE_CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

/// One slice of the families (contiguous in id order), gathered and ranked on its own
/// connection.
struct ShardResult<'f> {
    families: &'f [CaseloadFamily],
    persons: HashMap<FamilyId, Vec<PersonSummary>>,
    events: HashMap<FamilyId, Vec<ContactEvent>>,
    windows: Vec<(chrono_tz::Tz, Window)>,
    ranked: Vec<Ranked>,
    snoozed_hidden: u32,
}

/// One page of the caseload of the families in `request.filter`.
///
/// The families are split into slices by id, each gathered and ranked on its own pooled
/// connection in its own thread (PostgreSQL runs them in parallel backends, SQLite in parallel
/// readers); a slice that finds no spare connection quickly runs on `conn` after the others.
pub fn caseload(
    db: &Db,
    conn: &mut DbConnection,
    request: &CaseloadRequest,
) -> Result<CaseloadPage, ApiError> {
    let time = request.time;
    let families = reports_store::families_in(conn, &request.filter)?;
    if families.is_empty() {
        return Ok(CaseloadPage::default());
    }
    let mut latest = follow_ups::latest_in(conn, &request.filter, to_millis(time.as_of))?;
    let shard_count = if families.len() < request.shard_from_families.max(1) {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_SHARDS)
    };
    let chunk = families.len().div_ceil(shard_count);
    let slices: Vec<&[CaseloadFamily]> = families.chunks(chunk.max(1)).collect();

    let results: Vec<Result<ShardResult<'_>, ApiError>> = std::thread::scope(|scope| {
        let latest = &latest;
        let mut spawned = Vec::new();
        let mut on_held = Vec::new();
        for (index, slice) in slices.iter().enumerate() {
            let spare = if index == 0 {
                None
            } else {
                db.spare_read_conn(SPARE_CONNECTION_WAIT)
            };
            match spare {
                Some(mut spare) => spawned.push(scope.spawn(move || {
                    gather_shard(&mut spare, request, slice, shard_count > 1, latest)
                })),
                None => on_held.push(*slice),
            }
        }
        let mut results: Vec<Result<ShardResult<'_>, ApiError>> = on_held
            .into_iter()
            .map(|slice| gather_shard(conn, request, slice, shard_count > 1, latest))
            .collect();
        for handle in spawned {
            results.push(
                handle
                    .join()
                    .unwrap_or_else(|_| Err(ApiError::internal("a caseload shard panicked"))),
            );
        }
        results
    });
    let shards = results.into_iter().collect::<Result<Vec<_>, _>>()?;

    // Merge the slices' rankings into the one order.
    let mut ranked: Vec<(usize, &Ranked)> = shards
        .iter()
        .enumerate()
        .flat_map(|(shard, result)| result.ranked.iter().map(move |entry| (shard, entry)))
        .collect();
    let family_of = |shard: usize, entry: &Ranked| {
        shards
            .get(shard)
            .and_then(|result| result.families.get(entry.family))
    };
    let order = request.order;
    ranked.sort_by(|(sa, a), (sb, b)| {
        compare_ranked(order, a, b, family_of(*sa, a), family_of(*sb, b))
    });
    let total_rows = ranked.len();
    let snoozed_hidden = shards.iter().map(|result| result.snoozed_hidden).sum();

    // Full rows for the page only.
    let mut rows = Vec::with_capacity(request.limit.min(total_rows));
    for (shard, entry) in ranked.into_iter().skip(request.offset).take(request.limit) {
        let (Some(result), Some(family)) = (shards.get(shard), family_of(shard, entry)) else {
            continue;
        };
        let no_persons = Vec::new();
        let no_events = Vec::new();
        let window = result
            .windows
            .get(entry.family)
            .map(|(_, window)| *window)
            .ok_or_else(|| ApiError::internal("a caseload family lost its window"))?;
        rows.push(caseload_row(
            family,
            result.persons.get(&family.id).unwrap_or(&no_persons),
            result.events.get(&family.id).unwrap_or(&no_events),
            &window,
            entry,
            latest.remove(&family.id),
            time.as_of,
        ));
    }
    Ok(CaseloadPage {
        rows,
        total_rows,
        snoozed_hidden,
    })
}

/// Gathers one slice of families (all of them when `sharded` is false) and ranks each by its
/// most urgent pair.
fn gather_shard<'f>(
    conn: &mut DbConnection,
    request: &CaseloadRequest,
    families: &'f [CaseloadFamily],
    sharded: bool,
    latest: &HashMap<FamilyId, FollowUp>,
) -> Result<ShardResult<'f>, ApiError> {
    let time = request.time;
    let shard = match (sharded, families.first(), families.last()) {
        (true, Some(first), Some(last)) => Some(Shard {
            first: first.id,
            last: last.id,
        }),
        _ => None,
    };
    let shard = shard.as_ref();
    let mut persons: HashMap<FamilyId, Vec<PersonSummary>> = HashMap::new();
    // Only parents and children make caseload pairs.
    let roles = [FamilyRole::Mother, FamilyRole::Father, FamilyRole::Child];
    for (family, person) in reports_store::persons_in(conn, &request.filter, shard, &roles)? {
        persons.entry(family).or_default().push(person);
    }
    let mut windows = Vec::with_capacity(families.len());
    for family in families {
        let tz = family.time_zone.tz();
        windows.push((tz, time.window(tz)?));
    }
    // One cut for every family: a day before the earliest window start, so that each window's
    // contacts are loaded in full (a call lasts at most a day) and older history is only
    // aggregated to each pair's last contact.
    let earliest = windows
        .iter()
        .map(|(_, window)| window.from)
        .min()
        .unwrap_or(time.as_of);
    let cut = to_millis(earliest - Duration::days(1));
    let started = EventRange::Started {
        from: cut,
        to: to_millis(time.as_of),
    };
    let mut events = reports_store::events(conn, &request.filter, shard, None, started)?;
    let checkins = reports_store::checkins_in(
        conn,
        &request.filter,
        shard,
        None,
        to_millis(earliest),
        to_millis(time.as_of),
    )?;
    let feedbacks = voice::feedback_facts_in(
        conn,
        &request.filter,
        shard,
        None,
        to_millis(earliest),
        to_millis(time.as_of),
    )?;
    let across = EventRange::VisitsAcross { before: cut };
    for (family, visits) in reports_store::events(conn, &request.filter, shard, None, across)? {
        events.entry(family).or_default().extend(visits);
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
        reports_store::last_contacts_before(conn, &need_history, cut)?
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
    Ok(ShardResult {
        families,
        persons,
        events,
        windows,
        ranked,
        snoozed_hidden,
    })
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
