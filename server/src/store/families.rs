//! Families (households): time zone, target cadence and consent.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use kinthread_shared::api::{Consent, Family, FamilyUpdate, NewFamily};
use kinthread_shared::{
    ConsentKind, ConsentVia, FamilyId, PersonId, ProgramId, TargetCadence, UserId,
};

use super::consent::{self, ConsentRow};
use super::{from_millis, to_millis};
use crate::db::DbConnection;
use crate::schema::{consent_records, families, programs};

/// A family row as stored: the family's own target (not the one in force) and `updated_at`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = families)]
#[diesel(treat_none_as_default_value = false)]
pub struct FamilyRow {
    pub id: FamilyId,
    pub display_name: String,
    pub program_id: Option<ProgramId>,
    pub time_zone: kinthread_shared::TimeZoneName,
    pub target_cadence_days: Option<TargetCadence>,
    /// A copy of the consent in force ([`sync_consent_copy`]); never read for a decision.
    pub guardian_consent: bool,
    pub share_notes_with_staff: bool,
    pub child_feedback_visible_to_parents: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FamilyRow {
    /// The family as the API shows it, with the target and the consent in force.
    pub fn into_family(
        self,
        program_target: Option<TargetCadence>,
        consent: Consent,
    ) -> QueryResult<Family> {
        Ok(Family {
            consent,
            id: self.id,
            display_name: self.display_name,
            program_id: self.program_id,
            time_zone: self.time_zone,
            target_cadence_days: TargetCadence::in_force(self.target_cadence_days, program_target),
            created_at: from_millis(self.created_at)?,
        })
    }
}

/// The programs' targets of the families among `rows` that have none of their own.
fn program_targets(
    conn: &mut DbConnection,
    rows: &[FamilyRow],
) -> QueryResult<HashMap<ProgramId, TargetCadence>> {
    let wanted: Vec<ProgramId> = rows
        .iter()
        .filter(|r| r.target_cadence_days.is_none())
        .filter_map(|r| r.program_id)
        .collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let query = programs::table.select((programs::id, programs::target_cadence_days));
    // One family (every request's access check) uses `=`, prepared once per connection.
    let found: Vec<(ProgramId, TargetCadence)> = match wanted.as_slice() {
        [one] => query.filter(programs::id.eq(one)).load(conn)?,
        many => query.filter(programs::id.eq_any(many)).load(conn)?,
    };
    Ok(found.into_iter().collect())
}

fn to_families(conn: &mut DbConnection, rows: Vec<FamilyRow>) -> QueryResult<Vec<Family>> {
    let targets = program_targets(conn, &rows)?;
    let ids: Vec<FamilyId> = rows.iter().map(|row| row.id).collect();
    let mut consents = consent::in_force(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let program_target = row.program_id.and_then(|p| targets.get(&p)).copied();
            let consent = consents.remove(&row.id).unwrap_or_default();
            row.into_family(program_target, consent)
        })
        .collect()
}

/// Creates a family; each consent its creator says is in force becomes a record, as given on
/// a paper form recorded by `by` (the admin who creates it).
pub fn insert(conn: &mut DbConnection, new: &NewFamily, by: UserId) -> QueryResult<Family> {
    let now = Utc::now();
    let row = FamilyRow {
        id: FamilyId::new(),
        display_name: new.display_name.trim().to_owned(),
        program_id: new.program_id,
        time_zone: new.time_zone.unwrap_or_default(),
        target_cadence_days: new.target_cadence_days,
        guardian_consent: false,
        share_notes_with_staff: false,
        child_feedback_visible_to_parents: false,
        created_at: to_millis(now),
        updated_at: to_millis(now),
    };
    insert_row(conn, &row)?;
    record_consent(
        conn,
        row.id,
        &new.consent,
        Some(by),
        ConsentVia::PaperForm,
        now,
    )?;
    get(conn, row.id)?.ok_or(diesel::result::Error::NotFound)
}

/// A record of each kind `consent` says is in force (guardian unknown).
pub fn record_consent(
    conn: &mut DbConnection,
    family: FamilyId,
    consent: &Consent,
    by: Option<UserId>,
    via: ConsentVia,
    at: chrono::DateTime<Utc>,
) -> QueryResult<()> {
    for (kind, given) in [
        (ConsentKind::DataKept, consent.guardian_consent),
        (
            ConsentKind::ShareNotesWithStaff,
            consent.share_notes_with_staff,
        ),
        (
            ConsentKind::FeedbackCountsToParents,
            consent.child_feedback_visible_to_parents,
        ),
        (ConsentKind::ChildAccount, consent.child_account),
        (
            ConsentKind::AnonymousStatistics,
            consent.anonymous_statistics,
        ),
    ] {
        if given {
            let row = ConsentRow::given(family, kind, None, by, via, None, at);
            consent::insert(conn, &row)?;
        }
    }
    sync_consent_copy(conn, family)
}

