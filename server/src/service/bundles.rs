//! Family bundles: a family's stored rows turned into the bundle wire format for one reader
//! (leaving out what that reader may not see), and a bundle written back into this
//! installation without loss: same ids, client ids, timestamps, authors, depth results and
//! supersession links, in one transaction per family, idempotent, conflicts refused.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::Connection;
use kinthread_shared::api::NewContact;
use kinthread_shared::attention::Thresholds;
use kinthread_shared::bundle::{
    Bundle, BundleCheckin, BundleChildCheckin, BundleContact, BundleDepth, BundleFamily,
    BundleFeedback, BundleFollowUp, BundlePerson, BundleProgram, FamilyImportResult,
    FamilyImportStatus, FamilyRecord, ImportCounts, Withheld,
};
use kinthread_shared::reports::FollowUp;
use kinthread_shared::{
    AccountRole, CheckinId, ChildCheckinId, ClientId, ConsentVia, ContactId, FamilyId, FeedbackId,
    PersonId, TargetCadence, UserId,
};

use super::fingerprint;
use crate::access::FamilyScope;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::store::bundles as store;
use crate::store::checkins::{self, CheckinRow};
use crate::store::contacts::{self, ContactRow, ParticipantRow, participant_list};
use crate::store::families::{self, FamilyRow};
use crate::store::persons::{self, PersonRow};
use crate::store::programs::{self, ProgramRow};
use crate::store::voice::{self, ChildCheckinRow, FeedbackRow};
use crate::store::{follow_ups, from_millis, to_millis};

/// What a reader's bundle leaves out (SPEC section 2): staff never get phone numbers and get
/// content (the child's words included) only with the family's consent; parents and
/// caregivers never get the child's feedback or check-ins record by record, nor staff
/// follow-ups; admins get everything.
pub fn withheld_for(scope: &FamilyScope) -> Vec<Withheld> {
    let mut withheld = Vec::new();
    match scope.role() {
        AccountRole::Admin => {}
        AccountRole::Staff => {
            // With the family's consent and a stated purpose only.
            if !scope.sees_content() {
                withheld.push(Withheld::Content);
            }
            withheld.push(Withheld::Phones);
        }
        AccountRole::Parent | AccountRole::Caregiver | AccountRole::Child => {
            withheld.push(Withheld::ChildFeedback);
            withheld.push(Withheld::FollowUps);
        }
    }
    withheld
}

/// What the audit records of an export: what was left out for its reader.
pub fn export_audit_target(bundle: &Bundle) -> String {
    let withheld: Vec<&str> = bundle.withheld.iter().map(|w| w.as_str()).collect();
    format!("withheld: [{}]", withheld.join(","))
}

