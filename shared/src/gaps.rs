//! Contact gaps between two persons of a family (SPEC section 4): when they were last in
//! contact, the longest stretch without contact, cadence, who reaches out, unanswered calls,
//! and the status staff lists sort by.
//!
//! Pure functions over the contacts the caller passes: nothing here reads a clock or storage,
//! and nothing computed here is stored. The caller passes the current version of each contact
//! (amendments already applied) and may pass contacts from before the window: the last
//! contact, the current gap and the status look at every contact given, every other figure
//! only at the window.

mod status;
#[cfg(test)]
mod tests;
mod window;

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ids::PersonId;
use crate::model::{ContactEvent, ContactKind};
use crate::values::TargetCadence;

pub use status::{GapStatus, Urgency, compare_urgency, sort_by_urgency};
pub use window::{DEFAULT_TIME_ZONE, DEFAULT_WINDOW_DAYS, Window, local_date, local_day_start};

const SECONDS_PER_DAY: i64 = 86_400;
const SECONDS_PER_WEEK: i64 = 7 * SECONDS_PER_DAY;

/// Input that cannot give a meaningful gap report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GapError {
    #[error("the window starts at {from}, after it ends at {as_of}")]
    WindowReversed {
        from: DateTime<Utc>,
        as_of: DateTime<Utc>,
    },
    #[error("a window of {days} days before that moment is outside the supported dates")]
    WindowOutOfRange { days: u32 },
    #[error("a pair needs two different persons, got {person} twice")]
    SamePerson { person: PersonId },
    #[error("the child {child} is not one of the pair")]
    ChildNotInPair { child: PersonId },
}

/// Two persons of one family whose contact is measured, and which of them (if either) is the
/// child, for the child-initiated share. The order of `a` and `b` does not matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pair {
    pub a: PersonId,
    pub b: PersonId,
    pub child: Option<PersonId>,
}

impl Pair {
    /// A checked pair: two different persons, the child (if any) one of them.
    pub fn new(a: PersonId, b: PersonId, child: Option<PersonId>) -> Result<Self, GapError> {
        let pair = Self { a, b, child };
        pair.validate()?;
        Ok(pair)
    }

    /// A parent–child pair, the pair the reports centre on.
    pub fn parent_child(parent: PersonId, child: PersonId) -> Result<Self, GapError> {
        Self::new(parent, child, Some(child))
    }

    /// Fails for a person paired with themself, or a child outside the pair.
    pub fn validate(&self) -> Result<(), GapError> {
        if self.a == self.b {
            return Err(GapError::SamePerson { person: self.a });
        }
        match self.child {
            Some(child) if child != self.a && child != self.b => {
                Err(GapError::ChildNotInPair { child })
            }
            _ => Ok(()),
        }
    }

    /// Whether both persons of the pair took part in the contact (others may have too).
    pub fn took_part_in(&self, contact: &ContactEvent) -> bool {
        contact.participants.contains(&self.a) && contact.participants.contains(&self.b)
    }
}

/// Unanswered (missed or declined) calls in the window started by one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnansweredAttempts {
    pub person: PersonId,
    pub count: u32,
}

