//! Which backup records become which contacts: the other party is found by phone number
//! among the family's persons, the call type or message box gives status and initiator, and
//! the record itself gives the client id.
//!
//! A number that matches no one, or several persons (a home landline), is never stored as
//! anyone: the record comes back as [`Outcome::Unknown`]. Nothing here reads files or talks
//! to a server.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use kinthread_shared::api::{NewContact, Person};
use kinthread_shared::phone::{self, PhoneError, RawNumber};
use kinthread_shared::{ContactKind, ContactSource, ContactStatus, PersonId};
use serde::Serialize;

use crate::sbr::client_id::client_id;
use crate::sbr::record::{
    AddressRole, CallRecord, CallType, Direction, MessageBox, MmsRecord, Record, SmsRecord,
};

/// Choices of an import besides the family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Country calling code for numbers written without one ("86").
    pub country_code: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            country_code: phone::DEFAULT_COUNTRY_CODE.to_owned(),
        }
    }
}

impl Options {
    /// Refuses options no importer can work with, before the family is even looked up.
    pub fn check(&self) -> Result<(), ImporterError> {
        // Any mobile number tells whether the code itself is accepted.
        if phone::normalize("13800138000", &self.country_code) == Err(PhoneError::BadCountryCode) {
            return Err(ImporterError::BadCountryCode(self.country_code.clone()));
        }
        Ok(())
    }
}

/// Why an [`Importer`] cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImporterError {
    #[error("{0} is not a country calling code")]
    BadCountryCode(String),
    #[error("the phone's owner is not a person of the family")]
    OwnerNotInFamily,
}

/// Why a record did not become a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The caller hid the number, or the record has none.
    WithheldNumber,
    /// A draft, or a message still in the outbox, failed or queued: never exchanged.
    NotSent,
    /// Android's "answered on another device": that device's log has the call.
    AnsweredElsewhere,
    /// A call type or message box code Android does not define.
    UnknownType,
    /// The owner's own number on the other side.
    OwnNumber,
}

impl SkipReason {
    /// A short explanation for people reading a summary.
    pub fn label(self) -> &'static str {
        match self {
            Self::WithheldNumber => "withheld or missing number",
            Self::NotSent => "draft, outbox, failed or queued message (never exchanged)",
            Self::AnsweredElsewhere => "call answered on another device",
            Self::UnknownType => "unknown call type or message box",
            Self::OwnNumber => "the owner's own number",
        }
    }
}

/// Why a number matched no one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownReason {
    /// A valid number no person of the family has.
    NotInFamily,
    /// A number several persons have (a home landline): it cannot say who it was.
    SharedBySeveral,
    /// A service short code (10086, 95588, 1069… gateways).
    ServiceNumber,
    /// A sender name such as "CMCC".
    SenderName,
    /// A local number without area code.
    NoAreaCode,
    /// Anything else that is not a phone number.
    NotANumber,
}

impl UnknownReason {
    /// A short explanation for people reading a summary.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotInFamily => "no person of the family has this number",
            Self::SharedBySeveral => "several persons have this number",
            Self::ServiceNumber => "service short code",
            Self::SenderName => "sender name, not a number",
            Self::NoAreaCode => "local number without area code",
            Self::NotANumber => "not a phone number",
        }
    }
}

/// What one record comes to.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// A contact to upload, with its deterministic client id and source `import`.
    Contact(Box<NewContact>),
    /// Not a contact, for this reason.
    Skipped(SkipReason),
    /// The other party matches no one. `key` is the number in full (E.164 when it
    /// normalises, else as written): mask it ([`kinthread_shared::phone::mask`]) before
    /// showing it to anyone.
    Unknown { key: String, reason: UnknownReason },
}

/// A number's person in the family, if exactly one has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    One(PersonId),
    Several,
}

/// Maps the records of one phone's backups to contacts of its owner's family.
#[derive(Debug)]
pub struct Importer {
    owner: PersonId,
    home: Tz,
    country_code: String,
    /// E.164 number to its holder.
    numbers: HashMap<String, Holder>,
}

