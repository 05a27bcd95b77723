//! A family's attention level from its pairs' signals and gap statuses, and the staff-list
//! order by level, then gap status, then current gap (SPEC section 4a).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::SignalCode;
use crate::gaps::GapStatus;
use crate::model::UnknownVariant;

/// Signals on one pair from which the family's level is `high`.
pub const HIGH_FROM_SIGNALS: usize = 3;

/// How much a family needs a worker's attention. Declared from least to most, so the derived
/// `Ord` is the order of need.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttentionLevel {
    /// No signal on any pair and the worst gap status better than `overdue`.
    #[default]
    None,
    /// One or two signals on some pair.
    Watch,
    /// Three or more signals on one pair, or a worst gap status of `overdue` or worse.
    High,
}

impl AttentionLevel {
    /// Every level, from least to most.
    pub const ALL: &'static [AttentionLevel] = &[
        AttentionLevel::None,
        AttentionLevel::Watch,
        AttentionLevel::High,
    ];

    /// The stable spelling used on the wire and in storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            AttentionLevel::None => "none",
            AttentionLevel::Watch => "watch",
            AttentionLevel::High => "high",
        }
    }

    /// Rank for sorting, 0 (`none`) to 2 (`high`).
    pub const fn severity(self) -> u8 {
        match self {
            AttentionLevel::None => 0,
            AttentionLevel::Watch => 1,
            AttentionLevel::High => 2,
        }
    }
}

impl fmt::Display for AttentionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AttentionLevel {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttentionLevel::ALL
            .iter()
            .copied()
            .find(|level| level.as_str() == s)
            .ok_or_else(|| UnknownVariant {
                kind: "attention level",
                value: s.to_owned(),
                expected: "none watch high",
            })
    }
}

/// Whether the child's own feedback may weigh in. Parents without consent in force to see
/// feedback counts get the family's level computed without `child_unhappy` (SPEC section 4a),
/// so the level cannot leak what the count would have said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FeedbackVisibility {
    /// Staff, and parents whose consent to see feedback counts is in force.
    Included,
    /// Parents without that consent.
    Withheld,
}

/// One parent–child pair as the family's level sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairStanding {
    /// Whether the pair's parent lives away from the child.
    pub parent_lives_away: bool,
    /// The pair's gap status ([`crate::gaps::PairGaps::status`]).
    pub status: GapStatus,
    /// The pair's current gap ([`crate::gaps::PairGaps::current_gap_seconds`]).
    pub current_gap_seconds: Option<i64>,
    /// The codes of the pair's raised signals.
    pub signals: Vec<SignalCode>,
}

/// The signals of `signals` the audience may see: all of them, or all but the child's voice.
pub fn visible_signals(
    signals: &[SignalCode],
    visibility: FeedbackVisibility,
) -> impl Iterator<Item = SignalCode> + '_ {
    signals
        .iter()
        .copied()
        .filter(move |code| match visibility {
            FeedbackVisibility::Included => true,
            FeedbackVisibility::Withheld => !code.is_childs_voice(),
        })
}

/// The level one pair's signals alone give: `high` from three, `watch` from one.
pub fn pair_level(signals: &[SignalCode], visibility: FeedbackVisibility) -> AttentionLevel {
    match visible_signals(signals, visibility).count() {
        0 => AttentionLevel::None,
        count if count < HIGH_FROM_SIGNALS => AttentionLevel::Watch,
        _ => AttentionLevel::High,
    }
}

/// The family's attention level (SPEC section 4a): the most any pair's signals give, raised to
/// `high` when the worst gap status is `overdue` or worse.
///
/// The worst status is taken over the pairs whose parent lives away, or over every pair when
/// no parent does; a family with no parent–child pair at all counts as `never`, as the caseload
/// does, since a child with no parent in the log is itself a finding to chase.
pub fn family_level(pairs: &[PairStanding], visibility: FeedbackVisibility) -> AttentionLevel {
    let from_signals = pairs
        .iter()
        .map(|pair| pair_level(&pair.signals, visibility))
        .max()
        .unwrap_or(AttentionLevel::None);
    let (worst_status, _) = worst_gap(pairs);
    if worst_status.severity() >= GapStatus::Overdue.severity() {
        AttentionLevel::High
    } else {
        from_signals
    }
}

/// The family's place in a staff list: its level, and the status and current gap of its worst
/// pair (by the same choice of pairs as [`family_level`]).
pub fn family_rank(pairs: &[PairStanding], visibility: FeedbackVisibility) -> AttentionRank {
    let (status, current_gap_seconds) = worst_gap(pairs);
    AttentionRank {
        level: family_level(pairs, visibility),
        status,
        current_gap_seconds,
    }
}

/// The worst gap of the pairs that decide the family's status: those whose parent lives away,
/// or all when none does. Worse means a more severe status, then a longer gap.
fn worst_gap(pairs: &[PairStanding]) -> (GapStatus, Option<i64>) {
    let away = pairs.iter().any(|pair| pair.parent_lives_away);
    pairs
        .iter()
        .filter(|pair| pair.parent_lives_away || !away)
        .map(|pair| (pair.status, pair.current_gap_seconds))
        .max_by(|a, b| {
            a.0.severity()
                .cmp(&b.0.severity())
                .then_with(|| a.1.cmp(&b.1))
        })
        .unwrap_or((GapStatus::Never, None))
}

/// The staff-list sort key of SPEC section 4a. Its `Ord` puts the most urgent first: a higher
/// level, then a more severe gap status, then a longer current gap. Sorting ascending gives
/// the list in reading order.
///
/// The old order (status, then gap) is [`crate::gaps::compare_urgency`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttentionRank {
    pub level: AttentionLevel,
    pub status: GapStatus,
    pub current_gap_seconds: Option<i64>,
}

impl Ord for AttentionRank {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .level
            .severity()
            .cmp(&self.level.severity())
            .then_with(|| other.status.severity().cmp(&self.status.severity()))
            .then_with(|| other.current_gap_seconds.cmp(&self.current_gap_seconds))
    }
}

impl PartialOrd for AttentionRank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Sorts staff-list rows most urgent first, stably (sort by name first for a tie-break).
pub fn sort_by_attention<T>(rows: &mut [T], rank: impl Fn(&T) -> AttentionRank) {
    rows.sort_by_key(|row| rank(row));
}
