//! Fingerprints of uploads: what tells a retry (same client id, same fingerprint: the first
//! record is returned) from a different record that reuses a client id (a conflict).
//!
//! A fingerprint is canonical and versioned: the fields that make the record, each named, in
//! a fixed order and a fixed spelling (instants as epoch milliseconds with their offset,
//! defaults filled in, participants sorted, text length-prefixed), hashed with SHA-256 and
//! tagged with the version. It never depends on how a body was serialised, so adding an
//! optional field to an upload type changes no stored fingerprint; a field that changes what
//! a record *is* must bump the version (and the comparison accept the old one).

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset};
use kinthread_shared::api::{NewCheckin, NewChildCheckin, NewContact, NewFeedback};
use kinthread_shared::validate::effective_status;
use kinthread_shared::{ContactId, ContactSource};
use sha2::{Digest, Sha256};

/// The version tag that starts every fingerprint of this scheme.
pub const VERSION: &str = "v1";

/// Fields written one per line, `name=value`, in the order given.
struct Canonical(String);

impl Canonical {
    fn new(record: &str) -> Self {
        Self(format!("{record}.{VERSION}\n"))
    }

    fn field(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let _ = writeln!(self.0, "{name}={value}");
        self
    }

    fn optional(&mut self, name: &str, value: Option<impl std::fmt::Display>) -> &mut Self {
        match value {
            Some(value) => self.field(name, value),
            None => self.field(name, "-"),
        }
    }

    /// Free text, length-prefixed so that no text can imitate the lines after it.
    fn text(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(text) => self.field(name, format_args!("{}:{text}", text.len())),
            None => self.field(name, "-"),
        }
    }

    fn instant(&mut self, name: &str, at: Option<&DateTime<FixedOffset>>) -> &mut Self {
        let value = at.map(|at| {
            format!(
                "{}{:+}",
                at.timestamp_millis(),
                at.offset().local_minus_utc()
            )
        });
        self.optional(name, value)
    }

    fn finish(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("{VERSION}:{hex}")
    }
}

pub fn contact(new: &NewContact) -> String {
    let mut participants = new.participants.clone();
    participants.sort();
    participants.dedup();
    let participants = participants
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",");
    Canonical::new("contact")
        .field("client_id", new.client_id)
        .field("kind", new.kind)
        .field("status", effective_status(new))
        .field("participants", participants)
        .field("initiator", new.initiator)
        .instant("started_at", Some(&new.started_at))
        .optional("duration_seconds", new.duration_seconds)
        .instant("ended_at", new.ended_at.as_ref())
        .text("content", new.content.as_deref())
        .optional("talked_most", new.talked_most)
        .optional("child_feedback", new.child_feedback)
        .field("source", new.source.unwrap_or(ContactSource::App))
        .finish()
}

pub fn checkin(new: &NewCheckin) -> String {
    Canonical::new("checkin")
        .field("client_id", new.client_id)
        .field("child", new.child_id)
        .instant("observed_at", Some(&new.observed_at))
        .field("mood", new.mood)
        .text("health", new.health.as_deref())
        .text("school", new.school.as_deref())
        .text("worries", new.worries.as_deref())
        .text("note", new.note.as_deref())
        .finish()
}

/// A child's feedback on `contact`. A `given_at` left to the server is not part of it, so a
/// retry sent later is still the same feedback.
pub fn feedback(contact: ContactId, new: &NewFeedback) -> String {
    Canonical::new("feedback")
        .field("client_id", new.client_id)
        .field("contact", contact)
        .field("rating", new.rating)
        .text("words", new.words.as_deref())
        .instant("given_at", new.given_at.as_ref())
        .finish()
}

pub fn child_checkin(new: &NewChildCheckin) -> String {
    Canonical::new("child_checkin")
        .field("client_id", new.client_id)
        .instant("observed_at", Some(&new.observed_at))
        .field("mood", new.mood)
        .text("words", new.words.as_deref())
        .finish()
}

#[cfg(test)]
mod tests {
    use kinthread_shared::{ContactKind, ContactStatus, PersonId};
    use uuid::Uuid;

    use super::*;

    fn call() -> NewContact {
        NewContact {
            client_id: Uuid::from_u128(7),
            kind: ContactKind::Call,
            status: None,
            participants: vec![PersonId(Uuid::from_u128(2)), PersonId(Uuid::from_u128(1))],
            initiator: PersonId(Uuid::from_u128(1)),
            started_at: DateTime::parse_from_rfc3339("2026-03-01T20:15:00+08:00").unwrap(),
            duration_seconds: Some(120),
            ended_at: None,
            content: Some("asked about school".into()),
            talked_most: None,
            child_feedback: None,
            source: None,
        }
    }

    #[test]
    fn identical_retries_agree_whatever_the_defaults_are_spelled_as() {
        let first = contact(&call());
        assert!(first.starts_with("v1:"), "{first}");
        let spelled_out = NewContact {
            status: Some(ContactStatus::Completed),
            source: Some(ContactSource::App),
            participants: call().participants.into_iter().rev().collect(),
            ..call()
        };
        assert_eq!(contact(&spelled_out), first);
        // The same moment written in another offset is another record: the phone's offset
        // is part of what was reported.
        let utc = NewContact {
            started_at: DateTime::parse_from_rfc3339("2026-03-01T12:15:00+00:00").unwrap(),
            ..call()
        };
        assert_ne!(contact(&utc), first);
    }

    #[test]
    fn every_field_that_makes_the_record_changes_it() {
        let first = contact(&call());
        let changed = [
            NewContact {
                duration_seconds: Some(121),
                ..call()
            },
            NewContact {
                content: Some("asked about school.".into()),
                ..call()
            },
            NewContact {
                content: None,
                ..call()
            },
            NewContact {
                status: Some(ContactStatus::Missed),
                ..call()
            },
            NewContact {
                kind: ContactKind::VideoCall,
                ..call()
            },
            NewContact {
                initiator: PersonId(Uuid::from_u128(2)),
                ..call()
            },
            NewContact {
                source: Some(ContactSource::Import),
                ..call()
            },
        ];
        for other in changed {
            assert_ne!(contact(&other), first, "{other:?}");
        }
    }

    #[test]
    fn text_cannot_imitate_the_fields_after_it() {
        let a = NewCheckin {
            client_id: Uuid::from_u128(1),
            child_id: PersonId(Uuid::from_u128(2)),
            observed_at: DateTime::parse_from_rfc3339("2026-03-01T20:15:00+08:00").unwrap(),
            mood: 3,
            health: Some("ok\nschool=5:tired".into()),
            school: None,
            worries: None,
            note: None,
        };
        let b = NewCheckin {
            health: Some("ok".into()),
            school: Some("tired".into()),
            ..a.clone()
        };
        assert_ne!(checkin(&a), checkin(&b));
    }
}
