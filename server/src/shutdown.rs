//! How the server stops: on SIGTERM (or SIGINT), it drains.
//!
//! Draining means: requests already begun are served to the end, within the shutdown timeout
//! (`Settings::shutdown_timeout`), and each is answered only after its write committed, as
//! always; a request that begins after the signal is answered 503 `shutting_down` and its
//! connection closed (`crate::edge`); the listening socket stops accepting; idle keep-alive
//! connections are closed (actix-web closes them as it stops). A request still running when
//! the timeout ends is dropped unanswered: the client never hears that it was stored, and
//! sends it again (client ids make that safe). So nothing is acknowledged that was not stored.
//!
//! A second SIGTERM or SIGINT while draining (Ctrl-C pressed again) stops the process at once,
//! with the usual exit status of that signal (143, 130): the requests in flight are dropped
//! unanswered, as they would be by SIGKILL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Set once a stop signal arrived; read by every request at the edge.
#[derive(Clone, Debug, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Resolves at the first SIGTERM or SIGINT, after marking the server as draining: given
    /// to `HttpServer::shutdown_signal`, which then stops gracefully.
    pub async fn on_stop_signal(self, timeout: Duration) {
        let (mut terminate, mut interrupt) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(terminate), Ok(interrupt)) => (terminate, interrupt),
            (Err(err), _) | (_, Err(err)) => {
                tracing::error!(%err, "cannot listen for SIGTERM and SIGINT; stop with SIGKILL");
                return std::future::pending().await;
            }
        };
        let (name, _) = next_signal(&mut terminate, &mut interrupt).await;
        self.0.store(true, Ordering::Release);
        tracing::info!(
            signal = name,
            timeout_seconds = timeout.as_secs(),
            "draining: finishing the requests in flight, refusing new ones"
        );
        tokio::spawn(async move {
            let (name, status) = next_signal(&mut terminate, &mut interrupt).await;
            tracing::warn!(
                signal = name,
                "a second stop signal: stopping now, the requests in flight unanswered"
            );
            std::process::exit(status);
        });
    }
}

/// The next stop signal's name and the exit status it asks for (128 + its number).
async fn next_signal(terminate: &mut Signal, interrupt: &mut Signal) -> (&'static str, i32) {
    tokio::select! {
        _ = terminate.recv() => ("SIGTERM", 143),
        _ = interrupt.recv() => ("SIGINT", 130),
    }
}
