//! The audit log: who read or changed what, when. Staff reads of a family's data are recorded
//! here; a contact or check-in records its own author and time in its row.

use chrono::Utc;
use diesel::prelude::*;
use kinthread_shared::api::AuditEntry;
use kinthread_shared::{AccountRole, AuditId, FamilyId, UserId};

use super::{from_millis, to_millis};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::schema::{audit_log, users};

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
#[diesel(treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: AuditId,
    pub at: i64,
    pub actor_id: Option<UserId>,
    pub actor_role: Option<AccountRole>,
    pub action: String,
    pub family_id: Option<FamilyId>,
    pub target: Option<String>,
    /// Why a staff member or an admin read a family's data, where they said.
    pub purpose: Option<String>,
}

impl AuditRow {
    fn into_entry(self) -> QueryResult<AuditEntry> {
        Ok(AuditEntry {
            id: self.id,
            at: from_millis(self.at)?,
            actor_id: self.actor_id,
            actor_role: self.actor_role,
            action: self.action,
            family_id: self.family_id,
            target: self.target,
            purpose: self.purpose,
            actor_name: None,
        })
    }
}

pub fn record(
    conn: &mut DbConnection,
    actor: Option<&AuthUser>,
    action: &str,
    family_id: Option<FamilyId>,
    target: Option<&str>,
) -> QueryResult<()> {
    let row = AuditRow {
        id: AuditId::new(),
        at: to_millis(Utc::now()),
        actor_id: actor.map(|a| a.id),
        actor_role: actor.map(|a| a.role),
        action: action.to_owned(),
        family_id,
        target: target.map(str::to_owned),
        purpose: None,
    };
    diesel::insert_into(audit_log::table)
        .values(&row)
        .execute(conn)
        .map(drop)
}

/// The newest entries first, optionally for one family, before a cursor (an entry id).
pub fn list(
    conn: &mut DbConnection,
    family_id: Option<FamilyId>,
    before: Option<AuditId>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(family) = family_id {
        query = query.filter(audit_log::family_id.eq(family));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    let entries = query
        .load(conn)?
        .into_iter()
        .map(AuditRow::into_entry)
        .collect::<QueryResult<Vec<_>>>()?;
    with_names(conn, entries)
}

/// Records a read of a family's data by staff or an admin, with the purpose they stated.
pub fn record_read(
    conn: &mut DbConnection,
    actor: &AuthUser,
    action: &str,
    family_id: FamilyId,
    purpose: Option<&str>,
) -> QueryResult<()> {
    let row = AuditRow {
        id: AuditId::new(),
        at: to_millis(Utc::now()),
        actor_id: Some(actor.id),
        actor_role: Some(actor.role),
        action: action.to_owned(),
        family_id: Some(family_id),
        target: None,
        purpose: purpose.map(str::to_owned),
    };
    diesel::insert_into(audit_log::table)
        .values(&row)
        .execute(conn)
        .map(drop)
}

/// What staff and admins did with a family's data (reads with their purpose, changes), and
/// every refused attempt on it whoever made it, newest first.
pub fn access_log(
    conn: &mut DbConnection,
    family_id: FamilyId,
    before: Option<AuditId>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .filter(audit_log::family_id.eq(family_id))
        .filter(
            audit_log::actor_role
                .eq_any([AccountRole::Staff, AccountRole::Admin])
                .or(audit_log::action.like("refused %")),
        )
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    let entries = query
        .load(conn)?
        .into_iter()
        .map(AuditRow::into_entry)
        .collect::<QueryResult<Vec<_>>>()?;
    with_names(conn, entries)
}

/// Records one read of each of `families` (a caseload page's rows), in one statement.
pub fn record_reads(
    conn: &mut DbConnection,
    actor: &AuthUser,
    action: &str,
    families: &[FamilyId],
) -> QueryResult<()> {
    if families.is_empty() {
        return Ok(());
    }
    let at = to_millis(Utc::now());
    let rows: Vec<AuditRow> = families
        .iter()
        .map(|family| AuditRow {
            id: AuditId::new(),
            at,
            actor_id: Some(actor.id),
            actor_role: Some(actor.role),
            action: action.to_owned(),
            family_id: Some(*family),
            target: None,
            purpose: None,
        })
        .collect();
    // Multi-row inserts go through each engine's own connection (the multi-engine one has no
    // batch insert).
    for chunk in rows.chunks(100) {
        match conn {
            DbConnection::Sqlite(conn) => diesel::insert_into(audit_log::table)
                .values(chunk)
                .execute(conn)?,
            DbConnection::Postgres(conn) => diesel::insert_into(audit_log::table)
                .values(chunk)
                .execute(conn)?,
        };
    }
    Ok(())
}

/// The entries with their actors' names (display name, else username), in one query.
fn with_names(
    conn: &mut DbConnection,
    mut entries: Vec<AuditEntry>,
) -> QueryResult<Vec<AuditEntry>> {
    let mut ids: Vec<UserId> = entries.iter().filter_map(|e| e.actor_id).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(entries);
    }
    let names: std::collections::HashMap<UserId, String> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name, users::username))
        .load::<(UserId, Option<String>, String)>(conn)?
        .into_iter()
        .map(|(id, display, username)| (id, display.unwrap_or(username)))
        .collect();
    for entry in &mut entries {
        entry.actor_name = entry.actor_id.and_then(|id| names.get(&id).cloned());
    }
    Ok(entries)
}
