//! Gap status (SPEC section 4) and the order staff lists are sorted in.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{PairGaps, SECONDS_PER_DAY};
use crate::model::UnknownVariant;

/// How far a pair's current gap runs past the family's target cadence `T`.
///
/// Written out rather than through `model`'s `string_enum!`, which is private to that module;
/// it keeps the same contract: one stable snake_case spelling, `as_str`, `FromStr`, `ALL`.
/// Variants are declared from least to most severe, so the derived `Ord` is the severity order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GapStatus {
    /// Current gap ≤ `T` days.
    OnTrack,
    /// ≤ `2T` days.
    Due,
    /// ≤ 30 days.
    Overdue,
    /// ≤ 90 days.
    Serious,
    /// ≤ 365 days.
    Critical,
    /// More than 365 days; shown, never hidden.
    Stale,
    /// No counted contact ever (among the contacts given).
    Never,
}

impl GapStatus {
    /// Every variant, from least to most severe.
    pub const ALL: &'static [GapStatus] = &[
        GapStatus::OnTrack,
        GapStatus::Due,
        GapStatus::Overdue,
        GapStatus::Serious,
        GapStatus::Critical,
        GapStatus::Stale,
        GapStatus::Never,
    ];

    /// The stable spelling used on the wire and in storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            GapStatus::OnTrack => "on_track",
            GapStatus::Due => "due",
            GapStatus::Overdue => "overdue",
            GapStatus::Serious => "serious",
            GapStatus::Critical => "critical",
            GapStatus::Stale => "stale",
            GapStatus::Never => "never",
        }
    }

    /// Rank for sorting, 0 (`on_track`) to 6 (`never`).
    ///
    /// `never` ranks above `stale`: a child no parent has reached at all needs a worker first,
    /// and a missing log is itself a finding to chase.
    pub const fn severity(self) -> u8 {
        match self {
            GapStatus::OnTrack => 0,
            GapStatus::Due => 1,
            GapStatus::Overdue => 2,
            GapStatus::Serious => 3,
            GapStatus::Critical => 4,
            GapStatus::Stale => 5,
            GapStatus::Never => 6,
        }
    }

    /// The status of a current gap (`None`: no counted contact ever) against a target of
    /// `target_days`.
    ///
    /// Compared in whole seconds against whole days, so exactly `T` days is still `on_track`
    /// and one second more is `due`. The fixed thresholds win over a long target: a gap over
    /// 365 days is `stale` whatever `T` is, and with `2T` beyond 30 days `overdue` never occurs.
    pub fn from_gap(current_gap_seconds: Option<i64>, target_days: u32) -> Self {
        let Some(gap) = current_gap_seconds else {
            return GapStatus::Never;
        };
        let days = |n: i64| n.saturating_mul(SECONDS_PER_DAY);
        let target = i64::from(target_days);
        if gap > days(365) {
            GapStatus::Stale
        } else if gap <= days(target) {
            GapStatus::OnTrack
        } else if gap <= days(target.saturating_mul(2)) {
            GapStatus::Due
        } else if gap <= days(30) {
            GapStatus::Overdue
        } else if gap <= days(90) {
            GapStatus::Serious
        } else {
            GapStatus::Critical
        }
    }
}

impl fmt::Display for GapStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GapStatus {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GapStatus::ALL
            .iter()
            .copied()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownVariant {
                kind: "gap status",
                value: s.to_owned(),
                expected: "on_track due overdue serious critical stale never",
            })
    }
}

/// What the staff-list order compares of a pair: its status, then its current gap.
///
/// `Ord` is the staff-list order itself: the most urgent compares least (most severe status
/// first, then the longer current gap first), so sorting ascending puts it on top. Values
/// that compare equal (two `never` pairs, or the same gap to the second) are left for the
/// caller's own tie-break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Urgency {
    pub status: GapStatus,
    pub current_gap_seconds: Option<i64>,
}

impl Urgency {
    /// A family or pair never in contact, with nothing to measure (no pair at all).
    pub const NEVER: Urgency = Urgency {
        status: GapStatus::Never,
        current_gap_seconds: None,
    };

    pub fn of(gaps: &PairGaps) -> Self {
        Self {
            status: gaps.status,
            current_gap_seconds: gaps.current_gap_seconds,
        }
    }
}

impl Ord for Urgency {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .status
            .severity()
            .cmp(&self.status.severity())
            .then_with(|| other.current_gap_seconds.cmp(&self.current_gap_seconds))
    }
}

impl PartialOrd for Urgency {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The staff-list order of two pairs' figures (see [`Urgency`]).
pub fn compare_urgency(a: &PairGaps, b: &PairGaps) -> Ordering {
    Urgency::of(a).cmp(&Urgency::of(b))
}

/// Sorts caseload rows (anything that carries a [`PairGaps`]) most urgent first, stably.
pub fn sort_by_urgency<T>(rows: &mut [T], gaps: impl Fn(&T) -> &PairGaps) {
    rows.sort_by(|a, b| compare_urgency(gaps(a), gaps(b)));
}
