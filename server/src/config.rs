//! Server settings, from flags and environment variables (`KINTHREAD_BIND`,
//! `KINTHREAD_DATABASE_URL`, ...). Secrets are `SecretString`s that never print.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;

use crate::auth::PasswordCost;
use crate::db::DatabaseUrl;
use crate::edge::EdgeLimits;
use crate::throttle::LoginPolicy;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Under systemd's 90 s before SIGKILL; far over what a request of ours takes.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    /// A PostgreSQL hot standby that staff reports read from (`db::Db::for_reports`).
    pub read_database_url: Option<DatabaseUrl>,
    pub pool_size: u32,
    pub workers: usize,
    /// Token signing secret; when absent one is made and kept in the database.
    pub jwt_secret: Option<SecretString>,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_days: i64,
    pub password_cost: PasswordCost,
    pub login_policy: LoginPolicy,
    /// Request body deadline and the bundle size limit (`crate::edge`).
    pub edge: EdgeLimits,
    /// How long a SIGTERM waits for the requests in flight (`crate::shutdown`).
    pub shutdown_timeout: Duration,
}

impl Settings {
    /// Settings with the defaults for a database.
    pub fn new(bind: SocketAddr, database_url: DatabaseUrl) -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self {
            bind,
            database_url,
            read_database_url: None,
            pool_size: 16,
            workers: cores,
            jwt_secret: None,
            access_ttl_seconds: 15 * 60,
            refresh_ttl_days: 30,
            password_cost: PasswordCost::default(),
            login_policy: LoginPolicy::default(),
            edge: EdgeLimits::default(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}
