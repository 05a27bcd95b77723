//! User accounts, their staff programs, and refresh tokens.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use kinthread_shared::api::{NewUser, User};
use kinthread_shared::{AccountRole, FamilyId, PersonId, ProgramId, UserId};
use uuid::Uuid;

use super::{from_millis, parse_stored, to_millis};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::schema::{refresh_tokens, staff_programs, users};

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    i64,
);

const COLUMNS: (
    users::id,
    users::username,
    users::password_hash,
    users::role,
    users::display_name,
    users::family_id,
    users::person_id,
    users::disabled,
    users::created_at,
) = (
    users::id,
    users::username,
    users::password_hash,
    users::role,
    users::display_name,
    users::family_id,
    users::person_id,
    users::disabled,
    users::created_at,
);

/// An account as stored, with its password hash; never sent to a client.
#[derive(Clone, Debug)]
pub struct Account {
    pub user: User,
    pub password_hash: String,
    pub disabled: bool,
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

fn to_account(conn: &mut DbConnection, row: Row) -> QueryResult<Account> {
    let (id, username, hash, role, display_name, family, person, disabled, created) = row;
    let role: AccountRole = parse_stored("role", &role)?;
    let program_ids = if role == AccountRole::Staff {
        super::programs::of_staff(conn, &id)?
    } else {
        Vec::new()
    };
    Ok(Account {
        user: User {
            id: parse_stored("user id", &id)?,
            username,
            display_name,
            role,
            family_id: family
                .map(|f| parse_stored::<FamilyId>("family id", &f))
                .transpose()?,
            person_id: person
                .map(|p| parse_stored::<PersonId>("person id", &p))
                .transpose()?,
            program_ids,
            created_at: from_millis(created)?,
        },
        password_hash: hash,
        disabled,
    })
}

/// Usernames are compared case-insensitively: stored folded.
pub fn fold_username(username: &str) -> String {
    username.trim().to_lowercase()
}

pub fn insert(conn: &mut DbConnection, new: &NewUser, password_hash: &str) -> QueryResult<User> {
    let id = UserId::new();
    conn.transaction(|conn| {
        diesel::insert_into(users::table)
            .values((
                users::id.eq(id.to_string()),
                users::username.eq(fold_username(&new.username)),
                users::password_hash.eq(password_hash),
                users::role.eq(new.role.as_str()),
                users::display_name.eq(new.display_name.as_deref()),
                users::family_id.eq(new.family_id.map(|f| f.to_string())),
                users::person_id.eq(new.person_id.map(|p| p.to_string())),
                users::disabled.eq(false),
                users::created_at.eq(to_millis(Utc::now())),
            ))
            .execute(conn)?;
        for program in &new.program_ids {
            diesel::insert_into(staff_programs::table)
                .values((
                    staff_programs::user_id.eq(id.to_string()),
                    staff_programs::program_id.eq(program.to_string()),
                ))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    get(conn, id)?
        .map(|a| a.user)
        .ok_or(diesel::result::Error::NotFound)
}

pub fn get(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<Account>> {
    let row = users::table
        .filter(users::id.eq(id.to_string()))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?;
    row.map(|r| to_account(conn, r)).transpose()
}

pub fn by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<Account>> {
    let row = users::table
        .filter(users::username.eq(fold_username(username)))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?;
    row.map(|r| to_account(conn, r)).transpose()
}

pub fn list(conn: &mut DbConnection, after: Option<UserId>, limit: i64) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .select(COLUMNS)
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_string()));
    }
    let rows = query.load::<Row>(conn)?;
    rows.into_iter()
        .map(|r| to_account(conn, r).map(|a| a.user))
        .collect()
}

pub fn count_admins(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(AccountRole::Admin.as_str()))
        .count()
        .get_result(conn)
}

pub fn staff_of_programs(conn: &mut DbConnection, programs: &[ProgramId]) -> QueryResult<i64> {
    staff_programs::table
        .filter(staff_programs::program_id.eq_any(programs.iter().map(|p| p.to_string())))
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
            refresh_tokens::id.eq(Uuid::now_v7().to_string()),
            refresh_tokens::user_id.eq(user_id.to_string()),
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
        .first::<(String, String, i64, Option<i64>)>(conn)
        .optional()?;
    let Some((id, user_id, expires_at, revoked_at)) = row else {
        return Ok(RefreshUse::Invalid);
    };
    if revoked_at.is_some() {
        revoke_all(conn, &user_id, now)?;
        return Ok(RefreshUse::Replayed);
    }
    if expires_at <= to_millis(now) {
        return Ok(RefreshUse::Invalid);
    }
    // The filter on revoked_at makes two concurrent uses of one token succeed only once.
    let updated = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(&id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(to_millis(now))))
    .execute(conn)?;
    if updated == 0 {
        return Ok(RefreshUse::Replayed);
    }
    Ok(RefreshUse::Used(parse_stored("user id", &user_id)?))
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

pub fn revoke_all(conn: &mut DbConnection, user_id: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(to_millis(now))))
    .execute(conn)?;
    Ok(())
}
