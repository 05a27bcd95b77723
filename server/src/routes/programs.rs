//! Programs: admins create them; staff see their own.

use actix_web::{HttpResponse, get, patch, post, web};
use kinthread_shared::ProgramId;
use std::collections::BTreeMap;

use chrono::Utc;
use kinthread_shared::FamilyId;
use kinthread_shared::api::{
    ErrorBody, FieldError, MAX_RETENTION_MONTHS, NewProgram, Page, Program, ProgramStatistics,
    ProgramUpdate,
};
use kinthread_shared::validate::check_name;

use super::{PageQuery, id_cursor, next_cursor};
use crate::access::{self, Action};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::service::caseload::{self, CaseloadOrder, CaseloadRequest};
use crate::service::reports::ReportTime;
use crate::store;
use crate::store::reports::FamilyFilter;

fn check_new_program(new: &NewProgram) -> Result<(), ApiError> {
    // The cadence was checked when the body was read (`TargetCadence`).
    check_name("name", &new.name, 200).map_err(|e| ApiError::Validation(vec![e]))
}

/// Creates a program (admins only); program names are unique.
#[utoipa::path(post, path = "/api/v1/programs", tag = "programs", request_body = NewProgram,
    responses((status = 201, body = Program, description = "created"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 409, body = ErrorBody, description = "`duplicate_name`: a program of that name exists"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the name is empty or too long")),
    security(("bearer" = [])))]
#[post("/programs")]
pub async fn create_program(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<NewProgram>,
) -> Result<HttpResponse, ApiError> {
    access::require(&user, Action::CreateProgram)?;
    let new = body.into_inner();
    check_new_program(&new)?;
    let program = state
        .db
        .write(move |conn| {
            if store::programs::name_taken(conn, &new.name, None)? {
                return Err(ApiError::DuplicateName(
                    "a program of that name exists already".into(),
                ));
            }
            let program = store::programs::insert(conn, &new)?;
            store::audit::record(
                conn,
                Some(&user),
                "program.create",
                None,
                Some(&program.id.to_string()),
            )?;
            Ok::<_, ApiError>(program)
        })
        .await?;
    Ok(HttpResponse::Created().json(program))
}

/// Lists programs: all for admins, their own for staff.
#[utoipa::path(get, path = "/api/v1/programs", tag = "programs", params(PageQuery),
    responses((status = 200, body = Page<Program>, description = "in id order"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a family account")),
    security(("bearer" = [])))]
