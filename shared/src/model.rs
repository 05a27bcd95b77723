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
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

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

#[cfg(test)]
mod tests {
    use super::*;

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
