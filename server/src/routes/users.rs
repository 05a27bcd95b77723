//! Accounts: admins create parent, caregiver, child, staff and admin accounts.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{Datelike, Utc};
use kinthread_shared::api::{
    ErrorBody, FieldError, NewUser, Page, PasswordReset, User, UserUpdate,
};
use kinthread_shared::validate::check_name;
use kinthread_shared::{AccountRole, FamilyRole, UserId, Username};

use super::{PageQuery, id_cursor, next_cursor};
use crate::access::{self, Action};
use crate::app::AppState;
use crate::auth::{AuthUser, one_time_password};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::extract::Json;
use crate::store;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// The length rule of every password an account chooses (creation and change alike).
pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    let message = if chars < MIN_PASSWORD_CHARS {
        format!("must be at least {MIN_PASSWORD_CHARS} characters")
    } else if chars > MAX_PASSWORD_CHARS {
        format!("must be at most {MAX_PASSWORD_CHARS} characters")
    } else {
        return Ok(());
    };
    Err(FieldError {
        field: field.to_owned(),
        message,
    })
}

/// Whether an account of `account` role may speak for a person of `person` role: parents
/// for mothers and fathers, caregivers for the caring relatives (an older sibling too),
/// children for children; staff and admins for nobody.
pub fn account_fits_person(account: AccountRole, person: FamilyRole) -> bool {
    match account {
        AccountRole::Parent => person.is_parent(),
        AccountRole::Caregiver => person.is_caregiver() || person == FamilyRole::Sibling,
        AccountRole::Child => person == FamilyRole::Child,
        AccountRole::Staff | AccountRole::Admin => false,
    }
}

