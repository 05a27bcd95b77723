//! The family bundle: a versioned JSON file holding one or more families whole (the family,
//! its persons, every version of every contact with its depth result, check-ins and staff
//! follow-ups), for moving a family between installations and for reports without a server.
//!
//! Wire types, parsing with clear errors, structural checks and the offline report live here;
//! reading and writing the database does not. The format is documented in `docs/bundle.md`
//! and described by `docs/bundle.schema.json`.
//!
//! The bundle's records look much like the API's (`BundlePerson` and `api::Person`) but are
//! their own types on purpose: a file written today must read the same after the API changes,
//! and a bundle carries what the API never shows (upload fingerprints, stored timestamps).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{Consent, Family, FieldError};
use crate::attention::{CaregiverCheckin, ChildFeedbackEntry, FeedbackFact, Thresholds};
use crate::gaps::GapError;
use crate::ids::{
    CheckinId, ChildCheckinId, ContactId, FamilyId, FeedbackId, FollowUpId, PersonId, ProgramId,
    UserId,
};
use crate::model::{
    ChildFeedback, ContactEvent, ContactKind, ContactSource, ContactStatus, DepthLevel, FamilyRole,
    FollowUpOutcome, TalkedMost,
};
use crate::reports::assemble::{self, ChildVoiceView, FamilyReportInput};
use crate::reports::{FamilyReport, FollowUp, PersonSummary};
use crate::values::{TargetCadence, TimeZoneName};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The value of `format` in every bundle.
pub const BUNDLE_FORMAT: &str = "kinthread-bundle";
/// The version this code writes. A reader refuses a newer version rather than dropping what
/// it does not know. Version 2 added the child's own voice (feedback records with their
/// history, the child's check-ins) and a program's attention thresholds.
pub const BUNDLE_VERSION: u32 = 2;
/// The oldest version this code reads: a version-1 file has the child's feedback as a field
/// of each contact, read as the first version of a feedback record.
pub const OLDEST_BUNDLE_VERSION: u32 = 1;
/// One bundle file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Always `kinthread-bundle`.
    pub format: String,
    /// 2 for this layout; 1 is still read.
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    /// What the exporter was not allowed to see and left out. An empty list means the bundle
    /// is complete; only a complete bundle can be imported.
    #[serde(default)]
    pub withheld: Vec<Withheld>,
    /// The programs the families belong to.
    #[serde(default)]
    pub programs: Vec<BundleProgram>,
    pub families: Vec<FamilyRecord>,
}

/// A kind of data a bundle left out because its exporter may not read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// Note and text content of contacts, free text of check-ins (staff without consent).
    Content,
    /// The child's own voice: feedback on contacts and the child's check-ins (parents and
    /// caregivers, who never read them record by record).
    ChildFeedback,
    /// Persons' phone numbers (staff).
    Phones,
    /// Staff follow-ups (family accounts).
    FollowUps,
}

