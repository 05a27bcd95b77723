//! Attention signals (SPEC section 4a): the figures of a parent–child pair's log that show
//! alienation where the gap alone says "on track", one [`SignalCode`] per rule, and the
//! family's [`AttentionLevel`] and staff-list order ([`AttentionRank`]) built from them.
//!
//! Pure functions over what the caller passes, like [`crate::gaps`]: nothing here reads a
//! clock or storage, and nothing computed here is stored. Signals carry counts only, never note
//! text, check-in text or a child's feedback words.
//!
//! # Definitions
//!
//! - **In the window**: a contact whose start, a check-in whose observation, a feedback whose
//!   giving lies in `[from, as_of]`, both ends included. (A visit that began before the window
//!   is not one of the window's contacts here, unlike the longest gap of [`crate::gaps`], which
//!   needs it as cover.)
//! - **The pair's contacts**: those both the parent and the child took part in (others may
//!   have too).
//! - **Counted** (SPEC section 4): a completed call or video call, a text, or a visit. Missed
//!   and declined calls are unanswered attempts.
//! - **Call attempts**: calls and video calls the parent started, any status; **answered**:
//!   completed ones.
//! - **Scored**: a counted contact with a depth level or score; its level is the stored one,
//!   or from the score alone (routine under 50, emotional from 50) as in
//!   [`crate::depth::summary`].
//! - **Halves**: the window's midpoint is `from + (as_of − from) / 2`; a contact starting
//!   before it is in the earlier half, one starting at or after it in the later half (the split
//!   of [`crate::depth::summary`]).
//! - `depth_falling` compares the mean depth score of the scored contacts in each half, and
//!   needs [`Thresholds::depth_falling_min_scored_per_half`] (default 2) in each: one note per
//!   half is one conversation, not a trend. The means are rounded to one decimal before they
//!   are compared, so the rule agrees with the figures a reader sees.
//! - `caregiver_worried` looks at the check-ins about the pair's child, `child_unhappy` at the
//!   child's feedbacks on the pair's contacts: the caller picks those.

mod level;
mod reasons;
#[cfg(test)]
mod tests;
mod thresholds;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::depth::{EMOTIONAL_FROM, round_to};
use crate::gaps::{GapError, Window};
use crate::ids::PersonId;
use crate::model::{
    ChildFeedback, ContactEvent, ContactKind, ContactStatus, DepthLevel, FamilyRole, UnknownVariant,
};

pub use level::{
    AttentionLevel, AttentionRank, FeedbackVisibility, PairStanding, family_level, family_rank,
    pair_level, sort_by_attention, visible_signals,
};
pub use thresholds::{ThresholdError, ThresholdErrors, Thresholds, ThresholdsParseError};

/// A text in both languages of kinthread's users: Simplified Chinese and English.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// Input that cannot give a meaningful set of signals.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AttentionError {
    #[error(transparent)]
    Window(#[from] GapError),
    #[error("a parent–child pair needs two different persons, got {person} twice")]
    SamePerson { person: PersonId },
    #[error(transparent)]
    Thresholds(#[from] ThresholdErrors),
}

/// One attention rule of SPEC section 4a. The spelling of each code is stable: programs
/// store thresholds and staff filter lists by it.
///
/// Declared in the order reasons are listed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignalCode {
    /// The parent made enough call attempts and under half were answered.
    CallsUnanswered,
    /// Enough counted calls and texts, none started by the child.
    ChildNeverReachesOut,
    /// Enough completed calls with a short median length.
    CallsCutShort,
    /// Enough scored contacts, nearly all routine only.
    RoutineOnly,
    /// The later half's mean depth well under the earlier half's.
    DepthFalling,
    /// The later half has under half the counted contacts of the earlier half.
    ContactThinning,
    /// The caregiver's check-ins note low mood or a worry.
    CaregiverWorried,
    /// The child's own feedback says contacts felt bad.
    ChildUnhappy,
}

