//! Reports and follow-ups: a family's report, the staff caseload, and staff follow-up
//! outcomes on a family.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use diesel::Connection as _;
use kinthread_shared::api::{ErrorBody, Page};
use kinthread_shared::reports::assemble::ChildVoiceView;
use kinthread_shared::reports::{
    CaseloadReport, DEFAULT_CASELOAD_LIMIT, FamilyReport, FollowUp, MAX_CASELOAD_LIMIT, NewFollowUp,
};
use kinthread_shared::validate::check_name;
use kinthread_shared::{AccountRole, FamilyId, FollowUpId, FollowUpOutcome, ProgramId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{PageQuery, id_cursor, next_cursor};
use crate::access::{Action, FamilyScope, Visible, family_scope};
use crate::app::{AppState, audit_staff_read};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Json;
use crate::service::caseload::{
    self as caseload_service, CaseloadCursor, CaseloadOrder, CaseloadRequest, SnapshotKey,
};
use crate::service::reports::{self as service, ReportTime};
use crate::store;

/// The longest reason a follow-up may carry.
const MAX_REASON_CHARS: usize = 2000;

/// When and over how long a family report is computed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FamilyReportQuery {
    /// The moment the report is computed for (RFC 3339); default now.
    #[param(value_type = Option<String>, format = DateTime)]
    pub as_of: Option<DateTime<FixedOffset>>,
    /// Whole family-local days before `as_of`'s date, 1 to 3660 (default 90).
    #[param(minimum = 1, maximum = 3660)]
    pub window_days: Option<u32>,
}

/// A family's report: every parent–child pair (parents living away first), then every
/// parent–caregiver pair, each with its gap figures and depth summary over the window, and
/// the caregivers' check-ins in figures. Never any note text. Parents, caregivers, the
/// program's staff and admins; children are refused. Staff and admins also see the latest
/// follow-up.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/report", tag = "reports",
    params(("family_id" = String, Path, format = Uuid), FamilyReportQuery),
    responses((status = 200, body = FamilyReport, description = "the report"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a child, another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: `as_of` before 2000 or after tomorrow, or `window_days` out of range")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/report")]
pub async fn family_report(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    query: web::Query<FamilyReportQuery>,
) -> Result<web::Json<FamilyReport>, ApiError> {
    let family_id = path.into_inner();
    let time = ReportTime::parse(query.as_of, query.window_days, Utc::now())?;
    let scope = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::ReadReport)?;
            Ok::<_, ApiError>(scope)
        })
        .await?;
    audit_staff_read(&state, &scope, "family.report").await?;
    let family = scope.family.clone();
    let with_follow_up = scope.sees(Visible::FollowUps);
    let child_voice = if !scope.sees(Visible::ChildVoiceCounts) {
        ChildVoiceView::Withheld
    } else if scope.sees(Visible::ChildFeedback) {
        ChildVoiceView::Full
    } else {
        ChildVoiceView::CountsOnly
    };
    // Staff and admins read the standby (when there is one); a family's own members read the
    // primary, like everything else their phones read.
    let db = match scope.role() {
        AccountRole::Staff | AccountRole::Admin => state.db.for_reports(),
        AccountRole::Parent | AccountRole::Caregiver | AccountRole::Child => state.db.clone(),
    };
    let report = db
        .read(move |conn| service::family_report(conn, family, time, with_follow_up, child_voice))
        .await?;
    Ok(web::Json(report))
}

/// The order of the caseload's rows.
#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseloadSort {
    #[default]
    Attention,
    Gap,
}

/// The caseload's filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseloadQuery {
    /// Default now, or the `as_of` of the page the cursor comes from.
    #[param(value_type = Option<String>, format = DateTime)]
    pub as_of: Option<DateTime<FixedOffset>>,
    /// 1 to 3660 (default 90).
    #[param(minimum = 1, maximum = 3660)]
    pub window_days: Option<u32>,
    /// One program; default every program the reader may see.
    pub program_id: Option<ProgramId>,
    /// Also list families a `remind_later` follow-up snoozed (default false).
    #[serde(default)]
    pub include_snoozed: bool,
    /// `attention` (default): attention level, then gap status, then current gap (SPEC 4a);
    /// `gap`: gap status, then current gap.
    #[serde(default)]
    pub sort: CaseloadSort,
    /// From `next_cursor` of the previous page: the next page of the same ranking, which is
    /// kept for 10 minutes (afterwards the caseload is ranked again at the cursor's `as_of`).
    pub cursor: Option<String>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The staff caseload: each family's worst parent–child pair (parents living away), most
