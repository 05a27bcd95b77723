//! Newtype identifiers, so that an id of one kind cannot be passed where another is meant.
//!
//! Every id is a UUID; new ones are time-ordered (v7), which keeps index inserts local.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[cfg_attr(
            feature = "diesel",
            derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
            diesel(sql_type = diesel::sql_types::Text)
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        #[cfg(feature = "diesel")]
        $crate::storage::text_id_sql!($name);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

id_type!(
    /// A program: one organisation's caseload of families.
    ProgramId
);
id_type!(
    /// A family (household).
    FamilyId
);
id_type!(
    /// A person of a family.
    PersonId
);
id_type!(
    /// A contact record (one version of it; an amendment gets its own id).
    ContactId
);
id_type!(
    /// A caregiver check-in.
    CheckinId
);
id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// One version of a child's feedback on a contact (a change is a new version).
    FeedbackId
);
id_type!(
    /// A child's own weekly check-in.
    ChildCheckinId
);
id_type!(
    /// A staff follow-up outcome on a family.
    FollowUpId
);
id_type!(
    /// The id a client gives an upload, so that a retry returns the first record (a contact's
    /// or a check-in's idempotency key; unique within a family).
    ClientId
);
id_type!(
    /// An entry of the audit log.
    AuditId
);
id_type!(
    /// A signed-in session: one refresh-token chain, one device.
    SessionId
);
