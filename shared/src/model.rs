//! The records of kinthread (SPEC section 3) as plain domain types and enums.
//!
//! Enums have one stable snake_case spelling, used on the wire, in the database and in the
//! CLI alike; `as_str` and `FromStr` convert both ways.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::PersonId;

/// An enum value that is not one of the known spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(
            feature = "diesel",
            derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
            diesel(sql_type = diesel::sql_types::Text)
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        #[cfg(feature = "diesel")]
        $crate::storage::text_enum_sql!($name);

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable spelling used on the wire and in storage.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}

string_enum!(
    /// A person's place in the family.
    FamilyRole, "family role" {
        Mother => "mother",
        Father => "father",
        Child => "child",
        Grandmother => "grandmother",
        Grandfather => "grandfather",
        OtherCaregiver => "other_caregiver",
        Sibling => "sibling",
    }
);

impl FamilyRole {
    pub fn is_parent(self) -> bool {
        matches!(self, FamilyRole::Mother | FamilyRole::Father)
    }

    pub fn is_caregiver(self) -> bool {
        matches!(
            self,
            FamilyRole::Grandmother | FamilyRole::Grandfather | FamilyRole::OtherCaregiver
        )
    }
}

string_enum!(
    /// What a user account may do (SPEC section 2).
    AccountRole, "account role" {
        Parent => "parent",
        Caregiver => "caregiver",
        Child => "child",
        Staff => "staff",
        Admin => "admin",
    }
);

impl AccountRole {
    /// Parents, caregivers and children act within one family.
    pub fn is_family_member(self) -> bool {
        matches!(
            self,
            AccountRole::Parent | AccountRole::Caregiver | AccountRole::Child
        )
    }

    /// Whether an account of this role may speak for a person of `person` role: parents
    /// for mothers and fathers, caregivers for the caring relatives (an older sibling too),
    /// children for children; staff and admins for nobody.
    pub fn fits_person(self, person: FamilyRole) -> bool {
        match self {
            AccountRole::Parent => person.is_parent(),
            AccountRole::Caregiver => person.is_caregiver() || person == FamilyRole::Sibling,
            AccountRole::Child => person == FamilyRole::Child,
            AccountRole::Staff | AccountRole::Admin => false,
        }
    }
}

string_enum!(
    /// How a contact happened.
    ContactKind, "contact kind" {
        Call => "call",
        VideoCall => "video_call",
        Text => "text",
        Visit => "visit",
    }
);

impl ContactKind {
    pub fn is_call(self) -> bool {
        matches!(self, ContactKind::Call | ContactKind::VideoCall)
    }

    /// Whether a contact of this kind with `status` counts as contact (SPEC section 4):
    /// texts and visits count whatever their status says (they are always completed), calls
    /// only when completed. The one definition: the SQL of the reports is built from it.
    pub const fn counts_with(self, status: ContactStatus) -> bool {
        match self {
            ContactKind::Call | ContactKind::VideoCall => {
                matches!(status, ContactStatus::Completed)
            }
            ContactKind::Text | ContactKind::Visit => true,
        }
    }

    /// Where a counted contact of this kind ends (see [`counted_span`]).
    pub const fn end_rule(self) -> EndRule {
        match self {
            ContactKind::Call | ContactKind::VideoCall => EndRule::StartPlusDuration,
            ContactKind::Text => EndRule::AtStart,
            ContactKind::Visit => EndRule::EndedAt,
        }
    }
}

/// How the end of a counted contact follows from its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndRule {
    /// A call: its start plus the seconds talked (none or a negative count: a moment).
    StartPlusDuration,
    /// A text: a moment.
    AtStart,
    /// A visit: its end, or its start where the end is missing or earlier than the start
    /// (an open visit must not hide a gap that keeps growing after someone forgot to close
    /// it).
    EndedAt,
}

/// When a contact kept its participants in contact: `Some((start, end))` for a contact that
/// counts (SPEC section 4), `None` for an unanswered call. The one rule for gaps, the
/// caseload, bundles and timelines alike; `end >= start` always.
pub fn counted_span(
    kind: ContactKind,
    status: ContactStatus,
    started_at: DateTime<Utc>,
    duration_seconds: Option<i64>,
    ended_at: Option<DateTime<Utc>>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if !kind.counts_with(status) {
        return None;
    }
    let end = match kind.end_rule() {
        EndRule::StartPlusDuration => {
            chrono::TimeDelta::try_seconds(duration_seconds.unwrap_or(0).max(0))
                .and_then(|duration| started_at.checked_add_signed(duration))
                .unwrap_or(started_at)
        }
        EndRule::AtStart => started_at,
        EndRule::EndedAt => ended_at.unwrap_or(started_at).max(started_at),
    };
    Some((started_at, end))
}

string_enum!(
    /// Whether a contact reached the other side. Texts and visits are always completed.
    ContactStatus, "contact status" {
        Completed => "completed",
        Missed => "missed",
        Declined => "declined",
    }
);

string_enum!(
    /// Who did most of the talking on a call.
    TalkedMost, "talked most" {
        Parent => "parent",
        Child => "child",
        Even => "even",
    }
);

string_enum!(
    /// Where a contact record came from.
    ContactSource, "contact source" {
        App => "app",
        Import => "import",
        Cli => "cli",
    }
);

string_enum!(
    /// The child's one-tap answer to "how did the call feel?".
    ChildFeedback, "child feedback" {
        Good => "good",
        Okay => "okay",
        Bad => "bad",
    }
);