impl SignalCode {
    /// Every code, in the order reasons are listed in.
    pub const ALL: &'static [SignalCode] = &[
        SignalCode::CallsUnanswered,
        SignalCode::ChildNeverReachesOut,
        SignalCode::CallsCutShort,
        SignalCode::RoutineOnly,
        SignalCode::DepthFalling,
        SignalCode::ContactThinning,
        SignalCode::CaregiverWorried,
        SignalCode::ChildUnhappy,
    ];

    /// The stable spelling used on the wire and in storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignalCode::CallsUnanswered => "calls_unanswered",
            SignalCode::ChildNeverReachesOut => "child_never_reaches_out",
            SignalCode::CallsCutShort => "calls_cut_short",
            SignalCode::RoutineOnly => "routine_only",
            SignalCode::DepthFalling => "depth_falling",
            SignalCode::ContactThinning => "contact_thinning",
            SignalCode::CaregiverWorried => "caregiver_worried",
            SignalCode::ChildUnhappy => "child_unhappy",
        }
    }

    /// A label of a few characters for a column header or a tag, in Chinese.
    pub const fn label_zh(self) -> &'static str {
        match self {
            SignalCode::CallsUnanswered => "电话常没人接",
            SignalCode::ChildNeverReachesOut => "孩子从不主动联系",
            SignalCode::CallsCutShort => "通话很短",
            SignalCode::RoutineOnly => "只谈日常",
            SignalCode::DepthFalling => "交流变浅",
            SignalCode::ContactThinning => "联系变少",
            SignalCode::CaregiverWorried => "照护人担心",
            SignalCode::ChildUnhappy => "孩子感觉不好",
        }
    }

    /// The same label in English.
    pub const fn label_en(self) -> &'static str {
        match self {
            SignalCode::CallsUnanswered => "calls unanswered",
            SignalCode::ChildNeverReachesOut => "child never reaches out",
            SignalCode::CallsCutShort => "calls cut short",
            SignalCode::RoutineOnly => "routine only",
            SignalCode::DepthFalling => "depth falling",
            SignalCode::ContactThinning => "contact thinning",
            SignalCode::CaregiverWorried => "caregiver worried",
            SignalCode::ChildUnhappy => "child unhappy",
        }
    }

    /// Both labels.
    pub fn label(self) -> Bilingual {
        Bilingual::new(self.label_zh(), self.label_en())
    }

    /// Whether the signal comes from the child's own feedback, which parents see only with
    /// their consent to see feedback counts in force (SPEC section 2).
    pub const fn is_childs_voice(self) -> bool {
        matches!(self, SignalCode::ChildUnhappy)
    }
}

impl fmt::Display for SignalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignalCode {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignalCode::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == s)
            .ok_or_else(|| UnknownVariant {
                kind: "signal code",
                value: s.to_owned(),
                expected: "calls_unanswered child_never_reaches_out calls_cut_short routine_only \
                           depth_falling contact_thinning caregiver_worried child_unhappy",
            })
    }
}

/// A caregiver's check-in about the child, as the signals see it: when, the mood, and whether
/// a worry was written down (never what it says).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaregiverCheckin {
    pub observed_at: DateTime<Utc>,
    /// 1 (very low) to 5 (very good).
    pub mood: i32,
    /// Whether the check-in's worries field was filled in.
    pub worry_noted: bool,
}

/// The child's one-tap feedback on a contact, as the signals see it: when and the rating,
/// never the optional words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChildFeedbackEntry {
    /// When the child gave it (at the time of the contact or later).
    pub given_at: DateTime<Utc>,
    pub rating: ChildFeedback,
}

/// The child's feedback on one contact as the reports read it: whose, on a contact with which
/// participants, when and the rating (never the words).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackFact {
    pub child: PersonId,
    /// The participants of the contact it is about (its current version).
    pub participants: Vec<PersonId>,
    pub entry: ChildFeedbackEntry,
}

impl FeedbackFact {
    /// The feedback `child` gave on contacts that `parent` took part in too.
    pub fn for_pair(
        facts: &[FeedbackFact],
        parent: PersonId,
        child: PersonId,
    ) -> Vec<ChildFeedbackEntry> {
        facts
            .iter()
            .filter(|fact| {
                fact.child == child
                    && fact.participants.contains(&parent)
                    && fact.participants.contains(&child)
            })
            .map(|fact| fact.entry)
            .collect()
    }
}

