//! What one backup entry becomes: the records the parser yields and their codes.
//!
//! Records keep the backup's facts (raw numbers, Android type codes, epoch
//! instants); matching numbers to family members and turning records into
//! contacts is the importer's job, not this module's. `Debug` never prints a
//! number in full, a message body or a contact name.

use std::fmt;

use chrono::{DateTime, Utc};

use super::phone::{PhoneError, RawNumber};

/// One entry of a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A `<call>` of `calls-*.xml`.
    Call(CallRecord),
    /// An `<sms>` of `sms-*.xml`.
    Sms(SmsRecord),
    /// An `<mms>` of `sms-*.xml` (also group texts and texts with pictures).
    Mms(MmsRecord),
}

impl Record {
    /// When the call started or the message was stored.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Call(call) => call.started_at,
            Self::Sms(sms) => sms.at,
            Self::Mms(mms) => mms.at,
        }
    }
}

/// Android's call log type (`CallLog.Calls.TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallType {
    /// 1
    Incoming,
    /// 2
    Outgoing,
    /// 3: rang, not answered.
    Missed,
    /// 4
    Voicemail,
    /// 5: the owner declined it.
    Rejected,
    /// 6: a blocked number; the owner never saw it.
    Blocked,
    /// 7: answered on another device of the same account.
    AnsweredExternally,
    /// Any other code (vendors add their own); the importer counts these as skipped.
    Other(i32),
}

impl CallType {
    /// Maps the backup's `type` attribute.
    pub fn from_code(code: i32) -> Self {
        match code {
            1 => Self::Incoming,
            2 => Self::Outgoing,
            3 => Self::Missed,
            4 => Self::Voicemail,
            5 => Self::Rejected,
            6 => Self::Blocked,
            7 => Self::AnsweredExternally,
            other => Self::Other(other),
        }
    }

    /// The code as written in the backup.
    pub fn code(self) -> i32 {
        match self {
            Self::Incoming => 1,
            Self::Outgoing => 2,
            Self::Missed => 3,
            Self::Voicemail => 4,
            Self::Rejected => 5,
            Self::Blocked => 6,
            Self::AnsweredExternally => 7,
            Self::Other(code) => code,
        }
    }
}

/// Android's number presentation (`CallLog.Calls.NUMBER_PRESENTATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presentation {
    /// 1: the number was shown.
    Allowed,
    /// 2: the caller withheld it.
    Restricted,
    /// 3: the network did not provide it.
    Unknown,
    /// 4
    Payphone,
    /// Any other code.
    Other(i32),
}

impl Presentation {
    /// Maps the backup's `presentation` attribute.
    pub fn from_code(code: i32) -> Self {
        match code {
            1 => Self::Allowed,
            2 => Self::Restricted,
            3 => Self::Unknown,
            4 => Self::Payphone,
            other => Self::Other(other),
        }
    }
}

/// A call log entry.
#[derive(Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The other party; `None` when the attribute is missing or empty.
    /// Withheld markers (`-1`, `-2`) are kept raw: [`RawNumber::normalize`] says so.
    pub number: Option<RawNumber>,
    pub call_type: CallType,
    /// Missing in old backups.
    pub presentation: Option<Presentation>,
    /// From `date` (epoch milliseconds); the backup carries no offset.
    pub started_at: DateTime<Utc>,
    pub duration_seconds: u32,
    /// The name in the owner's address book, if the backup has one.
    pub contact_name: Option<String>,
}

impl CallRecord {
    /// Whether the other party's number is unknowable: no number, a withheld
    /// marker, or a presentation other than "allowed".
    pub fn is_withheld(&self) -> bool {
        let hidden = matches!(
            self.presentation,
            Some(Presentation::Restricted | Presentation::Unknown | Presentation::Payphone)
        );
        hidden
            || self
                .number
                .as_ref()
                .is_none_or(|n| n.normalize("86") == Err(PhoneError::Withheld))
    }
}

impl fmt::Debug for CallRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallRecord")
            .field("number", &self.number)
            .field("call_type", &self.call_type)
            .field("presentation", &self.presentation)
            .field("started_at", &self.started_at)
            .field("duration_seconds", &self.duration_seconds)
            .field("contact_name", &self.contact_name.as_deref().map(Redacted))
            .finish()
    }
}

/// Where Android filed a message (`type` of an SMS, `msg_box` of an MMS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageBox {
    /// 1: inbox.
    Received,
    /// 2
    Sent,
    /// 3: never sent.
    Draft,
    /// 4: being sent when the backup ran.
    Outbox,
    /// 5: sending failed.
    Failed,
    /// 6: waiting to be sent.
    Queued,
    /// Any other code; the importer counts these as skipped.
    Other(i32),
}

