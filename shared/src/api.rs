//! Wire types: the JSON bodies of the REST API under `/api/v1`, shared by server and clients.
//!
//! Request types reject unknown fields, so a misspelt field is an error rather than silently
//! ignored. Instants travel as RFC 3339 strings; a contact keeps the offset its phone reported.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attention::Thresholds;
use crate::ids::*;
use crate::model::*;
use crate::values::{TargetCadence, TimeZoneName};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The one error shape of every error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `validation_failed`, `not_found`, `conflict`.
    pub code: String,
    /// A human-readable message.
    pub message: String,
    /// Per-field problems, for validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// One page of a list; `next_cursor` is absent on the last page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

// ---- accounts and sign-in -------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single use: each refresh returns a new one and revokes the old.
    pub refresh_token: String,
    pub user: User,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[cfg_attr(feature = "openapi", schema(min_length = 3, max_length = 64))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 1024))]
    pub password: String,
    pub role: AccountRole,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Parent, caregiver and child accounts: the family and the person the account speaks for.
    #[serde(default)]
    pub family_id: Option<FamilyId>,
    #[serde(default)]
    pub person_id: Option<PersonId>,
    /// Staff accounts: the programs whose families they may see.
    #[serde(default)]
    pub program_ids: Vec<ProgramId>,
}

/// A change to an account (admins); absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// A disabled account is refused at once, its sessions ended.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// `false` unlocks an account locked after too many wrong passwords.
    #[serde(default)]
    pub login_locked: Option<bool>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Staff accounts: the programs they work in (replaces the list).
    #[serde(default)]
    pub program_ids: Option<Vec<ProgramId>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    pub role: AccountRole,
    /// A disabled account cannot sign in or use a token it holds.
    #[serde(default)]
    pub disabled: bool,
    /// Locked after a long run of wrong passwords; it cannot sign in until an admin
    /// unlocks it (its tokens keep working).
    #[serde(default)]
    pub login_locked: bool,
    /// An admin reset the password: the account signs in with the one-time password, and
    /// until it changes it (`POST /me/password`) its tokens are refused everywhere else with
    /// 403 `password_change_required`.
    #[serde(default)]
    pub must_change_password: bool,
    pub family_id: Option<FamilyId>,
    pub person_id: Option<PersonId>,
    pub program_ids: Vec<ProgramId>,
    pub created_at: DateTime<Utc>,
}

/// Changing one's own password: the old one is required. Every session of the account ends;
/// the answer carries a new token pair for this one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 1024))]
    pub new_password: String,
}

/// An admin's password reset: the one-time password is shown here once and never again; the
/// account must change it at its next sign-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasswordReset {
    pub user: User,
    pub one_time_password: String,
}

// ---- programs, families, persons ---------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewProgram {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// Target days between contacts for the program's families (default 7).
    #[serde(default)]
    pub target_cadence_days: Option<TargetCadence>,
}

/// A change to a program (admins); absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProgramUpdate {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    /// The default target for the program's families that set none of their own.
    #[serde(default)]
    pub target_cadence_days: Option<TargetCadence>,
    /// The attention thresholds (SPEC 4a), replacing the program's: fields left out take the
    /// defaults, so `{}` restores every default.
    #[serde(default)]
    pub attention_thresholds: Option<Thresholds>,
    /// Months after which contacts and check-ins are erased by `kinthread-server retention`
    /// (1 to 600); `null` keeps everything.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u16>, minimum = 1, maximum = 600))]
    pub retention_months: Option<Option<u16>>,
}

/// The longest retention period a program may set, in months (50 years).
pub const MAX_RETENTION_MONTHS: u16 = 600;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Program {
    pub id: ProgramId,
    pub name: String,
    pub target_cadence_days: TargetCadence,
    /// The thresholds in force for the program's families (the defaults unless changed).
    #[serde(default)]
    pub attention_thresholds: Thresholds,
    /// Months after which the program's contacts and check-ins are erased (absent: kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_months: Option<u16>,
    pub created_at: DateTime<Utc>,
}

