//! Logging, set up once. `KINTHREAD_LOG` (or `RUST_LOG`) chooses the level. What is logged,
//! and what never is (phone numbers, note text, names, tokens, passwords), is written down
//! in `docs/LOGGING.md`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("KINTHREAD_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info,actix_web=info".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in files and journals.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    log_panics();
}

/// Panics are logged like everything else: one line, in the span of the request that
/// panicked (so with its request id), instead of the standard hook's bare text.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let backtrace = std::backtrace::Backtrace::capture();
        match backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => {
                tracing::error!(%location, %backtrace, "panic: {message}")
            }
            _ => tracing::error!(%location, "panic: {message}"),
        }
    }));
}