/// What one parent–child pair's signals are computed from.
#[derive(Clone, Copy, Debug)]
pub struct PairEvidence<'a> {
    pub parent: PersonId,
    /// Names the parent in the reasons (妈妈 / mother); a role that is not a parent's reads
    /// 家长 / parent.
    pub parent_role: FamilyRole,
    pub child: PersonId,
    /// The family's contacts (current versions, amendments applied); those the pair did not
    /// both take part in and those outside the window are skipped here.
    pub contacts: &'a [ContactEvent],
    /// Caregiver check-ins about this child; those outside the window are skipped.
    pub checkins: &'a [CaregiverCheckin],
    /// The child's feedbacks on this pair's contacts; those given outside the window are
    /// skipped.
    pub feedbacks: &'a [ChildFeedbackEntry],
}

/// Every figure the rules look at, for one pair over one window (see the module doc for the
/// definitions). Counts only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairFigures {
    /// Calls and video calls the parent started.
    pub call_attempts: u32,
    /// Of those, the completed ones.
    pub calls_answered: u32,
    /// Counted calls, video calls and texts, whoever started them.
    pub counted_calls_and_texts: u32,
    /// Of those, the ones the child started.
    pub child_started: u32,
    /// Completed calls and video calls, whoever started them.
    pub completed_calls: u32,
    /// Their median length in seconds; `None` without completed calls.
    pub median_call_seconds: Option<f64>,
    /// Counted contacts with a depth result.
    pub scored: u32,
    /// Of those, the ones whose level is routine.
    pub routine_only: u32,
    pub earlier_scored: u32,
    pub later_scored: u32,
    /// Mean depth score of the earlier half's scored contacts, one decimal.
    pub earlier_mean_depth: Option<f64>,
    /// The same for the later half.
    pub later_mean_depth: Option<f64>,
    /// Counted contacts starting in the earlier half.
    pub earlier_counted: u32,
    /// Counted contacts starting in the later half.
    pub later_counted: u32,
    /// Check-ins with a mood at or under [`Thresholds::worried_low_mood_at_most`].
    pub low_mood_checkins: u32,
    /// Check-ins with a worry noted.
    pub worry_checkins: u32,
    /// The child's feedbacks in the window, and the bad ones among them.
    pub feedbacks: u32,
    pub bad_feedbacks: u32,
}

/// The figures behind one raised signal: only the ones its rule looks at are present.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignalFigures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<u32>,
    /// Counted calls and texts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_started: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_calls: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_call_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routine_only: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_mean_depth: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub later_mean_depth: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_scored: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub later_scored: Option<u32>,
    /// Counted contacts of the earlier half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_counted: Option<u32>,
    /// Counted contacts of the later half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub later_counted: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_mood_checkins: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worry_checkins: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedbacks: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_feedbacks: Option<u32>,
}

impl SignalFigures {
    /// The figures `code`'s rule looks at, taken from all of a pair's figures.
    pub fn for_code(code: SignalCode, all: &PairFigures) -> Self {
        let none = SignalFigures::default();
        match code {
            SignalCode::CallsUnanswered => SignalFigures {
                attempts: Some(all.call_attempts),
                answered: Some(all.calls_answered),
                ..none
            },
            SignalCode::ChildNeverReachesOut => SignalFigures {
                counted: Some(all.counted_calls_and_texts),
                child_started: Some(all.child_started),
                ..none
            },
            SignalCode::CallsCutShort => SignalFigures {
                completed_calls: Some(all.completed_calls),
                median_call_seconds: all.median_call_seconds,
                ..none
            },
            SignalCode::RoutineOnly => SignalFigures {
                scored: Some(all.scored),
                routine_only: Some(all.routine_only),
                ..none
            },
            SignalCode::DepthFalling => SignalFigures {
                earlier_mean_depth: all.earlier_mean_depth,
                later_mean_depth: all.later_mean_depth,
                earlier_scored: Some(all.earlier_scored),
                later_scored: Some(all.later_scored),
                ..none
            },
            SignalCode::ContactThinning => SignalFigures {
                earlier_counted: Some(all.earlier_counted),
                later_counted: Some(all.later_counted),
                ..none
            },
            SignalCode::CaregiverWorried => SignalFigures {
                low_mood_checkins: Some(all.low_mood_checkins),
                worry_checkins: Some(all.worry_checkins),
                ..none
            },
            SignalCode::ChildUnhappy => SignalFigures {
                feedbacks: Some(all.feedbacks),
                bad_feedbacks: Some(all.bad_feedbacks),
                ..none
            },
        }
    }
}

