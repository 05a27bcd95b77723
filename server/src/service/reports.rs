//! Reports: a family's pairs with their gaps and depth, and the staff caseload (each family's
//! worst parent–child pair, most urgent first, snoozed families left out). The figures come
//! from `kinthread_shared::gaps` and `kinthread_shared::depth::summary`; this module picks the
//! pairs, gathers the log with a few bulk queries and shapes the answer.
//!
//! Reports carry figures only: no note or text content ever enters them.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use chrono_tz::Tz;
use kinthread_shared::api::Family;
use kinthread_shared::depth::summary::summarize;
use kinthread_shared::gaps::{self, DEFAULT_WINDOW_DAYS, GapError, Pair, Window, pair_gaps};
use kinthread_shared::reports::assemble::{
    self, FamilyReportInput, report_pairs, target_days, time_zone,
};
use kinthread_shared::reports::{
    CaseloadRow, FamilyReport, FollowUp, MAX_WINDOW_DAYS, PairKind, PersonSummary,
};
use kinthread_shared::validate::{MAX_CLOCK_SKEW, earliest_plausible};
use kinthread_shared::{ContactEvent, ContactKind, ContactStatus, FamilyId, FollowUpOutcome};

use crate::db::DbConnection;
use crate::error::ApiError;
use crate::store::follow_ups;
use crate::store::reports::{self as store, CaseloadFamily, EventRange, FamilyFilter};
use crate::store::to_millis;

/// When a report is computed and over how many days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportTime {
    pub as_of: DateTime<Utc>,
    pub window_days: u32,
}

impl ReportTime {
    /// Checks the query's `as_of` (default `now`) and `window_days` (default 90).
    pub fn parse(
        as_of: Option<DateTime<FixedOffset>>,
        window_days: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        let as_of = as_of.map_or(now, |at| at.with_timezone(&Utc));
        if as_of < earliest_plausible() || as_of > now + MAX_CLOCK_SKEW {
            return Err(ApiError::validation(
                "as_of",
                "must lie between 2000-01-01 and tomorrow",
            ));
        }
        let window_days = window_days.unwrap_or(DEFAULT_WINDOW_DAYS);
        if !(1..=MAX_WINDOW_DAYS).contains(&window_days) {
            return Err(ApiError::validation(
                "window_days",
                format!("must be 1 to {MAX_WINDOW_DAYS} days"),
            ));
        }
        Ok(Self { as_of, window_days })
    }

    fn window(&self, tz: Tz) -> Result<Window, ApiError> {
        Window::days_up_to(self.as_of, self.window_days, tz).map_err(gap_error)
    }
}

fn gap_error(error: GapError) -> ApiError {
    match error {
        GapError::WindowReversed { .. } | GapError::WindowOutOfRange { .. } => {
            ApiError::validation("window_days", error.to_string())
        }
        // Pairs and targets are built here from stored data: a failure is our bug.
        other => ApiError::internal(other),
    }
}

/// The report on one family. `with_follow_up`: whether the reader sees staff follow-ups
/// (staff and admins; a follow-up's reason is a worker's note about the family).
pub fn family_report(
    conn: &mut DbConnection,
    family: Family,
    time: ReportTime,
    with_follow_up: bool,
) -> Result<FamilyReport, ApiError> {
    let window = time.window(time_zone(&family.time_zone))?;
    let persons = store::persons_of(conn, family.id)?;
    // A family's whole log is small (thousands at most), and the last contact ever needs
    // contacts from before the window: load it all once.
    let events = store::events(conn, &FamilyFilter::All, Some(family.id), EventRange::All)?
        .remove(&family.id)
        .unwrap_or_default();
    let moods = store::checkin_moods(
        conn,
        family.id,
        to_millis(window.from),
        to_millis(window.as_of),
    )?
    .into_iter()
    .map(|(at, mood)| Ok((crate::store::from_millis(at)?, mood)))
    .collect::<Result<Vec<_>, diesel::result::Error>>()?;
    let latest_follow_up = if with_follow_up {
        follow_ups::latest(conn, family.id, to_millis(time.as_of))?
    } else {
        None
    };
    // The shaping is shared with the CLI's offline reports on a bundle.
    assemble::family_report(FamilyReportInput {
        family,
        persons: &persons,
        events: &events,
        checkin_moods: &moods,
        latest_follow_up,
        as_of: time.as_of,
        window_days: time.window_days,
    })
    .map_err(gap_error)
}

