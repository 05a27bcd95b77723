//! Changing families and their persons: the checks that need the stored records (the
//! program, other families' names, the accounts that speak for a person) and the audit of
//! what changed. Called inside the write transaction, after the permission check.

use chrono::{DateTime, Utc};
use kinthread_shared::api::{Family, FamilyUpdate, Person, PersonUpdate};
use kinthread_shared::validate::merge_birth;
use kinthread_shared::{PersonId, ProgramId};

use crate::access::FamilyScope;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::store;

/// The refusal of a family name another family of the program has.
pub fn duplicate_family() -> ApiError {
    ApiError::DuplicateName(
        "a family of that name is in this program already; send allow_duplicate: true to have both"
            .into(),
    )
}

/// Applies a change to the family of `scope` (checked for the permission already): a program
/// it names must exist, and a rename or move onto a name another family of the (new) program
/// has is refused unless the change allows a duplicate. Audited with what changed.
pub fn update_family(
    conn: &mut DbConnection,
    scope: &FamilyScope,
    change: &FamilyUpdate,
) -> Result<Family, ApiError> {
    let before = &scope.family;
    if let Some(Some(program)) = change.program_id
        && store::programs::get(conn, program)?.is_none()
    {
        return Err(ApiError::validation("program_id", "no such program"));
    }
    let program = change.program_id.unwrap_or(before.program_id);
    let name = change
        .display_name
        .as_deref()
        .unwrap_or(&before.display_name);
    let renamed = change
        .display_name
        .as_deref()
        .is_some_and(|n| n.trim() != before.display_name);
    let moved = program != before.program_id;
    if let Some(program) = program
        && (renamed || moved)
        && !change.allow_duplicate
        && store::families::name_taken(conn, program, name, Some(before.id))?
    {
        return Err(duplicate_family());
    }
    if let Some(consent) = &change.consent {
        super::consent::apply_update(conn, scope, consent, chrono::Utc::now())?;
    }
    let after =
        store::families::update(conn, before.id, change)?.ok_or(ApiError::NotFound("family"))?;
    store::audit::record(
        conn,
        Some(&scope.user),
        "family.update",
        Some(before.id),
        Some(&format!(
            "{}: {}",
            before.id,
            family_changes(before, &after)
        )),
    )?;
    Ok(after)
}

/// Applies a change to a person of the family of `scope` (checked for the permission
/// already); `phones` are the change's numbers, normalised ([`kinthread_shared::validate::
/// check_person_update`]). A person of another family is not found. A new role must fit
/// every account that speaks for the person. Audited with what changed.
pub fn update_person(
    conn: &mut DbConnection,
    scope: &FamilyScope,
    person_id: PersonId,
    change: &PersonUpdate,
    phones: Option<Vec<String>>,
    now: DateTime<Utc>,
) -> Result<Person, ApiError> {
    let family_id = scope.family_id();
    let before =
        store::persons::get(conn, family_id, person_id)?.ok_or(ApiError::NotFound("person"))?;
    // Today anywhere on earth, as on creation: a child born today in the family's zone is
    // not refused.
    let latest_today = (now + chrono::TimeDelta::hours(14)).date_naive();
    let (birth_year, birth_date) = merge_birth(
        (before.birth_year, before.birth_date),
        change.birth_year,
        change.birth_date,
        latest_today,
    )
    .map_err(ApiError::Validation)?;
    if let Some(role) = change.role
        && role != before.role
    {
        for account in store::users::roles_of_person(conn, person_id)? {
            if !account.fits_person(role) {
                return Err(ApiError::validation(
                    "role",
                    format!(
                        "the person's {account} account does not fit the role {}",
                        role.as_str()
                    ),
                ));
            }
        }
    }
    let person_change = store::persons::PersonChange {
        display_name: change.display_name.clone(),
        role: change.role,
        lives_away: change.lives_away,
        away_location: change.away_location.clone(),
        away_since: change.away_since,
        birth_year: Some(birth_year),
        birth_date: Some(birth_date),
        phones,
    };
    store::persons::update(conn, family_id, person_id, &person_change)?;
    let after =
        store::persons::get(conn, family_id, person_id)?.ok_or(ApiError::NotFound("person"))?;
    store::audit::record(
        conn,
        Some(&scope.user),
        "person.update",
        Some(family_id),
        Some(&format!("{person_id}: {}", person_changes(&before, &after))),
    )?;
    Ok(after)
}

/// What the audit says changed of a family, e.g. `program_id none -> 0193…; time_zone
/// Asia/Shanghai -> Europe/Madrid`. The name is personal: only that it changed.
fn family_changes(before: &Family, after: &Family) -> String {
    let mut changes = Vec::new();
    if before.display_name != after.display_name {
        changes.push("display_name".to_owned());
    }
    let program = |p: Option<ProgramId>| p.map_or("none".to_owned(), |p| p.to_string());
    if before.program_id != after.program_id {
        changes.push(format!(
            "program_id {} -> {}",
            program(before.program_id),
            program(after.program_id)
        ));
    }
    if before.time_zone != after.time_zone {
        changes.push(format!(
            "time_zone {} -> {}",
            before.time_zone.name(),
            after.time_zone.name()
        ));
    }
    if before.target_cadence_days != after.target_cadence_days {
        changes.push(format!(
            "target_cadence_days {} -> {}",
            before.target_cadence_days.days(),
            after.target_cadence_days.days()
        ));
    }
    let (was, now) = (before.consent, after.consent);
    for (field, was, now) in [
        (
            "guardian_consent",
            was.guardian_consent,
            now.guardian_consent,
        ),
        (
            "share_notes_with_staff",
            was.share_notes_with_staff,
            now.share_notes_with_staff,
        ),
        (
            "child_feedback_visible_to_parents",
            was.child_feedback_visible_to_parents,
            now.child_feedback_visible_to_parents,
        ),
        ("child_account", was.child_account, now.child_account),
        (
            "anonymous_statistics",
            was.anonymous_statistics,
            now.anonymous_statistics,
        ),
    ] {
        if was != now {
            changes.push(format!("consent.{field} {was} -> {now}"));
        }
    }
    joined(changes)
}

/// What the audit says changed of a person: the role and `lives_away` with their values,
/// personal fields by name only, phone numbers by count (never a number).
fn person_changes(before: &Person, after: &Person) -> String {
    let mut changes = Vec::new();
    if before.display_name != after.display_name {
        changes.push("display_name".to_owned());
    }
    if before.role != after.role {
        changes.push(format!(
            "role {} -> {}",
            before.role.as_str(),
            after.role.as_str()
        ));
    }
    if before.lives_away != after.lives_away {
        changes.push(format!(
            "lives_away {} -> {}",
            before.lives_away, after.lives_away
        ));
    }
    for (field, changed) in [
        ("away_location", before.away_location != after.away_location),
        ("away_since", before.away_since != after.away_since),
        ("birth_year", before.birth_year != after.birth_year),
        ("birth_date", before.birth_date != after.birth_date),
    ] {
        if changed {
            changes.push(field.to_owned());
        }
    }
    if before.phones != after.phones {
        changes.push(format!(
            "phones ({} -> {} numbers)",
            before.phones.len(),
            after.phones.len()
        ));
    }
    joined(changes)
}

fn joined(changes: Vec<String>) -> String {
    if changes.is_empty() {
        "nothing".to_owned()
    } else {
        changes.join("; ")
    }
}
