//! Wire types of the staff reports and follow-ups: the family report (every pair's gaps and
//! depth), the caseload (each family's worst parent–child pair, most urgent first) and staff
//! follow-up outcomes.
//!
//! Reports carry figures only, never note or text content: they are read by staff whatever
//! the family's consent to share notes.

pub mod assemble;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::Family;
use crate::attention::{AttentionLevel, Signal};
use crate::depth::summary::DepthSummary;
use crate::gaps::{GapStatus, PairGaps, Window};
use crate::ids::{FamilyId, FollowUpId, PersonId, ProgramId, UserId};
use crate::model::{FamilyRole, FollowUpOutcome};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Days a `remind_later` follow-up keeps a family off the caseload's due list.
pub const REMIND_LATER_DAYS: i64 = 7;

/// Days after `parent_agreed_to_call` at which staff should check again.
pub const PARENT_AGREED_RECHECK_DAYS: i64 = 30;

/// The longest report window accepted, in days.
pub const MAX_WINDOW_DAYS: u32 = 3_660;

/// The rows of one caseload page unless asked otherwise, and the most one page holds.
pub const DEFAULT_CASELOAD_LIMIT: u32 = 50;
pub const MAX_CASELOAD_LIMIT: u32 = 500;

/// Which relation a pair stands for (SPEC section 4: the law asks for both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PairKind {
    /// `a` is the parent, `b` the child.
    ParentChild,
    /// `a` is the parent, `b` the caregiver (grandparent or other relative).
    ParentCaregiver,
}

/// A person as a report names them: no phone number, no place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonSummary {
    pub id: PersonId,
    pub display_name: String,
    pub role: FamilyRole,
    pub lives_away: bool,
}

/// One pair's contact over the report window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PairReport {
    pub pair_kind: PairKind,
    /// The parent.
    pub a: PersonSummary,
    /// The child or the caregiver.
    pub b: PersonSummary,
    pub gaps: PairGaps,
    pub depth: DepthSummary,
    /// Parent–child pairs: the attention signals raised over the window (SPEC 4a; counts
    /// and reasons, never note text). Empty for parent–caregiver pairs.
    #[serde(default)]
    pub signals: Vec<Signal>,
}

/// Caregiver check-ins about the family's children over the report window: figures only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CheckinSummary {
    pub count: u32,
    /// Mean mood (1 to 5), one decimal; `None` without check-ins.
    pub mean_mood: Option<f64>,
    /// Check-ins with mood 1 or 2.
    pub low_mood_count: u32,
    pub latest_observed_at: Option<DateTime<Utc>>,
}

/// The child's own voice over the report window, as counts (SPEC section 2): staff, admins and
/// the child see it; parents and caregivers only where the guardian consented, and then
/// without the moods. Never the words.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChildVoiceSummary {
    /// Feedback in force on the window's contacts, by rating.
    pub feedback_good: u32,
    pub feedback_okay: u32,
    pub feedback_bad: u32,
    /// The children's own check-ins in the window.
    pub checkins: u32,
    /// Their mean mood (1 to 5), one decimal; absent without check-ins, and for parents and
    /// caregivers, who see counts only.
    pub mean_mood: Option<f64>,
}

/// Everything staff and the family see about one family's contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FamilyReport {
    pub family: Family,
    pub as_of: DateTime<Utc>,
    pub window_days: u32,
    /// The exact window: local midnight `window_days` days before `as_of`'s local date, to
    /// `as_of`, in the family's time zone.
    pub window: Window,
    pub target_days: u32,
    /// Parent–child pairs first (parents living away first), then parent–caregiver pairs.
    pub pairs: Vec<PairReport>,
    /// The family's attention level from its parent–child pairs (SPEC 4a).
    #[serde(default)]
    pub attention_level: AttentionLevel,
    pub checkins: CheckinSummary,
    /// The child's feedback and check-ins as counts; absent where the reader may not see them.
    #[serde(default)]
    pub child_voice: Option<ChildVoiceSummary>,
    pub latest_follow_up: Option<FollowUp>,
}

