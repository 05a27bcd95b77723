//! SMS Backup & Restore export parsing (calls-*.xml, sms-*.xml).
//!
//! The Android app "SMS Backup & Restore" (SyncTech) writes two XML files:
//!
//! - `calls-*.xml`: `<calls count="N">` holding
//!   `<call number duration date type presentation contact_name …/>`;
//! - `sms-*.xml`: `<smses count="N">` holding `<sms address date type body
//!   contact_name …/>` and `<mms date msg_box address …>` elements with
//!   `<parts><part ct text data …/></parts>` and `<addrs><addr address type/></addrs>`.
//!
//! Dates are epoch milliseconds. Type codes are Android's (see
//! [`record::CallType`], [`record::MessageBox`], [`record::AddressRole`]);
//! unknown codes are kept as `Other(code)` so the importer can count them as
//! skipped. The `count` attribute is not trusted. Old exports have only a few
//! attributes (`number duration date type`), which is enough.
//!
//! This module parses and normalises; it does not talk to the server or
//! decide which records become contacts (that is [`crate::Importer`]'s job).
//!
//! - [`reader::SbrReader`] streams [`record::Record`]s from any reader in
//!   bounded memory; a bad entry becomes a [`reader::RecordError`] with its
//!   position and reading goes on; an input that is not an SBR export is
//!   refused up front with a [`reader::FormatError`].
//! - [`phone::normalize`] turns a number into [`phone::E164`], with distinct
//!   errors for withheld callers, sender names and service short codes.
//! - [`client_id::client_id`] derives the deterministic idempotency key of a
//!   record.
//! - [`synthetic::write_synthetic_calls`] writes large backups for measuring.
//!
//! Numbers, bodies and contact names never appear in full in `Debug` output.
//!
//! # Fuzzing
//!
//! `fuzz_tests` feeds arbitrary bytes, mutated fixtures and generated
//! documents to the reader and checks it never panics, always ends, and keeps
//! its error promises. CI runs 256 cases per property;
//! `KINTHREAD_FUZZ_CASES=200000` runs more. Long runs so far: 200,000 cases
//! per property found one bug (default country codes "8" and "860".."869"
//! made `normalize` not idempotent; now refused); after the fix, 1,000,000
//! cases per property (9 minutes) found nothing. Details and the memory
//! figures are in `docs/import.md`.

// Public paths are the API: `sbr::reader::SbrReader`, `sbr::phone::normalize`,
// `sbr::client_id::client_id`, `sbr::record::Record`. `synthetic` is for the measuring
// example only.
pub mod client_id;
mod entities;
pub mod phone;
pub mod reader;
pub mod record;
#[doc(hidden)]
pub mod synthetic;
mod tracked;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
