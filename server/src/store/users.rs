//! User accounts, their staff programs, and refresh tokens.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use kinthread_shared::api::{NewUser, User};
use kinthread_shared::{AccountRole, FamilyId, PersonId, ProgramId, SessionId, UserId};

use super::{from_millis, to_millis};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::schema::{refresh_tokens, staff_programs, users};

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: UserId,
    /// Folded to lower case ([`fold_username`]).
    pub username: String,
    pub password_hash: String,
    pub role: AccountRole,
    pub display_name: Option<String>,
    pub family_id: Option<FamilyId>,
    pub person_id: Option<PersonId>,
    pub disabled: bool,
    pub created_at: i64,
    /// Access tokens issued before this (epoch ms) are refused.
    pub tokens_valid_after: i64,
    /// Locked after a long run of wrong passwords (`crate::throttle`); an admin unlocks it.
    pub login_locked: bool,
    /// Set by an admin's password reset, cleared when the account changes its password.
    pub must_change_password: bool,
}

/// An account as stored, with its password hash; never sent to a client.
#[derive(Clone, Debug)]
pub struct Account {
    pub user: User,
    pub password_hash: String,
    pub disabled: bool,
    pub login_locked: bool,
}

impl Account {
    pub fn auth_user(&self) -> AuthUser {
        AuthUser {
            id: self.user.id,
            role: self.user.role,
            family_id: self.user.family_id,
            person_id: self.user.person_id,
        }
    }
}

fn to_account(conn: &mut DbConnection, row: UserRow) -> QueryResult<Account> {
    let program_ids = if row.role == AccountRole::Staff {
        super::programs::of_staff(conn, row.id)?
    } else {
        Vec::new()
    };
    Ok(Account {
        user: User {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role: row.role,
            disabled: row.disabled,
            login_locked: row.login_locked,
            must_change_password: row.must_change_password,
            family_id: row.family_id,
            person_id: row.person_id,
            program_ids,
            created_at: from_millis(row.created_at)?,
        },
        password_hash: row.password_hash,
        disabled: row.disabled,
        login_locked: row.login_locked,
    })
}

/// Usernames are compared case-insensitively: stored folded.
pub fn fold_username(username: &str) -> String {
    username.trim().to_lowercase()
}

