//! Queries: one module per record, each taking a `&mut DbConnection` and returning diesel's
//! narrow errors or plain outcomes. No HTTP here, no permission checks (those live in
//! `access`), only storage.

pub mod audit;
pub mod bundles;
pub mod checkins;
pub mod consent;
pub mod contacts;
pub mod families;
pub mod follow_ups;
pub mod persons;
pub mod programs;
pub mod prompt_history;
pub mod reports;
pub mod settings;
pub mod users;
pub mod voice;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use diesel::result::Error as DieselError;

/// Instants are stored as UTC epoch milliseconds.
pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn from_millis(ms: i64) -> Result<DateTime<Utc>, DieselError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| corrupt(format!("timestamp {ms} out of range")))
}

/// A stored instant with the offset its phone reported.
pub fn with_offset(ms: i64, offset_seconds: i32) -> Result<DateTime<FixedOffset>, DieselError> {
    let offset = FixedOffset::east_opt(offset_seconds)
        .ok_or_else(|| corrupt(format!("utc offset {offset_seconds} out of range")))?;
    Ok(from_millis(ms)?.with_timezone(&offset))
}

/// A stored row that does not read back: a bug or a hand edit, reported as an internal error.
pub fn corrupt(message: String) -> DieselError {
    DieselError::DeserializationError(message.into())
}
