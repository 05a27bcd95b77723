//! Business steps between the HTTP handlers and the store: preparing records for storage
//! (validation, depth scoring, idempotency hashes) and shaping stored rows for each reader.

pub mod bundles;
pub mod caseload;
pub mod checkins;
pub mod consent;
pub mod contacts;
pub mod deletion;
pub mod families;
pub mod fingerprint;
pub mod reminders;
pub mod reports;
pub mod retention;
pub mod voice;