/// Checks a new account against the records it points at.
pub fn check_new_user(conn: &mut DbConnection, new: &NewUser) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: &str| {
        problems.push(FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        })
    };
    if let Err(bad) = Username::parse(&new.username) {
        problem("username", &bad.to_string());
    }
    if let Err(bad) = check_password("password", &new.password) {
        problem(&bad.field, &bad.message);
    }
    if new.role.is_family_member() {
        if !new.program_ids.is_empty() {
            problem("program_ids", "only staff accounts belong to programs");
        }
        match (new.family_id, new.person_id) {
            (Some(family), Some(person_id)) => {
                match store::persons::get(conn, family, person_id)? {
                    None => problem("person_id", "is not a person of that family"),
                    Some(person) => {
                        if !account_fits_person(new.role, person.role) {
                            problem("role", "does not fit the person's role in the family");
                        }
                        if new.role == AccountRole::Child {
                            let this_year = Utc::now().year();
                            match person.birth_year {
                                Some(year) if this_year - year >= 10 => {}
                                Some(_) => {
                                    problem("person_id", "child accounts are for age 10 and up")
                                }
                                None => problem(
                                    "person_id",
                                    "the child's birth year is needed for an account",
                                ),
                            }
                        }
                    }
                }
            }
            _ => problem(
                "family_id",
                "parent, caregiver and child accounts need family_id and person_id",
            ),
        }
    } else {
        if new.family_id.is_some() || new.person_id.is_some() {
            problem("family_id", "only family accounts belong to a family");
        }
        if new.role == AccountRole::Staff {
            if new.program_ids.is_empty() {
                problem("program_ids", "staff accounts need at least one program");
            } else {
                let found = store::programs::existing(conn, &new.program_ids)?;
                if found.len() != new.program_ids.len() {
                    problem("program_ids", "names a program that does not exist");
                }
            }
        } else if !new.program_ids.is_empty() {
            problem("program_ids", "only staff accounts belong to programs");
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// Creates an account (admins only).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUser,
    responses((status = 201, body = User, description = "created"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 409, body = ErrorBody, description = "`conflict`: the username is taken"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: username, password, role, family, person or programs do not fit; `fields` says which")),
    security(("bearer" = [])))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    access::require(&user, Action::ManageAccounts)?;
    let new = body.into_inner();
    state
        .db
        .read({
            let new = new.clone();
            move |conn| check_new_user(conn, &new)
        })
        .await?;
    let passwords = state.passwords.clone();
    let password = new.password.clone();
    let hash = web::block(move || passwords.hash(&password))
        .await
        .map_err(ApiError::internal)??;
    let created = state
        .db
        .write(move |conn| {
            if store::users::by_username(conn, &new.username)?.is_some() {
                return Err(ApiError::Conflict("that username is taken".into()));
            }
            let created = store::users::insert(conn, &new, &hash)?;
            store::audit::record(
                conn,
                Some(&user),
                "user.create",
                new.family_id,
                Some(&created.id.to_string()),
            )?;
            Ok(created)
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Lists accounts (admins only).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(PageQuery),
    responses((status = 200, body = Page<User>, description = "in id order"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin")),
    security(("bearer" = [])))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<User>>, ApiError> {
    access::require(&user, Action::ManageAccounts)?;
    let limit = page.limit()?;
    let after: Option<UserId> = id_cursor(page.cursor.as_deref())?;
    let items = state
        .db
        .read(move |conn| store::users::list(conn, after, limit).map_err(ApiError::from))
        .await?;
    let next_cursor = next_cursor(&items, limit, |u| u.id.to_string());
    Ok(web::Json(Page { items, next_cursor }))
}

/// Changes an account (admins only): disable or enable it (a disabled account is refused
/// at once and its sessions end), its display name, a staff member's programs. The audit
/// records what changed.
#[utoipa::path(patch, path = "/api/v1/users/{user_id}", tag = "accounts", request_body = UserUpdate,
    params(("user_id" = String, Path, format = Uuid)),
    responses((status = 200, body = User), (status = 403, body = kinthread_shared::api::ErrorBody),
        (status = 404, body = kinthread_shared::api::ErrorBody), (status = 422, body = kinthread_shared::api::ErrorBody)),
    security(("bearer" = [])))]
#[patch("/users/{user_id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<UserId>,
    body: Json<UserUpdate>,
) -> Result<web::Json<User>, ApiError> {
    access::require(&user, Action::ManageAccounts)?;
    let id = path.into_inner();
    let change = body.into_inner();
    if id == user.id && change.disabled == Some(true) {
        return Err(ApiError::validation(
            "disabled",
            "an administrator cannot disable their own account",
        ));
    }
    if let Some(name) = &change.display_name {
        check_name("display_name", name, 200).map_err(|e| ApiError::Validation(vec![e]))?;
    }
    let updated = state
        .db
        .write(move |conn| {
            let before = store::users::get(conn, id)?.ok_or(ApiError::NotFound("account"))?;
            if let Some(programs) = &change.program_ids {
                if before.user.role != AccountRole::Staff {
                    return Err(ApiError::validation(
                        "program_ids",
                        "only staff accounts belong to programs",
                    ));
                }
                if programs.is_empty() {
                    return Err(ApiError::validation(
                        "program_ids",
                        "staff accounts need at least one program",
                    ));
                }
                if store::programs::existing(conn, programs)?.len() != programs.len() {
                    return Err(ApiError::validation(
                        "program_ids",
                        "names a program that does not exist",
                    ));
                }
            }
            let account_change = store::users::AccountChange {
                disabled: change.disabled,
                login_locked: change.login_locked,
                display_name: change.display_name.clone().map(Some),
                program_ids: change.program_ids.clone(),
            };
            store::users::update(conn, id, &account_change, Utc::now())?;
            let after = store::users::get(conn, id)?.ok_or(ApiError::NotFound("account"))?;
            let changed = changed_fields(&before.user, &after.user);
            store::audit::record(
                conn,
                Some(&user),
                "user.update",
                after.user.family_id,
                Some(&format!("{id}: {changed}")),
            )?;
            Ok(after.user)
        })
        .await?;
    state.standings.forget(id);
    if change.login_locked == Some(false) {
        state.logins.succeeded(&updated.username, None);
    }
    Ok(web::Json(updated))
}

/// Resets an account's password (admins only): the answer shows a random one-time password,
/// once; the account signs in with it and must then choose its own (`POST /me/password`)
/// before anything else. Every session of the account ends at once, and a lockout after
/// wrong passwords is lifted. Audited (never the password).
#[utoipa::path(post, path = "/api/v1/users/{user_id}/password-reset", tag = "accounts",
    params(("user_id" = String, Path, format = Uuid)),
    responses((status = 200, body = PasswordReset, description = "the one-time password, shown only here"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such account"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: an admin's own account (change it with `POST /me/password`)")),
    security(("bearer" = [])))]
#[post("/users/{user_id}/password-reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<UserId>,
) -> Result<web::Json<PasswordReset>, ApiError> {
    access::require(&user, Action::ResetPassword)?;
    let id = path.into_inner();
    if id == user.id {
        return Err(ApiError::validation(
            "user_id",
            "change your own password with POST /api/v1/me/password",
        ));
    }
    let one_time_password = one_time_password();
    let passwords = state.passwords.clone();
    let password = one_time_password.clone();
    let hash = web::block(move || passwords.hash(&password))
        .await
        .map_err(ApiError::internal)??;
    let account = state
        .db
        .write(move |conn| {
            let before = store::users::get(conn, id)?.ok_or(ApiError::NotFound("account"))?;
            store::users::set_password(conn, id, &hash, true, Utc::now())?;
            store::audit::record(
                conn,
                Some(&user),
                "user.password_reset",
                before.user.family_id,
                Some(&format!(
                    "{id}: one-time password issued, must_change_password false -> true, sessions ended{}",
                    if before.login_locked { ", login_locked true -> false" } else { "" }
                )),
            )?;
            store::users::get(conn, id)?.ok_or(ApiError::NotFound("account"))
        })
        .await?;
    state.standings.forget(id);
    state.logins.succeeded(&account.user.username, None);
    Ok(web::Json(PasswordReset {
        user: account.user,
        one_time_password,
    }))
}

/// What the audit says changed of an account, e.g. `disabled false -> true`.
fn changed_fields(before: &User, after: &User) -> String {
    let mut changes = Vec::new();
    if before.disabled != after.disabled {
        changes.push(format!(
            "disabled {} -> {}",
            before.disabled, after.disabled
        ));
    }
    if before.login_locked != after.login_locked {
        changes.push(format!(
            "login_locked {} -> {}",
            before.login_locked, after.login_locked
        ));
    }
    if before.display_name != after.display_name {
        changes.push("display_name".to_owned());
    }
    if before.program_ids != after.program_ids {
        let list = |ids: &[kinthread_shared::ProgramId]| {
            ids.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        changes.push(format!(
            "program_ids [{}] -> [{}]",
            list(&before.program_ids),
            list(&after.program_ids)
        ));
    }
    if changes.is_empty() {
        "nothing".to_owned()
    } else {
        changes.join("; ")
    }
}