/// Which way a message went, seen from the backup's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl MessageBox {
    /// Maps the backup's code.
    pub fn from_code(code: i32) -> Self {
        match code {
            1 => Self::Received,
            2 => Self::Sent,
            3 => Self::Draft,
            4 => Self::Outbox,
            5 => Self::Failed,
            6 => Self::Queued,
            other => Self::Other(other),
        }
    }

    /// The code as written in the backup.
    pub fn code(self) -> i32 {
        match self {
            Self::Received => 1,
            Self::Sent => 2,
            Self::Draft => 3,
            Self::Outbox => 4,
            Self::Failed => 5,
            Self::Queued => 6,
            Self::Other(code) => code,
        }
    }

    /// Incoming for the inbox, outgoing for everything the owner wrote
    /// (sent or not), `None` for unknown codes.
    pub fn direction(self) -> Option<Direction> {
        match self {
            Self::Received => Some(Direction::Incoming),
            Self::Sent | Self::Draft | Self::Outbox | Self::Failed | Self::Queued => {
                Some(Direction::Outgoing)
            }
            Self::Other(_) => None,
        }
    }

    /// Whether the message actually passed between the two phones
    /// (received or sent), i.e. whether it can count as contact.
    pub fn was_exchanged(self) -> bool {
        matches!(self, Self::Received | Self::Sent)
    }
}

/// A text message.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsRecord {
    /// The other party; `None` when missing or empty (drafts may have none).
    pub address: Option<RawNumber>,
    pub message_box: MessageBox,
    /// From `date` (epoch milliseconds).
    pub at: DateTime<Utc>,
    /// The text with references decoded (`&#10;` is a newline); empty if missing.
    pub body: String,
    pub contact_name: Option<String>,
}

impl SmsRecord {
    pub fn direction(&self) -> Option<Direction> {
        self.message_box.direction()
    }
}

impl fmt::Debug for SmsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsRecord")
            .field("address", &self.address)
            .field("message_box", &self.message_box)
            .field("at", &self.at)
            .field("body", &Redacted(&self.body))
            .field("contact_name", &self.contact_name.as_deref().map(Redacted))
            .finish()
    }
}

/// The role of an address in an MMS (`type` of `<addr>`, PDU header codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddressRole {
    /// 137
    From,
    /// 151
    To,
    /// 130
    Cc,
    /// 129
    Bcc,
    /// Taken from the message's `address` attribute because it had no `<addr>`
    /// elements (old backups); the role is not known.
    Participant,
    /// Any other code.
    Other(i32),
}

impl AddressRole {
    /// Maps the `<addr type>` code.
    pub fn from_code(code: i32) -> Self {
        match code {
            137 => Self::From,
            151 => Self::To,
            130 => Self::Cc,
            129 => Self::Bcc,
            other => Self::Other(other),
        }
    }

    /// A stable code for ids; `Participant` has none in the backup, so 0.
    pub fn code(self) -> i32 {
        match self {
            Self::From => 137,
            Self::To => 151,
            Self::Cc => 130,
            Self::Bcc => 129,
            Self::Participant => 0,
            Self::Other(code) => code,
        }
    }
}

/// One address of an MMS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MmsAddress {
    /// As written; the owner's own number may appear as "insert-address-token".
    pub number: RawNumber,
    pub role: AddressRole,
}

/// A multimedia or group message.
#[derive(Clone, PartialEq, Eq)]
pub struct MmsRecord {
    /// In document order.
    pub addresses: Vec<MmsAddress>,
    /// From `msg_box`.
    pub message_box: MessageBox,
    /// From `date`.
    pub at: DateTime<Utc>,
    /// The `text/plain` parts joined with newlines; empty if there were none.
    pub body: String,
    /// Parts that were neither text nor the SMIL layout (pictures, audio,
    /// video, contact cards): their content is not imported.
    pub skipped_parts: u32,
    pub contact_name: Option<String>,
}

impl MmsRecord {
    pub fn direction(&self) -> Option<Direction> {
        self.message_box.direction()
    }
}

impl fmt::Debug for MmsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MmsRecord")
            .field("addresses", &self.addresses)
            .field("message_box", &self.message_box)
            .field("at", &self.at)
            .field("body", &Redacted(&self.body))
            .field("skipped_parts", &self.skipped_parts)
            .field("contact_name", &self.contact_name.as_deref().map(Redacted))
            .finish()
    }
}

/// Prints only the length of personal text.
struct Redacted<'a>(&'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} chars>", self.0.chars().count())
    }
}