/// What the caseload was asked for.
#[derive(Clone, Debug)]
pub struct CaseloadRequest {
    pub filter: FamilyFilter,
    pub time: ReportTime,
    pub include_snoozed: bool,
}

/// Every row of a caseload (before paging), most urgent first.
#[derive(Clone, Debug, Default)]
pub struct Caseload {
    pub rows: Vec<CaseloadRow>,
    pub snoozed_hidden: u32,
}

/// The parent–child pairs a caseload row is chosen from: those with a parent living away,
/// since a parent at home rarely logs contact with the child beside them; a family with no
/// parent living away has all its parent–child pairs considered.
fn caseload_pairs(persons: &[PersonSummary]) -> Vec<(&PersonSummary, &PersonSummary)> {
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
    let counted = match event.kind {
        ContactKind::Text | ContactKind::Visit => true,
        ContactKind::Call | ContactKind::VideoCall => event.status == ContactStatus::Completed,
    };
    counted && event.started_at <= as_of && pair.took_part_in(event)
}

/// The caseload of the families in `request.filter`: a handful of bulk queries, then the
/// shared gap and depth functions per family in memory.
pub fn caseload(conn: &mut DbConnection, request: &CaseloadRequest) -> Result<Caseload, ApiError> {
    let time = request.time;
    let families = store::families_in(conn, &request.filter)?;
    if families.is_empty() {
        return Ok(Caseload::default());
    }
    let mut persons: HashMap<FamilyId, Vec<PersonSummary>> = HashMap::new();
    for (family, person) in store::persons_in(conn, &request.filter)? {
        persons.entry(family).or_default().push(person);
    }
    let mut windows = HashMap::with_capacity(families.len());
    for family in &families {
        let tz = time_zone(&family.time_zone);
        windows.insert(family.id, (tz, time.window(tz)?));
    }
    // One cut for every family: a day before the earliest window start, so that each window's
    // contacts are loaded in full (a call lasts at most a day) and older history is only
    // aggregated to each pair's last contact.
    let earliest = windows
        .values()
        .map(|(_, window)| window.from)
        .min()
        .unwrap_or(time.as_of);
    let cut = to_millis(earliest - Duration::days(1));
    let mut events = store::events(
        conn,
        &request.filter,
        None,
        EventRange::Started {
            from: cut,
            to: to_millis(time.as_of),
        },
    )?;
    for (family, visits) in store::events(
        conn,
        &request.filter,
        None,
        EventRange::VisitsAcross { before: cut },
    )? {
        events.entry(family).or_default().extend(visits);
    }

    // Pairs with no counted contact since the cut need their last contact before it.
    let no_persons = Vec::new();
    let no_events = Vec::new();
    let mut need_history = Vec::new();
    for family in &families {
        let people = persons.get(&family.id).unwrap_or(&no_persons);
        let log = events.get(&family.id).unwrap_or(&no_events);
        for (parent, child) in caseload_pairs(people) {
            let pair = Pair::parent_child(parent.id, child.id).map_err(ApiError::internal)?;
            if !log.iter().any(|event| counts_for(event, &pair, time.as_of)) {
                need_history.push(family.id);
                break;
            }
        }
    }
    for (family, participants, last_end) in store::last_contacts_before(conn, &need_history, cut)? {
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
            started_at: crate::store::from_millis(last_end)?,
            duration_seconds: None,
            ended_at: None,
            depth_score: None,
            depth_level: None,
        });
    }

    let latest = follow_ups::latest_in(conn, &request.filter, to_millis(time.as_of))?;
    let mut ranked: Vec<(Option<i64>, CaseloadRow)> = Vec::with_capacity(families.len());
    let mut snoozed_hidden = 0_u32;
    for family in families {
        let people = persons.get(&family.id).unwrap_or(&no_persons);
        let log = events.get(&family.id).unwrap_or(&no_events);
        let Some(&(tz, window)) = windows.get(&family.id) else {
            continue;
        };
        let latest_follow_up = latest.get(&family.id).cloned();
        let (gap_seconds, row) = caseload_row(
            family,
            people,
            log,
            tz,
            &window,
            latest_follow_up,
            time.as_of,
        )?;
        if row.snoozed_until.is_some()
            && !request.include_snoozed
            && row.status != gaps::GapStatus::Stale
        {
            // SPEC: a stale gap is shown, never hidden, whatever staff said last.
            snoozed_hidden += 1;
            continue;
        }
        ranked.push((gap_seconds, row));
    }
    // Name then id first, so that equally urgent rows keep a stable, readable order.
    ranked
        .sort_by(|a, b| (&a.1.family_name, a.1.family_id).cmp(&(&b.1.family_name, b.1.family_id)));
    ranked.sort_by(compare_rows);
    Ok(Caseload {
        rows: ranked.into_iter().map(|(_, row)| row).collect(),
        snoozed_hidden,
    })
}

