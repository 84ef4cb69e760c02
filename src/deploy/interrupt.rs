//! Ctrl-C during a deploy. Once a deploy has started building, SIGINT no longer ends
//! the process: while images are built and pushed it stops the deploy before any
//! pipeline is touched; while pipelines are updated it lets the current pachctl call
//! finish and updates no further pipeline. Either way the git note records what was
//! done and the command exits 3.

/// The Ctrl-C stream, installed once per deploy (not when first polled, so a signal at
/// any point after `install` is caught).
pub struct Interrupt {
    #[cfg(unix)]
    stream: Option<tokio::signal::unix::Signal>,
    seen: bool,
}

impl Interrupt {
    /// Must be called inside the deploy's tokio runtime.
    pub fn install() -> Interrupt {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Interrupt {
                stream: signal(SignalKind::interrupt()).ok(),
                seen: false,
            }
        }
        #[cfg(not(unix))]
        Interrupt { seen: false }
    }

    /// Resolves at the next Ctrl-C. Cancel-safe: a signal is never lost.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        match self.stream.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        self.seen = true;
    }

    /// Whether Ctrl-C came, counting a signal that is waiting to be received.
    pub fn seen(&mut self) -> bool {
        if !self.seen {
            use futures_util::FutureExt;
            if self.recv().now_or_never().is_some() {
                self.seen = true;
            }
        }
        self.seen
    }

    /// Records a Ctrl-C the caller received itself.
    pub fn mark(&mut self) {
        self.seen = true;
    }
}
