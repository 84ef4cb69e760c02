//! Running another program with a bound on its time: pachctl and Docker credential
//! helpers. Every wait on another program ends: when the bound passes, the program's
//! whole process group is killed (a shell wrapper's children too) and the caller says
//! which program, doing what, took too long.
//!
//! The program runs in a process group of its own, so a Ctrl-C at the terminal (sent to
//! the foreground group) reaches pachhook, which decides, and not the program: a pachctl
//! call that has started finishes.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::interrupt::Interrupt;

/// How a bounded run ended without output to judge.
#[derive(Debug)]
pub enum Ended {
    /// The program could not be started (`NotFound`: not installed).
    NotStarted(std::io::Error),
    /// It ran past the bound and was killed.
    TimedOut,
    /// Reading its output failed.
    Io(std::io::Error),
}

/// What the program printed and how it exited.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Ctrl-C came while it ran (it was let finish).
    pub interrupted: bool,
}

/// Runs `command` with `stdin` as its standard input, for at most `limit`. With an
/// `interrupt`, a Ctrl-C while it runs is noted (`Output::interrupted`), not obeyed.
pub async fn run(
    mut command: Command,
    stdin: &[u8],
    limit: Duration,
    mut interrupt: Option<&mut Interrupt>,
) -> Result<Output, Ended> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn().map_err(Ended::NotStarted)?;
    let group = child.id();
    let mut input = child.stdin.take();
    let finished = async move {
        if let Some(pipe) = input.as_mut() {
            // A program that exits without reading is judged by its status.
            let _ = pipe.write_all(stdin).await;
        }
        drop(input);
        child.wait_with_output().await
    };
    tokio::pin!(finished);
    let deadline = tokio::time::sleep(limit);
    tokio::pin!(deadline);
    let mut interrupted = false;
    loop {
        tokio::select! {
            out = &mut finished => {
                let out = out.map_err(Ended::Io)?;
                return Ok(Output {
                    status: out.status,
                    stdout: out.stdout,
                    stderr: out.stderr,
                    interrupted,
                });
            }
            _ = &mut deadline => {
                kill_group(group);
                // The pipes close once the group is gone; do not wait on a process
                // that left the group.
                let _ = tokio::time::timeout(Duration::from_secs(5), &mut finished).await;
                return Err(Ended::TimedOut);
            }
            _ = async {
                match interrupt.as_deref_mut() {
                    Some(i) => i.recv().await,
                    None => std::future::pending().await,
                }
            }, if !interrupted => {
                interrupted = true;
            }
        }
    }
}

/// Kills the process group `group` leads.
fn kill_group(group: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = group
        .and_then(|g| i32::try_from(g).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        // A group that is already gone (ESRCH) is what we wanted.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = group;
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
