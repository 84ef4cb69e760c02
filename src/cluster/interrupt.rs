//! Ctrl-C during a deploy, and the signals that mean the same: SIGTERM (a CI job
//! cancelled) and SIGHUP (the terminal closed). Once a deploy has started building,
//! they no longer end the process: while images are built and pushed they stop the
//! deploy before any pipeline is touched; while pipelines are updated they let the
//! current pachctl call finish and update no further pipeline. Either way the git note
//! records what was done and the command exits 3.

/// The signal streams, installed once per deploy (not when first polled, so a signal at
/// any point after `install` is caught).
pub struct Interrupt {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
    seen: bool,
}

impl Interrupt {
    /// Must be called inside the deploy's tokio runtime.
    pub fn install() -> Interrupt {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let streams = [
                SignalKind::interrupt(),
                SignalKind::terminate(),
                SignalKind::hangup(),
            ]
            .into_iter()
            .filter_map(|kind| signal(kind).ok())
            .collect();
            Interrupt {
                streams,
                seen: false,
            }
        }
        #[cfg(not(unix))]
        Interrupt { seen: false }
    }

    /// Resolves at the next signal. Cancel-safe: a signal is never lost.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                std::future::pending::<()>().await;
            }
            let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            futures_util::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        self.seen = true;
    }

    /// Whether a signal came, counting one that is waiting to be received.
    pub fn seen(&mut self) -> bool {
        if !self.seen {
            use futures_util::FutureExt;
            if self.recv().now_or_never().is_some() {
                self.seen = true;
            }
        }
        self.seen
    }

    /// Records a signal the caller received itself.
    pub fn mark(&mut self) {
        self.seen = true;
    }
}
