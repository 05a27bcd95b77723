//! The thresholds of the attention rules (SPEC section 4a): the defaults, and the checks that
//! keep a program's own values meaningful.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every threshold of SPEC section 4a, the defaults in [`Default`].
///
/// Stored by a program as JSON: every field is optional there (`#[serde(default)]`), so a
/// program keeps only what it changed, and an unknown field is refused, so a misspelt one
/// cannot silently leave the default in force. Check a stored value with
/// [`Thresholds::validate`] (or build it with [`Thresholds::from_json`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// `calls_unanswered`: the parent made at least this many call attempts ...
    pub calls_unanswered_min_attempts: u32,
    /// ... and the answered share is under this (0 to 1).
    pub calls_unanswered_answered_share_below: f64,
    /// `child_never_reaches_out`: at least this many counted calls and texts, none by the child.
    pub never_reaches_out_min_counted: u32,
    /// `calls_cut_short`: at least this many completed calls ...
    pub cut_short_min_completed_calls: u32,
    /// ... with a median length under this many seconds.
    pub cut_short_median_below_seconds: i64,
    /// `routine_only`: at least this many scored contacts ...
    pub routine_only_min_scored: u32,
    /// ... of which at least this share (0 to 1) is routine.
    pub routine_only_share_at_least: f64,
    /// `depth_falling`: the later half's mean depth is at least this many points (0 to 100)
    /// under the earlier half's ...
    pub depth_falling_drop_points: f64,
    /// ... with at least this many scored contacts in each half.
    pub depth_falling_min_scored_per_half: u32,
    /// `contact_thinning`: the later half has under this share (0 to 1) of the earlier half's
    /// counted contacts ...
    pub thinning_later_share_below: f64,
    /// ... and the earlier half has at least this many.
    pub thinning_min_earlier: u32,
    /// `caregiver_worried`: a check-in mood (1 to 5) at or under this is low ...
    pub worried_low_mood_at_most: i32,
    /// ... and this many low-mood check-ins raise the signal ...
    pub worried_min_low_mood_checkins: u32,
    /// ... as do this many check-ins with a worry noted.
    pub worried_min_noted_worries: u32,
    /// `child_unhappy`: at least this many of the child's feedbacks say the contact felt bad.
    pub unhappy_min_bad_feedbacks: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            calls_unanswered_min_attempts: 4,
            calls_unanswered_answered_share_below: 0.5,
            never_reaches_out_min_counted: 6,
            cut_short_min_completed_calls: 4,
            cut_short_median_below_seconds: 180,
            routine_only_min_scored: 4,
            routine_only_share_at_least: 0.8,
            depth_falling_drop_points: 10.0,
            depth_falling_min_scored_per_half: 2,
            thinning_later_share_below: 0.5,
            thinning_min_earlier: 4,
            worried_low_mood_at_most: 2,
            worried_min_low_mood_checkins: 2,
            worried_min_noted_worries: 1,
            unhappy_min_bad_feedbacks: 2,
        }
    }
}

