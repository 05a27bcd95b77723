//! The conversation prompts shown to each parent's account, one per child's routine streak
//! (see `kinthread_shared::reminders::KeptPrompt`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kinthread_shared::reminders::KeptPrompt;
use kinthread_shared::{FamilyId, PersonId, UserId};

use super::{from_millis, to_millis};
use crate::db::DbConnection;
use crate::schema::prompt_history;

/// How many of an account's latest shown prompts are read back: more than the few that are
/// not repeated, and more than one per child of any family.
pub const RECENT: i64 = 50;

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = prompt_history)]
struct PromptHistoryRow {
    family_id: FamilyId,
    user_id: UserId,
    child_id: PersonId,
    last_routine_contact_at: i64,
    prompt_id: String,
    shown_at: i64,
}

/// The account's latest shown prompts, oldest first.
pub fn recent(
    conn: &mut DbConnection,
    family_id: FamilyId,
    user_id: UserId,
) -> QueryResult<Vec<KeptPrompt>> {
    let mut rows: Vec<PromptHistoryRow> = prompt_history::table
        .filter(prompt_history::family_id.eq(family_id))
        .filter(prompt_history::user_id.eq(user_id))
        .order((
            prompt_history::shown_at.desc(),
            prompt_history::last_routine_contact_at.desc(),
        ))
        .limit(RECENT)
        .select(PromptHistoryRow::as_select())
        .load(conn)?;
    rows.reverse();
    rows.into_iter()
        .map(|row| {
            Ok(KeptPrompt {
                child: row.child_id,
                last_routine_contact_at: from_millis(row.last_routine_contact_at)?,
                prompt_id: row.prompt_id,
            })
        })
        .collect()
}

/// Records that `shown` was shown to the account at `at`. A streak that has a prompt already
/// (a second request racing the first) keeps the one it has: returns whether it was stored.
pub fn record(
    conn: &mut DbConnection,
    family_id: FamilyId,
    user_id: UserId,
    shown: &KeptPrompt,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let row = PromptHistoryRow {
        family_id,
        user_id,
        child_id: shown.child,
        last_routine_contact_at: to_millis(shown.last_routine_contact_at),
        prompt_id: shown.prompt_id.clone(),
        shown_at: to_millis(at),
    };
    // A savepoint, so that on PostgreSQL a duplicate does not abort the whole transaction.
    let stored = conn.transaction(|conn| {
        diesel::insert_into(prompt_history::table)
            .values(&row)
            .execute(conn)
    });
    match stored {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(other) => Err(other),
    }
}