/// The bundle of one family as `scope`'s reader may have it.
pub fn export_family(
    conn: &mut DbConnection,
    scope: &FamilyScope,
    now: DateTime<Utc>,
) -> Result<Bundle, ApiError> {
    let withheld = withheld_for(scope);
    let hides = |what: Withheld| withheld.contains(&what);
    let family_id = scope.family_id();
    let family = families::row(conn, family_id)?.ok_or(ApiError::NotFound("family"))?;
    let program = match family.program_id {
        Some(id) => programs::get(conn, id)?.map(|p| BundleProgram {
            id: p.id,
            name: p.name,
            target_cadence_days: i32::try_from(p.target_cadence_days.days()).unwrap_or(7),
            created_at: p.created_at,
            attention_thresholds: (p.attention_thresholds != Thresholds::default())
                .then_some(p.attention_thresholds),
        }),
        None => None,
    };
    let mut people = persons::of_family(conn, family_id)?;
    people.sort_by_key(|p| p.id);
    let persons = people
        .into_iter()
        .map(|p| BundlePerson {
            id: p.id,
            display_name: p.display_name,
            role: p.role,
            lives_away: p.lives_away,
            away_location: p.away_location,
            away_since: p.away_since,
            birth_year: p.birth_year,
            birth_date: p.birth_date,
            phone: if hides(Withheld::Phones) {
                None
            } else {
                p.phone
            },
            phones: if hides(Withheld::Phones) || p.phones.len() < 2 {
                Vec::new()
            } else {
                p.phones
            },
            created_at: p.created_at,
        })
        .collect();
    let mut participants = contacts::participants_of(conn, family_id, None)?;
    let contacts = contacts::all_rows(conn, family_id)?
        .into_iter()
        .map(|row| {
            let people = participants.remove(&row.id).unwrap_or_default();
            bundle_contact(row, people, &withheld)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let checkins = checkins::all_rows(conn, family_id)?
        .into_iter()
        .map(|row| bundle_checkin(row, &withheld))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let (feedback, child_checkins) = if hides(Withheld::ChildFeedback) {
        (Vec::new(), Vec::new())
    } else {
        let words = |words: Option<String>| words.filter(|_| !hides(Withheld::Content));
        let feedback = voice::all_feedback_rows(conn, family_id)?
            .into_iter()
            .map(|row| {
                Ok(BundleFeedback {
                    given_at: row.given()?,
                    recorded_at: from_millis(row.recorded_at)?,
                    id: row.id,
                    client_id: row.client_id.as_uuid(),
                    request_hash: withheld.is_empty().then_some(row.request_hash),
                    contact_id: row.contact_id,
                    child_id: row.child_id,
                    rating: row.rating,
                    words: words(row.words),
                    recorded_by: row.recorded_by,
                    replaced_by: row.replaced_by,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let checkins = voice::all_checkin_rows(conn, family_id)?
            .into_iter()
            .map(|row| {
                Ok(BundleChildCheckin {
                    observed_at: row.observed()?,
                    recorded_at: from_millis(row.recorded_at)?,
                    id: row.id,
                    client_id: row.client_id.as_uuid(),
                    request_hash: withheld.is_empty().then_some(row.request_hash),
                    child_id: row.child_id,
                    mood: row.mood,
                    words: words(row.words),
                    recorded_by: row.recorded_by,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        (feedback, checkins)
    };
    let follow_ups = if hides(Withheld::FollowUps) {
        Vec::new()
    } else {
        let mut all = follow_ups::list(conn, family_id, None, i64::from(u32::MAX))?;
        all.sort_by_key(|f| (f.created_at, f.id));
        all.into_iter()
            .map(|f| BundleFollowUp {
                id: f.id,
                staff_id: f.staff_id,
                outcome: f.outcome,
                reason: f.reason,
                recheck_at: f.recheck_at,
                created_at: f.created_at,
            })
            .collect()
    };
    let mut bundle = Bundle::new(now);
    bundle.withheld = withheld;
    bundle.programs.extend(program);
    bundle.families.push(FamilyRecord {
        family: BundleFamily {
            consent: crate::store::consent::of_family(conn, family_id)?,
            id: family.id,
            display_name: family.display_name,
            program_id: family.program_id,
            time_zone: family.time_zone.name().to_owned(),
            target_cadence_days: family
                .target_cadence_days
                .map(|t| i32::try_from(t.days()).unwrap_or(7)),
            created_at: from_millis(family.created_at)?,
            updated_at: from_millis(family.updated_at)?,
        },
        persons,
        contacts,
        checkins,
        follow_ups,
        feedback,
        child_checkins,
    });
    Ok(bundle)
}

fn bundle_contact(
    row: ContactRow,
    participants: Vec<PersonId>,
    withheld: &[Withheld],
) -> Result<BundleContact, ApiError> {
    Ok(BundleContact {
        started_at: row.started()?,
        ended_at: row.ended()?,
        depth: row.depth().map(|depth| BundleDepth {
            score: depth.score,
            level: depth.level,
            lexicon_version: depth.lexicon,
        }),
        recorded_at: from_millis(row.recorded_at)?,
        id: row.id,
        client_id: row.client_id.as_uuid(),
        // The fingerprint is of the full upload: only a complete bundle carries it.
        request_hash: withheld.is_empty().then_some(row.request_hash),
        kind: row.kind,
        status: row.status,
        participants,
        initiator: row.initiator_id,
        duration_seconds: row.duration_seconds,
        content: row
            .content
            .filter(|_| !withheld.contains(&Withheld::Content)),
        talked_most: row.talked_most,
        // Version 2 carries the child's feedback as records of its own.
        child_feedback: None,
        source: row.source,
        recorded_by: row.recorded_by,
        supersedes: row.supersedes,
        superseded_by: row.superseded_by,
    })
}

fn bundle_checkin(row: CheckinRow, withheld: &[Withheld]) -> Result<BundleCheckin, ApiError> {
    let hide = withheld.contains(&Withheld::Content);
    let text = |value: Option<String>| if hide { None } else { value };
    Ok(BundleCheckin {
        observed_at: row.observed()?,
        id: row.id,
        client_id: row.client_id.as_uuid(),
        request_hash: withheld.is_empty().then_some(row.request_hash),
        child_id: row.child_id,
        mood: row.mood,
        health: text(row.health),
        school: text(row.school),
        worries: text(row.worries),
        note: text(row.note),
        recorded_by: row.recorded_by,
        recorded_at: from_millis(row.recorded_at)?,
    })
}

/// The row a bundle contact is stored as, and its participants.
fn contact_row(family: FamilyId, c: &BundleContact) -> (ContactRow, Vec<PersonId>) {
    let mut participants = c.participants.clone();
    participants.sort();
    let hash = c.request_hash.clone().unwrap_or_else(|| {
        // A bundle without fingerprints: the upload that would have made this record.
        fingerprint::contact(&NewContact {
            client_id: c.client_id,
            kind: c.kind,
            status: Some(c.status),
            participants: c.participants.clone(),
            initiator: c.initiator,
            started_at: c.started_at,
            duration_seconds: c.duration_seconds,
            ended_at: c.ended_at,
            content: c.content.clone(),
            talked_most: c.talked_most,
            child_feedback: c.child_feedback,
            source: Some(c.source),
        })
    });
    let row = ContactRow {
        family_id: family,
        id: c.id,
        client_id: ClientId(c.client_id),
        request_hash: hash,
        kind: c.kind,
        status: c.status,
        initiator_id: c.initiator,
        started_at: to_millis(c.started_at.to_utc()),
        utc_offset_seconds: c.started_at.offset().local_minus_utc(),
        duration_seconds: c.duration_seconds,
        ended_at: c.ended_at.map(|e| to_millis(e.to_utc())),
        ended_offset_seconds: c.ended_at.map(|e| e.offset().local_minus_utc()),
        content: c.content.clone(),
        talked_most: c.talked_most,
        child_feedback: c.child_feedback,
        depth_score: c.depth.as_ref().map(|d| d.score),
        depth_level: c.depth.as_ref().map(|d| d.level),
        depth_lexicon: c.depth.as_ref().map(|d| d.lexicon_version.clone()),
        source: c.source,
        recorded_by: c.recorded_by,
        recorded_at: to_millis(c.recorded_at),
        supersedes: c.supersedes,
        superseded_by: c.superseded_by,
        participant_ids: Some(participant_list(&participants)),
    };
    (row, participants)
}

fn checkin_row(family: FamilyId, c: &BundleCheckin) -> CheckinRow {
    CheckinRow {
        family_id: family,
        id: c.id,
        client_id: ClientId(c.client_id),
        // Without a fingerprint a retried phone upload cannot be matched; mark it as such.
        request_hash: c
            .request_hash
            .clone()
            .unwrap_or_else(|| "imported".to_owned()),
        child_id: c.child_id,
        observed_at: to_millis(c.observed_at.to_utc()),
        utc_offset_seconds: c.observed_at.offset().local_minus_utc(),
        mood: c.mood,
        health: c.health.clone(),
        school: c.school.clone(),
        worries: c.worries.clone(),
        note: c.note.clone(),
        recorded_by: c.recorded_by,
        recorded_at: to_millis(c.recorded_at),
    }
}

/// Whether a stored contact is the bundle's, apart from what may legitimately differ: the
/// depth result (this installation may have rescored), a fingerprint the bundle lacks, and
/// an amendment link this installation does not know yet.
fn same_contact(stored: &ContactRow, new: &ContactRow, hash_given: bool) -> bool {
    let mut comparable = stored.clone();
    comparable.depth_score = new.depth_score;
    comparable.depth_level = new.depth_level;
    comparable.depth_lexicon = new.depth_lexicon.clone();
    if !hash_given {
        comparable.request_hash = new.request_hash.clone();
    }
    if comparable.superseded_by.is_none() {
        comparable.superseded_by = new.superseded_by;
    }
    if comparable.participant_ids.is_none() {
        comparable.participant_ids = new.participant_ids.clone();
    }
    comparable == *new
}

/// A bundle's target cadence, checked (`Bundle::validate` refused bad ones already).
fn cadence(days: i32) -> Result<TargetCadence, ApiError> {
    TargetCadence::new(i64::from(days))
        .map_err(|e| ApiError::validation("target_cadence_days", e.to_string()))
}

fn conflict(family: FamilyId, what: &str, id: impl std::fmt::Display) -> ApiError {
    ApiError::Conflict(format!(
        "family {family}: {what} {id} is stored here with different content; nothing of this \
         family was imported"
    ))
}

/// Imports one family of `bundle` in one transaction. The same bundle twice changes
/// nothing; a record stored here with other content is a conflict and nothing of the family
/// is written.
pub fn import_family(
    conn: &mut DbConnection,
    bundle: &Bundle,
    record: &FamilyRecord,
    now: DateTime<Utc>,
) -> Result<FamilyImportResult, ApiError> {
    let family_id = record.family.id;
    // Its own transaction (a savepoint inside the caller's): a conflict in this family
    // undoes only this family.
    conn.transaction(|conn| {
        let mut created = ImportCounts::default();
        let mut existing = ImportCounts::default();
        let mut linked = 0_u32;

        if let Some(program) = bundle.program(record.family.program_id)
            && programs::get(conn, program.id)?.is_none()
        {
            programs::insert_row(
                conn,
                &ProgramRow {
                    id: program.id,
                    name: program.name.clone(),
                    target_cadence_days: cadence(program.target_cadence_days)?,
                    created_at: to_millis(program.created_at),
                    attention_thresholds: match &program.attention_thresholds {
                        Some(thresholds) => {
                            thresholds.validate().map_err(|e| {
                                ApiError::validation("programs.attention_thresholds", e.to_string())
                            })?;
                            programs::stored_thresholds(thresholds)?
                        }
                        None => None,
                    },
                    retention_months: None,
                },
            )?;
        }

        let family = &record.family;
        let family_row = FamilyRow {
            id: family.id,
            display_name: family.display_name.clone(),
            program_id: family.program_id,
            time_zone: family.time_zone.parse().map_err(
                |e: kinthread_shared::values::UnknownTimeZone| {
                    ApiError::validation("family.time_zone", e.to_string())
                },
            )?,
            target_cadence_days: family.target_cadence_days.map(cadence).transpose()?,
            guardian_consent: family.consent.guardian_consent,
            share_notes_with_staff: family.consent.share_notes_with_staff,
            child_feedback_visible_to_parents: family.consent.child_feedback_visible_to_parents,
            created_at: to_millis(family.created_at),
            updated_at: to_millis(family.updated_at),
        };
        let family_is_new = match families::row(conn, family_id)? {
            // `updated_at` moves with any change; the facts must agree. Consent is a history
            // of its own here and is left as it is.
            Some(stored) => {
                let comparable = FamilyRow {
                    updated_at: family_row.updated_at,
                    guardian_consent: family_row.guardian_consent,
                    share_notes_with_staff: family_row.share_notes_with_staff,
                    child_feedback_visible_to_parents: family_row.child_feedback_visible_to_parents,
                    ..stored
                };
                if comparable != family_row {
                    return Err(conflict(family_id, "the family", family_row.id));
                }
                false
            }
            None => {
                families::insert_row(conn, &family_row)?;
                // The consent the bundle says was in force, as records kept from before (a
                // bundle carries the consent in force, not its history).
                families::record_consent(
                    conn,
                    family_id,
                    &family.consent,
                    None,
                    ConsentVia::BeforeHistory,
                    family.updated_at,
                )?;
                true
            }
        };

        let ids: Vec<_> = record.persons.iter().map(|p| p.id).collect();
        let stored_persons: HashMap<PersonId, PersonRow> = persons::rows_by_id(conn, &ids)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        for person in &record.persons {
            let row = PersonRow {
                family_id,
                id: person.id,
                display_name: person.display_name.clone(),
                role: person.role,
                lives_away: person.lives_away,
                away_location: person.away_location.clone(),
                away_since: person.away_since.map(|d| d.to_string()),
                birth_year: person.birth_year,
                birth_date: person.birth_date.map(|d| d.to_string()),
                created_at: to_millis(person.created_at),
            };
            let phones = person.all_phones();
            match stored_persons.get(&row.id) {
                Some(stored)
                    if *stored == row && persons::phones_of(conn, family_id, row.id)? == phones =>
                {
                    existing.persons += 1
                }
                Some(_) => return Err(conflict(family_id, "person", row.id)),
                None => {
                    persons::insert_row(conn, &row)?;
                    persons::set_phones(conn, family_id, row.id, &phones)?;
                    created.persons += 1;
                }
            }
        }

        let stored_contacts: HashMap<ContactId, ContactRow> = contacts::all_rows(conn, family_id)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let client_ids: HashMap<ClientId, ContactId> = stored_contacts
            .values()
            .map(|row| (row.client_id, row.id))
            .collect();
        let mut new_rows = Vec::new();
        let mut new_participants = Vec::new();
        let mut links = Vec::new();
        for contact in &record.contacts {
            let (row, people) = contact_row(family_id, contact);
            match stored_contacts.get(&row.id) {
                Some(stored) if same_contact(stored, &row, contact.request_hash.is_some()) => {
                    existing.contacts += 1;
                    if stored.superseded_by.is_none()
                        && let Some(newer) = row.superseded_by
                    {
                        links.push((row.id, newer));
                    }
                }
                Some(_) => return Err(conflict(family_id, "contact", row.id)),
                None => {
                    if client_ids.contains_key(&row.client_id) {
                        return Err(conflict(family_id, "the client id of contact", row.id));
                    }
                    for person_id in people {
                        new_participants.push(ParticipantRow {
                            family_id,
                            contact_id: row.id,
                            person_id,
                        });
                    }
                    new_rows.push(row);
                    created.contacts += 1;
                }
            }
        }
        contacts::insert_rows(conn, &new_rows, &new_participants)?;
        for &(id, newer) in &links {
            store::set_superseded_by(conn, family_id, id, newer)?;
            linked += 1;
        }

        let stored_checkins: HashMap<CheckinId, CheckinRow> = checkins::all_rows(conn, family_id)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        for checkin in &record.checkins {
            let row = checkin_row(family_id, checkin);
            match stored_checkins.get(&row.id) {
                Some(stored) => {
                    let mut comparable = stored.clone();
                    if checkin.request_hash.is_none() {
                        comparable.request_hash = row.request_hash.clone();
                    }
                    if comparable != row {
                        return Err(conflict(family_id, "check-in", row.id));
                    }
                    existing.checkins += 1;
                }
                None => {
                    if stored_checkins
                        .values()
                        .any(|s| s.client_id == row.client_id)
                    {
                        return Err(conflict(family_id, "the client id of check-in", row.id));
                    }
                    checkins::insert_row(conn, &row)?;
                    created.checkins += 1;
                }
            }
        }

        import_voice(conn, record, &mut created, &mut existing, &mut linked)?;

        let staff: Vec<UserId> = record.follow_ups.iter().map(|f| f.staff_id).collect();
        let known = store::existing_users(conn, &staff)?;
        let mut placed = Vec::new();
        for id in staff {
            if !known.contains(&id) && !placed.contains(&id) {
                store::insert_placeholder_staff(conn, id, to_millis(now))?;
                placed.push(id);
            }
        }
        let stored_follow_ups: HashMap<_, FollowUp> =
            follow_ups::list(conn, family_id, None, i64::from(u32::MAX))?
                .into_iter()
                .map(|f| (f.id, f))
                .collect();
        for f in &record.follow_ups {
            let follow_up = FollowUp {
                id: f.id,
                family_id,
                staff_id: f.staff_id,
                outcome: f.outcome,
                reason: f.reason.clone(),
                recheck_at: f.recheck_at,
                created_at: f.created_at,
            };
            // Compared at the stored precision (milliseconds).
            let stored_form = |x: &FollowUp| {
                (
                    x.staff_id,
                    x.outcome,
                    x.reason.clone(),
                    x.recheck_at.map(to_millis),
                    to_millis(x.created_at),
                )
            };
            match stored_follow_ups.get(&f.id) {
                Some(stored) if stored_form(stored) == stored_form(&follow_up) => {
                    existing.follow_ups += 1;
                }
                Some(_) => return Err(conflict(family_id, "follow-up", f.id)),
                None => {
                    follow_ups::insert(conn, &follow_up)?;
                    created.follow_ups += 1;
                }
            }
        }

        let anything_new = created != ImportCounts::default() || linked > 0;
        Ok(FamilyImportResult {
            family_id,
            status: if family_is_new {
                FamilyImportStatus::Created
            } else if anything_new {
                FamilyImportStatus::Updated
            } else {
                FamilyImportStatus::Existing
            },
            created,
            existing,
        })
    })
}

/// The feedback records a bundle brings: its own (version 2), or the first versions made
/// from its contacts' feedback field (version 1), as the migration that introduced the
/// records made them.
fn bundle_feedback_rows(record: &FamilyRecord) -> Vec<FeedbackRow> {
    let family_id = record.family.id;
    if !record.feedback.is_empty() {
        return record
            .feedback
            .iter()
            .map(|f| FeedbackRow {
                family_id,
                id: f.id,
                client_id: ClientId(f.client_id),
                request_hash: f
                    .request_hash
                    .clone()
                    .unwrap_or_else(|| "imported".to_owned()),
                contact_id: f.contact_id,
                child_id: f.child_id,
                rating: f.rating,
                words: f.words.clone(),
                given_at: to_millis(f.given_at.to_utc()),
                utc_offset_seconds: f.given_at.offset().local_minus_utc(),
                recorded_by: f.recorded_by,
                recorded_at: to_millis(f.recorded_at),
                replaced_by: f.replaced_by,
            })
            .collect();
    }
    let facts = record.feedback_facts();
    record
        .contacts
        .iter()
        .filter(|c| c.superseded_by.is_none() && c.child_feedback.is_some())
        .filter_map(|c| {
            let fact = facts.iter().find(|fact| {
                fact.entry.given_at == c.started_at.to_utc() && c.participants.contains(&fact.child)
            })?;
            Some(FeedbackRow {
                family_id,
                id: FeedbackId(c.id.as_uuid()),
                client_id: ClientId(c.id.as_uuid()),
                request_hash: "v0:moved".to_owned(),
                contact_id: c.id,
                child_id: fact.child,
                rating: fact.entry.rating,
                words: None,
                given_at: to_millis(c.started_at.to_utc()),
                utc_offset_seconds: c.started_at.offset().local_minus_utc(),
                recorded_by: c.recorded_by,
                recorded_at: to_millis(c.recorded_at),
                replaced_by: None,
            })
        })
        .collect()
}

/// Imports the child's feedback and check-ins of one family (inside its transaction).
fn import_voice(
    conn: &mut DbConnection,
    record: &FamilyRecord,
    created: &mut ImportCounts,
    existing: &mut ImportCounts,
    linked: &mut u32,
) -> Result<(), ApiError> {
    let family_id = record.family.id;
    let stored: HashMap<FeedbackId, FeedbackRow> = voice::all_feedback_rows(conn, family_id)?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut new_rows = Vec::new();
    for row in bundle_feedback_rows(record) {
        match stored.get(&row.id) {
            Some(here) => {
                let mut comparable = here.clone();
                if record.feedback.iter().all(|f| f.request_hash.is_none()) {
                    comparable.request_hash = row.request_hash.clone();
                }
                if comparable.replaced_by.is_none() {
                    comparable.replaced_by = row.replaced_by;
                }
                if comparable != row {
                    return Err(conflict(family_id, "feedback", row.id));
                }
                existing.feedback += 1;
                if here.replaced_by.is_none()
                    && let Some(newer) = row.replaced_by
                {
                    voice::set_replaced_by(conn, family_id, row.id, newer)?;
                    *linked += 1;
                }
            }
            None => {
                if stored.values().any(|s| s.client_id == row.client_id) {
                    return Err(conflict(family_id, "the client id of feedback", row.id));
                }
                new_rows.push(row);
            }
        }
    }
    // Replaced versions first, so that one version in force per contact and child holds at
    // every step.
    new_rows.sort_by_key(|row| row.replaced_by.is_none());
    for row in &new_rows {
        voice::insert_feedback_row(conn, row)?;
        created.feedback += 1;
    }

    let stored_checkins: HashMap<ChildCheckinId, ChildCheckinRow> =
        voice::all_checkin_rows(conn, family_id)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
    for c in &record.child_checkins {
        let row = ChildCheckinRow {
            family_id,
            id: c.id,
            client_id: ClientId(c.client_id),
            request_hash: c
                .request_hash
                .clone()
                .unwrap_or_else(|| "imported".to_owned()),
            child_id: c.child_id,
            observed_at: to_millis(c.observed_at.to_utc()),
            utc_offset_seconds: c.observed_at.offset().local_minus_utc(),
            mood: c.mood,
            words: c.words.clone(),
            recorded_by: c.recorded_by,
            recorded_at: to_millis(c.recorded_at),
        };
        match stored_checkins.get(&row.id) {
            Some(here) => {
                let mut comparable = here.clone();
                if c.request_hash.is_none() {
                    comparable.request_hash = row.request_hash.clone();
                }
                if comparable != row {
                    return Err(conflict(family_id, "child check-in", row.id));
                }
                existing.child_checkins += 1;
            }
            None => {
                if stored_checkins
                    .values()
                    .any(|s| s.client_id == row.client_id)
                {
                    return Err(conflict(
                        family_id,
                        "the client id of child check-in",
                        row.id,
                    ));
                }
                voice::insert_checkin_row(conn, &row)?;
                created.child_checkins += 1;
            }
        }
    }
    Ok(())
}