/// The staff-list order of `gaps::compare_urgency` (status severity, then the longer current
/// gap), applied to rows, which include families that have no parent–child pair at all.
fn compare_rows(a: &(Option<i64>, CaseloadRow), b: &(Option<i64>, CaseloadRow)) -> Ordering {
    b.1.status
        .severity()
        .cmp(&a.1.status.severity())
        .then_with(|| b.0.cmp(&a.0))
}

/// One family's row: its most urgent parent–child pair by `gaps::sort_by_urgency`.
fn caseload_row(
    family: CaseloadFamily,
    persons: &[PersonSummary],
    events: &[ContactEvent],
    tz: Tz,
    window: &Window,
    latest_follow_up: Option<FollowUp>,
    as_of: DateTime<Utc>,
) -> Result<(Option<i64>, CaseloadRow), ApiError> {
    let target = target_days(family.target_days);
    let pairs = caseload_pairs(persons);
    let mut figures = Vec::with_capacity(pairs.len());
    for (parent, child) in &pairs {
        let pair = Pair::parent_child(parent.id, child.id).map_err(ApiError::internal)?;
        let gaps = pair_gaps(events, &pair, window, tz, target).map_err(gap_error)?;
        figures.push((gaps, pair, *parent, *child));
    }
    gaps::sort_by_urgency(&mut figures, |(gaps, ..)| gaps);
    let (snoozed_until, recheck_at) = follow_up_times(latest_follow_up.as_ref(), as_of);
    let mut row = CaseloadRow {
        family_id: family.id,
        family_name: family.display_name,
        program_id: family.program_id,
        parent: None,
        child: None,
        pair_count: u32::try_from(pairs.len()).unwrap_or(u32::MAX),
        status: gaps::GapStatus::Never,
        target_days: target,
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
    let Some((gaps, pair, parent, child)) = figures.into_iter().next() else {
        return Ok((None, row));
    };
    let theirs: Vec<ContactEvent> = events
        .iter()
        .filter(|event| pair.took_part_in(event))
        .cloned()
        .collect();
    let depth = summarize(&theirs, window.from, window.as_of);
    row.parent = Some(parent.clone());
    row.child = Some(child.clone());
    row.status = gaps.status;
    row.last_contact_at = gaps.last_contact_at;
    row.current_gap_days = gaps.current_gap_days;
    row.longest_gap_days = gaps.longest_gap_days;
    row.contacts_per_week = (gaps.contacts_per_week * 100.0).round() / 100.0;
    row.child_initiated_share = gaps
        .child_initiated_share
        .map(|s| (s * 1000.0).round() / 1000.0);
    row.talk_minutes = gaps.talk_minutes;
    row.unanswered_attempts = gaps.unanswered_attempts.iter().map(|a| a.count).sum();
    row.mean_depth = depth.mean_depth;
    row.routine_only_share = depth.routine_only_share;
    Ok((gaps.current_gap_seconds, row))
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
    fn report_time_checks_its_input() {
        let now = noon(15);
        let default = ReportTime::parse(None, None, now).unwrap();
        assert_eq!((default.as_of, default.window_days), (now, 90));
        let offset = FixedOffset::east_opt(8 * 3600).unwrap();
        let earlier = noon(1).with_timezone(&offset);
        assert_eq!(
            ReportTime::parse(Some(earlier), Some(7), now)
                .unwrap()
                .as_of,
            noon(1)
        );
        for days in [0, MAX_WINDOW_DAYS + 1] {
            assert!(ReportTime::parse(None, Some(days), now).is_err(), "{days}");
        }
        let far_future = (now + Duration::days(3)).with_timezone(&offset);
        assert!(ReportTime::parse(Some(far_future), None, now).is_err());
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
