//! Phone-backup import for kinthread: reading SMS Backup & Restore exports and deciding which
//! of their records become which contacts of a family.
//!
//! Both the `kinthread import` command and a future server-side upload use this crate, so a
//! backup gives the same contacts, the same client ids and the same summary wherever it is
//! imported. It depends on `kinthread-shared` only: no HTTP, no database, no terminal, no
//! async runtime. The caller opens the file, sends the contacts and prints the summary.
//!
//! - [`sbr`] streams the records of a backup from any [`std::io::Read`] in bounded memory.
//! - [`Importer`] knows the family (its persons' numbers, the phone's owner, the home time
//!   zone) and maps one record to an [`Outcome`]: a [`NewContact`], a [`SkipReason`], or a
//!   number that matches no one ([`UnknownReason`]).
//! - [`FileImport`] tallies one file while it is read: it hands back the contacts to send,
//!   counts what the upload answered, and ends in a [`FileSummary`] (skips by reason, unknown
//!   numbers masked and bounded in number, malformed records with their position).
//!
//! ```
//! use kinthread_import::sbr::reader::SbrReader;
//! use kinthread_import::{FileImport, Importer, Options};
//! # use kinthread_shared::api::Person;
//! # use kinthread_shared::{FamilyId, FamilyRole, PersonId};
//! # fn person(family_id: FamilyId, role: FamilyRole, phone: Option<&str>) -> Person {
//! #     Person {
//! #         id: PersonId::new(), family_id, display_name: String::new(), role,
//! #         lives_away: false, away_location: None, away_since: None, birth_year: None,
//! #         birth_date: None,
//! #         phone: phone.map(str::to_owned), phones: phone.into_iter().map(str::to_owned).collect(),
//! #         created_at: chrono::Utc::now(),
//! #     }
//! # }
//! # let family = FamilyId::new();
//! # let child = person(family, FamilyRole::Child, None);
//! # let persons = vec![person(family, FamilyRole::Mother, Some("+8613800138000")), child.clone()];
//! let backup: &[u8] = br#"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
//! <calls count="1">
//!   <call number="138 0013 8000" duration="95" date="1717225200000" type="1" />
//! </calls>"#;
//! let importer = Importer::new(&persons, child.id, chrono_tz::Asia::Shanghai, Options::default())?;
//! let mut file = FileImport::new(&importer, "calls-20240601.xml");
//! let mut to_send = Vec::new();
//! for item in SbrReader::new(backup)? {
//!     to_send.extend(file.read(item));
//! }
//! let summary = file.finish();
//! assert_eq!((summary.records, summary.contacts, to_send.len()), (1, 1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`NewContact`]: kinthread_shared::api::NewContact

mod importer;
pub mod sbr;
mod summary;

pub use importer::{Importer, ImporterError, Options, Outcome, SkipReason, UnknownReason};
pub use summary::{
    FileImport, FileSummary, MAX_PROBLEMS_LISTED, MAX_UNKNOWN_LISTED, Staged, UnknownGroup,
    UnknownNumber,
};
