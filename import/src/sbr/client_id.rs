//! Idempotency keys for imported records.
//!
//! A record's id is a UUID v5 over the facts that identify it in any backup
//! of the same phone: re-importing a file, or a newer backup that overlaps an
//! older one, derives the same ids, so the server's idempotent upload turns
//! the repeats into no-ops. Fields that change between backups of the same
//! event (read flags, the contact's name, outbox → sent) are left out.

use uuid::Uuid;

use super::phone::{PhoneError, RawNumber};
use super::record::{Direction, MessageBox, Record};

/// Fixed namespace for kinthread's SBR import ids. Never change it: every
/// id already stored was derived from it.
const NAMESPACE: Uuid = Uuid::from_u128(0x7556_361a_1dca_4d05_90e4_5b26_3043_8847);

/// Version of the name layout below; bump it only together with a migration.
const LAYOUT: &[u8] = b"kinthread/sbr/v1";

/// The deterministic client id of `record` in the backup of `owner` (the
/// owner's phone number or person key, as the importer chooses: it only has
/// to be the same on every import of that phone's backups).
///
/// Calls are identified by number, start (ms), type and duration; texts by
/// number, time (ms), direction and body; MMS by their addresses (in any
/// order), time, direction and text. Numbers are compared in E.164 when they
/// normalise (with country code 86), so "+86 138..." and "138..." match.
/// Two genuinely identical texts sent within the same millisecond get one id.
pub fn client_id(record: &Record, owner: &str) -> Uuid {
    let mut name = Vec::with_capacity(128);
    push_field(&mut name, LAYOUT);
    push_field(&mut name, owner.as_bytes());
    match record {
        Record::Call(call) => {
            push_field(&mut name, b"call");
            push_field(&mut name, number_key(call.number.as_ref()).as_bytes());
            push_field(&mut name, &call.started_at.timestamp_millis().to_le_bytes());
            push_field(&mut name, &call.call_type.code().to_le_bytes());
            push_field(&mut name, &call.duration_seconds.to_le_bytes());
        }
        Record::Sms(sms) => {
            push_field(&mut name, b"sms");
            push_field(&mut name, number_key(sms.address.as_ref()).as_bytes());
            push_field(&mut name, &sms.at.timestamp_millis().to_le_bytes());
            push_field(&mut name, &direction_key(sms.message_box));
            push_field(&mut name, sms.body.as_bytes());
        }
        Record::Mms(mms) => {
            push_field(&mut name, b"mms");
            let mut addresses: Vec<(i32, String)> = mms
                .addresses
                .iter()
                .map(|a| (a.role.code(), number_key(Some(&a.number))))
                .collect();
            // Backups do not promise an order for <addr> elements.
            addresses.sort();
            push_field(&mut name, &(addresses.len() as u64).to_le_bytes());
            for (role, number) in &addresses {
                push_field(&mut name, &role.to_le_bytes());
                push_field(&mut name, number.as_bytes());
            }
            push_field(&mut name, &mms.at.timestamp_millis().to_le_bytes());
            push_field(&mut name, &direction_key(mms.message_box));
            push_field(&mut name, mms.body.as_bytes());
        }
    }
    Uuid::new_v5(&NAMESPACE, &name)
}

/// Length-prefixed, so no two different field lists give the same bytes.
fn push_field(name: &mut Vec<u8>, field: &[u8]) {
    name.extend_from_slice(&(field.len() as u64).to_le_bytes());
    name.extend_from_slice(field);
}

fn number_key(number: Option<&RawNumber>) -> String {
    let Some(number) = number else {
        return String::new();
    };
    match number.normalize("86") {
        Ok(e164) => e164.as_str().to_owned(),
        Err(PhoneError::Withheld) => String::new(),
        // Senders like "CMCC" or "10086" are stable as written.
        Err(_) => number.as_str().trim().to_owned(),
    }
}

/// Direction rather than the exact box: a text in the outbox in one backup
/// is "sent" in the next, and must keep its id.
fn direction_key(message_box: MessageBox) -> [u8; 5] {
    let (tag, code) = match message_box.direction() {
        Some(Direction::Incoming) => (1u8, 0),
        Some(Direction::Outgoing) => (2u8, 0),
        None => (0u8, message_box.code()),
    };
    let [a, b, c, d] = code.to_le_bytes();
    [tag, a, b, c, d]
}
