//! Logging, set up once. `KINTHREAD_LOG` (or `RUST_LOG`) chooses the level. What is logged,
//! and what never is (phone numbers, note text, names, tokens, passwords), is written down
//! in `docs/LOGGING.md`.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

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
        .event_format(ClientFaultsAsWarnings(Format::default()))
        .try_init();
    log_panics();
}

/// Where actix-http logs, at `error`, the requests it refused itself before any code of ours
/// ran (a head that does not parse, one too large: `crate::edge` lists them), a client that
/// hung up mid-request, and the like. Every such line is about a client, never a fault of the
/// server's, so it is written as a warning: an operator alerting on errors is not woken by a
/// port scanner.
const CLIENT_FAULT_TARGET: &str = "actix_http::h1::dispatcher";

/// The usual line format, with `CLIENT_FAULT_TARGET`'s errors written as warnings. The level
/// cannot be changed on the event itself, so the line is formatted and its level word
/// replaced (without colours: these lines are rare).
struct ClientFaultsAsWarnings<F>(F);

impl<S, N, F> FormatEvent<S, N> for ClientFaultsAsWarnings<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        if *metadata.level() != Level::ERROR || metadata.target() != CLIENT_FAULT_TARGET {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        writer.write_str(&line.replacen("ERROR", " WARN", 1))
    }
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