/// Rewrites the family row's copy of the consent in force, after a change of its records
/// (for readers of the table; the server decides from the records).
pub fn sync_consent_copy(conn: &mut DbConnection, family: FamilyId) -> QueryResult<()> {
    let now = consent::of_family(conn, family)?;
    diesel::update(families::table.filter(families::id.eq(family)))
        .set((
            families::guardian_consent.eq(now.guardian_consent),
            families::share_notes_with_staff.eq(now.share_notes_with_staff),
            families::child_feedback_visible_to_parents.eq(now.child_feedback_visible_to_parents),
        ))
        .execute(conn)
        .map(drop)
}

/// Stores a row as given (bundle imports keep their ids and times).
pub fn insert_row(conn: &mut DbConnection, row: &FamilyRow) -> QueryResult<()> {
    diesel::insert_into(families::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The row as stored.
pub fn row(conn: &mut DbConnection, id: FamilyId) -> QueryResult<Option<FamilyRow>> {
    families::table
        .filter(families::id.eq(id))
        .select(FamilyRow::as_select())
        .first(conn)
        .optional()
}

/// One family as the API shows it. Every access check loads one, so it costs one statement on
/// most requests: the row, its program's target and the consent records in force come
/// joined (a row for each record); the family's child accounts are read besides only where a
/// guardian's consent to feedback counts makes them matter ([`consent::compose_read`]).
pub fn get(conn: &mut DbConnection, id: FamilyId) -> QueryResult<Option<Family>> {
    type Joined = (
        FamilyRow,
        Option<TargetCadence>,
        Option<(ConsentKind, Option<PersonId>)>,
    );
    let rows: Vec<Joined> = families::table
        .left_join(programs::table.on(families::program_id.eq(programs::id.nullable())))
        .left_join(
            consent_records::table.on(consent_records::family_id
                .eq(families::id)
                .and(consent_records::withdrawn_at.is_null())),
        )
        .filter(families::id.eq(id))
        .select((
            FamilyRow::as_select(),
            programs::target_cadence_days.nullable(),
            (consent_records::kind, consent_records::person_id).nullable(),
        ))
        .load(conn)?;
    let Some((row, program_target, _)) = rows.first().cloned() else {
        return Ok(None);
    };
    let in_force: Vec<(ConsentKind, Option<PersonId>)> = rows
        .into_iter()
        .filter_map(|(_, _, record)| record)
        .collect();
    let consent = consent::compose_read(conn, id, &in_force)?;
    row.into_family(program_target, consent).map(Some)
}

/// Families in id order after `after`; `programs_only` restricts to some programs (staff).
pub fn list(
    conn: &mut DbConnection,
    programs_only: Option<&[ProgramId]>,
    after: Option<FamilyId>,
    limit: i64,
) -> QueryResult<Vec<Family>> {
    let mut query = families::table
        .select(FamilyRow::as_select())
        .order(families::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(ids) = programs_only {
        query = query.filter(families::program_id.eq_any(ids));
    }
    if let Some(after) = after {
        query = query.filter(families::id.gt(after));
    }
    let rows = query.load(conn)?;
    to_families(conn, rows)
}

/// Whether another family than `except` in `program` has this display name (names are
/// stored trimmed).
pub fn name_taken(
    conn: &mut DbConnection,
    program: ProgramId,
    name: &str,
    except: Option<FamilyId>,
) -> QueryResult<bool> {
    let mut query = families::table
        .filter(families::program_id.eq(program))
        .filter(families::display_name.eq(name.trim()))
        .select(families::id)
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(families::id.ne(except));
    }
    Ok(query.first::<FamilyId>(conn).optional()?.is_some())
}

/// Changes the family's settings (consent is changed through `store::consent`).
pub fn update(
    conn: &mut DbConnection,
    id: FamilyId,
    change: &FamilyUpdate,
) -> QueryResult<Option<Family>> {
    let target = || families::table.filter(families::id.eq(id));
    if let Some(name) = &change.display_name {
        diesel::update(target())
            .set(families::display_name.eq(name.trim()))
            .execute(conn)?;
    }
    if let Some(tz) = change.time_zone {
        diesel::update(target())
            .set(families::time_zone.eq(tz))
            .execute(conn)?;
    }
    if let Some(days) = change.target_cadence_days {
        diesel::update(target())
            .set(families::target_cadence_days.eq(Some(days)))
            .execute(conn)?;
    }
    if let Some(program) = change.program_id {
        diesel::update(target())
            .set(families::program_id.eq(program))
            .execute(conn)?;
    }
    diesel::update(target())
        .set(families::updated_at.eq(to_millis(Utc::now())))
        .execute(conn)?;
    get(conn, id)
}
