//! Programs: an organisation's caseload.

use chrono::Utc;
use diesel::prelude::*;
use kinthread_shared::ProgramId;
use kinthread_shared::api::{NewProgram, Program};

use super::{from_millis, parse_stored, to_millis};
use crate::db::DbConnection;
use crate::schema::{programs, staff_programs};

/// The target cadence when neither family nor program sets one (Minor Protection Law, Art. 23).
pub const DEFAULT_TARGET_DAYS: i32 = 7;

type Row = (String, String, i32, i64);

fn to_program((id, name, target, created_at): Row) -> QueryResult<Program> {
    Ok(Program {
        id: parse_stored("program id", &id)?,
        name,
        target_cadence_days: target,
        created_at: from_millis(created_at)?,
    })
}

const COLUMNS: (
    programs::id,
    programs::name,
    programs::target_cadence_days,
    programs::created_at,
) = (
    programs::id,
    programs::name,
    programs::target_cadence_days,
    programs::created_at,
);

pub fn insert(conn: &mut DbConnection, new: &NewProgram) -> QueryResult<Program> {
    let program = Program {
        id: ProgramId::new(),
        name: new.name.trim().to_owned(),
        target_cadence_days: new.target_cadence_days.unwrap_or(DEFAULT_TARGET_DAYS),
        created_at: Utc::now(),
    };
    diesel::insert_into(programs::table)
        .values((
            programs::id.eq(program.id.to_string()),
            programs::name.eq(&program.name),
            programs::target_cadence_days.eq(program.target_cadence_days),
            programs::created_at.eq(to_millis(program.created_at)),
        ))
        .execute(conn)?;
    // Read back so the answer carries exactly what was stored (millisecond precision).
    get(conn, program.id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn get(conn: &mut DbConnection, id: ProgramId) -> QueryResult<Option<Program>> {
    programs::table
        .filter(programs::id.eq(id.to_string()))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(to_program)
        .transpose()
}

/// Programs in id order after `after`; `only` restricts to a staff member's programs.
pub fn list(
    conn: &mut DbConnection,
    only: Option<&[ProgramId]>,
    after: Option<ProgramId>,
    limit: i64,
) -> QueryResult<Vec<Program>> {
    let mut query = programs::table
        .select(COLUMNS)
        .order(programs::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(programs::id.eq_any(ids.iter().map(|i| i.to_string())));
    }
    if let Some(after) = after {
        query = query.filter(programs::id.gt(after.to_string()));
    }
    query
        .load::<Row>(conn)?
        .into_iter()
        .map(to_program)
        .collect()
}

/// The programs a staff member works in.
pub fn of_staff(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<ProgramId>> {
    staff_programs::table
        .filter(staff_programs::user_id.eq(user_id))
        .select(staff_programs::program_id)
        .load::<String>(conn)?
        .iter()
        .map(|id| parse_stored("program id", id))
        .collect()
}

/// Which of `ids` exist.
pub fn existing(conn: &mut DbConnection, ids: &[ProgramId]) -> QueryResult<Vec<ProgramId>> {
    programs::table
        .filter(programs::id.eq_any(ids.iter().map(|i| i.to_string())))
        .select(programs::id)
        .load::<String>(conn)?
        .iter()
        .map(|id| parse_stored("program id", id))
        .collect()
}
