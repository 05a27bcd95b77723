//! Families and their persons.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Utc;
use kinthread_shared::api::{
    ErrorBody, Family, FamilyUpdate, FieldError, NewFamily, NewPerson, Page, Person, PersonUpdate,
};
use kinthread_shared::validate::{check_birth, check_name, check_phones};
use kinthread_shared::{FamilyId, PersonId};

use super::{PageQuery, id_cursor, next_cursor};
use crate::access::{self, Action, FamilyScope, Rule, family_scope};
use crate::app::{AppState, audit_staff_read};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::store;

fn collect(results: Vec<Result<(), FieldError>>) -> Result<(), ApiError> {
    let problems: Vec<FieldError> = results.into_iter().filter_map(Result::err).collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// Creates a family (admins only). A name another family of the same program has is refused
/// unless the request says `allow_duplicate: true`.
#[utoipa::path(post, path = "/api/v1/families", tag = "families", request_body = NewFamily,
    responses((status = 201, body = Family, description = "created"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 409, body = ErrorBody, description = "`duplicate_name`: a family of that name is in the program already (send `allow_duplicate: true` to add it anyway)"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the name is empty or too long, or no such program")),
    security(("bearer" = [])))]
#[post("/families")]
pub async fn create_family(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<NewFamily>,
) -> Result<HttpResponse, ApiError> {
    access::require(&user, Action::CreateFamily)?;
    let new = body.into_inner();
    // Time zone and cadence were checked when the body was read.
    collect(vec![check_name("display_name", &new.display_name, 200)])?;
    let family = state
        .db
        .write(move |conn| {
            if let Some(program) = new.program_id
                && store::programs::get(conn, program)?.is_none()
            {
                return Err(ApiError::validation("program_id", "no such program"));
            }
            if let Some(program) = new.program_id
                && !new.allow_duplicate
                && store::families::name_taken(conn, program, &new.display_name, None)?
            {
                return Err(duplicate_family());
            }
            let family = store::families::insert(conn, &new)?;
            store::audit::record(conn, Some(&user), "family.create", Some(family.id), None)?;
            Ok(family)
        })
        .await?;
    Ok(HttpResponse::Created().json(family))
}

/// The families the user may see: all (admins), their programs' (staff), their own (family).
#[utoipa::path(get, path = "/api/v1/families", tag = "families", params(PageQuery),
    responses((status = 200, body = Page<Family>, description = "in id order")),
    security(("bearer" = [])))]
#[get("/families")]
pub async fn list_families(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<Family>>, ApiError> {
    let limit = page.limit()?;
    let after: Option<FamilyId> = id_cursor(page.cursor.as_deref())?;
    let items = state
        .db
        .read(move |conn| {
            Ok::<_, ApiError>(match access::rule(user.role, Action::ListFamilies) {
                Rule::OwnFamilyOnly => match user.family_id {
                    Some(own) if after.is_none_or(|a| a < own) => {
                        store::families::get(conn, own)?.into_iter().collect()
                    }
                    _ => Vec::new(),
                },
                _ => {
                    let programs = access::program_scope(conn, &user, Action::ListFamilies)?;
                    store::families::list(conn, programs.as_deref(), after, limit)?
                }
            })
        })
        .await?;
    let next_cursor = next_cursor(&items, limit, |f| f.id.to_string());
    Ok(web::Json(Page { items, next_cursor }))
}

/// One family.
#[utoipa::path(get, path = "/api/v1/families/{family_id}", tag = "families",
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Family, description = "the family"),
        (status = 403, body = ErrorBody, description = "`forbidden`: another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}")]
pub async fn get_family(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
) -> Result<web::Json<Family>, ApiError> {
    let family_id = path.into_inner();
    let scope = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::ReadFamily)?;
            Ok::<_, ApiError>(scope)
        })
        .await?;
    audit_staff_read(&state, &scope, "family.read").await?;
    Ok(web::Json(scope.family))
}

fn duplicate_family() -> ApiError {
    ApiError::DuplicateName(
        "a family of that name is in this program already; send allow_duplicate: true to have both"
            .into(),
    )
}

/// Changes a family. Admins may change anything, and enrol the family in a program, move it
/// or withdraw it (`program_id`); the family's parents and caregivers may change its consent
/// (they are the guardians). The audit records what changed.
#[utoipa::path(patch, path = "/api/v1/families/{family_id}", tag = "families", request_body = FamilyUpdate,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Family, description = "the family as changed"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin (a family's parents and caregivers may change its consent only)"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 409, body = ErrorBody, description = "`duplicate_name`: another family of the (new) program has the (new) name; send `allow_duplicate: true` to have both"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the name is empty or too long, or no such program")),
    security(("bearer" = [])))]
