//! The audit log: who read or changed what, when. Staff reads of a family's data are recorded
//! here; a contact or check-in records its own author and time in its row.

use chrono::Utc;
use diesel::prelude::*;
use kinthread_shared::api::AuditEntry;
use kinthread_shared::{FamilyId, UserId};
use uuid::Uuid;

use super::{from_millis, parse_stored, to_millis};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::schema::audit_log;

pub fn record(
    conn: &mut DbConnection,
    actor: Option<&AuthUser>,
    action: &str,
    family_id: Option<FamilyId>,
    target: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(Uuid::now_v7().to_string()),
            audit_log::at.eq(to_millis(Utc::now())),
            audit_log::actor_id.eq(actor.map(|a| a.id.to_string())),
            audit_log::actor_role.eq(actor.map(|a| a.role.as_str())),
            audit_log::action.eq(action),
            audit_log::family_id.eq(family_id.map(|f| f.to_string())),
            audit_log::target.eq(target),
        ))
        .execute(conn)?;
    Ok(())
}

type Row = (
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

/// The newest entries first, optionally for one family, before a cursor (an entry id).
pub fn list(
    conn: &mut DbConnection,
    family_id: Option<FamilyId>,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor_id,
            audit_log::actor_role,
            audit_log::action,
            audit_log::family_id,
            audit_log::target,
        ))
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(family) = family_id {
        query = query.filter(audit_log::family_id.eq(family.to_string()));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before.to_owned()));
    }
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter()
        .map(
            |(id, at, actor_id, actor_role, action, family_id, target)| {
                Ok(AuditEntry {
                    id: parse_stored("audit id", &id)?,
                    at: from_millis(at)?,
                    actor_id: actor_id
                        .map(|v| parse_stored::<UserId>("actor", &v))
                        .transpose()?,
                    actor_role: actor_role
                        .map(|v| parse_stored("actor role", &v))
                        .transpose()?,
                    action,
                    family_id: family_id
                        .map(|v| parse_stored("family id", &v))
                        .transpose()?,
                    target,
                })
            },
        )
        .collect()
}