/// One family in a staff caseload: its worst parent–child pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CaseloadRow {
    pub family_id: FamilyId,
    pub family_name: String,
    pub program_id: Option<ProgramId>,
    /// The parent of the worst pair; `None` when the family has no parent–child pair yet
    /// (then `status` is `never`).
    pub parent: Option<PersonSummary>,
    pub child: Option<PersonSummary>,
    /// Parent–child pairs in the family.
    pub pair_count: u32,
    pub status: GapStatus,
    /// SPEC 4a: `high` with 3 or more signals on a pair or a gap `overdue` or worse,
    /// `watch` with 1 or 2, else `none`.
    pub attention_level: AttentionLevel,
    /// The signals of the pair shown (counts and reasons, never note text).
    pub signals: Vec<Signal>,
    pub target_days: u32,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub current_gap_days: Option<f64>,
    pub longest_gap_days: f64,
    pub contacts_per_week: f64,
    pub child_initiated_share: Option<f64>,
    pub talk_minutes: f64,
    /// Missed and declined calls between the pair in the window, whoever started them.
    pub unanswered_attempts: u32,
    pub mean_depth: Option<f64>,
    pub routine_only_share: Option<f64>,
    pub latest_follow_up: Option<FollowUp>,
    /// Set while a `remind_later` follow-up keeps the family off the due list.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// When staff should check again after the latest follow-up (`remind_later`,
    /// `parent_agreed_to_call`).
    pub recheck_at: Option<DateTime<Utc>>,
}

/// One page of a staff caseload, most urgent first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CaseloadReport {
    pub as_of: DateTime<Utc>,
    pub window_days: u32,
    /// The program asked for; `None`: every program the reader may see.
    pub program_id: Option<ProgramId>,
    /// Families in the caseload after snoozed ones were left out, over all pages.
    pub total_rows: u32,
    /// Snoozed families left out (see `include_snoozed`), over all pages.
    pub snoozed_hidden: u32,
    pub rows: Vec<CaseloadRow>,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
}

/// A staff outcome to record on a family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFollowUp {
    pub outcome: FollowUpOutcome,
    /// Required for `closed`; optional otherwise.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub reason: Option<String>,
}

/// A recorded staff outcome on a family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FollowUp {
    pub id: FollowUpId,
    pub family_id: FamilyId,
    pub staff_id: UserId,
    pub outcome: FollowUpOutcome,
    pub reason: Option<String>,
    /// `remind_later`: 7 days on; `parent_agreed_to_call`: 30 days on; otherwise none.
    pub recheck_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl FollowUpOutcome {
    /// Days after recording at which the outcome asks staff to look again.
    pub fn recheck_after_days(self) -> Option<i64> {
        match self {
            FollowUpOutcome::RemindLater => Some(REMIND_LATER_DAYS),
            FollowUpOutcome::ParentAgreedToCall => Some(PARENT_AGREED_RECHECK_DAYS),
            FollowUpOutcome::ReachedParent | FollowUpOutcome::Closed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_follow_up_rejects_unknown_fields() {
        let ok: Result<NewFollowUp, _> =
            serde_json::from_str(r#"{"outcome":"closed","reason":"moved away"}"#);
        assert_eq!(
            ok.ok(),
            Some(NewFollowUp {
                outcome: FollowUpOutcome::Closed,
                reason: Some("moved away".into()),
            })
        );
        let misspelt: Result<NewFollowUp, _> =
            serde_json::from_str(r#"{"outcome":"closed","reson":"x"}"#);
        assert!(misspelt.is_err());
    }

    #[test]
    fn recheck_days_follow_the_spec() {
        assert_eq!(FollowUpOutcome::RemindLater.recheck_after_days(), Some(7));
        assert_eq!(
            FollowUpOutcome::ParentAgreedToCall.recheck_after_days(),
            Some(30)
        );
        assert_eq!(FollowUpOutcome::Closed.recheck_after_days(), None);
    }
}