impl Withheld {
    /// The stable spelling, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Withheld::Content => "content",
            Withheld::ChildFeedback => "child_feedback",
            Withheld::Phones => "phones",
            Withheld::FollowUps => "follow_ups",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleProgram {
    pub id: ProgramId,
    pub name: String,
    pub target_cadence_days: i32,
    pub created_at: DateTime<Utc>,
    /// The program's own attention thresholds; absent: the defaults (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention_thresholds: Option<Thresholds>,
}

/// One family and everything recorded about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FamilyRecord {
    pub family: BundleFamily,
    pub persons: Vec<BundlePerson>,
    /// Every version, amended ones included, oldest first.
    pub contacts: Vec<BundleContact>,
    pub checkins: Vec<BundleCheckin>,
    pub follow_ups: Vec<BundleFollowUp>,
    /// The child's feedback on contacts, every version, oldest first (version 2).
    #[serde(default)]
    pub feedback: Vec<BundleFeedback>,
    /// The child's own check-ins, oldest first (version 2).
    #[serde(default)]
    pub child_checkins: Vec<BundleChildCheckin>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleFamily {
    pub id: FamilyId,
    pub display_name: String,
    pub program_id: Option<ProgramId>,
    pub time_zone: String,
    /// The family's own target; `None` follows the program's (else 7).
    pub target_cadence_days: Option<i32>,
    pub consent: Consent,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundlePerson {
    pub id: PersonId,
    pub display_name: String,
    pub role: FamilyRole,
    pub lives_away: bool,
    pub away_location: Option<String>,
    pub away_since: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    /// Left out when unknown, so bundles written before it existed still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// E.164, the first of `phones`; absent when withheld.
    pub phone: Option<String>,
    /// Every number, E.164, in order (`phone` is the first); left out when there is at most
    /// one, so bundles written before persons had several still read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl BundlePerson {
    /// Every number of the person: `phones`, else `phone`.
    pub fn all_phones(&self) -> Vec<String> {
        if self.phones.is_empty() {
            self.phone.iter().cloned().collect()
        } else {
            self.phones.clone()
        }
    }
}

/// The stored depth result, as computed when the contact was recorded (or last rescored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleDepth {
    pub score: f64,
    pub level: DepthLevel,
    pub lexicon_version: String,
}

/// One version of a contact, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleContact {
    pub id: ContactId,
    pub client_id: Uuid,
    /// The server's fingerprint of the original upload, so that a phone retrying it after
    /// the move still gets `existing`. Absent in bundles with content withheld.
    #[serde(default)]
    pub request_hash: Option<String>,
    pub kind: ContactKind,
    pub status: ContactStatus,
    pub participants: Vec<PersonId>,
    pub initiator: PersonId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: DateTime<FixedOffset>,
    pub duration_seconds: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended_at: Option<DateTime<FixedOffset>>,
    pub content: Option<String>,
    pub talked_most: Option<TalkedMost>,
    /// Version 1 only: the child's feedback as a field of the contact. Version 2 writes it as
    /// a record of `feedback` and leaves this absent.
    #[serde(default)]
    pub child_feedback: Option<ChildFeedback>,
    pub depth: Option<BundleDepth>,
    pub source: ContactSource,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
    pub supersedes: Option<ContactId>,
    pub superseded_by: Option<ContactId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleCheckin {
    pub id: CheckinId,
    pub client_id: Uuid,
    #[serde(default)]
    pub request_hash: Option<String>,
    pub child_id: PersonId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub observed_at: DateTime<FixedOffset>,
    pub mood: i32,
    pub health: Option<String>,
    pub school: Option<String>,
    pub worries: Option<String>,
    pub note: Option<String>,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
}

/// One version of a child's feedback on a contact, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleFeedback {
    pub id: FeedbackId,
    pub client_id: Uuid,
    #[serde(default)]
    pub request_hash: Option<String>,
    pub contact_id: ContactId,
    pub child_id: PersonId,
    pub rating: ChildFeedback,
    /// Absent when there were none, or when withheld (`content`).
    pub words: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub given_at: DateTime<FixedOffset>,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
    /// The version that changed this one; absent on the version in force.
    pub replaced_by: Option<FeedbackId>,
}

/// A child's own check-in, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleChildCheckin {
    pub id: ChildCheckinId,
    pub client_id: Uuid,
    #[serde(default)]
    pub request_hash: Option<String>,
    pub child_id: PersonId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub observed_at: DateTime<FixedOffset>,
    pub mood: i32,
    /// Absent when there were none, or when withheld (`content`).
    pub words: Option<String>,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleFollowUp {
    pub id: FollowUpId,
    /// The staff account that recorded it; an import creates a disabled placeholder account
    /// with this id where the installation has none.
    pub staff_id: UserId,
    pub outcome: FollowUpOutcome,
    pub reason: Option<String>,
    pub recheck_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What importing one family did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImportCounts {
    pub persons: u32,
    pub contacts: u32,
    pub checkins: u32,
    pub follow_ups: u32,
    #[serde(default)]
    pub feedback: u32,
    #[serde(default)]
    pub child_checkins: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FamilyImportResult {
    pub family_id: FamilyId,
    /// `created`: the family is new here; `existing`: nothing was new; `updated`: the family
    /// was here and the bundle added records to it.
    pub status: FamilyImportStatus,
    /// Records stored now.
    pub created: ImportCounts,
    /// Records that were here already, identical.
    pub existing: ImportCounts,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FamilyImportStatus {
    Created,
    Existing,
    Updated,
}

impl FamilyImportStatus {
    /// The stable spelling, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            FamilyImportStatus::Created => "created",
            FamilyImportStatus::Existing => "existing",
            FamilyImportStatus::Updated => "updated",
        }
    }
}

/// The answer to `POST /api/v1/bundles`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BundleImportReport {
    pub families: Vec<FamilyImportResult>,
}