/// The gap report for one pair over one window (SPEC section 4).
///
/// Day figures are rounded to one decimal for display; the `*_seconds` fields hold the exact
/// values that the status and the staff-list order are computed from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairGaps {
    /// The latest moment at or before `as_of` the pair was in contact, over all contacts given
    /// (a call's start plus its duration, a text's time, a visit's end; `as_of` itself while a
    /// call or visit is still going on). `None`: never.
    pub last_contact_at: Option<DateTime<Utc>>,
    /// `as_of − last_contact_at` in days, one decimal.
    pub current_gap_days: Option<f64>,
    /// `as_of − last_contact_at` in whole seconds.
    pub current_gap_seconds: Option<i64>,
    /// The longest stretch in the window without counted contact, in days, one decimal.
    pub longest_gap_days: f64,
    /// The same in whole seconds.
    pub longest_gap_seconds: i64,
    /// Where that stretch starts (the most recent one, if several are equally long).
    pub longest_gap_from: DateTime<Utc>,
    /// Where that stretch ends.
    pub longest_gap_to: DateTime<Utc>,
    /// Counted contacts in touch with the window (a visit that began before it included).
    pub counted_contacts: u32,
    /// Family-local calendar days in the window on which the pair was in contact.
    pub days_with_contact: u32,
    /// Counted contacts per week of window length (0 for an empty window).
    pub contacts_per_week: f64,
    /// Median time between the starts of consecutive counted contacts, in days, one decimal;
    /// `None` with fewer than two contacts.
    pub median_interval_days: Option<f64>,
    /// Of the counted calls and texts, the share the child started (0 to 1); `None` when the
    /// pair has no child or no counted calls or texts.
    pub child_initiated_share: Option<f64>,
    /// Sum of completed call and video-call durations, in minutes, one decimal.
    pub talk_minutes: f64,
    /// The same in seconds.
    pub talk_seconds: i64,
    /// Missed and declined calls in the window, per initiator, most attempts first.
    pub unanswered_attempts: Vec<UnansweredAttempts>,
    pub status: GapStatus,
    /// The target cadence the status was judged against.
    pub target_days: u32,
}

/// One family-local day of a pair's contact, for a timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactDay {
    pub date: NaiveDate,
    /// Counted contacts starting this day (a visit that began before the window counts on its
    /// first day), so the days add up to [`PairGaps::counted_contacts`].
    pub contacts: u32,
    /// Whether the pair was in contact at any moment of this day (a visit covers every day it
    /// spans).
    pub in_contact: bool,
    /// Missed and declined calls started this day, by anyone.
    pub unanswered_attempts: u32,
}

/// The gap report for `pair` over `window`, days counted in `tz`, status against `target`.
pub fn pair_gaps(
    contacts: &[ContactEvent],
    pair: &Pair,
    window: &Window,
    tz: Tz,
    target: TargetCadence,
) -> Result<PairGaps, GapError> {
    let target_days = target.days();
    let log = PairLog::collect(contacts, pair, window)?;

    let current_gap_seconds = log
        .last_contact_at
        .map(|last| (window.as_of - last).num_seconds());
    let longest = longest_gap(&log.counted, window);
    let window_seconds = window.length().num_seconds();
    let contacts_per_week = if window_seconds > 0 {
        log.counted.len() as f64 * SECONDS_PER_WEEK as f64 / window_seconds as f64
    } else {
        0.0
    };
    let talk_seconds: i64 = log
        .counted
        .iter()
        .filter(|contact| contact.kind.is_call())
        .map(|contact| contact.talk_seconds)
        .sum();

    Ok(PairGaps {
        last_contact_at: log.last_contact_at,
        current_gap_days: current_gap_seconds.map(days_one_decimal),
        current_gap_seconds,
        longest_gap_days: days_one_decimal(longest.seconds()),
        longest_gap_seconds: longest.seconds(),
        longest_gap_from: longest.from,
        longest_gap_to: longest.to,
        counted_contacts: count_u32(log.counted.len()),
        days_with_contact: days_with_contact(&log.counted, tz),
        contacts_per_week,
        median_interval_days: median_interval_seconds(&log.counted)
            .map(|median| round_one_decimal(median / SECONDS_PER_DAY as f64)),
        child_initiated_share: child_initiated_share(&log.counted, pair.child),
        talk_minutes: round_one_decimal(talk_seconds as f64 / 60.0),
        talk_seconds,
        unanswered_attempts: unanswered_by_initiator(&log.unanswered),
        status: GapStatus::from_gap(current_gap_seconds, target_days),
        target_days,
    })
}

