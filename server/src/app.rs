//! Building and starting the HTTP server: shared state, extractor configuration, middleware
//! and routes. `start` binds and returns the address, so tests can run the real server on a
//! random port.

use std::net::SocketAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlers, Next, from_fn};
use actix_web::{App, HttpMessage as _, HttpServer, web};
use kinthread_shared::{AccountRole, FamilyId};
use secrecy::SecretString;

use crate::access::FamilyScope;
use crate::auth::{AuthUser, PasswordCost, Passwords, Standings, TokenKeys, random_token};
use crate::config::Settings;
use crate::db::{Db, DbError};
use crate::edge;
use crate::error::{self, ApiError};
use crate::request_id;
use crate::routes;
use crate::service::caseload::Snapshots;
use crate::shutdown::Draining;
use crate::store;
use crate::throttle::LoginThrottle;

/// The largest JSON body accepted: a batch of 1,000 contacts with notes fits easily.
pub const MAX_JSON_BODY_BYTES: usize = 8 * 1024 * 1024;

/// What every request can reach.
pub struct AppState {
    pub db: Db,
    pub tokens: TokenKeys,
    pub passwords: Passwords,
    /// Accounts' standing as last read (disabled, sessions ended).
    pub standings: Standings,
    pub logins: LoginThrottle,
    /// Caseload rankings kept for their next pages.
    pub caseloads: Snapshots,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Auth(#[from] crate::auth::AuthSetupError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl AppState {
    /// Connects, migrates, and loads the signing secret (made on first start and kept in the
    /// database, unless the configuration gives one).
    pub fn open(settings: &Settings) -> Result<Self, StartError> {
        let mut db = Db::connect(&settings.database_url, settings.pool_size)?;
        if let Some(standby) = &settings.read_database_url {
            db = db.with_standby(standby, settings.pool_size)?;
        }
        db.migrate()?;
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.clone(),
            None => {
                let stored = db.write_blocking(|conn| {
                    store::settings::get_or_init(conn, "jwt_secret", random_token)
                        .map_err(DbError::Query)
                })?;
                SecretString::from(stored)
            }
        };
        Ok(Self {
            db,
            tokens: TokenKeys::new(
                &secret,
                settings.access_ttl_seconds,
                settings.refresh_ttl_days,
            ),
            passwords: Passwords::new(settings.password_cost)?,
            standings: Standings::default(),
            logins: LoginThrottle::new(settings.login_policy),
            caseloads: Snapshots::default(),
        })
    }
}

/// Records a read of a family's data by staff or an admin in the audit log, with the purpose
/// they stated (SPEC section 7: the family's guardians see who read their child's data). The
/// family's own members' reads are not recorded.
pub async fn audit_staff_read(
    state: &AppState,
    scope: &FamilyScope,
    action: &'static str,
) -> Result<(), ApiError> {
    match scope.role() {
        AccountRole::Staff | AccountRole::Admin => {}
        AccountRole::Parent | AccountRole::Caregiver | AccountRole::Child => return Ok(()),
    }
    let user = scope.user;
    let family = scope.family_id();
    let purpose = scope.purpose.clone();
    state
        .db
        .write(move |conn| {
            store::audit::record_read(conn, &user, action, family, purpose.as_deref())
                .map_err(ApiError::from)
        })
        .await
}

/// The family a path under `/api/v1/families/{id}` is about.
fn family_in_path(path: &str) -> Option<FamilyId> {
    path.strip_prefix("/api/v1/families/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// Records every refused attempt (403) on a family's data by a signed-in user, with the route
/// tried (never its ids or query), so that the access record shows it too.
async fn audit_refusals(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let family = family_in_path(req.path());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    if response.status() == StatusCode::FORBIDDEN
        && let (Some(family), Some(state)) = (family, state)
    {
        let request = response.request();
        let user = request.extensions().get::<AuthUser>().copied();
        if let Some(user) = user {
            let action = format!(
                "refused {} {}",
                request.method(),
                request.match_pattern().unwrap_or_default()
            );
            let recorded = state
                .db
                .write(move |conn| {
                    store::audit::record(conn, Some(&user), &action, Some(family), None)
                        .map_err(ApiError::from)
                })
                .await;
            if let Err(error) = recorded {
                tracing::warn!(%error, "a refused attempt could not be audited");
            }
        }
    }
    Ok(response)
}

/// Binds the server; the returned future serves until stopped, by `ServerHandle::stop` or
/// by SIGTERM or SIGINT, after which it drains (`crate::shutdown`).
pub fn start(settings: &Settings, state: AppState) -> Result<(Server, SocketAddr), StartError> {
    let state = web::Data::new(state);
    let limits = web::Data::new(settings.edge);
    let draining = web::Data::new(Draining::default());
    let stop_signal = draining
        .get_ref()
        .clone()
        .on_stop_signal(settings.shutdown_timeout);
    let workers = settings.workers;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(limits.clone())
            .app_data(draining.clone())
            // Bodies are read by `extract::Json` through the payload limit.
            .app_data(web::PayloadConfig::new(MAX_JSON_BODY_BYTES))
            .app_data(web::PathConfig::default().error_handler(error::path_error))
            .app_data(web::QueryConfig::default().error_handler(error::query_error))
            .wrap(ErrorHandlers::new().default_handler(error::envelope_foreign_errors))
            .wrap(from_fn(audit_refusals))
            .wrap(from_fn(edge::middleware))
            // Outermost: the request id and the access log cover everything inside.
            .wrap(from_fn(request_id::middleware))
            .configure(routes::configure)
            .default_service(web::to(error::route_not_found))
    })
    .workers(workers)
    .shutdown_signal(stop_signal)
    // Whole seconds; a part of one would be lost.
    .shutdown_timeout(settings.shutdown_timeout.as_secs().max(1));
    let server = server
        .bind(settings.bind)
        .map_err(|source| StartError::Bind {
            addr: settings.bind,
            source,
        })?;
    let addr = server.addrs().first().copied().unwrap_or(settings.bind);
    Ok((server.run(), addr))
}

/// Password cost suitable for tests and benchmarks only.
pub fn cheap_password_cost() -> PasswordCost {
    PasswordCost {
        memory_kib: 1024,
        iterations: 1,
    }
}