/// One raised signal: its code, why in plain words, and the figures behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signal {
    pub code: SignalCode,
    /// Short enough for a table column, e.g. 妈妈打了12次电话，只有3次接通 / mother called 12
    /// times, 3 answered.
    pub reason: Bilingual,
    pub figures: SignalFigures,
}

/// A pair's figures and the signals they raise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairSignals {
    pub parent: PersonId,
    pub child: PersonId,
    /// In [`SignalCode::ALL`] order.
    pub signals: Vec<Signal>,
    pub figures: PairFigures,
}

impl PairSignals {
    /// The codes of the raised signals, for [`PairStanding`].
    pub fn codes(&self) -> Vec<SignalCode> {
        self.signals.iter().map(|signal| signal.code).collect()
    }
}

/// The signals of one parent–child pair over `window` under `thresholds`.
pub fn pair_signals(
    evidence: &PairEvidence<'_>,
    window: &Window,
    thresholds: &Thresholds,
) -> Result<PairSignals, AttentionError> {
    let figures = pair_figures(evidence, window, thresholds)?;
    let signals = raised_codes(&figures, thresholds)
        .into_iter()
        .map(|code| Signal {
            code,
            reason: reasons::reason(code, &figures, evidence.parent_role),
            figures: SignalFigures::for_code(code, &figures),
        })
        .collect();
    Ok(PairSignals {
        parent: evidence.parent,
        child: evidence.child,
        signals,
        figures,
    })
}

/// Every figure of one parent–child pair over `window`; `thresholds` gives the mood that
/// counts as low.
pub fn pair_figures(
    evidence: &PairEvidence<'_>,
    window: &Window,
    thresholds: &Thresholds,
) -> Result<PairFigures, AttentionError> {
    window.validate()?;
    thresholds.validate()?;
    if evidence.parent == evidence.child {
        return Err(AttentionError::SamePerson {
            person: evidence.parent,
        });
    }
    let midpoint = window.from + (window.as_of - window.from) / 2;
    let mut figures = PairFigures::default();
    let mut call_seconds: Vec<i64> = Vec::new();
    let (mut earlier_depth_total, mut later_depth_total) = (0_u64, 0_u64);
    let (mut earlier_with_score, mut later_with_score) = (0_u32, 0_u32);

    let pairs_contacts = evidence.contacts.iter().filter(|contact| {
        window.contains(contact.started_at)
            && contact.participants.contains(&evidence.parent)
            && contact.participants.contains(&evidence.child)
    });
    for contact in pairs_contacts {
        let later_half = contact.started_at >= midpoint;
        if contact.kind.is_call() && contact.initiator == evidence.parent {
            figures.call_attempts += 1;
            if contact.status == ContactStatus::Completed {
                figures.calls_answered += 1;
            }
        }
        if !counts(contact) {
            continue;
        }
        if later_half {
            figures.later_counted += 1;
        } else {
            figures.earlier_counted += 1;
        }
        if contact.kind != ContactKind::Visit {
            figures.counted_calls_and_texts += 1;
            if contact.initiator == evidence.child {
                figures.child_started += 1;
            }
        }
        if contact.kind.is_call() {
            figures.completed_calls += 1;
            call_seconds.push(contact.duration_seconds.unwrap_or(0).max(0));
        }
        if let Some(level) = depth_level(contact) {
            figures.scored += 1;
            if level == DepthLevel::Routine {
                figures.routine_only += 1;
            }
            if later_half {
                figures.later_scored += 1;
            } else {
                figures.earlier_scored += 1;
            }
        }
        if let Some(score) = contact.depth_score {
            if later_half {
                later_depth_total += u64::from(score);
                later_with_score += 1;
            } else {
                earlier_depth_total += u64::from(score);
                earlier_with_score += 1;
            }
        }
    }
    figures.median_call_seconds = median(&mut call_seconds);
    let mean =
        |total: u64, count: u32| (count > 0).then(|| round_to(total as f64 / f64::from(count), 1));
    figures.earlier_mean_depth = mean(earlier_depth_total, earlier_with_score);
    figures.later_mean_depth = mean(later_depth_total, later_with_score);

    for checkin in evidence
        .checkins
        .iter()
        .filter(|checkin| window.contains(checkin.observed_at))
    {
        if checkin.mood <= thresholds.worried_low_mood_at_most {
            figures.low_mood_checkins += 1;
        }
        if checkin.worry_noted {
            figures.worry_checkins += 1;
        }
    }
    for feedback in evidence
        .feedbacks
        .iter()
        .filter(|feedback| window.contains(feedback.given_at))
    {
        figures.feedbacks += 1;
        if feedback.rating == ChildFeedback::Bad {
            figures.bad_feedbacks += 1;
        }
    }
    Ok(figures)
}