/// The pair's contact per family-local day of the window, oldest first, every day listed.
pub fn contact_days(
    contacts: &[ContactEvent],
    pair: &Pair,
    window: &Window,
    tz: Tz,
) -> Result<Vec<ContactDay>, GapError> {
    let log = PairLog::collect(contacts, pair, window)?;
    let first = local_date(window.from, tz);
    let mut days: Vec<ContactDay> = window
        .local_dates(tz)
        .map(|date| ContactDay {
            date,
            contacts: 0,
            in_contact: false,
            unanswered_attempts: 0,
        })
        .collect();
    // Every instant handled below lies in the window, so its index is in range; `get_mut`
    // only keeps an impossible miss from panicking.
    let index = |at: DateTime<Utc>| {
        usize::try_from((local_date(at, tz) - first).num_days()).unwrap_or(usize::MAX)
    };
    for contact in &log.counted {
        if let Some(day) = days.get_mut(index(contact.start)) {
            day.contacts += 1;
        }
        let (first_day, last_day) = contact.local_days(tz);
        let span = (first_day - first).num_days()..=(last_day - first).num_days();
        for offset in span {
            if let Some(day) = usize::try_from(offset).ok().and_then(|i| days.get_mut(i)) {
                day.in_contact = true;
            }
        }
    }
    for attempt in &log.unanswered {
        if let Some(day) = days.get_mut(index(attempt.at)) {
            day.unanswered_attempts += 1;
        }
    }
    Ok(days)
}

/// A counted contact, clipped to the window.
struct Counted {
    kind: ContactKind,
    initiator: PersonId,
    /// Its start, or the window's start for a contact that began before the window.
    start: DateTime<Utc>,
    /// Its real start, before the window's edge cut it: the median interval is measured
    /// between real starts (SPEC section 4).
    real_start: DateTime<Utc>,
    /// Its end, or `as_of` for one still going on.
    end: DateTime<Utc>,
    talk_seconds: i64,
}

impl Counted {
    /// The first and last local dates the contact touches. A contact that ends exactly at a
    /// midnight does not touch the day that midnight begins.
    fn local_days(&self, tz: Tz) -> (NaiveDate, NaiveDate) {
        let last_instant = if self.end > self.start {
            self.end - TimeDelta::nanoseconds(1)
        } else {
            self.end
        };
        (local_date(self.start, tz), local_date(last_instant, tz))
    }
}

struct Unanswered {
    initiator: PersonId,
    at: DateTime<Utc>,
}

/// The pair's contacts, sorted out once for every figure.
struct PairLog {
    /// Over all contacts given, not only the window.
    last_contact_at: Option<DateTime<Utc>>,
    /// In touch with the window, ordered by start then end.
    counted: Vec<Counted>,
    /// Started in the window.
    unanswered: Vec<Unanswered>,
}

impl PairLog {
    fn collect(contacts: &[ContactEvent], pair: &Pair, window: &Window) -> Result<Self, GapError> {
        window.validate()?;
        pair.validate()?;
        let mut log = PairLog {
            last_contact_at: None,
            counted: Vec::new(),
            unanswered: Vec::new(),
        };
        // Whatever starts after `as_of` has not happened yet as far as this report knows.
        let relevant = contacts
            .iter()
            .filter(|contact| contact.started_at <= window.as_of && pair.took_part_in(contact));
        for contact in relevant {
            let Some((start, end)) = contact.counted_span() else {
                if contact.kind.is_call() && window.contains(contact.started_at) {
                    log.unanswered.push(Unanswered {
                        initiator: contact.initiator,
                        at: contact.started_at,
                    });
                }
                continue;
            };
            let end = end.min(window.as_of);
            log.last_contact_at = log.last_contact_at.max(Some(end));
            if end >= window.from {
                log.counted.push(Counted {
                    kind: contact.kind,
                    initiator: contact.initiator,
                    start: start.max(window.from),
                    real_start: start,
                    end,
                    talk_seconds: if contact.kind.is_call() {
                        contact.duration_seconds.unwrap_or(0).max(0)
                    } else {
                        0
                    },
                });
            }
        }
        log.counted
            .sort_by_key(|contact| (contact.start, contact.end));
        Ok(log)
    }
}

