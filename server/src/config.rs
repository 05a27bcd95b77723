//! Server settings, from flags and environment variables (`KINTHREAD_BIND`,
//! `KINTHREAD_DATABASE_URL`, ...). Secrets are `SecretString`s that never print.

use std::net::SocketAddr;

use secrecy::SecretString;

use crate::auth::PasswordCost;
use crate::db::DatabaseUrl;
use crate::throttle::LoginPolicy;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

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
        }
    }
}