impl Importer {
    /// An importer for the backup of `owner`'s phone, among the family's `persons`, whose
    /// home time zone `home` gives the recorded instants their offset (backups record none).
    pub fn new(
        persons: &[Person],
        owner: PersonId,
        home: Tz,
        options: Options,
    ) -> Result<Self, ImporterError> {
        options.check()?;
        let country_code = options.country_code;
        if !persons.iter().any(|p| p.id == owner) {
            return Err(ImporterError::OwnerNotInFamily);
        }
        Ok(Self {
            owner,
            home,
            numbers: numbers_of(persons, &country_code),
            country_code,
        })
    }

    /// The person whose phone was backed up.
    pub fn owner(&self) -> PersonId {
        self.owner
    }

    /// Turns one backup record into a contact, or says why not.
    pub fn map(&self, record: &Record) -> Outcome {
        match record {
            Record::Call(call) => self.map_call(record, call),
            Record::Sms(sms) => self.map_sms(record, sms),
            Record::Mms(mms) => self.map_mms(record, mms),
        }
    }

    fn party(&self, number: Option<&RawNumber>) -> Party {
        let Some(number) = number else {
            return Party::Skip(SkipReason::WithheldNumber);
        };
        let raw = number.as_str().trim().to_owned();
        let reason = match number.normalize(&self.country_code) {
            Ok(e164) => {
                return match self.numbers.get(e164.as_str()) {
                    Some(Holder::One(person)) if *person == self.owner => {
                        Party::Skip(SkipReason::OwnNumber)
                    }
                    Some(Holder::One(person)) => Party::Person(*person),
                    Some(Holder::Several) => {
                        Party::Unknown(e164.as_str().to_owned(), UnknownReason::SharedBySeveral)
                    }
                    None => Party::Unknown(e164.as_str().to_owned(), UnknownReason::NotInFamily),
                };
            }
            Err(PhoneError::Withheld) => return Party::Skip(SkipReason::WithheldNumber),
            Err(PhoneError::ShortCode) => UnknownReason::ServiceNumber,
            Err(PhoneError::Alphanumeric) => UnknownReason::SenderName,
            Err(PhoneError::MissingAreaCode) => UnknownReason::NoAreaCode,
            Err(PhoneError::Invalid | PhoneError::BadCountryCode) => UnknownReason::NotANumber,
        };
        Party::Unknown(raw, reason)
    }

