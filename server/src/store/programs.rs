//! Programs: an organisation's caseload.

use chrono::Utc;
use diesel::prelude::*;
use kinthread_shared::api::{NewProgram, Program, ProgramUpdate};
use kinthread_shared::attention::Thresholds;
use kinthread_shared::{ProgramId, TargetCadence, UserId};

use super::{from_millis, to_millis};
use crate::db::DbConnection;
use crate::schema::{programs, staff_programs};

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = programs)]
pub struct ProgramRow {
    pub id: ProgramId,
    pub name: String,
    pub target_cadence_days: TargetCadence,
    pub created_at: i64,
    /// JSON of [`Thresholds`]; `None` keeps the defaults.
    pub attention_thresholds: Option<String>,
    /// Months after which contacts and check-ins are erased; `None` keeps everything.
    pub retention_months: Option<i32>,
}

impl ProgramRow {
    pub fn into_program(self) -> QueryResult<Program> {
        Ok(Program {
            attention_thresholds: thresholds(self.attention_thresholds.as_deref())?,
            id: self.id,
            name: self.name,
            target_cadence_days: self.target_cadence_days,
            retention_months: self
                .retention_months
                .map(|months| {
                    u16::try_from(months).map_err(|_| {
                        diesel::result::Error::DeserializationError(
                            format!("a program's stored retention period {months}").into(),
                        )
                    })
                })
                .transpose()?,
            created_at: from_millis(self.created_at)?,
        })
    }
}

/// The thresholds a stored value stands for (the defaults for `None`).
pub fn thresholds(stored: Option<&str>) -> QueryResult<Thresholds> {
    match stored {
        None => Ok(Thresholds::default()),
        Some(json) => Thresholds::from_json(json).map_err(|e| {
            diesel::result::Error::DeserializationError(
                format!("a program's stored attention thresholds: {e}").into(),
            )
        }),
    }
}

/// The stored form of `thresholds`: `None` for the defaults, so that a program that never
/// changed them follows later changes of the defaults.
pub fn stored_thresholds(thresholds: &Thresholds) -> QueryResult<Option<String>> {
    if *thresholds == Thresholds::default() {
        return Ok(None);
    }
    serde_json::to_string(thresholds)
        .map(Some)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

pub fn insert(conn: &mut DbConnection, new: &NewProgram) -> QueryResult<Program> {
    let row = ProgramRow {
        id: ProgramId::new(),
        name: new.name.trim().to_owned(),
        target_cadence_days: new.target_cadence_days.unwrap_or_default(),
        created_at: to_millis(Utc::now()),
        attention_thresholds: None,
        retention_months: None,
    };
    insert_row(conn, &row)?;
    // Read back so the answer carries exactly what was stored (millisecond precision).
    get(conn, row.id)?.ok_or(diesel::result::Error::NotFound)
}

/// Stores a row as given (bundle imports keep their ids and times).
pub fn insert_row(conn: &mut DbConnection, row: &ProgramRow) -> QueryResult<()> {
    diesel::insert_into(programs::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn get(conn: &mut DbConnection, id: ProgramId) -> QueryResult<Option<Program>> {
    programs::table
        .filter(programs::id.eq(id))
        .select(ProgramRow::as_select())
        .first(conn)
        .optional()?
        .map(ProgramRow::into_program)
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
        .select(ProgramRow::as_select())
        .order(programs::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(programs::id.eq_any(ids));
    }
    if let Some(after) = after {
        query = query.filter(programs::id.gt(after));
    }
    query
        .load(conn)?
        .into_iter()
        .map(ProgramRow::into_program)
        .collect()
}

/// The programs a staff member works in.
pub fn of_staff(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<ProgramId>> {
    staff_programs::table
        .filter(staff_programs::user_id.eq(user_id))
        .select(staff_programs::program_id)
        .load(conn)
}

/// Which of `ids` exist.
pub fn existing(conn: &mut DbConnection, ids: &[ProgramId]) -> QueryResult<Vec<ProgramId>> {
    programs::table
        .filter(programs::id.eq_any(ids))
        .select(programs::id)
        .load(conn)
}

/// Whether a program other than `except` has this name (names are stored trimmed).
pub fn name_taken(
    conn: &mut DbConnection,
    name: &str,
    except: Option<ProgramId>,
) -> QueryResult<bool> {
    let mut query = programs::table
        .filter(programs::name.eq(name.trim()))
        .select(programs::id)
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(programs::id.ne(except));
    }
    Ok(query.first::<ProgramId>(conn).optional()?.is_some())
}

/// Applies `update` (its name trimmed and its thresholds checked already); answers the
/// program as it was and as it is, or `None` when there is no such program.
pub fn update(
    conn: &mut DbConnection,
    id: ProgramId,
    update: &ProgramUpdate,
) -> QueryResult<Option<(Program, Program)>> {
    let Some(before) = get(conn, id)? else {
        return Ok(None);
    };
    if let Some(name) = &update.name {
        diesel::update(programs::table.filter(programs::id.eq(id)))
            .set(programs::name.eq(name.trim()))
            .execute(conn)?;
    }
    if let Some(days) = update.target_cadence_days {
        diesel::update(programs::table.filter(programs::id.eq(id)))
            .set(programs::target_cadence_days.eq(days))
            .execute(conn)?;
    }
    if let Some(thresholds) = &update.attention_thresholds {
        diesel::update(programs::table.filter(programs::id.eq(id)))
            .set(programs::attention_thresholds.eq(stored_thresholds(thresholds)?))
            .execute(conn)?;
    }
    if let Some(months) = update.retention_months {
        diesel::update(programs::table.filter(programs::id.eq(id)))
            .set(programs::retention_months.eq(months.map(i32::from)))
            .execute(conn)?;
    }
    let after = get(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    Ok(Some((before, after)))
}