/// severe status first, then the longest current gap. Staff see their programs' families,
/// admins every family. Families snoozed by a `remind_later` follow-up under 7 days old are
/// left out unless `include_snoozed=true` (a `stale` gap is never hidden).
#[utoipa::path(get, path = "/api/v1/reports/caseload", tag = "reports", params(CaseloadQuery),
    responses((status = 200, body = CaseloadReport, description = "most urgent first"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a family account, or staff asking for another program"),
        (status = 404, body = ErrorBody, description = "`not_found`: no program `program_id`"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: `as_of` before 2000 or after tomorrow, or `window_days` out of range")),
    security(("bearer" = [])))]
#[get("/reports/caseload")]
pub async fn caseload(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<CaseloadQuery>,
) -> Result<web::Json<CaseloadReport>, ApiError> {
    let query = query.into_inner();
    let limit = match query.limit.unwrap_or(DEFAULT_CASELOAD_LIMIT) {
        n if (1..=MAX_CASELOAD_LIMIT).contains(&n) => n as usize,
        _ => {
            return Err(ApiError::InvalidQuery(format!(
                "limit must be 1 to {MAX_CASELOAD_LIMIT}"
            )));
        }
    };
    // A cursor names the ranking of the first page (kept in this process) and carries its
    // `as_of`, so that a later page is built from the same order, or ranked again at the
    // same moment where the ranking is gone.
    let cursor = match query.cursor.as_deref() {
        Some(raw) => Some(
            CaseloadCursor::parse(raw)
                .ok_or_else(|| ApiError::InvalidQuery("cursor is not valid".into()))?,
        ),
        None => None,
    };
    let as_of = match (query.as_of, cursor) {
        (Some(as_of), _) => Some(as_of),
        (None, Some(cursor)) => Some(
            DateTime::from_timestamp_millis(cursor.as_of_ms)
                .ok_or_else(|| ApiError::InvalidQuery("cursor is not valid".into()))?
                .fixed_offset(),
        ),
        (None, None) => None,
    };
    // Whole milliseconds, as the cursor carries them.
    let now = Utc::now();
    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    let time = ReportTime::parse(as_of, query.window_days, now)?;
    let offset = cursor.map_or(0, |cursor| cursor.offset);
    let program_id = query.program_id;
    let include_snoozed = query.include_snoozed;
    let order = match query.sort {
        CaseloadSort::Attention => CaseloadOrder::Attention,
        CaseloadSort::Gap => CaseloadOrder::Gap,
    };
    // Staff and admins only: read on the standby when there is one (`Db::for_reports`).
    let db = state.db.for_reports();
    let snapshots = state.clone();
    let (snapshot, rows) = db
        .clone()
        .read(move |conn| {
            // The reader's rights are checked on every page: they are part of the key.
            let key = SnapshotKey {
                user: user.id,
                filter: caseload_service::filter_for(conn, &user, program_id)?,
                order,
                include_snoozed,
                time,
            };
            let kept = cursor.and_then(|c| snapshots.caseloads.get(c.snapshot, &key));
            let snapshot = match kept {
                Some(snapshot) => snapshot,
                None => {
                    let request = CaseloadRequest {
                        filter: key.filter.clone(),
                        order,
                        time,
                        include_snoozed,
                        offset,
                        limit,
                        chunk_families: caseload_service::CHUNK_FAMILIES,
                    };
                    let ranking = caseload_service::rank(&db, conn, &request)?;
                    snapshots.caseloads.keep(key, ranking)
                }
            };
            let page: Vec<FamilyId> = snapshot
                .ranking
                .order
                .iter()
                .skip(offset)
                .take(limit)
                .copied()
                .collect();
            let rows = caseload_service::rows_of(conn, time, &page)?;
            Ok::<_, ApiError>((snapshot, rows))
        })
        .await?;
    // One audit entry for the list, and one for each family whose row was read (SPEC 7: the
    // family's access record shows staff and admins reading its caseload row).
    let target = program_id.map_or_else(|| "all programs".to_owned(), |p| p.to_string());
    let families: Vec<FamilyId> = rows.iter().map(|row| row.family_id).collect();
    state
        .db
        .write(move |conn| {
            store::audit::record(conn, Some(&user), "caseload.read", None, Some(&target))?;
            store::audit::record_reads(conn, &user, "caseload.row", &families)?;
            Ok::<_, ApiError>(())
        })
        .await?;
    let total_rows = snapshot.ranking.order.len();
    let next = offset.saturating_add(limit);
    let next_cursor = CaseloadCursor {
        snapshot: snapshot.id,
        as_of_ms: store::to_millis(time.as_of),
        offset: next,
    };
    Ok(web::Json(CaseloadReport {
        as_of: time.as_of,
        window_days: time.window_days,
        program_id,
        total_rows: u32::try_from(total_rows).unwrap_or(u32::MAX),
        snoozed_hidden: snapshot.ranking.snoozed_hidden,
        next_cursor: (next < total_rows).then(|| next_cursor.to_string()),
        rows,
    }))
}

/// Checks a new follow-up and fills in its re-check time.
fn build_follow_up(
    scope: &FamilyScope,
    new: NewFollowUp,
    now: DateTime<Utc>,
) -> Result<FollowUp, ApiError> {
    let reason = new
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    match &reason {
        Some(text) => check_name("reason", text, MAX_REASON_CHARS)
            .map_err(|e| ApiError::Validation(vec![e]))?,
        None if new.outcome == FollowUpOutcome::Closed => {
            return Err(ApiError::validation(
                "reason",
                "closing a family's follow-up needs a reason",
            ));
        }
        None => {}
    }
    Ok(FollowUp {
        id: FollowUpId::new(),
        family_id: scope.family_id(),
        staff_id: scope.user.id,
        outcome: new.outcome,
        reason,
        recheck_at: new
            .outcome
            .recheck_after_days()
            .map(|days| now + Duration::days(days)),
        created_at: now,
    })
}

/// Records a staff outcome on a family: `reached_parent`, `remind_later` (re-check in 7
/// days; the family leaves the due list until then), `parent_agreed_to_call` (re-check in 30
/// days) or `closed` (a reason is required). The program's staff and admins.
#[utoipa::path(post, path = "/api/v1/families/{family_id}/follow-ups", tag = "reports", request_body = NewFollowUp,
    params(("family_id" = String, Path, format = Uuid)),
    responses((status = 201, body = FollowUp, description = "recorded"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not staff of the family's program nor an admin"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: closing without a reason, or a reason that is too long")),
    security(("bearer" = [])))]
#[post("/families/{family_id}/follow-ups")]
pub async fn create_follow_up(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    body: Json<NewFollowUp>,
) -> Result<HttpResponse, ApiError> {
    let family_id = path.into_inner();
    let new = body.into_inner();
    let follow_up = state
        .db
        .write(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::RecordFollowUp)?;
            // Millisecond precision, as stored, so the answer equals what a later read returns.
            let now = crate::store::from_millis(crate::store::to_millis(Utc::now()))?;
            let follow_up = build_follow_up(&scope, new, now)?;
            conn.transaction(|conn| {
                store::follow_ups::insert(conn, &follow_up)?;
                store::audit::record(
                    conn,
                    Some(&user),
                    "follow_up.create",
                    Some(family_id),
                    Some(&follow_up.id.to_string()),
                )
            })?;
            Ok::<_, ApiError>(follow_up)
        })
        .await?;
    Ok(HttpResponse::Created().json(follow_up))
}

/// A family's follow-ups, newest first. The program's staff and admins.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/follow-ups", tag = "reports",
    params(("family_id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = Page<FollowUp>, description = "newest first"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not staff of the family's program nor an admin"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/follow-ups")]
pub async fn list_follow_ups(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<FollowUp>>, ApiError> {
    let family_id = path.into_inner();
    let limit = page.limit()?;
    let before: Option<FollowUpId> = id_cursor(page.cursor.as_deref())?;
    let scope = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?;
            scope.require(Action::ReadFollowUps)?;
            Ok::<_, ApiError>(scope)
        })
        .await?;
    audit_staff_read(&state, &scope, "follow_up.list").await?;
    let items = state
        .db
        .read(move |conn| {
            store::follow_ups::list(conn, family_id, before, limit).map_err(ApiError::from)
        })
        .await?;
    let next_cursor = next_cursor(&items, limit, |f| f.id.to_string());
    Ok(web::Json(Page { items, next_cursor }))
}