/// The consent in force (PIPL: data of children is sensitive), from the family's consent
/// records (`GET /families/{id}/consents`). When a family is created, each `true` is recorded
/// as given on a paper form by the admin who created it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// A guardian consented to the family's data being kept at all.
    #[serde(default)]
    pub guardian_consent: bool,
    /// Program staff may read note and text content, check-in text and the child's words
    /// (scores, ratings and moods are shown regardless).
    #[serde(default)]
    pub share_notes_with_staff: bool,
    /// Parents and caregivers see counts of the child's feedback and check-ins: a guardian
    /// agreed and, where a child of the family has an account, that child agreed too.
    #[serde(default)]
    pub child_feedback_visible_to_parents: bool,
    /// A child of the family may have (and use) an account of their own.
    #[serde(default)]
    pub child_account: bool,
    /// The family is counted in anonymous program statistics.
    #[serde(default)]
    pub anonymous_statistics: bool,
}

/// A change of consent through `PATCH /families/{id}`: only what it names changes. `true`
/// records the caller's consent (a guardian's own account, or an admin recording a paper
/// form), `false` withdraws every record of that kind in force.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentUpdate {
    #[serde(default)]
    pub guardian_consent: Option<bool>,
    #[serde(default)]
    pub share_notes_with_staff: Option<bool>,
    #[serde(default)]
    pub child_feedback_visible_to_parents: Option<bool>,
    #[serde(default)]
    pub child_account: Option<bool>,
    #[serde(default)]
    pub anonymous_statistics: Option<bool>,
}

impl ConsentUpdate {
    /// The kinds it names, with the answer for each.
    pub fn named(&self) -> Vec<(ConsentKind, bool)> {
        [
            (ConsentKind::DataKept, self.guardian_consent),
            (
                ConsentKind::ShareNotesWithStaff,
                self.share_notes_with_staff,
            ),
            (
                ConsentKind::FeedbackCountsToParents,
                self.child_feedback_visible_to_parents,
            ),
            (ConsentKind::ChildAccount, self.child_account),
            (ConsentKind::AnonymousStatistics, self.anonymous_statistics),
        ]
        .into_iter()
        .filter_map(|(kind, answer)| answer.map(|a| (kind, a)))
        .collect()
    }
}

/// Records a consent: from a guardian's own account (`person_id` left out: the account's
/// person), the child's own agreement from the child's account, or a paper form recorded by
/// the program's staff or an admin (`person_id` and `reference` needed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    pub kind: ConsentKind,
    #[serde(default)]
    pub person_id: Option<PersonId>,
    /// The paper form's reference (its number, where it is filed).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub reference: Option<String>,
}

/// Withdraws a consent record; staff recording a paper withdrawal give its reference.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentWithdrawal {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub reference: Option<String>,
}

/// A program's anonymous statistics: how many of its families stand where, counting only the
/// families whose guardians consented to it (`anonymous_statistics`). No family is named.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProgramStatistics {
    pub program_id: ProgramId,
    pub as_of: DateTime<Utc>,
    /// Families enrolled in the program.
    pub families: u32,
    /// Of those, the ones counted below (consent in force).
    pub counted: u32,
    /// Counted families by the gap status of their most urgent parent–child pair.
    pub by_status: std::collections::BTreeMap<String, u32>,
    /// Counted families by attention level.
    pub by_attention: std::collections::BTreeMap<String, u32>,
}

/// Why a family's data is to be deleted: a guardian's request, or the family leaving the
/// program. Kept in the deletion's tombstone; name no one in it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeletionRequest {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub reason: Option<String>,
}

/// What deleting a family erased, as counts (the tombstone of the audit holds the same).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeletionReport {
    pub contacts: u64,
    pub participants: u64,
    pub checkins: u64,
    pub feedback: u64,
    pub child_checkins: u64,
    pub follow_ups: u64,
    pub consent_records: u64,
    pub persons: u64,
    pub phones: u64,
    pub accounts: u64,
    pub sessions: u64,
    /// Conversation prompts shown to the family's parents.
    pub prompts_shown: u64,
    pub audit_entries: u64,
}