#[patch("/families/{family_id}")]
pub async fn update_family(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<FamilyUpdate>,
) -> Result<web::Json<Family>, ApiError> {
    let family_id = path.into_inner();
    let change = body.into_inner();
    let only_consent = change.display_name.is_none()
        && change.time_zone.is_none()
        && change.target_cadence_days.is_none()
        && change.program_id.is_none();
    let action = if only_consent {
        Action::ChangeConsent
    } else {
        Action::ChangeFamilySettings
    };
    access::require(&user, action)?;
    if change.program_id.is_some() {
        access::require(&user, Action::EnrolFamily)?;
    }
    collect(vec![
        change
            .display_name
            .as_deref()
            .map(|n| check_name("display_name", n, 200))
            .unwrap_or(Ok(())),
    ])?;
    let family = state
        .db
        .write(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(action)?;
            if change.program_id.is_some() {
                scope.require(Action::EnrolFamily)?;
            }
            let before = scope.family;
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
                && store::families::name_taken(conn, program, name, Some(family_id))?
            {
                return Err(duplicate_family());
            }
            let family = store::families::update(conn, family_id, &change)?
                .ok_or(ApiError::NotFound("family"))?;
            store::audit::record(
                conn,
                Some(&user),
                "family.update",
                Some(family_id),
                Some(&format!(
                    "{family_id}: {}",
                    family_changes(&before, &family)
                )),
            )?;
            Ok::<_, ApiError>(family)
        })
        .await?;
    Ok(web::Json(family))
}

/// Adds a person to a family (admins only).
#[utoipa::path(post, path = "/api/v1/families/{family_id}/persons", tag = "families", request_body = NewPerson,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 201, body = Person, description = "created"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the name, birth year, birth date (or the two disagree) or phone number is not valid")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/persons")]
pub async fn create_person(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<NewPerson>,
) -> Result<HttpResponse, ApiError> {
    access::require(&user, Action::AddPerson)?;
    let family_id = path.into_inner();
    let new = body.into_inner();
    let given = new
        .phone
        .iter()
        .map(|raw| ("phone".to_owned(), raw.as_str()))
        .chain(
            new.phones
                .iter()
                .enumerate()
                .map(|(i, raw)| (format!("phones[{i}]"), raw.as_str())),
        );
    let phones = check_phones(given).map_err(ApiError::Validation)?;
    // Today anywhere on earth: a child born today in the family's zone is not refused.
    let latest_today = (Utc::now() + chrono::TimeDelta::hours(14)).date_naive();
    let birth_year = match (
        check_name("display_name", &new.display_name, 200),
        check_birth(new.birth_year, new.birth_date, latest_today),
    ) {
        (Ok(()), Ok(birth_year)) => birth_year,
        (name, birth) => {
            let mut problems: Vec<FieldError> = name.err().into_iter().collect();
            problems.extend(birth.err().unwrap_or_default());
            return Err(ApiError::Validation(problems));
        }
    };
    let person = state
        .db
        .write(move |conn| {
            family_scope(conn, &user, family_id)?;
            let person = store::persons::insert(conn, family_id, &new, birth_year, &phones)?;
            store::audit::record(
                conn,
                Some(&user),
                "person.create",
                Some(family_id),
                Some(&person.id.to_string()),
            )?;
            Ok::<_, ApiError>(person)
        })
        .await?;
    Ok(HttpResponse::Created().json(person))
}

/// What the audit says changed of a family, e.g. `program_id none -> 0193…; time_zone
/// Asia/Shanghai -> Europe/Madrid`. The name is personal: only that it changed.
fn family_changes(before: &Family, after: &Family) -> String {
    let mut changes = Vec::new();
    if before.display_name != after.display_name {
        changes.push("display_name".to_owned());
    }
    let program =
        |p: Option<kinthread_shared::ProgramId>| p.map_or("none".to_owned(), |p| p.to_string());
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
    let consent = [
        (
            "guardian_consent",
            before.consent.guardian_consent,
            after.consent.guardian_consent,
        ),
        (
            "share_notes_with_staff",
            before.consent.share_notes_with_staff,
            after.consent.share_notes_with_staff,
        ),
        (
            "child_feedback_visible_to_parents",
            before.consent.child_feedback_visible_to_parents,
            after.consent.child_feedback_visible_to_parents,
        ),
    ];
    for (field, was, now) in consent {
        if was != now {
            changes.push(format!("consent.{field} {was} -> {now}"));
        }
    }
    if changes.is_empty() {
        "nothing".to_owned()
    } else {
        changes.join("; ")
    }
}