/// Why a file is not a bundle this version can read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a kinthread bundle (`format` is not \"kinthread-bundle\")")]
    NotABundle,
    #[error("bundle version {0} is newer than this kinthread reads ({BUNDLE_VERSION})")]
    UnsupportedVersion(u64),
    #[error("the bundle does not match the format: {0}")]
    Shape(String),
    #[error("the bundle is inconsistent: {}", join_fields(.0))]
    Invalid(Vec<FieldError>),
}

fn join_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .take(5)
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Bundle {
    /// An empty bundle stamped now.
    pub fn new(exported_at: DateTime<Utc>) -> Self {
        Self {
            format: BUNDLE_FORMAT.to_owned(),
            version: BUNDLE_VERSION,
            exported_at,
            withheld: Vec::new(),
            programs: Vec::new(),
            families: Vec::new(),
        }
    }

    /// Reads a bundle file: JSON, the right format and version, the right shape, and
    /// consistent (see [`Bundle::check`]). Never panics, whatever the bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| BundleError::NotJson(e.to_string()))?;
        if value.get("format").and_then(serde_json::Value::as_str) != Some(BUNDLE_FORMAT) {
            return Err(BundleError::NotABundle);
        }
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v)
                if (u64::from(OLDEST_BUNDLE_VERSION)..=u64::from(BUNDLE_VERSION)).contains(&v) => {}
            Some(v) if v > u64::from(BUNDLE_VERSION) => {
                return Err(BundleError::UnsupportedVersion(v));
            }
            _ => return Err(BundleError::Shape("`version` must be 1 or 2".into())),
        }
        let bundle: Bundle =
            serde_json::from_value(value).map_err(|e| BundleError::Shape(e.to_string()))?;
        bundle.check().map_err(BundleError::Invalid)?;
        Ok(bundle)
    }

    /// Whether anything was left out for the exporter's role.
    pub fn is_complete(&self) -> bool {
        self.withheld.is_empty()
    }

    /// Structural consistency: unique ids, every reference (participants, initiator, child,
    /// supersession links, program) resolving inside the bundle, values within the ranges the
    /// server stores, no NUL characters. Each problem names where it is.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut problem = |field: String, message: &str| {
            if problems.len() < 100 {
                problems.push(FieldError {
                    field,
                    message: message.to_owned(),
                });
            }
        };
        if self.format != BUNDLE_FORMAT
            || !(OLDEST_BUNDLE_VERSION..=BUNDLE_VERSION).contains(&self.version)
        {
            problem("format".into(), "must be kinthread-bundle version 1 or 2");
        }
        // serde_json writes a NUL as \u0000; PostgreSQL text cannot hold one.
        if serde_json::to_string(self).is_ok_and(|json| json.contains("\\u0000")) {
            problem("(text)".into(), "text must not contain NUL characters");
        }
        let mut program_ids = HashSet::new();
        for (i, program) in self.programs.iter().enumerate() {
            if !program_ids.insert(program.id) {
                problem(format!("programs[{i}].id"), "appears twice");
            }
            if !target_in_range(program.target_cadence_days) {
                problem(
                    format!("programs[{i}].target_cadence_days"),
                    "must be 1 to 365",
                );
            }
        }
        let mut family_ids = HashSet::new();
        let mut person_ids = HashSet::new();
        for (f, record) in self.families.iter().enumerate() {
            let at = |what: &str| format!("families[{f}].{what}");
            let family = &record.family;
            if !family_ids.insert(family.id) {
                problem(at("family.id"), "appears twice");
            }
            if family.display_name.trim().is_empty() {
                problem(at("family.display_name"), "must not be empty");
            }
            if family.time_zone.parse::<TimeZoneName>().is_err() {
                problem(at("family.time_zone"), "is not an IANA time zone");
            }
            if family
                .target_cadence_days
                .is_some_and(|d| !target_in_range(d))
            {
                problem(at("family.target_cadence_days"), "must be 1 to 365");
            }
            if let Some(program) = family.program_id
                && !program_ids.contains(&program)
            {
                problem(at("family.program_id"), "names no program of the bundle");
            }
            if self.version < 2
                && (!record.feedback.is_empty() || !record.child_checkins.is_empty())
            {
                problem(
                    at("feedback"),
                    "version 1 bundles carry no feedback records",
                );
            }
            let mut persons = HashSet::new();
            for (i, person) in record.persons.iter().enumerate() {
                if !persons.insert(person.id) || !person_ids.insert(person.id) {
                    problem(at(&format!("persons[{i}].id")), "appears twice");
                }
                if person.display_name.trim().is_empty() {
                    problem(
                        at(&format!("persons[{i}].display_name")),
                        "must not be empty",
                    );
                }
                // Stored numbers are E.164 as the server normalises them; anything else could
                // never match an imported call.
                let not_e164 = |phone: &String| {
                    crate::phone::normalize(phone, crate::phone::DEFAULT_COUNTRY_CODE)
                        .map_or(true, |e164| e164.as_str() != phone)
                };
                if person.phone.as_ref().is_some_and(not_e164) {
                    problem(
                        at(&format!("persons[{i}].phone")),
                        "must be a number in E.164 form",
                    );
                }
                for (j, phone) in person.phones.iter().enumerate() {
                    if not_e164(phone) {
                        problem(
                            at(&format!("persons[{i}].phones[{j}]")),
                            "must be a number in E.164 form",
                        );
                    }
                }
                if !person.phones.is_empty() && person.phone.as_ref() != person.phones.first() {
                    problem(
                        at(&format!("persons[{i}].phone")),
                        "must be the first of phones",
                    );
                }
                let distinct: HashSet<&String> = person.phones.iter().collect();
                if distinct.len() != person.phones.len() {
                    problem(
                        at(&format!("persons[{i}].phones")),
                        "a number appears twice",
                    );
                }
            }
            let contact_ids: HashSet<ContactId> = record.contacts.iter().map(|c| c.id).collect();
            if contact_ids.len() != record.contacts.len() {
                problem(at("contacts"), "a contact id appears twice");
            }
            let client_ids: HashSet<Uuid> = record.contacts.iter().map(|c| c.client_id).collect();
            if client_ids.len() != record.contacts.len() {
                problem(at("contacts"), "a client id appears twice");
            }
            for (i, contact) in record.contacts.iter().enumerate() {
                let at = |what: &str| format!("families[{f}].contacts[{i}].{what}");
                let distinct: HashSet<&PersonId> = contact.participants.iter().collect();
                if distinct.len() < 2 || distinct.len() != contact.participants.len() {
                    problem(at("participants"), "needs two or more different persons");
                }
                if contact.participants.iter().any(|p| !persons.contains(p)) {
                    problem(at("participants"), "names a person not in the family");
                }
                if !contact.participants.contains(&contact.initiator) {
                    problem(at("initiator"), "must be one of the participants");
                }
                if contact
                    .depth
                    .as_ref()
                    .is_some_and(|d| !(0.0..=100.0).contains(&d.score))
                {
                    problem(at("depth.score"), "must be 0 to 100");
                }
                for (link, name) in [
                    (contact.supersedes, "supersedes"),
                    (contact.superseded_by, "superseded_by"),
                ] {
                    if link.is_some_and(|id| !contact_ids.contains(&id) || id == contact.id) {
                        problem(at(name), "names no other contact of the family");
                    }
                }
            }
            let checkin_ids: HashSet<CheckinId> = record.checkins.iter().map(|c| c.id).collect();
            let checkin_clients: HashSet<Uuid> =
                record.checkins.iter().map(|c| c.client_id).collect();
            if checkin_ids.len() != record.checkins.len()
                || checkin_clients.len() != record.checkins.len()
            {
                problem(at("checkins"), "a check-in id or client id appears twice");
            }
            for (i, checkin) in record.checkins.iter().enumerate() {
                if !persons.contains(&checkin.child_id) {
                    problem(
                        at(&format!("checkins[{i}].child_id")),
                        "names a person not in the family",
                    );
                }
                if !(1..=5).contains(&checkin.mood) {
                    problem(at(&format!("checkins[{i}].mood")), "must be 1 to 5");
                }
            }
            let feedback_ids: HashSet<FeedbackId> = record.feedback.iter().map(|f| f.id).collect();
            let feedback_clients: HashSet<Uuid> =
                record.feedback.iter().map(|f| f.client_id).collect();
            if feedback_ids.len() != record.feedback.len()
                || feedback_clients.len() != record.feedback.len()
            {
                problem(at("feedback"), "a feedback id or client id appears twice");
            }
            let mut in_force = HashSet::new();
            for (i, feedback) in record.feedback.iter().enumerate() {
                let at = |what: &str| format!("families[{f}].feedback[{i}].{what}");
                if !contact_ids.contains(&feedback.contact_id) {
                    problem(at("contact_id"), "names no contact of the family");
                }
                if !persons.contains(&feedback.child_id) {
                    problem(at("child_id"), "names a person not in the family");
                }
                match feedback.replaced_by {
                    Some(newer) if newer == feedback.id || !feedback_ids.contains(&newer) => {
                        problem(at("replaced_by"), "names no other feedback of the family");
                    }
                    Some(_) => {}
                    None => {
                        if !in_force.insert((feedback.contact_id, feedback.child_id)) {
                            problem(
                                at("replaced_by"),
                                "a second version in force for the same contact and child",
                            );
                        }
                    }
                }
            }
            let child_checkin_ids: HashSet<ChildCheckinId> =
                record.child_checkins.iter().map(|c| c.id).collect();
            let child_checkin_clients: HashSet<Uuid> =
                record.child_checkins.iter().map(|c| c.client_id).collect();
            if child_checkin_ids.len() != record.child_checkins.len()
                || child_checkin_clients.len() != record.child_checkins.len()
            {
                problem(
                    at("child_checkins"),
                    "a child check-in id or client id appears twice",
                );
            }
            for (i, checkin) in record.child_checkins.iter().enumerate() {
                if !persons.contains(&checkin.child_id) {
                    problem(
                        at(&format!("child_checkins[{i}].child_id")),
                        "names a person not in the family",
                    );
                }
                if !(1..=5).contains(&checkin.mood) {
                    problem(at(&format!("child_checkins[{i}].mood")), "must be 1 to 5");
                }
            }
            let follow_up_ids: HashSet<FollowUpId> =
                record.follow_ups.iter().map(|f| f.id).collect();
            if follow_up_ids.len() != record.follow_ups.len() {
                problem(at("follow_ups"), "a follow-up id appears twice");
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The program a family belongs to, from the bundle.
    pub fn program(&self, id: Option<ProgramId>) -> Option<&BundleProgram> {
        id.and_then(|id| self.programs.iter().find(|p| p.id == id))
    }

    /// A family of the bundle by id, or by display name where that is unambiguous.
    pub fn find_family(&self, given: &str) -> Option<&FamilyRecord> {
        let given = given.trim();
        if let Ok(id) = given.parse::<FamilyId>() {
            return self.families.iter().find(|f| f.family.id == id);
        }
        let mut named = self
            .families
            .iter()
            .filter(|f| f.family.display_name == given);
        match (named.next(), named.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }

    /// The report the server would give an admin for this family, computed from the bundle.
    pub fn family_report(
        &self,
        record: &FamilyRecord,
        as_of: DateTime<Utc>,
        window_days: u32,
    ) -> Result<FamilyReport, GapError> {
        let persons = record.person_summaries();
        let events = record.current_events();
        // A bundle without content (a staff member's without consent) holds no worries, so
        // `caregiver_worried` counts low moods only there.
        let checkins: Vec<(PersonId, CaregiverCheckin)> = record
            .checkins
            .iter()
            .map(|c| {
                (
                    c.child_id,
                    CaregiverCheckin {
                        observed_at: c.observed_at.with_timezone(&Utc),
                        mood: c.mood,
                        worry_noted: c.worries.is_some(),
                    },
                )
            })
            .collect();
        let thresholds = self
            .program(record.family.program_id)
            .and_then(|p| p.attention_thresholds.clone())
            .unwrap_or_default();
        let feedbacks = record.feedback_facts();
        let child_checkins: Vec<(DateTime<Utc>, i32)> = record
            .child_checkins
            .iter()
            .map(|c| (c.observed_at.with_timezone(&Utc), c.mood))
            .collect();
        // The bundle holds what its exporter could read: one without the child's voice gives
        // the report its exporter (a parent) would get from the server.
        let child_voice = if self.withheld.contains(&Withheld::ChildFeedback) {
            ChildVoiceView::Withheld
        } else {
            ChildVoiceView::Full
        };
        assemble::family_report(FamilyReportInput {
            family: self.family(record),
            persons: &persons,
            events: &events,
            checkins: &checkins,
            latest_follow_up: record.latest_follow_up(as_of),
            as_of,
            window_days,
            thresholds: &thresholds,
            feedbacks: &feedbacks,
            child_checkins: &child_checkins,
            child_voice,
        })
    }

    /// The family as the API shows it: the target in force filled in from the program.
    pub fn family(&self, record: &FamilyRecord) -> Family {
        let family = &record.family;
        let program_target = self
            .program(family.program_id)
            .and_then(|p| cadence(p.target_cadence_days));
        Family {
            id: family.id,
            display_name: family.display_name.clone(),
            program_id: family.program_id,
            // Both were checked by `validate`; an unchecked bundle gets the defaults.
            time_zone: family.time_zone.parse().unwrap_or_default(),
            target_cadence_days: TargetCadence::in_force(
                family.target_cadence_days.and_then(cadence),
                program_target,
            ),
            consent: family.consent,
            created_at: family.created_at,
        }
    }
}

fn cadence(days: i32) -> Option<TargetCadence> {
    TargetCadence::new(i64::from(days)).ok()
}

fn target_in_range(days: i32) -> bool {
    cadence(days).is_some()
}

impl FamilyRecord {
    /// The persons as reports name them, in id order (as the server loads them).
    pub fn person_summaries(&self) -> Vec<PersonSummary> {
        let mut persons: Vec<PersonSummary> = self
            .persons
            .iter()
            .map(|p| PersonSummary {
                id: p.id,
                display_name: p.display_name.clone(),
                role: p.role,
                lives_away: p.lives_away,
            })
            .collect();
        persons.sort_by_key(|p| p.id);
        persons
    }

    /// The current version of every contact, as the gap and depth logic reads them.
    pub fn current_events(&self) -> Vec<ContactEvent> {
        self.contacts
            .iter()
            .filter(|c| c.superseded_by.is_none())
            .map(|c| {
                let mut participants = c.participants.clone();
                participants.sort();
                ContactEvent {
                    kind: c.kind,
                    status: c.status,
                    participants,
                    initiator: c.initiator,
                    started_at: c.started_at.with_timezone(&Utc),
                    duration_seconds: c.duration_seconds,
                    ended_at: c.ended_at.map(|e| e.with_timezone(&Utc)),
                    // As the server reads a stored score.
                    depth_score: c
                        .depth
                        .as_ref()
                        .map(|d| d.score.round().clamp(0.0, 100.0) as u8),
                    depth_level: c.depth.as_ref().map(|d| d.level),
                }
            })
            .collect()
    }

    /// The child's feedback in force, as the reports read it: the feedback records of a
    /// version-2 bundle, or the contacts' own field in a version-1 one (given by the contact's
    /// one child participant, at the contact's start).
    pub fn feedback_facts(&self) -> Vec<FeedbackFact> {
        let contacts = self.contacts_by_id();
        let participants_of = |id: ContactId| {
            contacts.get(&id).map(|c| {
                let mut participants = c.participants.clone();
                participants.sort();
                participants
            })
        };
        let mut facts: Vec<FeedbackFact> = self
            .feedback
            .iter()
            .filter(|f| f.replaced_by.is_none())
            .filter_map(|f| {
                Some(FeedbackFact {
                    child: f.child_id,
                    participants: participants_of(f.contact_id)?,
                    entry: ChildFeedbackEntry {
                        given_at: f.given_at.with_timezone(&Utc),
                        rating: f.rating,
                    },
                })
            })
            .collect();
        if self.feedback.is_empty() {
            let children: HashSet<PersonId> = self
                .persons
                .iter()
                .filter(|p| p.role == FamilyRole::Child)
                .map(|p| p.id)
                .collect();
            for contact in self.contacts.iter().filter(|c| c.superseded_by.is_none()) {
                let Some(rating) = contact.child_feedback else {
                    continue;
                };
                let mut child = contact.participants.iter().filter(|p| children.contains(p));
                if let (Some(&child), None) = (child.next(), child.next()) {
                    facts.push(FeedbackFact {
                        child,
                        participants: participants_of(contact.id).unwrap_or_default(),
                        entry: ChildFeedbackEntry {
                            given_at: contact.started_at.with_timezone(&Utc),
                            rating,
                        },
                    });
                }
            }
        }
        facts
    }

    /// The latest follow-up recorded up to `as_of` (ties: the larger id, as the server).
    pub fn latest_follow_up(&self, as_of: DateTime<Utc>) -> Option<FollowUp> {
        self.follow_ups
            .iter()
            .filter(|f| f.created_at <= as_of)
            .max_by_key(|f| (f.created_at, f.id))
            .map(|f| FollowUp {
                id: f.id,
                family_id: self.family.id,
                staff_id: f.staff_id,
                outcome: f.outcome,
                reason: f.reason.clone(),
                recheck_at: f.recheck_at,
                created_at: f.created_at,
            })
    }

    /// Contacts by id, for following supersession links.
    pub fn contacts_by_id(&self) -> HashMap<ContactId, &BundleContact> {
        self.contacts.iter().map(|c| (c.id, c)).collect()
    }
}

#[cfg(test)]
mod tests;