/// One threshold that makes no sense, named by its field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    #[error("{field}: a minimum count must be at least 1")]
    ZeroMinimum { field: &'static str },
    #[error("{field}: a share must be from 0 to 1, got {value}")]
    ShareOutOfRange { field: &'static str, value: f64 },
    #[error("{field}: must be more than 0 seconds, got {value}")]
    SecondsNotPositive { field: &'static str, value: i64 },
    #[error("{field}: depth points must be more than 0 and at most 100, got {value}")]
    PointsOutOfRange { field: &'static str, value: f64 },
    #[error("{field}: a mood must be from 1 to 5, got {value}")]
    MoodOutOfRange { field: &'static str, value: i32 },
}

impl ThresholdError {
    /// The field at fault, as spelt in the JSON.
    pub fn field(&self) -> &'static str {
        match self {
            ThresholdError::ZeroMinimum { field }
            | ThresholdError::ShareOutOfRange { field, .. }
            | ThresholdError::SecondsNotPositive { field, .. }
            | ThresholdError::PointsOutOfRange { field, .. }
            | ThresholdError::MoodOutOfRange { field, .. } => field,
        }
    }
}

/// Every threshold at fault, in field order; never empty when returned as an error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub struct ThresholdErrors(pub Vec<ThresholdError>);

impl fmt::Display for ThresholdErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid attention thresholds: ")?;
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// Why stored thresholds could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ThresholdsParseError {
    #[error("attention thresholds are not valid JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Invalid(#[from] ThresholdErrors),
}

impl Thresholds {
    /// Reads thresholds stored as JSON (missing fields take the defaults) and checks them.
    pub fn from_json(json: &str) -> Result<Self, ThresholdsParseError> {
        let thresholds: Thresholds = serde_json::from_str(json)?;
        thresholds.validate()?;
        Ok(thresholds)
    }

    /// Fails with every field that makes no sense: a minimum count of 0 (a rule that holds
    /// on an empty log), a share outside 0 to 1, seconds or depth points of 0 or less (or NaN),
    /// a mood outside 1 to 5.
    pub fn validate(&self) -> Result<(), ThresholdErrors> {
        let mut errors = Vec::new();
        let mut minimum = |field: &'static str, value: u32| {
            if value == 0 {
                errors.push(ThresholdError::ZeroMinimum { field });
            }
        };
        minimum(
            "calls_unanswered_min_attempts",
            self.calls_unanswered_min_attempts,
        );
        minimum(
            "never_reaches_out_min_counted",
            self.never_reaches_out_min_counted,
        );
        minimum(
            "cut_short_min_completed_calls",
            self.cut_short_min_completed_calls,
        );
        minimum("routine_only_min_scored", self.routine_only_min_scored);
        minimum(
            "depth_falling_min_scored_per_half",
            self.depth_falling_min_scored_per_half,
        );
        minimum("thinning_min_earlier", self.thinning_min_earlier);
        minimum(
            "worried_min_low_mood_checkins",
            self.worried_min_low_mood_checkins,
        );
        minimum("worried_min_noted_worries", self.worried_min_noted_worries);
        minimum("unhappy_min_bad_feedbacks", self.unhappy_min_bad_feedbacks);

        for (field, value) in [
            (
                "calls_unanswered_answered_share_below",
                self.calls_unanswered_answered_share_below,
            ),
            (
                "routine_only_share_at_least",
                self.routine_only_share_at_least,
            ),
            (
                "thinning_later_share_below",
                self.thinning_later_share_below,
            ),
        ] {
            // `contains` is false for NaN too.
            if !(0.0..=1.0).contains(&value) {
                errors.push(ThresholdError::ShareOutOfRange { field, value });
            }
        }
        if self.cut_short_median_below_seconds <= 0 {
            errors.push(ThresholdError::SecondsNotPositive {
                field: "cut_short_median_below_seconds",
                value: self.cut_short_median_below_seconds,
            });
        }
        let points = self.depth_falling_drop_points;
        if !(points > 0.0 && points <= 100.0) {
            errors.push(ThresholdError::PointsOutOfRange {
                field: "depth_falling_drop_points",
                value: points,
            });
        }
        if !(1..=5).contains(&self.worried_low_mood_at_most) {
            errors.push(ThresholdError::MoodOutOfRange {
                field: "worried_low_mood_at_most",
                value: self.worried_low_mood_at_most,
            });
        }
        // Sorted so the errors come in the order the fields are declared, whichever check
        // found them.
        errors.sort_by_key(|error| field_order(error.field()));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ThresholdErrors(errors))
        }
    }
}

/// The declaration order of the fields, for stable error lists.
fn field_order(field: &str) -> usize {
    const FIELDS: [&str; 15] = [
        "calls_unanswered_min_attempts",
        "calls_unanswered_answered_share_below",
        "never_reaches_out_min_counted",
        "cut_short_min_completed_calls",
        "cut_short_median_below_seconds",
        "routine_only_min_scored",
        "routine_only_share_at_least",
        "depth_falling_drop_points",
        "depth_falling_min_scored_per_half",
        "thinning_later_share_below",
        "thinning_min_earlier",
        "worried_low_mood_at_most",
        "worried_min_low_mood_checkins",
        "worried_min_noted_worries",
        "unhappy_min_bad_feedbacks",
    ];
    FIELDS
        .iter()
        .position(|known| *known == field)
        .unwrap_or(FIELDS.len())
}