string_enum!(
    /// What a guardian (or, for its own agreement, the child) consented to (SPEC section 3).
    ConsentKind, "consent kind" {
        /// The family's data is kept at all.
        DataKept => "data_kept",
        /// Program staff may read note and text content, check-in text and the child's words.
        ShareNotesWithStaff => "share_notes_with_staff",
        /// The child may have an account of their own.
        ChildAccount => "child_account",
        /// Parents and caregivers see counts of the child's feedback and check-ins.
        FeedbackCountsToParents => "feedback_counts_to_parents",
        /// The child's own agreement to those counts (needed where the child has an account).
        ChildAgreesFeedbackCounts => "child_agrees_feedback_counts",
        /// The family is counted in anonymous program statistics.
        AnonymousStatistics => "anonymous_statistics",
    }
);

string_enum!(
    /// How a consent was given or withdrawn.
    ConsentVia, "consent channel" {
        /// By the person themself, from their own account.
        OwnAccount => "own_account",
        /// A signed paper form, recorded by staff or an admin with its reference.
        PaperForm => "paper_form",
        /// What the family's settings said before consent was kept as a history.
        BeforeHistory => "before_history",
    }
);

string_enum!(
    /// A staff outcome on a family.
    FollowUpOutcome, "follow-up outcome" {
        ReachedParent => "reached_parent",
        RemindLater => "remind_later",
        ParentAgreedToCall => "parent_agreed_to_call",
        Closed => "closed",
    }
);

string_enum!(
    /// The depth level of a text (SPEC section 5).
    DepthLevel, "depth level" {
        Routine => "routine",
        Mixed => "mixed",
        Emotional => "emotional",
    }
);

/// One contact as the gap and depth logic sees it: the facts of the event, no storage detail.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactEvent {
    pub kind: ContactKind,
    pub status: ContactStatus,
    pub participants: Vec<PersonId>,
    pub initiator: PersonId,
    pub started_at: DateTime<Utc>,
    /// Calls: seconds talked (0 for unanswered calls).
    pub duration_seconds: Option<i64>,
    /// Visits: when the visit ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Depth score 0–100 where the contact had content.
    pub depth_score: Option<u8>,
    pub depth_level: Option<DepthLevel>,
}

impl ContactEvent {
    /// See [`counted_span`].
    pub fn counted_span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        counted_span(
            self.kind,
            self.status,
            self.started_at,
            self.duration_seconds,
            self.ended_at,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_fit_the_persons_they_speak_for() {
        use AccountRole::{Admin, Caregiver, Child, Parent, Staff};
        // (person, [parent, caregiver, child, staff, admin])
        let table = [
            (FamilyRole::Mother, [true, false, false, false, false]),
            (FamilyRole::Father, [true, false, false, false, false]),
            (FamilyRole::Child, [false, false, true, false, false]),
            (FamilyRole::Grandmother, [false, true, false, false, false]),
            (FamilyRole::Grandfather, [false, true, false, false, false]),
            (
                FamilyRole::OtherCaregiver,
                [false, true, false, false, false],
            ),
            (FamilyRole::Sibling, [false, true, false, false, false]),
        ];
        assert_eq!(table.len(), FamilyRole::ALL.len());
        for (person, fits) in table {
            for (account, want) in [Parent, Caregiver, Child, Staff, Admin]
                .into_iter()
                .zip(fits)
            {
                assert_eq!(
                    account.fits_person(person),
                    want,
                    "{account} for {person:?}"
                );
            }
        }
    }

    #[test]
    fn enum_spellings_round_trip() {
        for kind in ContactKind::ALL {
            assert_eq!(kind.as_str().parse::<ContactKind>(), Ok(*kind));
            let json = serde_json::to_string(kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        for role in FamilyRole::ALL {
            assert_eq!(role.as_str().parse::<FamilyRole>(), Ok(*role));
        }
    }

    #[test]
    fn counted_span_is_the_spec_rule() {
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let later = at + chrono::TimeDelta::hours(5);
        let earlier = at - chrono::TimeDelta::hours(5);
        let minutes = |m: i64| at + chrono::TimeDelta::minutes(m);
        use ContactKind::*;
        use ContactStatus::*;
        // (kind, status, duration, ended_at, expected span end; None: does not count)
        let cases = [
            (Call, Completed, Some(180), None, Some(minutes(3))),
            (VideoCall, Completed, Some(60), None, Some(minutes(1))),
            (Call, Completed, None, None, Some(at)),
            (Call, Completed, Some(-5), None, Some(at)),
            (Call, Missed, Some(0), None, None),
            (Call, Declined, None, None, None),
            (VideoCall, Missed, None, None, None),
            (Text, Completed, None, None, Some(at)),
            // Texts and visits count whatever their status says.
            (Text, Missed, None, None, Some(at)),
            (Visit, Completed, None, Some(later), Some(later)),
            (Visit, Declined, None, Some(later), Some(later)),
            // An open visit, or one that ends before it began, is a moment at its start.
            (Visit, Completed, None, None, Some(at)),
            (Visit, Completed, None, Some(earlier), Some(at)),
        ];
        for (kind, status, duration, ended, expected) in cases {
            let got = counted_span(kind, status, at, duration, ended);
            assert_eq!(
                got,
                expected.map(|end| (at, end)),
                "{kind} {status} {duration:?} {ended:?}"
            );
            assert_eq!(kind.counts_with(status), got.is_some());
        }
    }

    #[test]
    fn unknown_variant_names_the_choices() {
        let err = "phone".parse::<ContactKind>().err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("unknown contact kind `phone`"),
            "{message}"
        );
        assert!(message.contains("video_call"), "{message}");
    }
}