/// One consent: who agreed to what, when, through whom, and when it was withdrawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConsentRecord {
    pub id: ConsentId,
    pub family_id: FamilyId,
    pub kind: ConsentKind,
    /// The guardian who agreed (the child, for their own agreement); absent for what the
    /// family's settings said before the history was kept.
    pub person_id: Option<PersonId>,
    pub given_at: DateTime<Utc>,
    /// The account that recorded it.
    pub given_by: Option<UserId>,
    pub given_via: ConsentVia,
    pub reference: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<UserId>,
    pub withdrawn_via: Option<ConsentVia>,
    pub withdrawn_reference: Option<String>,
}

/// A family's consent: what is in force now, and every record, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConsentHistory {
    pub in_force: Consent,
    pub records: Vec<ConsentRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFamily {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub display_name: String,
    #[serde(default)]
    pub program_id: Option<ProgramId>,
    /// IANA time zone; default `Asia/Shanghai`.
    #[serde(default)]
    pub time_zone: Option<TimeZoneName>,
    /// Target days between contacts; default the program's, else 7.
    #[serde(default)]
    pub target_cadence_days: Option<TargetCadence>,
    #[serde(default)]
    pub consent: Consent,
    /// A family of the same name in the same program is refused (409 `duplicate_name`)
    /// unless this is `true`.
    #[serde(default)]
    pub allow_duplicate: bool,
}

/// A change to a family; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FamilyUpdate {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub display_name: Option<String>,
    #[serde(default)]
    pub time_zone: Option<TimeZoneName>,
    #[serde(default)]
    pub target_cadence_days: Option<TargetCadence>,
    /// Only the consents named change; each change is a consent record (see
    /// `POST /families/{id}/consents`).
    #[serde(default)]
    pub consent: Option<ConsentUpdate>,
    /// Admins: enrol the family in a program, move it to another (the program's staff then
    /// reach it, the old program's no longer) or withdraw it (`null`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub program_id: Option<Option<ProgramId>>,
    /// A rename or move onto a name another family of the program has is refused (409
    /// `duplicate_name`) unless this is `true`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_duplicate: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Family {
    pub id: FamilyId,
    pub display_name: String,
    pub program_id: Option<ProgramId>,
    pub time_zone: TimeZoneName,
    /// The target in force: the family's own, else the program's, else 7.
    pub target_cadence_days: TargetCadence,
    pub consent: Consent,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub display_name: String,
    pub role: FamilyRole,
    #[serde(default)]
    pub lives_away: bool,
    #[serde(default)]
    pub away_location: Option<String>,
    #[serde(default)]
    pub away_since: Option<NaiveDate>,
    /// Children: the year of birth. Optional when `birth_date` is given; it must then agree.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1900))]
    pub birth_year: Option<i32>,
    /// Children: the date of birth (`YYYY-MM-DD`), for birthday reminders; sets `birth_year`.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// Any common spelling; stored normalised to E.164 (default country +86).
    #[serde(default)]
    pub phone: Option<String>,
    /// More numbers (a second SIM, a work phone), spelt like `phone`; `phone`, where given,
    /// comes first.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub phones: Vec<String>,
}

/// A change to a person (admins); absent fields stay as they are, `null` clears an optional
/// one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<FamilyRole>,
    /// `false` when a parent came home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lives_away: Option<bool>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub away_location: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub away_since: Option<Option<NaiveDate>>,
    /// Without `birth_date`: the year alone. With it, they must agree.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i32>, minimum = 1900))]
    pub birth_year: Option<Option<i32>>,
    /// `YYYY-MM-DD`; a date alone also sets `birth_year`.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub birth_date: Option<Option<NaiveDate>>,
    /// Every number of the person, replacing the stored list (`[]` or `null` clears it),
    /// spelt as on creation.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>, max_items = 10))]
    pub phones: Option<Option<Vec<String>>>,
}