pub fn insert(conn: &mut DbConnection, new: &NewUser, password_hash: &str) -> QueryResult<User> {
    let id = UserId::new();
    conn.transaction(|conn| {
        insert_row(
            conn,
            &UserRow {
                id,
                username: fold_username(&new.username),
                password_hash: password_hash.to_owned(),
                role: new.role,
                display_name: new.display_name.clone(),
                family_id: new.family_id,
                person_id: new.person_id,
                disabled: false,
                created_at: to_millis(Utc::now()),
                tokens_valid_after: 0,
                login_locked: false,
                must_change_password: false,
            },
        )?;
        for program in &new.program_ids {
            diesel::insert_into(staff_programs::table)
                .values((
                    staff_programs::user_id.eq(id),
                    staff_programs::program_id.eq(program),
                ))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    get(conn, id)?
        .map(|a| a.user)
        .ok_or(diesel::result::Error::NotFound)
}

/// Stores a row as given (bundle imports keep their ids and times).
pub fn insert_row(conn: &mut DbConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn get(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<Account>> {
    let row = users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| to_account(conn, r)).transpose()
}

pub fn by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<Account>> {
    let row = users::table
        .filter(users::username.eq(fold_username(username)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| to_account(conn, r)).transpose()
}

pub fn list(conn: &mut DbConnection, after: Option<UserId>, limit: i64) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    let rows = query.load(conn)?;
    rows.into_iter()
        .map(|r| to_account(conn, r).map(|a| a.user))
        .collect()
}

/// What every request checks of its account: `(disabled, tokens_valid_after)`; `None` for
/// an account that no longer exists.
pub fn standing(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<(bool, i64)>> {
    users::table
        .filter(users::id.eq(id))
        .select((users::disabled, users::tokens_valid_after))
        .first(conn)
        .optional()
}

/// A change to an account (admins).
#[derive(Clone, Debug, Default)]
pub struct AccountChange {
    pub disabled: Option<bool>,
    /// `Some(false)` unlocks an account locked by wrong passwords.
    pub login_locked: Option<bool>,
    pub display_name: Option<Option<String>>,
    /// Staff accounts: the programs they work in, replacing the old list.
    pub program_ids: Option<Vec<ProgramId>>,
}

/// Applies `change`; disabling an account also ends every session it has (its refresh
/// tokens are revoked and its access tokens refused from `now` on).
pub fn update(
    conn: &mut DbConnection,
    id: UserId,
    change: &AccountChange,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let target = || users::table.filter(users::id.eq(id));
    if let Some(disabled) = change.disabled {
        diesel::update(target())
            .set(users::disabled.eq(disabled))
            .execute(conn)?;
        if disabled {
            end_sessions(conn, id, now)?;
        }
    }
    if let Some(locked) = change.login_locked {
        diesel::update(target())
            .set(users::login_locked.eq(locked))
            .execute(conn)?;
    }
    if let Some(name) = &change.display_name {
        diesel::update(target())
            .set(users::display_name.eq(name.as_deref()))
            .execute(conn)?;
    }
    if let Some(programs) = &change.program_ids {
        diesel::delete(staff_programs::table.filter(staff_programs::user_id.eq(id)))
            .execute(conn)?;
        for program in programs {
            diesel::insert_into(staff_programs::table)
                .values((
                    staff_programs::user_id.eq(id),
                    staff_programs::program_id.eq(program),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Replaces an account's password hash and ends every session it has. `must_change` marks a
/// one-time password an admin gave (the account must choose its own at next sign-in); a reset
/// also lifts a lockout, since the admin vouched for whoever gets the new password.
pub fn set_password(
    conn: &mut DbConnection,
    id: UserId,
    password_hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let target = users::table.filter(users::id.eq(id));
    if must_change {
        diesel::update(target)
            .set((
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(true),
                users::login_locked.eq(false),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set((
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(false),
            ))
            .execute(conn)?;
    }
    end_sessions(conn, id, now)
}

/// Ends every session of an account: its refresh tokens are deleted and the access tokens
/// it holds are refused from `now` on. Deleted, not revoked: a device that later presents
/// one is merely signed out, whereas a revoked token presented again counts as stolen and
/// would end the session begun after this (the one a password change hands out).
pub fn end_sessions(conn: &mut DbConnection, id: UserId, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(id))).execute(conn)?;
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::tokens_valid_after.eq(to_millis(now)))
        .execute(conn)
        .map(drop)
}

/// The roles of the accounts that speak for a person.
pub fn roles_of_person(conn: &mut DbConnection, person: PersonId) -> QueryResult<Vec<AccountRole>> {
    users::table
        .filter(users::person_id.eq(person))
        .select(users::role)
        .load(conn)
}

pub fn count_admins(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(AccountRole::Admin))
        .count()
        .get_result(conn)
}

pub fn staff_of_programs(conn: &mut DbConnection, programs: &[ProgramId]) -> QueryResult<i64> {
    staff_programs::table
        .filter(staff_programs::program_id.eq_any(programs))
        .count()
        .get_result(conn)
}

// ---- refresh tokens ---------------------------------------------------------------------------

pub fn insert_refresh_token(
    conn: &mut DbConnection,
    user_id: UserId,
    token_hash: &str,
    ttl: Duration,
) -> QueryResult<()> {
    let now = Utc::now();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(SessionId::new()),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::expires_at.eq(to_millis(now + ttl)),
            refresh_tokens::created_at.eq(to_millis(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// What became of a refresh token presented for use.
#[derive(Debug, PartialEq, Eq)]
pub enum RefreshUse {
    /// Valid: it is now revoked and the user may get a new pair.
    Used(UserId),
    /// Unknown or expired.
    Invalid,
    /// Revoked already: a replayed token. Every token of the user is revoked, since one of
    /// them has been stolen.
    Replayed,
}

/// Consumes a refresh token (one use only).
pub fn use_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<RefreshUse> {
    let row = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((
            refresh_tokens::id,
            refresh_tokens::user_id,
            refresh_tokens::expires_at,
            refresh_tokens::revoked_at,
        ))
        .first::<(SessionId, UserId, i64, Option<i64>)>(conn)
        .optional()?;
    let Some((id, user_id, expires_at, revoked_at)) = row else {
        return Ok(RefreshUse::Invalid);
    };
    if revoked_at.is_some() {
        revoke_all(conn, user_id, now)?;
        return Ok(RefreshUse::Replayed);
    }
    if expires_at <= to_millis(now) {
        return Ok(RefreshUse::Invalid);
    }
    // The filter on revoked_at makes two concurrent uses of one token succeed only once.
    let updated = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(to_millis(now))))
    .execute(conn)?;
    if updated == 0 {
        return Ok(RefreshUse::Replayed);
    }
    Ok(RefreshUse::Used(user_id))
}

/// Revokes one token (logout); returns whether it was live.
pub fn revoke_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let updated = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(to_millis(now))))
    .execute(conn)?;
    Ok(updated > 0)
}

pub fn revoke_all(conn: &mut DbConnection, user_id: UserId, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(to_millis(now))))
    .execute(conn)?;
    Ok(())
}