#[get("/programs")]
pub async fn list_programs(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<Program>>, ApiError> {
    access::require(&user, Action::ListPrograms)?;
    let limit = page.limit()?;
    let after: Option<ProgramId> = id_cursor(page.cursor.as_deref())?;
    let items = state
        .db
        .read(move |conn| {
            let only = access::program_scope(conn, &user, Action::ListPrograms)?;
            Ok::<_, ApiError>(store::programs::list(conn, only.as_deref(), after, limit)?)
        })
        .await?;
    let next_cursor = next_cursor(&items, limit, |p| p.id.to_string());
    Ok(web::Json(Page { items, next_cursor }))
}

/// One program: admins, and staff of that program.
#[utoipa::path(get, path = "/api/v1/programs/{program_id}", tag = "programs",
    params(("program_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Program, description = "the program"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a family account, or staff of another program"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such program")),
    security(("bearer" = [])))]
#[get("/programs/{program_id}")]
pub async fn get_program(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ProgramId>,
) -> Result<web::Json<Program>, ApiError> {
    let id = path.into_inner();
    let program = state
        .db
        .read(move |conn| {
            if let Some(mine) = access::program_scope(conn, &user, Action::ReadProgram)?
                && !mine.contains(&id)
            {
                return Err(ApiError::forbidden("see a program you do not work in"));
            }
            store::programs::get(conn, id)?.ok_or(ApiError::NotFound("program"))
        })
        .await?;
    Ok(web::Json(program))
}

/// Renames a program, sets its default cadence, its attention thresholds or its retention
/// period (admins only).
/// Audited with what changed.
#[utoipa::path(patch, path = "/api/v1/programs/{program_id}", tag = "programs",
    request_body = ProgramUpdate,
    params(("program_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Program, description = "the program as changed"),
        (status = 400, body = ErrorBody, description = "`invalid_body`: a cadence out of range or an unknown field"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such program"),
        (status = 409, body = ErrorBody, description = "`duplicate_name`: another program has that name"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the name is empty or too long, or a threshold makes no sense, or a retention period is out of 1..=600; `fields` says which")),
    security(("bearer" = [])))]
#[patch("/programs/{program_id}")]
pub async fn update_program(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ProgramId>,
    body: Json<ProgramUpdate>,
) -> Result<web::Json<Program>, ApiError> {
    access::require(&user, Action::ChangeProgram)?;
    let id = path.into_inner();
    let change = body.into_inner();
    let mut problems = Vec::new();
    if let Some(name) = &change.name
        && let Err(problem) = check_name("name", name, 200)
    {
        problems.push(problem);
    }
    if let Some(thresholds) = &change.attention_thresholds
        && let Err(errors) = thresholds.validate()
    {
        problems.extend(errors.0.iter().map(|error| FieldError {
            field: format!("attention_thresholds.{}", error.field()),
            message: error.to_string(),
        }));
    }
    if let Some(Some(months)) = change.retention_months
        && !(1..=MAX_RETENTION_MONTHS).contains(&months)
    {
        problems.push(FieldError {
            field: "retention_months".to_owned(),
            message: format!("from 1 to {MAX_RETENTION_MONTHS} months, or null"),
        });
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let program = state
        .db
        .write(move |conn| {
            if let Some(name) = &change.name
                && store::programs::name_taken(conn, name, Some(id))?
            {
                return Err(ApiError::DuplicateName(
                    "another program has that name".to_owned(),
                ));
            }
            let (before, after) =
                store::programs::update(conn, id, &change)?.ok_or(ApiError::NotFound("program"))?;
            let changed = program_changes(&before, &after);
            store::audit::record(
                conn,
                Some(&user),
                "program.update",
                None,
                Some(&format!("{id}: {changed}")),
            )?;
            Ok(after)
        })
        .await?;
    Ok(web::Json(program))
}

/// What an update changed, for the audit: field names with old and new values (a rename
/// keeps both names; thresholds are named by the fields that changed).
fn program_changes(before: &Program, after: &Program) -> String {
    let mut changed = Vec::new();
    if before.name != after.name {
        changed.push(format!("name {:?} -> {:?}", before.name, after.name));
    }
    if before.target_cadence_days != after.target_cadence_days {
        changed.push(format!(
            "target_cadence_days {} -> {}",
            before.target_cadence_days.days(),
            after.target_cadence_days.days()
        ));
    }
    if before.retention_months != after.retention_months {
        let months = |m: Option<u16>| m.map_or_else(|| "none".to_owned(), |m| m.to_string());
        changed.push(format!(
            "retention_months {} -> {}",
            months(before.retention_months),
            months(after.retention_months)
        ));
    }
    let (old, new) = (
        serde_json::to_value(&before.attention_thresholds).unwrap_or_default(),
        serde_json::to_value(&after.attention_thresholds).unwrap_or_default(),
    );
    if let (Some(old), Some(new)) = (old.as_object(), new.as_object()) {
        for (field, value) in new {
            if old.get(field) != Some(value) {
                let was = old.get(field).map(ToString::to_string).unwrap_or_default();
                changed.push(format!("attention_thresholds.{field} {was} -> {value}"));
            }
        }
    }
    if changed.is_empty() {
        "nothing".to_owned()
    } else {
        changed.join(", ")
    }
}

/// A program's anonymous statistics (admins, and staff of the program): families by gap status
/// and attention level, counting only those whose guardians consented to it. Computed from the
/// caseload as of now over the default window.
#[utoipa::path(get, path = "/api/v1/programs/{program_id}/statistics", tag = "programs",
    params(("program_id" = String, Path, format = Uuid)),
    responses((status = 200, body = ProgramStatistics, description = "counts, no family named"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a family account, or staff of another program"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such program")),
    security(("bearer" = [])))]
#[get("/programs/{program_id}/statistics")]
pub async fn program_statistics(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ProgramId>,
) -> Result<web::Json<ProgramStatistics>, ApiError> {
    let id = path.into_inner();
    // Staff and admins only: read on the standby when there is one (`Db::for_reports`).
    let db = state.db.for_reports();
    let statistics = db
        .clone()
        .read(move |conn| {
            if let Some(mine) = access::program_scope(conn, &user, Action::ReadProgram)?
                && !mine.contains(&id)
            {
                return Err(ApiError::forbidden("see a program you do not work in"));
            }
            store::programs::get(conn, id)?.ok_or(ApiError::NotFound("program"))?;
            let time = ReportTime::parse(None, None, Utc::now())?;
            let page = caseload::caseload(
                &db,
                conn,
                &CaseloadRequest {
                    filter: FamilyFilter::Programs(vec![id]),
                    order: CaseloadOrder::Attention,
                    time,
                    include_snoozed: true,
                    offset: 0,
                    limit: usize::MAX,
                    chunk_families: caseload::CHUNK_FAMILIES,
                },
            )?;
            let ids: Vec<FamilyId> = page.rows.iter().map(|row| row.family_id).collect();
            let consents = store::consent::in_force(conn, &ids)?;
            let mut statistics = ProgramStatistics {
                program_id: id,
                as_of: time.as_of,
                families: u32::try_from(page.rows.len()).unwrap_or(u32::MAX),
                counted: 0,
                by_status: BTreeMap::new(),
                by_attention: BTreeMap::new(),
            };
            for row in &page.rows {
                if !consents
                    .get(&row.family_id)
                    .is_some_and(|c| c.anonymous_statistics)
                {
                    continue;
                }
                statistics.counted += 1;
                *statistics
                    .by_status
                    .entry(row.status.as_str().to_owned())
                    .or_default() += 1;
                *statistics
                    .by_attention
                    .entry(row.attention_level.as_str().to_owned())
                    .or_default() += 1;
            }
            Ok(statistics)
        })
        .await?;
    Ok(web::Json(statistics))
}
