//! A parent's reminders (`GET /me/reminders`), for the phone app's prompts.

use actix_web::{get, web};
use chrono::Utc;
use kinthread_shared::api::{ErrorBody, Page};
use kinthread_shared::reminders::Reminder;

use crate::access::{self, Action, family_scope};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::service::reminders as service;

/// The signed-in parent's reminders as of now, child by child of their family: `contact_due`
/// when the gap to the child reaches the family's target within a day (or has passed it; only
/// for a parent living away), `birthday` within the coming 7 days, and `conversation_prompt`
/// after a run of routine-only contacts: a prompt from kinthread's library, the same one on
/// every request until the next contact is logged, and never one of the last 5 this parent was
/// shown. Counts and names only, never note text. Always one page. Parents only.
#[utoipa::path(get, path = "/api/v1/me/reminders", tag = "reminders",
    responses((status = 200, body = Page<Reminder>, description = "the reminders, child by child; always one page"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not a parent's account (reminders are for parents)")),
    security(("bearer" = [])))]
#[get("/me/reminders")]
pub async fn my_reminders(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<Page<Reminder>>, ApiError> {
    access::require(&user, Action::ReadReminders)?;
    let family_id = user
        .family_id
        .ok_or_else(|| ApiError::forbidden(Action::ReadReminders.refusal()))?;
    let now = Utc::now();
    let (reminders, first_shown) = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::ReadReminders)?;
            service::compute(conn, &scope, now)
        })
        .await?;
    if !first_shown.is_empty() {
        state
            .db
            .write(move |conn| service::record_shown(conn, &user, family_id, &first_shown, now))
            .await?;
    }
    Ok(web::Json(Page {
        items: reminders,
        next_cursor: None,
    }))
}