    /// The instant with the offset of the family's home zone.
    fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        let offset = self.home.offset_from_utc_datetime(&at.naive_utc()).fix();
        at.with_timezone(&offset)
    }

    fn contact(&self, record: &Record, draft: Draft) -> Outcome {
        let mut participants = vec![self.owner];
        participants.extend(draft.others);
        Outcome::Contact(Box::new(NewContact {
            client_id: client_id(record, &self.owner.to_string()),
            kind: draft.kind,
            status: draft.status,
            participants,
            initiator: draft.initiator,
            started_at: self.local(record.at()),
            duration_seconds: draft.duration_seconds,
            ended_at: None,
            content: draft.content,
            talked_most: None,
            child_feedback: None,
            source: Some(ContactSource::Import),
        }))
    }

    fn map_call(&self, record: &Record, call: &CallRecord) -> Outcome {
        match call.call_type {
            CallType::AnsweredExternally => return Outcome::Skipped(SkipReason::AnsweredElsewhere),
            CallType::Other(_) => return Outcome::Skipped(SkipReason::UnknownType),
            _ => {}
        }
        if call.is_withheld() {
            return Outcome::Skipped(SkipReason::WithheldNumber);
        }
        let other = match self.party(call.number.as_ref()) {
            Party::Person(person) => person,
            Party::Skip(reason) => return Outcome::Skipped(reason),
            Party::Unknown(key, reason) => return Outcome::Unknown { key, reason },
        };
        let talked = i64::from(call.duration_seconds);
        // Who rang whom, and whether they talked. A call that rang out (0 s) is missed; a
        // voicemail is a missed call (nobody talked to the child); rejected and blocked calls
        // are declined by the owner.
        let (status, initiator) = match call.call_type {
            CallType::Incoming if talked > 0 => (ContactStatus::Completed, other),
            CallType::Outgoing if talked > 0 => (ContactStatus::Completed, self.owner),
            CallType::Outgoing => (ContactStatus::Missed, self.owner),
            CallType::Rejected | CallType::Blocked => (ContactStatus::Declined, other),
            _ => (ContactStatus::Missed, other),
        };
        let duration = (status == ContactStatus::Completed).then_some(talked);
        self.contact(
            record,
            Draft {
                kind: ContactKind::Call,
                status: Some(status),
                others: vec![other],
                initiator,
                duration_seconds: duration,
                content: None,
            },
        )
    }

    fn initiator(&self, direction: Direction, other: PersonId) -> PersonId {
        match direction {
            Direction::Incoming => other,
            Direction::Outgoing => self.owner,
        }
    }

    fn map_sms(&self, record: &Record, sms: &SmsRecord) -> Outcome {
        let direction = match box_direction(sms.message_box) {
            Ok(direction) => direction,
            Err(reason) => return Outcome::Skipped(reason),
        };
        let other = match self.party(sms.address.as_ref()) {
            Party::Person(person) => person,
            Party::Skip(reason) => return Outcome::Skipped(reason),
            Party::Unknown(key, reason) => return Outcome::Unknown { key, reason },
        };
        self.contact(
            record,
            Draft {
                kind: ContactKind::Text,
                status: None,
                others: vec![other],
                initiator: self.initiator(direction, other),
                duration_seconds: None,
                content: non_empty(&sms.body),
            },
        )
    }

    fn map_mms(&self, record: &Record, mms: &MmsRecord) -> Outcome {
        let direction = match box_direction(mms.message_box) {
            Ok(direction) => direction,
            Err(reason) => return Outcome::Skipped(reason),
        };
        let mut others: Vec<PersonId> = Vec::new();
        let mut sender: Option<PersonId> = None;
        let mut first_unknown: Option<(String, UnknownReason)> = None;
        for address in &mms.addresses {
            match self.party(Some(&address.number)) {
                Party::Person(person) => {
                    if !others.contains(&person) {
                        others.push(person);
                    }
                    if address.role == AddressRole::From {
                        sender = Some(person);
                    }
                }
                Party::Skip(_) => {}
                Party::Unknown(key, reason) => {
                    // A stranger's message must not be stored as if a family member sent it.
                    if direction == Direction::Incoming && address.role == AddressRole::From {
                        return Outcome::Unknown { key, reason };
                    }
                    first_unknown.get_or_insert((key, reason));
                }
            }
        }
        let Some(&first) = others.first() else {
            return match first_unknown {
                Some((key, reason)) => Outcome::Unknown { key, reason },
                None => Outcome::Skipped(SkipReason::WithheldNumber),
            };
        };
        let initiator = self.initiator(direction, sender.unwrap_or(first));
        self.contact(
            record,
            Draft {
                kind: ContactKind::Text,
                status: None,
                others,
                initiator,
                duration_seconds: None,
                content: non_empty(&mms.body),
            },
        )
    }
}

/// Persons' E.164 numbers, every one of each person (`phones`, and `phone` from a server
/// that knew only one); a number two persons share (a home landline) belongs to neither.
/// Stored numbers are E.164 already; normalising them again (a no-op then) keeps a caller
/// that passes numbers as typed from missing every match.
fn numbers_of(persons: &[Person], country_code: &str) -> HashMap<String, Holder> {
    let mut numbers = HashMap::new();
    for person in persons {
        for stored in person.phones.iter().chain(&person.phone) {
            let number = phone::normalize(stored, country_code)
                .map(|e164| e164.as_str().to_owned())
                .unwrap_or_else(|_| stored.clone());
            let mine = Holder::One(person.id);
            numbers
                .entry(number)
                .and_modify(|h| {
                    if *h != mine {
                        *h = Holder::Several;
                    }
                })
                .or_insert(mine);
        }
    }
    numbers
}

/// The facts of a contact besides its owner, time and client id.
struct Draft {
    kind: ContactKind,
    status: Option<ContactStatus>,
    /// The family members on the other side.
    others: Vec<PersonId>,
    initiator: PersonId,
    duration_seconds: Option<i64>,
    content: Option<String>,
}

/// The other party of a record: a person, or why not.
enum Party {
    Person(PersonId),
    Skip(SkipReason),
    Unknown(String, UnknownReason),
}

fn box_direction(message_box: MessageBox) -> Result<Direction, SkipReason> {
    if !message_box.was_exchanged() {
        return Err(match message_box {
            MessageBox::Other(_) => SkipReason::UnknownType,
            _ => SkipReason::NotSent,
        });
    }
    message_box.direction().ok_or(SkipReason::UnknownType)
}