fn present_person(scope: &FamilyScope, mut person: Person) -> Person {
    if !scope.sees_phone_numbers() {
        person.phone = None;
        person.phones = Vec::new();
    }
    person
}

/// The persons of a family, parents first. Phone numbers only for the family's adults and
/// admins.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/persons", tag = "families",
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Page<Person>, description = "parents first; always one page"),
        (status = 403, body = ErrorBody, description = "`forbidden`: another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/persons")]
pub async fn list_persons(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
) -> Result<web::Json<Page<Person>>, ApiError> {
    let family_id = path.into_inner();
    let (scope, people) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::ListPersons)?;
            let people = store::persons::of_family(conn, family_id)?;
            Ok::<_, ApiError>((scope, people))
        })
        .await?;
    audit_staff_read(&state, &scope, "persons.read").await?;
    let items = people
        .into_iter()
        .map(|p| present_person(&scope, p))
        .collect();
    // A family is small: always one page.
    Ok(web::Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Changes a person of a family (admins only: staff read reports and record follow-ups).
/// Only the fields named change; `null` clears an optional one; `phones` replaces the list.
/// A new role must still fit the accounts that speak for the person. The audit records what
/// changed (field names; never a number).
#[utoipa::path(patch, path = "/api/v1/families/{family_id}/persons/{person_id}", tag = "families",
    request_body = PersonUpdate,
    params(("family_id" = String, Path, format = Uuid), ("person_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Person, description = "the person as changed"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family, or no such person in it (another family's person included)"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the name, birth year, birth date (or the two disagree) or a phone number is not valid, a number is given twice, more than 10 numbers, or the role does not fit the person's account")),
    security(("bearer" = [])))]
#[patch("/families/{family_id}/persons/{person_id}")]
pub async fn update_person(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(FamilyId, PersonId)>,
    body: Json<PersonUpdate>,
) -> Result<web::Json<Person>, ApiError> {
    access::require(&user, Action::UpdatePerson)?;
    let (family_id, person_id) = path.into_inner();
    let change = body.into_inner();
    let mut problems = Vec::new();
    if let Some(name) = &change.display_name
        && let Err(problem) = check_name("display_name", name, 200)
    {
        problems.push(problem);
    }
    if let Some(Some(location)) = &change.away_location
        && location.chars().count() > 200
    {
        problems.push(FieldError {
            field: "away_location".into(),
            message: "at most 200 characters".into(),
        });
    }
    let phones = match &change.phones {
        None => None,
        Some(None) => Some(Vec::new()),
        Some(Some(list)) => {
            let given = list
                .iter()
                .enumerate()
                .map(|(i, raw)| (format!("phones[{i}]"), raw.as_str()));
            match check_phones(given) {
                Ok(phones) => Some(phones),
                Err(bad) => {
                    problems.extend(bad);
                    None
                }
            }
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    // Today anywhere on earth, as on creation.
    let latest_today = (Utc::now() + chrono::TimeDelta::hours(14)).date_naive();
    let person = state
        .db
        .write(move |conn| {
            family_scope(conn, &user, family_id)?.require(Action::UpdatePerson)?;
            let before = store::persons::get(conn, family_id, person_id)?
                .ok_or(ApiError::NotFound("person"))?;
            // A date alone sets the year; a year alone keeps the date only if they agree.
            let birth_date = change.birth_date.unwrap_or(before.birth_date);
            let year_given = match (change.birth_year, change.birth_date) {
                (Some(year), _) => year,
                (None, Some(Some(_))) => None,
                (None, _) => before.birth_year,
            };
            let birth_year =
                check_birth(year_given, birth_date, latest_today).map_err(ApiError::Validation)?;
            if let Some(role) = change.role
                && role != before.role
            {
                for account in store::users::roles_of_person(conn, person_id)? {
                    if !super::users::account_fits_person(account, role) {
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
                birth_date: change.birth_date,
                phones,
            };
            store::persons::update(conn, family_id, person_id, &person_change)?;
            let after = store::persons::get(conn, family_id, person_id)?
                .ok_or(ApiError::NotFound("person"))?;
            store::audit::record(
                conn,
                Some(&user),
                "person.update",
                Some(family_id),
                Some(&format!("{person_id}: {}", person_changes(&before, &after))),
            )?;
            Ok::<_, ApiError>(after)
        })
        .await?;
    Ok(web::Json(person))
}

/// What the audit says changed of a person: roles and flags with their values, personal
/// fields by name only, phone numbers by count.
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
    if changes.is_empty() {
        "nothing".to_owned()
    } else {
        changes.join("; ")
    }
}