/// Reads a field where `null` means "clear it" (`Some(None)`) and absence, through
/// `#[serde(default)]`, "leave it" (`None`).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Person {
    pub id: PersonId,
    pub family_id: FamilyId,
    pub display_name: String,
    pub role: FamilyRole,
    pub lives_away: bool,
    pub away_location: Option<String>,
    pub away_since: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    /// `YYYY-MM-DD`, where known.
    pub birth_date: Option<NaiveDate>,
    /// E.164, the first of `phones`; shown to the family and admins only.
    pub phone: Option<String>,
    /// Every number of the person, E.164, in the order given; shown to the family and admins
    /// only.
    #[serde(default)]
    pub phones: Vec<String>,
    pub created_at: DateTime<Utc>,
}

// ---- contacts ---------------------------------------------------------------------------------

/// A contact as a phone or the CLI uploads it. `client_id` makes the upload idempotent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub client_id: Uuid,
    pub kind: ContactKind,
    /// Default `completed`; texts and visits are always completed.
    #[serde(default)]
    pub status: Option<ContactStatus>,
    #[cfg_attr(feature = "openapi", schema(min_items = 2, max_items = 20))]
    pub participants: Vec<PersonId>,
    pub initiator: PersonId,
    /// With the offset the phone reported, e.g. `2026-03-01T20:15:00+08:00`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: DateTime<FixedOffset>,
    /// Calls: seconds talked.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 86400))]
    pub duration_seconds: Option<i64>,
    /// Visits: when it ended (a visit may span weeks).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended_at: Option<DateTime<FixedOffset>>,
    /// A note written after a call, or the body of a text.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub content: Option<String>,
    #[serde(default)]
    pub talked_most: Option<TalkedMost>,
    /// Only a child's own account may give it.
    #[serde(default)]
    pub child_feedback: Option<ChildFeedback>,
    #[serde(default)]
    pub source: Option<ContactSource>,
}

/// The stored depth result of a contact's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ContactDepth {
    pub score: f64,
    pub level: DepthLevel,
    pub lexicon_version: String,
    /// The phrases that moved the score. Empty where the reader may not see the content
    /// (they quote it), or where the score was stored with an older lexicon than the
    /// server's (run `kinthread-server rescore`).
    pub evidence: Vec<crate::depth::Evidence>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Contact {
    pub id: ContactId,
    pub family_id: FamilyId,
    pub client_id: Uuid,
    pub kind: ContactKind,
    pub status: ContactStatus,
    pub participants: Vec<PersonId>,
    pub initiator: PersonId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: DateTime<FixedOffset>,
    pub duration_seconds: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended_at: Option<DateTime<FixedOffset>>,
    /// Absent where the reader may not see it (staff without the family's consent).
    pub content: Option<String>,
    /// True when content exists but is withheld from this reader.
    pub content_withheld: bool,
    pub talked_most: Option<TalkedMost>,
    /// Absent where the reader may not see it (parents, unless the family agreed).
    pub child_feedback: Option<ChildFeedback>,
    pub depth: Option<ContactDepth>,
    pub source: ContactSource,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
    /// The earlier record this one corrects.
    pub supersedes: Option<ContactId>,
    /// The later record that corrects this one; a superseded record stays in the history.
    pub superseded_by: Option<ContactId>,
}