/// A stretch of the window without contact.
struct Stretch {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Stretch {
    fn seconds(&self) -> i64 {
        (self.to - self.from).num_seconds()
    }
}

/// The longest stretch of the window that no counted contact covers, the stretches before the
/// first and after the last contact included; ties go to the most recent stretch.
fn longest_gap(counted: &[Counted], window: &Window) -> Stretch {
    let mut longest = Stretch {
        from: window.from,
        to: window.from,
    };
    let mut covered_until = window.from;
    let stretch_ends = counted
        .iter()
        .map(|contact| (contact.start, contact.end))
        .chain([(window.as_of, window.as_of)]);
    for (start, end) in stretch_ends {
        if start >= covered_until && start - covered_until >= longest.to - longest.from {
            longest = Stretch {
                from: covered_until,
                to: start,
            };
        }
        covered_until = covered_until.max(end);
    }
    longest
}

/// Local days with contact: the union of each contact's local days.
fn days_with_contact(counted: &[Counted], tz: Tz) -> u32 {
    let mut spans: Vec<(NaiveDate, NaiveDate)> = counted
        .iter()
        .map(|contact| contact.local_days(tz))
        .collect();
    spans.sort_unstable();
    let mut total: i64 = 0;
    let mut open: Option<(NaiveDate, NaiveDate)> = None;
    for (first, last) in spans {
        open = match open {
            Some((open_first, open_last)) if first <= open_last => {
                Some((open_first, open_last.max(last)))
            }
            Some((open_first, open_last)) => {
                total += (open_last - open_first).num_days() + 1;
                Some((first, last))
            }
            None => Some((first, last)),
        };
    }
    if let Some((first, last)) = open {
        total += (last - first).num_days() + 1;
    }
    u32::try_from(total).unwrap_or(u32::MAX)
}

/// The median of the intervals between the real starts of consecutive counted contacts, in
/// seconds: a visit that began before the window keeps its own start.
fn median_interval_seconds(counted: &[Counted]) -> Option<f64> {
    let mut starts: Vec<DateTime<Utc>> = counted.iter().map(|c| c.real_start).collect();
    starts.sort_unstable();
    let mut intervals: Vec<i64> = starts
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).num_seconds())
        .collect();
    intervals.sort_unstable();
    let middle = intervals.len() / 2;
    match intervals.len() {
        0 => None,
        len if len % 2 == 1 => intervals.get(middle).map(|&median| median as f64),
        _ => {
            let lower = *intervals.get(middle - 1)?;
            let upper = *intervals.get(middle)?;
            Some((lower as f64 + upper as f64) / 2.0)
        }
    }
}

fn child_initiated_share(counted: &[Counted], child: Option<PersonId>) -> Option<f64> {
    let child = child?;
    let (mut started_by_child, mut total) = (0_u32, 0_u32);
    for contact in counted.iter().filter(|c| c.kind != ContactKind::Visit) {
        total += 1;
        if contact.initiator == child {
            started_by_child += 1;
        }
    }
    (total > 0).then(|| f64::from(started_by_child) / f64::from(total))
}

/// Attempts per initiator, most first, then by person id so the order is stable.
fn unanswered_by_initiator(unanswered: &[Unanswered]) -> Vec<UnansweredAttempts> {
    let mut per_person: BTreeMap<PersonId, u32> = BTreeMap::new();
    for attempt in unanswered {
        *per_person.entry(attempt.initiator).or_default() += 1;
    }
    let mut attempts: Vec<UnansweredAttempts> = per_person
        .into_iter()
        .map(|(person, count)| UnansweredAttempts { person, count })
        .collect();
    attempts.sort_by_key(|attempt| (Reverse(attempt.count), attempt.person));
    attempts
}

fn days_one_decimal(seconds: i64) -> f64 {
    round_one_decimal(seconds as f64 / SECONDS_PER_DAY as f64)
}

fn round_one_decimal(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn count_u32(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}
