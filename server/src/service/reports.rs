//! The family report: the time a report is asked for, and the family's log gathered for
//! `kinthread_shared::reports::assemble`, which shapes it (the CLI's offline reports call the
//! same code). The staff caseload lives in `service::caseload`.
//!
//! Reports carry figures only: no note or text content ever enters them.

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;
use kinthread_shared::api::Family;
use kinthread_shared::attention::Thresholds;
use kinthread_shared::gaps::{DEFAULT_WINDOW_DAYS, GapError, Window};
use kinthread_shared::reports::assemble::{self, ChildVoiceView, FamilyReportInput};
use kinthread_shared::reports::{FamilyReport, MAX_WINDOW_DAYS};
use kinthread_shared::validate::{MAX_CLOCK_SKEW, earliest_plausible};

use crate::db::DbConnection;
use crate::error::ApiError;
use crate::store::reports::{self as store, EventRange, FamilyFilter};
use crate::store::to_millis;
use crate::store::{follow_ups, programs, voice};

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

    pub fn window(&self, tz: Tz) -> Result<Window, ApiError> {
        Window::days_up_to(self.as_of, self.window_days, tz).map_err(gap_error)
    }
}

pub fn gap_error(error: GapError) -> ApiError {
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
    child_voice: ChildVoiceView,
) -> Result<FamilyReport, ApiError> {
    let window = time.window(family.time_zone.tz())?;
    let persons = store::persons_of(conn, family.id)?;
    // A family's whole log is small (thousands at most), and the last contact ever needs
    // contacts from before the window: load it all once.
    let events = store::events(
        conn,
        &FamilyFilter::All,
        None,
        Some(family.id),
        EventRange::All,
    )?
    .remove(&family.id)
    .unwrap_or_default();
    let checkins = store::checkins_in(
        conn,
        &FamilyFilter::All,
        None,
        Some(family.id),
        to_millis(window.from),
        to_millis(window.as_of),
    )?
    .remove(&family.id)
    .unwrap_or_default();
    let (from, to) = (to_millis(window.from), to_millis(window.as_of));
    let (feedbacks, child_checkins) = if child_voice == ChildVoiceView::Withheld {
        (Vec::new(), Vec::new())
    } else {
        let all = FamilyFilter::All;
        let feedbacks = voice::feedback_facts_in(conn, &all, None, Some(family.id), from, to)?
            .remove(&family.id)
            .unwrap_or_default();
        (feedbacks, voice::checkin_moods(conn, family.id, from, to)?)
    };
    let thresholds = match family.program_id {
        Some(program) => programs::get(conn, program)?
            .map(|p| p.attention_thresholds)
            .unwrap_or_default(),
        None => Thresholds::default(),
    };
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
        checkins: &checkins,
        latest_follow_up,
        as_of: time.as_of,
        window_days: time.window_days,
        thresholds: &thresholds,
        feedbacks: &feedbacks,
        child_checkins: &child_checkins,
        child_voice,
    })
    .map_err(gap_error)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn noon(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, day, 12, 0, 0).unwrap()
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
}
