//! Families (households): time zone, target cadence and consent.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use kinthread_shared::api::{Consent, Family, FamilyUpdate, NewFamily};
use kinthread_shared::{FamilyId, ProgramId};

use super::programs::DEFAULT_TARGET_DAYS;
use super::{from_millis, parse_stored, to_millis};
use crate::db::DbConnection;
use crate::schema::{families, programs};

pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

type Row = (
    String,
    String,
    Option<String>,
    String,
    Option<i32>,
    bool,
    bool,
    bool,
    i64,
);

const COLUMNS: (
    families::id,
    families::display_name,
    families::program_id,
    families::time_zone,
    families::target_cadence_days,
    families::guardian_consent,
    families::share_notes_with_staff,
    families::child_feedback_visible_to_parents,
    families::created_at,
) = (
    families::id,
    families::display_name,
    families::program_id,
    families::time_zone,
    families::target_cadence_days,
    families::guardian_consent,
    families::share_notes_with_staff,
    families::child_feedback_visible_to_parents,
    families::created_at,
);

/// Turns rows into families, filling in the program's target where the family has none.
fn to_families(conn: &mut DbConnection, rows: Vec<Row>) -> QueryResult<Vec<Family>> {
    let wanted: Vec<&String> = rows
        .iter()
        .filter(|r| r.4.is_none())
        .filter_map(|r| r.2.as_ref())
        .collect();
    let program_targets: HashMap<String, i32> = if wanted.is_empty() {
        HashMap::new()
    } else {
        let query = programs::table.select((programs::id, programs::target_cadence_days));
        // One family (every request's access check) uses `=`, prepared once per connection.
        match wanted.as_slice() {
            [one] => query
                .filter(programs::id.eq(*one))
                .load::<(String, i32)>(conn)?,
            many => query
                .filter(programs::id.eq_any(many))
                .load::<(String, i32)>(conn)?,
        }
        .into_iter()
        .collect()
    };
    rows.into_iter()
        .map(
            |(id, name, program, tz, own, guardian, share, feedback, created)| {
                let program_target = program
                    .as_ref()
                    .and_then(|p| program_targets.get(p))
                    .copied();
                Ok(Family {
                    id: parse_stored("family id", &id)?,
                    display_name: name,
                    program_id: program
                        .map(|p| parse_stored::<ProgramId>("program id", &p))
                        .transpose()?,
                    time_zone: tz,
                    target_cadence_days: own.or(program_target).unwrap_or(DEFAULT_TARGET_DAYS),
                    consent: Consent {
                        guardian_consent: guardian,
                        share_notes_with_staff: share,
                        child_feedback_visible_to_parents: feedback,
                    },
                    created_at: from_millis(created)?,
                })
            },
        )
        .collect()
}

pub fn insert(conn: &mut DbConnection, new: &NewFamily) -> QueryResult<Family> {
    let id = FamilyId::new();
    let now = to_millis(Utc::now());
    diesel::insert_into(families::table)
        .values((
            families::id.eq(id.to_string()),
            families::display_name.eq(new.display_name.trim()),
            families::program_id.eq(new.program_id.map(|p| p.to_string())),
            families::time_zone.eq(new.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE)),
            families::target_cadence_days.eq(new.target_cadence_days),
            families::guardian_consent.eq(new.consent.guardian_consent),
            families::share_notes_with_staff.eq(new.consent.share_notes_with_staff),
            families::child_feedback_visible_to_parents
                .eq(new.consent.child_feedback_visible_to_parents),
            families::created_at.eq(now),
            families::updated_at.eq(now),
        ))
        .execute(conn)?;
    get(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn get(conn: &mut DbConnection, id: FamilyId) -> QueryResult<Option<Family>> {
    let rows = families::table
        .filter(families::id.eq(id.to_string()))
        .select(COLUMNS)
        .load::<Row>(conn)?;
    Ok(to_families(conn, rows)?.into_iter().next())
}

/// Families in id order after `after`; `programs_only` restricts to some programs (staff).
pub fn list(
    conn: &mut DbConnection,
    programs_only: Option<&[ProgramId]>,
    after: Option<FamilyId>,
    limit: i64,
) -> QueryResult<Vec<Family>> {
    let mut query = families::table
        .select(COLUMNS)
        .order(families::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(ids) = programs_only {
        query = query.filter(families::program_id.eq_any(ids.iter().map(|i| i.to_string())));
    }
    if let Some(after) = after {
        query = query.filter(families::id.gt(after.to_string()));
    }
    let rows = query.load::<Row>(conn)?;
    to_families(conn, rows)
}

pub fn update(
    conn: &mut DbConnection,
    id: FamilyId,
    change: &FamilyUpdate,
) -> QueryResult<Option<Family>> {
    let target = || families::table.filter(families::id.eq(id.to_string()));
    if let Some(name) = &change.display_name {
        diesel::update(target())
            .set(families::display_name.eq(name.trim()))
            .execute(conn)?;
    }
    if let Some(tz) = &change.time_zone {
        diesel::update(target())
            .set(families::time_zone.eq(tz))
            .execute(conn)?;
    }
    if let Some(days) = change.target_cadence_days {
        diesel::update(target())
            .set(families::target_cadence_days.eq(days))
            .execute(conn)?;
    }
    if let Some(consent) = change.consent {
        diesel::update(target())
            .set((
                families::guardian_consent.eq(consent.guardian_consent),
                families::share_notes_with_staff.eq(consent.share_notes_with_staff),
                families::child_feedback_visible_to_parents
                    .eq(consent.child_feedback_visible_to_parents),
            ))
            .execute(conn)?;
    }
    diesel::update(target())
        .set(families::updated_at.eq(to_millis(Utc::now())))
        .execute(conn)?;
    get(conn, id)
}
