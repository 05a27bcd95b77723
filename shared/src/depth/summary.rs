//! Depth over a window for one pair (SPEC section 5, last bullet): mean depth, the share of
//! contacts that were only routine, and the trend from the earlier to the later half.
//!
//! The caller passes the pair's contacts; only those with a depth score are averaged.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{EMOTIONAL_FROM, round_to};
use crate::model::{ContactEvent, DepthLevel};

/// The depth of a pair's contacts over `[from, as_of]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepthSummary {
    /// Contacts that started in the window.
    pub contacts: u32,
    /// Of those, the ones with a depth score (they had content).
    pub scored_contacts: u32,
    /// Mean score of the scored contacts, one decimal; `None` when none was scored.
    pub mean_depth: Option<f64>,
    /// Share of the scored contacts whose level is routine (0 to 1, three decimals).
    pub routine_only_share: Option<f64>,
    pub routine_contacts: u32,
    pub mixed_contacts: u32,
    pub emotional_contacts: u32,
    /// Mean score in the earlier half of the window (`from` up to the midpoint).
    pub earlier_mean: Option<f64>,
    /// Mean score in the later half (the midpoint up to `as_of`).
    pub later_mean: Option<f64>,
    pub earlier_scored: u32,
    pub later_scored: u32,
    /// `later_mean − earlier_mean`, one decimal; positive when talk grew deeper. `None` when
    /// either half has no scored contact.
    pub trend: Option<f64>,
}

/// Summarises the depth of `contacts` that started in `[from, as_of]`.
///
/// A contact with a score but no stored level is taken as routine under 50 and emotional
/// from 50 (the score alone cannot say "mixed"). An empty or inverted window gives zeros.
pub fn summarize(
    contacts: &[ContactEvent],
    from: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> DepthSummary {
    let midpoint = from + (as_of - from) / 2;
    let in_window = contacts
        .iter()
        .filter(|contact| from <= contact.started_at && contact.started_at <= as_of);

    let mut summary = DepthSummary {
        contacts: 0,
        scored_contacts: 0,
        mean_depth: None,
        routine_only_share: None,
        routine_contacts: 0,
        mixed_contacts: 0,
        emotional_contacts: 0,
        earlier_mean: None,
        later_mean: None,
        earlier_scored: 0,
        later_scored: 0,
        trend: None,
    };
    let (mut total, mut earlier_total, mut later_total) = (0.0_f64, 0.0_f64, 0.0_f64);
    for contact in in_window {
        summary.contacts += 1;
        let Some(score) = contact.depth_score else {
            continue;
        };
        let score = f64::from(score);
        summary.scored_contacts += 1;
        total += score;
        let level = contact.depth_level.unwrap_or(if score >= EMOTIONAL_FROM {
            DepthLevel::Emotional
        } else {
            DepthLevel::Routine
        });
        match level {
            DepthLevel::Routine => summary.routine_contacts += 1,
            DepthLevel::Mixed => summary.mixed_contacts += 1,
            DepthLevel::Emotional => summary.emotional_contacts += 1,
        }
        if contact.started_at < midpoint {
            summary.earlier_scored += 1;
            earlier_total += score;
        } else {
            summary.later_scored += 1;
            later_total += score;
        }
    }

    let mean = |sum: f64, count: u32| (count > 0).then(|| sum / f64::from(count));
    let earlier = mean(earlier_total, summary.earlier_scored);
    let later = mean(later_total, summary.later_scored);
    summary.mean_depth = mean(total, summary.scored_contacts).map(|m| round_to(m, 1));
    summary.routine_only_share = mean(f64::from(summary.routine_contacts), summary.scored_contacts)
        .map(|share| round_to(share, 3));
    summary.earlier_mean = earlier.map(|m| round_to(m, 1));
    summary.later_mean = later.map(|m| round_to(m, 1));
    summary.trend = earlier
        .zip(later)
        .map(|(earlier, later)| round_to(later - earlier, 1));
    summary
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::ids::PersonId;
    use crate::model::{ContactKind, ContactStatus};

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn contact(d: u32, score: Option<u8>, level: Option<DepthLevel>) -> ContactEvent {
        let person = PersonId::new();
        ContactEvent {
            kind: ContactKind::Call,
            status: ContactStatus::Completed,
            participants: vec![person, PersonId::new()],
            initiator: person,
            started_at: day(d),
            duration_seconds: Some(120),
            ended_at: None,
            depth_score: score,
            depth_level: level,
        }
    }

    #[test]
    fn empty_window_has_no_means() {
        let summary = summarize(&[], day(1), day(21));
        assert_eq!(summary.contacts, 0);
        assert_eq!(summary.mean_depth, None);
        assert_eq!(summary.routine_only_share, None);
        assert_eq!(summary.trend, None);
    }

    #[test]
    fn means_shares_and_trend() {
        use DepthLevel::*;
        // Window 1st to 21st, midpoint the 11th at noon.
        let contacts = [
            contact(2, Some(20), Some(Routine)),
            contact(5, Some(30), Some(Routine)),
            contact(8, None, None), // a missed call, no content
            contact(12, Some(60), Some(Mixed)),
            contact(20, Some(80), Some(Emotional)),
            contact(25, Some(99), Some(Emotional)), // after as_of: ignored
        ];
        let summary = summarize(&contacts, day(1), day(21));
        assert_eq!(summary.contacts, 5);
        assert_eq!(summary.scored_contacts, 4);
        assert_eq!(summary.mean_depth, Some(47.5));
        assert_eq!(summary.routine_only_share, Some(0.5));
        assert_eq!(
            (
                summary.routine_contacts,
                summary.mixed_contacts,
                summary.emotional_contacts
            ),
            (2, 1, 1)
        );
        assert_eq!(summary.earlier_mean, Some(25.0));
        assert_eq!(summary.later_mean, Some(70.0));
        assert_eq!((summary.earlier_scored, summary.later_scored), (2, 2));
        assert_eq!(summary.trend, Some(45.0));
    }

    #[test]
    fn trend_needs_both_halves() {
        let contacts = [contact(15, Some(40), None), contact(18, Some(60), None)];
        let summary = summarize(&contacts, day(1), day(21));
        assert_eq!(summary.later_mean, Some(50.0));
        assert_eq!(summary.earlier_mean, None);
        assert_eq!(summary.trend, None);
        // Without a stored level the score decides: 40 is routine, 60 emotional.
        assert_eq!(summary.routine_contacts, 1);
        assert_eq!(summary.emotional_contacts, 1);
        assert_eq!(summary.routine_only_share, Some(0.5));
    }

    #[test]
    fn window_edges_are_inclusive_and_midpoint_starts_the_later_half() {
        let midpoint = day(1) + (day(21) - day(1)) / 2;
        let mut at_midpoint = contact(1, Some(90), None);
        at_midpoint.started_at = midpoint;
        let contacts = [
            contact(1, Some(10), None),
            at_midpoint,
            contact(21, Some(30), None),
        ];
        let summary = summarize(&contacts, day(1), day(21));
        assert_eq!(summary.scored_contacts, 3);
        assert_eq!((summary.earlier_scored, summary.later_scored), (1, 2));
        assert_eq!(summary.trend, Some(50.0));
    }

    #[test]
    fn inverted_window_counts_nothing() {
        let contacts = [contact(5, Some(50), None)];
        let summary = summarize(&contacts, day(21), day(1));
        assert_eq!(summary.contacts, 0);
        assert_eq!(summary.mean_depth, None);
    }
}
