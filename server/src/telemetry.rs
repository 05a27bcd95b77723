//! Logging, set up once. `KINTHREAD_LOG` (or `RUST_LOG`) chooses the level; phone numbers and
//! note text are never logged.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("KINTHREAD_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info,actix_web=info".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}