/// The codes whose rule holds for `figures`, in [`SignalCode::ALL`] order.
///
/// `thresholds` is taken as valid (see [`Thresholds::validate`]); the rules themselves never
/// divide by a count, so an invalid one gives odd answers, not a panic.
pub fn raised_codes(figures: &PairFigures, thresholds: &Thresholds) -> Vec<SignalCode> {
    SignalCode::ALL
        .iter()
        .copied()
        .filter(|code| rule_holds(*code, figures, thresholds))
        .collect()
}

/// Slack for comparing a count against a share of another count: `0.3 × 10` is
/// `3.0000000000000004` in floating point, and 3 of 10 must not be "under 30 %".
const SHARE_EPSILON: f64 = 1e-9;

/// Whether one rule of SPEC section 4a holds. A share rule compares a count against the share
/// times the other count, so an empty log never divides by zero.
fn rule_holds(code: SignalCode, f: &PairFigures, t: &Thresholds) -> bool {
    match code {
        SignalCode::CallsUnanswered => {
            f.call_attempts >= t.calls_unanswered_min_attempts
                && f64::from(f.calls_answered) + SHARE_EPSILON
                    < t.calls_unanswered_answered_share_below * f64::from(f.call_attempts)
        }
        SignalCode::ChildNeverReachesOut => {
            f.counted_calls_and_texts >= t.never_reaches_out_min_counted && f.child_started == 0
        }
        SignalCode::CallsCutShort => {
            f.completed_calls >= t.cut_short_min_completed_calls
                && f.median_call_seconds
                    .is_some_and(|median| median < t.cut_short_median_below_seconds as f64)
        }
        SignalCode::RoutineOnly => {
            f.scored >= t.routine_only_min_scored
                && f64::from(f.routine_only) + SHARE_EPSILON
                    >= t.routine_only_share_at_least * f64::from(f.scored)
        }
        SignalCode::DepthFalling => {
            f.earlier_scored >= t.depth_falling_min_scored_per_half
                && f.later_scored >= t.depth_falling_min_scored_per_half
                && f.earlier_mean_depth
                    .zip(f.later_mean_depth)
                    .is_some_and(|(earlier, later)| {
                        round_to(earlier - later, 1) >= t.depth_falling_drop_points
                    })
        }
        SignalCode::ContactThinning => {
            f.earlier_counted >= t.thinning_min_earlier
                && f64::from(f.later_counted) + SHARE_EPSILON
                    < t.thinning_later_share_below * f64::from(f.earlier_counted)
        }
        SignalCode::CaregiverWorried => {
            f.low_mood_checkins >= t.worried_min_low_mood_checkins
                || f.worry_checkins >= t.worried_min_noted_worries
        }
        SignalCode::ChildUnhappy => f.bad_feedbacks >= t.unhappy_min_bad_feedbacks,
    }
}

/// Whether a contact counts for a pair it involves: the one rule,
/// [`crate::model::counted_span`].
pub(crate) fn counts(contact: &ContactEvent) -> bool {
    contact.counted_span().is_some()
}

/// A contact's depth level: the stored one, or from the score alone.
pub(crate) fn depth_level(contact: &ContactEvent) -> Option<DepthLevel> {
    contact.depth_level.or_else(|| {
        contact.depth_score.map(|score| {
            if f64::from(score) >= EMOTIONAL_FROM {
                DepthLevel::Emotional
            } else {
                DepthLevel::Routine
            }
        })
    })
}

/// The median of `values` (sorted in place), the mean of the middle two for an even count.
fn median(values: &mut [i64]) -> Option<f64> {
    values.sort_unstable();
    let middle = values.len() / 2;
    if values.is_empty() {
        None
    } else if values.len() % 2 == 1 {
        values.get(middle).map(|&value| value as f64)
    } else {
        let lower = *values.get(middle - 1)?;
        let upper = *values.get(middle)?;
        Some((lower as f64 + upper as f64) / 2.0)
    }
}
