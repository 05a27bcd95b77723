//! Family bundles: export one family as a bundle file, import a bundle from another
//! installation (admins). The format is `kinthread_shared::bundle`, documented in
//! `docs/bundle.md`.

use actix_web::{HttpRequest, get, post, web};
use chrono::Utc;
use kinthread_shared::FamilyId;
use kinthread_shared::api::ErrorBody;
use kinthread_shared::bundle::{Bundle, BundleImportReport};

use super::PurposeQuery;
use crate::access::{self, Action, family_scope};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::edge::EdgeLimits;
use crate::error::ApiError;
use crate::extract;
use crate::service::bundles as service;
use crate::store;

/// A family's whole record as a bundle: the family, its persons, every version of every
/// contact with its depth result, check-ins and follow-ups. Admins get everything; the
/// family's parents and caregivers get it without staff follow-ups (and without the child's
/// feedback unless the family agreed); the program's staff get it without phone numbers and,
/// unless the family consented to share notes, without note and text content. `withheld`
/// says what was left out. Children are refused. Every export is audited.
#[utoipa::path(get, path = "/api/v1/families/{family_id}/bundle", tag = "bundles",
    params(("family_id" = String, Path, format = Uuid), PurposeQuery),
    responses((status = 200, body = Bundle, description = "the family's bundle; `withheld` says what was left out"),
        (status = 403, body = ErrorBody, description = "`forbidden`: a child, another family, or a family outside the reader's programs"),
        (status = 404, body = ErrorBody, description = "`not_found`: no such family")),
    security(("bearer" = [])))]
#[get("/families/{family_id}/bundle")]
pub async fn export_bundle(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<FamilyId>,
    query: web::Query<PurposeQuery>,
) -> Result<web::Json<Bundle>, ApiError> {
    let family_id = path.into_inner();
    let stated = super::purpose(query.into_inner().purpose)?;
    let audited_purpose = stated.clone();
    let bundle = state
        .db
        .read(move |conn| {
            let scope = family_scope(conn, &user, family_id)?.with_purpose(stated);
            scope.require(Action::ExportBundle)?;
            service::export_family(conn, &scope, Utc::now())
        })
        .await?;
    let target = service::export_audit_target(&bundle);
    state
        .db
        .write(move |conn| {
            store::audit::record(
                conn,
                Some(&user),
                "bundle.export",
                Some(family_id),
                Some(&target),
            )?;
            if let Some(purpose) = &audited_purpose {
                store::audit::record_read(conn, &user, "bundle.read", family_id, Some(purpose))?;
            }
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(web::Json(bundle))
}

/// Imports a bundle (admins only): each family in one transaction, keeping every id, client
/// id, timestamp, author, depth result and supersession link. Importing the same bundle
/// again changes nothing (`existing`); a record stored here with different content is a
/// conflict (409) and nothing of that family is written (families before it in the bundle
/// stay imported). A bundle with data withheld cannot be imported without loss and is
/// refused (422). The body may be larger than any other (`--max-bundle-bytes`, 256 MiB by
/// default): it is read only once the caller is known to be an admin, and parsed as it
/// arrives.
#[utoipa::path(post, path = "/api/v1/bundles", tag = "bundles", request_body = Bundle,
    responses((status = 200, body = BundleImportReport, description = "a result per family"),
        (status = 403, body = ErrorBody, description = "`forbidden`: not an admin"),
        (status = 409, body = ErrorBody, description = "`conflict`: a record stored here with different content; nothing of that family was written"),
        (status = 413, body = ErrorBody, description = "`payload_too_large`: the bundle is over the server's bundle limit (`--max-bundle-bytes`, 256 MiB by default)"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the bundle is not consistent, or data was withheld from it")),
    security(("bearer" = [])))]
#[post("/bundles")]
pub async fn import_bundle(
    state: web::Data<AppState>,
    limits: web::Data<EdgeLimits>,
    user: AuthUser,
    req: HttpRequest,
    body: web::Payload,
) -> Result<web::Json<BundleImportReport>, ApiError> {
    access::require(&user, Action::ImportBundle)?;
    let bundle: Bundle = extract::streamed_json(&req, body, limits.max_bundle_bytes).await?;
    // Checking a large bundle takes a while (it is written out once to look for NUL).
    let bundle = web::block(move || bundle.check().map(|()| bundle))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::Validation)?;
    if !bundle.is_complete() {
        return Err(ApiError::validation(
            "withheld",
            "this bundle was exported without some data (see `withheld`); only a complete \
             bundle, exported by an admin, can be imported without loss",
        ));
    }
    let bundle = std::sync::Arc::new(bundle);
    let mut families = Vec::with_capacity(bundle.families.len());
    for index in 0..bundle.families.len() {
        let bundle = bundle.clone();
        let result = state
            .db
            .write(move |conn| {
                let Some(record) = bundle.families.get(index) else {
                    return Err(ApiError::internal("family index out of range"));
                };
                let result = service::import_family(conn, &bundle, record, Utc::now())?;
                store::audit::record(
                    conn,
                    Some(&user),
                    "bundle.import",
                    Some(record.family.id),
                    Some(result.status.as_str()),
                )?;
                Ok(result)
            })
            .await;
        match result {
            Ok(result) => families.push(result),
            Err(ApiError::Conflict(message)) if !families.is_empty() => {
                return Err(ApiError::Conflict(format!(
                    "{message} (the {} famil{} before it in the bundle were imported)",
                    families.len(),
                    if families.len() == 1 { "y" } else { "ies" }
                )));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(web::Json(BundleImportReport { families }))
}