fn non_empty(body: &str) -> Option<String> {
    (!body.trim().is_empty()).then(|| body.to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;
    use kinthread_shared::{FamilyId, FamilyRole};

    use super::*;
    use crate::sbr::record::MmsAddress;

    pub(crate) fn person(family_id: FamilyId, role: FamilyRole, phone: Option<&str>) -> Person {
        Person {
            id: PersonId::new(),
            family_id,
            display_name: role.as_str().to_owned(),
            role,
            lives_away: false,
            away_location: None,
            away_since: None,
            birth_year: None,
            birth_date: None,
            phone: phone.map(str::to_owned),
            phones: phone.into_iter().map(str::to_owned).collect(),
            created_at: Utc::now(),
        }
    }

    /// The child's phone; the mother's mobile, the child's own, and a landline the two
    /// grandparents share (stored as typed here, to show they are normalised).
    pub(crate) fn importer() -> (Importer, PersonId, PersonId) {
        let family = FamilyId::new();
        let child = person(family, FamilyRole::Child, Some("+8613912345678"));
        let mother = person(family, FamilyRole::Mother, Some("+8613800138000"));
        let persons = vec![
            child.clone(),
            mother.clone(),
            person(family, FamilyRole::Father, None),
            person(family, FamilyRole::Grandmother, Some("+8637165432109")),
            person(family, FamilyRole::Grandfather, Some("0371 65432109")),
        ];
        let importer = Importer::new(
            &persons,
            child.id,
            chrono_tz::Asia::Shanghai,
            Options::default(),
        )
        .unwrap();
        (importer, child.id, mother.id)
    }

    pub(crate) fn call(number: &str, code: i32, seconds: u32) -> Record {
        Record::Call(CallRecord {
            number: Some(RawNumber::new(number)),
            call_type: CallType::from_code(code),
            presentation: None,
            started_at: Utc.timestamp_millis_opt(1_717_225_200_000).unwrap(),
            duration_seconds: seconds,
            contact_name: None,
        })
    }

    fn contact(outcome: Outcome) -> NewContact {
        match outcome {
            Outcome::Contact(c) => *c,
            other => panic!("not a contact: {other:?}"),
        }
    }

    #[test]
    fn an_importer_needs_a_country_code_and_an_owner_of_the_family() {
        let (_, owner, _) = importer();
        let family = FamilyId::new();
        let persons = vec![person(family, FamilyRole::Child, None)];
        let tz = chrono_tz::Asia::Shanghai;
        let code = |c: &str| Options {
            country_code: c.into(),
        };
        assert_eq!(
            Importer::new(&persons, persons[0].id, tz, code("860")).err(),
            Some(ImporterError::BadCountryCode("860".into()))
        );
        assert_eq!(
            Importer::new(&persons, owner, tz, Options::default()).err(),
            Some(ImporterError::OwnerNotInFamily)
        );
        assert!(Importer::new(&persons, persons[0].id, tz, code("+852")).is_ok());
    }

    #[test]
    fn every_number_of_a_person_is_matched() {
        let family = FamilyId::new();
        let child = person(family, FamilyRole::Child, Some("+8613912345678"));
        let mut mother = person(family, FamilyRole::Mother, Some("+8613800138000"));
        // A second SIM from her work abroad, written without `+` in the backup.
        mother.phones.push("+447700900123".into());
        let persons = vec![child.clone(), mother.clone()];
        let importer = Importer::new(
            &persons,
            child.id,
            chrono_tz::Asia::Shanghai,
            Options::default(),
        )
        .unwrap();
        for number in ["138 0013 8000", "447700900123", "+44 7700 900123"] {
            let c = contact(importer.map(&call(number, 1, 60)));
            assert_eq!(c.participants, vec![child.id, mother.id], "{number}");
        }
    }

    #[test]
    fn call_types_become_statuses_and_initiators() {
        let (importer, owner, mother) = importer();
        let cases = [
            (1, 60, ContactStatus::Completed, mother, Some(60)),
            (1, 0, ContactStatus::Missed, mother, None),
            (2, 95, ContactStatus::Completed, owner, Some(95)),
            (2, 0, ContactStatus::Missed, owner, None),
            (3, 0, ContactStatus::Missed, mother, None),
            (4, 41, ContactStatus::Missed, mother, None),
            (5, 0, ContactStatus::Declined, mother, None),
            (6, 0, ContactStatus::Declined, mother, None),
        ];
        for (code, seconds, status, initiator, duration) in cases {
            let c = contact(importer.map(&call("138-0013-8000", code, seconds)));
            assert_eq!(c.status, Some(status), "type {code}");
            assert_eq!(c.initiator, initiator, "type {code}");
            assert_eq!(c.duration_seconds, duration, "type {code}");
            assert_eq!(c.participants, vec![owner, mother]);
            assert_eq!(c.source, Some(ContactSource::Import));
            assert_eq!(c.started_at.offset().local_minus_utc(), 8 * 3600);
        }
        assert_eq!(
            importer.map(&call("13800138000", 7, 60)),
            Outcome::Skipped(SkipReason::AnsweredElsewhere)
        );
        assert_eq!(
            importer.map(&call("13800138000", 100, 60)),
            Outcome::Skipped(SkipReason::UnknownType)
        );
    }

    #[test]
    fn numbers_that_match_no_one_are_never_someone() {
        let (importer, ..) = importer();
        let unknown = |number: &str| match importer.map(&call(number, 1, 10)) {
            Outcome::Unknown { reason, .. } => Some(reason),
            _ => None,
        };
        assert_eq!(
            unknown("+86 137 0000 0000"),
            Some(UnknownReason::NotInFamily)
        );
        assert_eq!(
            unknown("0371-6543-2109"),
            Some(UnknownReason::SharedBySeveral)
        );
        assert_eq!(unknown("95588"), Some(UnknownReason::ServiceNumber));
        assert_eq!(unknown("CMCC"), Some(UnknownReason::SenderName));
        assert_eq!(
            importer.map(&call("-2", 1, 10)),
            Outcome::Skipped(SkipReason::WithheldNumber)
        );
        assert_eq!(
            importer.map(&call("13912345678", 1, 10)),
            Outcome::Skipped(SkipReason::OwnNumber)
        );
    }

    #[test]
    fn texts_keep_their_body_and_direction() {
        let (importer, owner, mother) = importer();
        let sms = |code, body: &str| {
            Record::Sms(SmsRecord {
                address: Some(RawNumber::new("+8613800138000")),
                message_box: MessageBox::from_code(code),
                at: Utc.timestamp_millis_opt(1_717_225_200_000).unwrap(),
                body: body.into(),
                contact_name: None,
            })
        };
        let received = contact(importer.map(&sms(1, "想你了")));
        assert_eq!(
            (received.kind, received.initiator),
            (ContactKind::Text, mother)
        );
        assert_eq!(received.content.as_deref(), Some("想你了"));
        assert_eq!(received.status, None);
        assert_eq!(contact(importer.map(&sms(2, "ok"))).initiator, owner);
        for code in [3, 4, 5, 6] {
            assert_eq!(
                importer.map(&sms(code, "x")),
                Outcome::Skipped(SkipReason::NotSent)
            );
        }
        assert_eq!(
            importer.map(&sms(9, "x")),
            Outcome::Skipped(SkipReason::UnknownType)
        );
        // The same record derives the same client id on every import.
        assert_eq!(
            contact(importer.map(&sms(1, "想你了"))).client_id,
            received.client_id
        );
    }

    #[test]
    fn group_texts_from_strangers_are_not_stored() {
        let (importer, owner, mother) = importer();
        let mms = |from: &str| {
            Record::Mms(MmsRecord {
                addresses: vec![
                    MmsAddress {
                        number: RawNumber::new(from),
                        role: AddressRole::From,
                    },
                    MmsAddress {
                        number: RawNumber::new("13912345678"),
                        role: AddressRole::To,
                    },
                    MmsAddress {
                        number: RawNumber::new("13800138000"),
                        role: AddressRole::To,
                    },
                ],
                message_box: MessageBox::Received,
                at: Utc.timestamp_millis_opt(1_717_225_200_000).unwrap(),
                body: "看照片".into(),
                skipped_parts: 1,
                contact_name: None,
            })
        };
        assert!(matches!(
            importer.map(&mms("13700000000")),
            Outcome::Unknown { .. }
        ));
        let from_mother = contact(importer.map(&mms("13800138000")));
        assert_eq!(from_mother.initiator, mother);
        assert_eq!(from_mother.participants, vec![owner, mother]);
    }
}