impl Contact {
    /// When this contact kept its participants in contact, by the one rule of
    /// [`crate::model::counted_span`]; `None` for an unanswered call.
    pub fn counted_span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        counted_span(
            self.kind,
            self.status,
            self.started_at.to_utc(),
            self.duration_seconds,
            self.ended_at.map(|end| end.to_utc()),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactBatch {
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub contacts: Vec<NewContact>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BatchItemStatus {
    /// Stored now.
    Created,
    /// Sent before with the same content: the first record is returned.
    Existing,
    /// Refused; see `error`.
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BatchItemResult {
    pub index: usize,
    pub client_id: Uuid,
    pub status: BatchItemStatus,
    pub contact_id: Option<ContactId>,
    pub error: Option<ErrorDetail>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BatchResponse {
    pub created: usize,
    pub existing: usize,
    pub rejected: usize,
    pub results: Vec<BatchItemResult>,
}

// ---- check-ins --------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCheckin {
    pub client_id: Uuid,
    /// The child the check-in is about.
    pub child_id: PersonId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub observed_at: DateTime<FixedOffset>,
    /// 1 (very low) to 5 (very good).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub mood: i32,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub health: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub school: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub worries: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Checkin {
    pub id: CheckinId,
    pub family_id: FamilyId,
    pub client_id: Uuid,
    pub child_id: PersonId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub observed_at: DateTime<FixedOffset>,
    pub mood: i32,
    /// The free-text fields are absent for staff without the family's consent.
    pub health: Option<String>,
    pub school: Option<String>,
    pub worries: Option<String>,
    pub note: Option<String>,
    pub content_withheld: bool,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
}

// ---- the child's voice ------------------------------------------------------------------------

/// The most characters a child's optional words may hold.
pub const MAX_CHILD_WORDS_CHARS: usize = 2_000;

/// A child's one-tap feedback on a contact they took part in ("how did the call feel?"),
/// given from their own account at the time of the contact or later. Giving it again changes
/// it: the earlier version stays in the history. Idempotent on `client_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    pub client_id: Uuid,
    pub rating: ChildFeedback,
    /// Optional words of the child's own; parents never receive them.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub words: Option<String>,
    /// When the child gave it, with the phone's offset; default: when the server receives it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub given_at: Option<DateTime<FixedOffset>>,
}

/// One version of a child's feedback on a contact, as the reader may see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Feedback {
    pub id: FeedbackId,
    pub family_id: FamilyId,
    pub client_id: Uuid,
    /// The current version of the contact (an amendment of the contact carries it on).
    pub contact_id: ContactId,
    pub child_id: PersonId,
    pub rating: ChildFeedback,
    /// Absent where the reader may not read the child's words (`words_withheld`).
    pub words: Option<String>,
    pub words_withheld: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub given_at: DateTime<FixedOffset>,
    pub recorded_at: DateTime<Utc>,
    /// The version that changed this one; absent on the version in force.
    pub replaced_by: Option<FeedbackId>,
}

/// The child's feedback on one contact: every version, newest first; those without
/// `replaced_by` are in force (one per child who took part).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FeedbackHistory {
    pub contact_id: ContactId,
    pub items: Vec<Feedback>,
}

/// A child's own weekly "how are you", from their own account. Idempotent on `client_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewChildCheckin {
    pub client_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub observed_at: DateTime<FixedOffset>,
    /// 1 (very low) to 5 (very good).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub mood: i32,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub words: Option<String>,
}

/// A child's check-in, as the reader may see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChildCheckin {
    pub id: ChildCheckinId,
    pub family_id: FamilyId,
    pub client_id: Uuid,
    pub child_id: PersonId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub observed_at: DateTime<FixedOffset>,
    pub mood: i32,
    /// Absent where the reader may not read the child's words (`words_withheld`).
    pub words: Option<String>,
    pub words_withheld: bool,
    pub recorded_at: DateTime<Utc>,
}

// ---- audit ------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_role: Option<AccountRole>,
    pub action: String,
    pub family_id: Option<FamilyId>,
    pub target: Option<String>,
    /// Why the data was read, where the reader said (staff reading note text must).
    #[serde(default)]
    pub purpose: Option<String>,
    /// Who acted, by their display name (else username); absent for an account since deleted.
    #[serde(default)]
    pub actor_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    pub status: String,
    pub database: String,
    pub version: String,
}
