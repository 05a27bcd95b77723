//! Programs: admins create them; staff see their own.

use actix_web::{HttpResponse, get, post, web};
use kinthread_shared::ProgramId;
use kinthread_shared::api::{ErrorBody, NewProgram, Page, Program};
use kinthread_shared::validate::check_name;

use super::{PageQuery, id_cursor, next_cursor};
use crate::access::{self, Action};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::store;

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
            if store::programs::name_taken(conn, &new.name)? {
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
