//! Raw reads and writes for family bundles that no other record's module has: the accounts a
//! bundle's records name, and amendment links written after the fact. A bundle's rows
//! themselves are each record's own row type (`families::FamilyRow`, `persons::PersonRow`,
//! `contacts::ContactRow`, `checkins::CheckinRow`), inserted with their ids kept. Deciding
//! what a bundle may hold and what counts as a conflict is `service::bundles`' job.

use diesel::prelude::*;
use kinthread_shared::{AccountRole, ContactId, FamilyId, UserId};

use super::users::{UserRow, insert_row};
use crate::db::DbConnection;
use crate::schema::{contacts, users};

/// Links an older version to the amendment that supersedes it.
pub fn set_superseded_by(
    conn: &mut DbConnection,
    family: FamilyId,
    id: ContactId,
    superseded_by: ContactId,
) -> QueryResult<()> {
    diesel::update(
        contacts::table
            .filter(contacts::family_id.eq(family))
            .filter(contacts::id.eq(id)),
    )
    .set(contacts::superseded_by.eq(Some(superseded_by)))
    .execute(conn)
    .map(drop)
}

/// Which of these user ids have an account here.
pub fn existing_users(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select(users::id)
        .load(conn)
}

/// A disabled staff account that only keeps an imported follow-up's author: it cannot sign
/// in (disabled, and no password hash verifies against `!`).
pub fn insert_placeholder_staff(conn: &mut DbConnection, id: UserId, now: i64) -> QueryResult<()> {
    insert_row(
        conn,
        &UserRow {
            id,
            username: format!("imported-staff-{}", id.as_uuid().simple()),
            password_hash: "!".to_owned(),
            role: AccountRole::Staff,
            display_name: Some("imported staff account".to_owned()),
            family_id: None,
            person_id: None,
            disabled: true,
            created_at: now,
            tokens_valid_after: 0,
            login_locked: false,
            must_change_password: false,
        },
    )
}
