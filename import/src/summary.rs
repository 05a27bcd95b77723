//! The tally of one file's import: every item the reader yields goes through a
//! [`FileImport`], which hands back the contacts to send and counts everything else, and
//! ends in a [`FileSummary`].
//!
//! Memory stays bounded whatever the file holds: at most [`MAX_UNKNOWN_LISTED`] distinct
//! unknown numbers and [`MAX_PROBLEMS_LISTED`] problem texts are kept, the rest are counted.
//! Sending the contacts (and in what batches) is the caller's business.

use std::collections::{BTreeMap, HashMap};

use kinthread_shared::api::{BatchItemStatus, BatchResponse, NewContact};
use kinthread_shared::phone::mask;
use serde::Serialize;

use crate::importer::{Importer, Outcome, SkipReason, UnknownReason};
use crate::sbr::reader::RecordError;
use crate::sbr::record::Record;

/// Distinct unknown numbers kept for the summary; past this they are only counted, so a
/// backup full of strangers cannot grow memory without bound.
pub const MAX_UNKNOWN_LISTED: usize = 1000;
/// Problems quoted in full (malformed records, refused uploads); the rest are counted.
pub const MAX_PROBLEMS_LISTED: usize = 50;

/// What importing one file did. Its JSON form is the `kinthread import --format json`
/// summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    /// The file's name as the caller gave it.
    pub file: String,
    /// Items read, good and malformed alike.
    pub records: u64,
    pub calls: u64,
    /// SMS and MMS.
    pub texts: u64,
    /// Contacts sent (or, in a dry run, that would be sent).
    pub contacts: u64,
    /// Contacts the server stored.
    pub imported: u64,
    /// Contacts the server had from an earlier import.
    pub already_there: u64,
    pub refused_by_server: u64,
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Records whose other party matches no one.
    pub unknown_records: u64,
    /// Up to [`MAX_UNKNOWN_LISTED`] of those numbers, masked, most records first.
    pub unknown_numbers: Vec<UnknownNumber>,
    /// Records whose unknown number came after the list was full.
    pub unknown_not_listed: u64,
    /// MMS pictures, audio, video and contact cards: not imported (their text is).
    pub mms_parts_not_imported: u64,
    pub malformed: u64,
    /// The first [`MAX_PROBLEMS_LISTED`] malformed records and refusals, with their place.
    pub problems: Vec<String>,
}

/// One unknown number in the summary: masked, why, how often.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnknownNumber {
    /// Masked to its last four digits ([`kinthread_shared::phone::mask`]).
    pub number: String,
    pub reason: UnknownReason,
    pub records: u64,
}

/// Unknown numbers that look alike once masked, for a summary people read: different
/// numbers ending in the same four digits are one line with a count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownGroup {
    pub masked: String,
    pub reason: UnknownReason,
    /// How many distinct numbers look like this.
    pub numbers: u64,
    pub records: u64,
}

impl FileSummary {
    /// Records skipped for any reason.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Malformed records and refusals that `problems` counts but does not quote.
    pub fn problems_not_listed(&self) -> u64 {
        (self.malformed + self.refused_by_server).saturating_sub(self.problems.len() as u64)
    }

    /// The listed unknown numbers grouped by how they look masked, most records first.
    pub fn unknown_by_mask(&self) -> Vec<UnknownGroup> {
        let mut grouped: HashMap<(&str, UnknownReason), (u64, u64)> = HashMap::new();
        for n in &self.unknown_numbers {
            let entry = grouped.entry((n.number.as_str(), n.reason)).or_default();
            entry.0 += 1;
            entry.1 += n.records;
        }
        let mut groups: Vec<UnknownGroup> = grouped
            .into_iter()
            .map(|((masked, reason), (numbers, records))| UnknownGroup {
                masked: masked.to_owned(),
                reason,
                numbers,
                records,
            })
            .collect();
        groups.sort_by(|a, b| {
            b.records
                .cmp(&a.records)
                .then_with(|| (&a.masked, a.reason).cmp(&(&b.masked, b.reason)))
        });
        groups
    }

    fn problem(&mut self, text: String) {
        if self.problems.len() < MAX_PROBLEMS_LISTED {
            self.problems.push(text);
        }
    }
}

/// A contact to send, with the number of the record it came from (1-based, as in
/// [`FileSummary::records`]) so a refusal can be reported at its place.
#[derive(Clone, Debug, PartialEq)]
pub struct Staged {
    pub record: u64,
    pub contact: NewContact,
}

