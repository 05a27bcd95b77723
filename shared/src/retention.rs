//! A program's retention period (SPEC section 7): where its cut falls and which records are
//! older than it. The server's `retention` command erases by these rules; nothing else here.

use chrono::{DateTime, Months, TimeDelta, Utc};

/// The moment before which a program keeping `months` months erases records: `now` less that
/// many calendar months (the 31st of a shorter month falls on its last day).
pub fn cut_off(now: DateTime<Utc>, months: u16) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(u32::from(months)))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A contact's last moment: the latest of its start, the end of the seconds talked and a
/// visit's end. A contact is kept while this is at or after the cut.
pub fn last_moment(
    started_at: DateTime<Utc>,
    duration_seconds: Option<i64>,
    ended_at: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let talked = duration_seconds
        .and_then(TimeDelta::try_seconds)
        .and_then(|d| started_at.checked_add_signed(d))
        .unwrap_or(started_at);
    started_at.max(talked).max(ended_at.unwrap_or(started_at))
}

/// Whether a contact is older than the cut (and so erased with the rest of its versions,
/// when they all are).
pub fn contact_expired(
    started_at: DateTime<Utc>,
    duration_seconds: Option<i64>,
    ended_at: Option<DateTime<Utc>>,
    cut: DateTime<Utc>,
) -> bool {
    last_moment(started_at, duration_seconds, ended_at) < cut
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests stop loudly")]

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_cut_is_calendar_months_back() {
        let now = at("2026-12-07T10:00:00Z");
        assert_eq!(cut_off(now, 1), at("2026-11-07T10:00:00Z"));
        assert_eq!(cut_off(now, 24), at("2024-12-07T10:00:00Z"));
        assert_eq!(cut_off(now, 600), at("1976-12-07T10:00:00Z"));
        assert_eq!(
            cut_off(at("2026-03-31T00:00:00Z"), 1),
            at("2026-02-28T00:00:00Z")
        );
    }

    #[test]
    fn a_contact_lasts_until_its_latest_moment() {
        let cut = at("2026-01-01T00:00:00Z");
        let before = at("2025-12-31T23:50:00Z");
        // (duration, end, expired)
        for (duration, ended, expired) in [
            (None, None, true),
            (Some(60), None, true),
            (Some(-60), None, true),
            (Some(599), None, true),
            // a call that ran past the cut
            (Some(600), None, false),
            (Some(3600), None, false),
            // a visit that ended after the cut, or an end before the start
            (None, Some(at("2026-01-02T00:00:00Z")), false),
            (None, Some(at("2025-12-01T00:00:00Z")), true),
        ] {
            assert_eq!(
                contact_expired(before, duration, ended, cut),
                expired,
                "{duration:?} {ended:?}"
            );
        }
        assert!(!contact_expired(cut, None, None, cut), "at the cut: kept");
    }
}
