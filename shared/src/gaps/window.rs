//! The stretch of time a gap report covers, and the family's local days.
//!
//! SPEC section 4 counts anything "by day" in the family's home time zone, so day boundaries
//! are computed here once, DST gaps included; durations stay exact (a day is 86,400 seconds).

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::GapError;

/// The home time zone a family gets unless it chose another (SPEC section 3).
pub const DEFAULT_TIME_ZONE: Tz = Tz::Asia__Shanghai;

/// Reports cover the 90 days up to now unless asked otherwise (SPEC section 4).
pub const DEFAULT_WINDOW_DAYS: u32 = 90;

/// The closed interval `[from, as_of]` a report covers; a contact exactly at either end is in.
///
/// The fields are public so the type can come straight from a query or a file; every function
/// of this module that takes a window checks it again, so a reversed one is an error, not a
/// wrong answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Window {
    pub from: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
}

impl Window {
    /// A window from `from` to `as_of`; an empty one (`from == as_of`) is allowed.
    pub fn new(from: DateTime<Utc>, as_of: DateTime<Utc>) -> Result<Self, GapError> {
        let window = Self { from, as_of };
        window.validate()?;
        Ok(window)
    }

    /// The window that starts at local midnight `days` days before `as_of`'s local date.
    ///
    /// It holds `days` whole local days plus the current day so far: on a Wednesday at 15:00
    /// with `days = 7` it starts at 00:00 of the previous Wednesday. Starting at a midnight keeps
    /// per-day figures free of a truncated first day, and two reports asked for on the same
    /// local day start at the same moment. `days = 0` gives "today so far".
    pub fn days_up_to(as_of: DateTime<Utc>, days: u32, tz: Tz) -> Result<Self, GapError> {
        let first_day = local_date(as_of, tz)
            .checked_sub_days(Days::new(u64::from(days)))
            .ok_or(GapError::WindowOutOfRange { days })?;
        Self::new(local_day_start(first_day, tz), as_of)
    }

    /// The default report window: [`DEFAULT_WINDOW_DAYS`] days up to `as_of`.
    pub fn default_up_to(as_of: DateTime<Utc>, tz: Tz) -> Result<Self, GapError> {
        Self::days_up_to(as_of, DEFAULT_WINDOW_DAYS, tz)
    }

    /// Fails when the window starts after it ends.
    pub fn validate(&self) -> Result<(), GapError> {
        if self.from > self.as_of {
            return Err(GapError::WindowReversed {
                from: self.from,
                as_of: self.as_of,
            });
        }
        Ok(())
    }

    /// Whether `at` lies in the window, both ends included.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at <= self.as_of
    }

    /// The window's length (zero for a reversed window rather than a negative length).
    pub fn length(&self) -> TimeDelta {
        (self.as_of - self.from).max(TimeDelta::zero())
    }

    /// Every local date the window touches, oldest first; both ends' dates are included.
    pub fn local_dates(&self, tz: Tz) -> impl Iterator<Item = NaiveDate> {
        let last = local_date(self.as_of, tz);
        local_date(self.from, tz)
            .iter_days()
            .take_while(move |date| *date <= last)
    }
}

/// The family-local calendar date of an instant.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The first instant of a local date in `tz`.
///
/// Where clocks go back over midnight the earlier midnight is the start. Where midnight does
/// not exist (clocks jump forward at 00:00, as in São Paulo until 2019) the day starts at the
/// jump, which is midnight read in the offset in force before it.
pub fn local_day_start(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(start) | LocalResult::Ambiguous(start, _) => start.with_timezone(&Utc),
        LocalResult::None => {
            // One day earlier is safely before the jump; no zone has two jumps a day apart.
            let before = midnight.checked_sub_days(Days::new(1)).unwrap_or(midnight);
            let offset_before = tz.offset_from_utc_datetime(&before).fix();
            let utc = midnight
                .checked_sub_signed(TimeDelta::seconds(i64::from(
                    offset_before.local_minus_utc(),
                )))
                .unwrap_or(midnight);
            utc.and_utc()
        }
    }
}