/// The running tally of one file: feed it every item of the reader with [`read`], send what
/// it hands back, report the answers with [`uploaded`], then [`finish`].
///
/// [`read`]: FileImport::read
/// [`uploaded`]: FileImport::uploaded
/// [`finish`]: FileImport::finish
#[derive(Debug)]
pub struct FileImport<'a> {
    importer: &'a Importer,
    summary: FileSummary,
    /// Full unknown numbers (masked only in `finish`) with their reason and record count.
    unknown: HashMap<String, (UnknownReason, u64)>,
}

impl<'a> FileImport<'a> {
    /// Starts the tally of the file named `file` (a name for the summary, never opened).
    pub fn new(importer: &'a Importer, file: impl Into<String>) -> Self {
        Self {
            importer,
            summary: FileSummary {
                file: file.into(),
                ..FileSummary::default()
            },
            unknown: HashMap::new(),
        }
    }

    /// Items read so far.
    pub fn records(&self) -> u64 {
        self.summary.records
    }

    /// Counts one item of the reader; a record that becomes a contact comes back.
    pub fn read(&mut self, item: Result<Record, RecordError>) -> Option<Staged> {
        let summary = &mut self.summary;
        summary.records += 1;
        let record = match item {
            Ok(record) => record,
            Err(error) => {
                summary.malformed += 1;
                summary.problem(error.to_string());
                return None;
            }
        };
        match &record {
            Record::Call(_) => summary.calls += 1,
            Record::Sms(_) => summary.texts += 1,
            Record::Mms(mms) => {
                summary.texts += 1;
                summary.mms_parts_not_imported += u64::from(mms.skipped_parts);
            }
        }
        match self.importer.map(&record) {
            Outcome::Contact(contact) => {
                summary.contacts += 1;
                return Some(Staged {
                    record: summary.records,
                    contact: *contact,
                });
            }
            Outcome::Skipped(reason) => *summary.skipped.entry(reason).or_default() += 1,
            Outcome::Unknown { key, reason } => {
                summary.unknown_records += 1;
                if let Some(entry) = self.unknown.get_mut(&key) {
                    entry.1 += 1;
                } else if self.unknown.len() < MAX_UNKNOWN_LISTED {
                    self.unknown.insert(key, (reason, 1));
                } else {
                    summary.unknown_not_listed += 1;
                }
            }
        }
        None
    }

    /// Counts the server's answer to one batch; `records` are the batch's record numbers
    /// ([`Staged::record`]) in the order they were sent.
    pub fn uploaded(&mut self, records: &[u64], answer: &BatchResponse) {
        let summary = &mut self.summary;
        summary.imported += answer.created as u64;
        summary.already_there += answer.existing as u64;
        summary.refused_by_server += answer.rejected as u64;
        for result in &answer.results {
            if result.status == BatchItemStatus::Rejected {
                let record = records.get(result.index).copied().unwrap_or_default();
                let why = result
                    .error
                    .as_ref()
                    .map(|e| e.message.as_str())
                    .unwrap_or_default();
                summary.problem(format!("record {record}: refused by the server: {why}"));
            }
        }
    }

    /// The summary, with the unknown numbers masked, most records first.
    pub fn finish(self) -> FileSummary {
        let mut summary = self.summary;
        let mut listed: Vec<UnknownNumber> = self
            .unknown
            .into_iter()
            .map(|(key, (reason, records))| UnknownNumber {
                number: mask(&key),
                reason,
                records,
            })
            .collect();
        listed.sort_by(|a, b| {
            b.records
                .cmp(&a.records)
                .then_with(|| a.number.cmp(&b.number))
        });
        summary.unknown_numbers = listed;
        summary
    }
}

#[cfg(test)]
mod tests {
    use kinthread_shared::api::{BatchItemResult, ErrorDetail};

    use super::*;
    use crate::importer::tests::{call, importer};
    use crate::sbr::reader::SbrReader;

