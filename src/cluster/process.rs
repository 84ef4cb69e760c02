//! pachctl and Docker credential helpers run with the supervised runner
//! (`crate::process`), from async code: when the bound passes, the program's whole
//! process group is killed and the caller says which program, doing what, took too
//! long. A Ctrl-C at the terminal reaches pachhook, which decides, and not the program:
//! a pachctl call that has started finishes.

use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::process::Command;

use super::interrupt::Interrupt;
pub use crate::process::Ended;
use crate::process::Sink;

/// What the program printed and how it exited.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Ctrl-C came while it ran (it was let finish).
    pub interrupted: bool,
}

/// The most of each output stream kept: its last 64 KiB (whole lines), enough for the
/// last lines shown and recorded, whatever the program prints.
pub const OUTPUT_MAX: usize = 64 * 1024;

/// Runs `command` with `stdin` as its standard input, for at most `limit`, judged by its
/// exit status, with `crate::process::run` (own process group, a grace time for the
/// pipes, the group killed when the bound passes); only the last `OUTPUT_MAX` bytes of
/// each output stream are kept. With an `interrupt`, a Ctrl-C (or SIGTERM, SIGHUP)
/// while it runs is noted (`Output::interrupted`), not obeyed. Dropping the future
/// kills the program.
pub async fn run(
    command: Command,
    stdin: &[u8],
    limit: Duration,
    mut interrupt: Option<&mut Interrupt>,
) -> Result<Output, Ended> {
    let command = command.into_std();
    let stdin = stdin.to_vec();
    let cancel = Arc::new(AtomicBool::new(false));
    struct Cancel(Arc<AtomicBool>);
    impl Drop for Cancel {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let _cancel = Cancel(cancel.clone());
    let mut task = tokio::task::spawn_blocking(move || {
        crate::process::run(
            command,
            Some(&stdin),
            limit,
            Sink::Tail(OUTPUT_MAX),
            Sink::Tail(OUTPUT_MAX),
            &cancel,
        )
    });
    let mut interrupted = false;
    let out = loop {
        tokio::select! {
            out = &mut task => break out.map_err(|e| Ended::Io(std::io::Error::other(e)))??,
            _ = async {
                match interrupt.as_deref_mut() {
                    Some(i) => i.recv().await,
                    None => std::future::pending().await,
                }
            }, if !interrupted => {
                interrupted = true;
            }
        }
    };
    Ok(Output {
        status: out.status,
        stdout: out.stdout,
        stderr: out.stderr,
        interrupted,
    })
}

/// `90s`, `5m`, `1m30s`: a duration as the configuration writes it.
pub fn human(limit: Duration) -> String {
    let secs = limit.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}