    #[test]
    fn every_item_is_counted_once_and_contacts_come_back_numbered() {
        let (importer, ..) = importer();
        let mut file = FileImport::new(&importer, "calls.xml");
        let items = [
            call("13800138000", 1, 60),
            call("-2", 1, 0),
            call("13800138000", 7, 60),
            call("95588", 1, 10),
            call("95588", 2, 10),
            call("13700000000", 1, 10),
            call("13800138000", 2, 30),
        ];
        let staged: Vec<u64> = items
            .into_iter()
            .filter_map(|record| file.read(Ok(record)))
            .map(|s| s.record)
            .collect();
        assert_eq!(staged, vec![1, 7]);
        assert_eq!(file.records(), 7);
        let summary = file.finish();
        assert_eq!(
            (summary.calls, summary.contacts, summary.unknown_records),
            (7, 2, 3)
        );
        assert_eq!(
            summary.skipped,
            BTreeMap::from([
                (SkipReason::WithheldNumber, 1),
                (SkipReason::AnsweredElsewhere, 1)
            ])
        );
        assert_eq!(summary.skipped_total(), 2);
        let listed: Vec<(&str, UnknownReason, u64)> = summary
            .unknown_numbers
            .iter()
            .map(|n| (n.number.as_str(), n.reason, n.records))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("*5588", UnknownReason::ServiceNumber, 2),
                ("+*********0000", UnknownReason::NotInFamily, 1),
            ]
        );
    }

    #[test]
    fn malformed_records_are_problems_with_their_place() {
        let (importer, ..) = importer();
        let backup: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<calls count="2">
  <call number="13800138000" duration="5" type="1" />
  <call number="13800138000" duration="5" date="1717225200000" type="1" />
</calls>"#;
        let mut file = FileImport::new(&importer, "calls.xml");
        let staged: Vec<Staged> = SbrReader::new(backup)
            .unwrap()
            .filter_map(|item| file.read(item))
            .collect();
        assert_eq!(staged.len(), 1);
        assert_eq!(staged[0].record, 2);
        let summary = file.finish();
        assert_eq!((summary.records, summary.malformed), (2, 1));
        assert!(
            summary.problems[0].starts_with("record 1 (line 3"),
            "{:?}",
            summary.problems
        );
        assert_eq!(summary.problems_not_listed(), 0);
    }

    #[test]
    fn lists_stay_bounded() {
        let (importer, ..) = importer();
        let mut file = FileImport::new(&importer, "calls.xml");
        let extra = 7;
        for i in 0..(MAX_UNKNOWN_LISTED as u64 + extra) {
            let number = format!("137{:08}", i);
            assert!(file.read(Ok(call(&number, 1, 10))).is_none());
        }
        for _ in 0..(MAX_PROBLEMS_LISTED + 3) {
            let error = SbrReader::new(&b"<calls><call/></calls>"[..])
                .unwrap()
                .find_map(Result::err)
                .unwrap();
            file.read(Err(error));
        }
        let summary = file.finish();
        assert_eq!(summary.unknown_numbers.len(), MAX_UNKNOWN_LISTED);
        assert_eq!(summary.unknown_not_listed, extra);
        assert_eq!(summary.problems.len(), MAX_PROBLEMS_LISTED);
        assert_eq!(summary.problems_not_listed(), 3);
    }

    #[test]
    fn masked_lookalikes_are_one_group() {
        let (importer, ..) = importer();
        let mut file = FileImport::new(&importer, "calls.xml");
        for number in ["13700002109", "13600002109", "13600002109", "13500001111"] {
            file.read(Ok(call(number, 1, 10)));
        }
        let groups = file.finish().unknown_by_mask();
        let groups: Vec<(&str, u64, u64)> = groups
            .iter()
            .map(|g| (g.masked.as_str(), g.numbers, g.records))
            .collect();
        assert_eq!(
            groups,
            vec![("+*********2109", 2, 3), ("+*********1111", 1, 1)]
        );
    }

    #[test]
    fn upload_answers_are_counted_and_refusals_placed() {
        let (importer, ..) = importer();
        let mut file = FileImport::new(&importer, "calls.xml");
        let staged: Vec<Staged> = [call("-2", 1, 0), call("13800138000", 1, 60)]
            .into_iter()
            .chain([call("13800138000", 2, 60), call("13800138000", 3, 0)])
            .filter_map(|record| file.read(Ok(record)))
            .collect();
        let records: Vec<u64> = staged.iter().map(|s| s.record).collect();
        assert_eq!(records, vec![2, 3, 4]);
        let result = |index: usize, status| BatchItemResult {
            index,
            client_id: staged[index].contact.client_id,
            status,
            contact_id: None,
            error: (status == BatchItemStatus::Rejected).then(|| ErrorDetail {
                code: "validation_failed".into(),
                message: "started_at is in the future".into(),
                fields: Vec::new(),
            }),
        };
        let answer = BatchResponse {
            created: 1,
            existing: 1,
            rejected: 1,
            results: vec![
                result(0, BatchItemStatus::Created),
                result(1, BatchItemStatus::Rejected),
                result(2, BatchItemStatus::Existing),
            ],
        };
        file.uploaded(&records, &answer);
        let summary = file.finish();
        assert_eq!(
            (
                summary.imported,
                summary.already_there,
                summary.refused_by_server
            ),
            (1, 1, 1)
        );
        assert_eq!(
            summary.problems,
            vec!["record 3: refused by the server: started_at is in the future"]
        );
    }
}
