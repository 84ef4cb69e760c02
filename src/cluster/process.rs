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

/// The most of each output stream kept: its last 64 KiB (whole lines), enough for the
/// last lines shown and recorded, whatever the program prints.
pub const OUTPUT_MAX: usize = 64 * 1024;

/// How long the pipes are still read once the program exited: a child it left behind
/// may hold them open, and its exit status is what judges it.
const GRACE: Duration = Duration::from_secs(2);

/// The tail of one output stream, shared with its reader.
type Tail = std::sync::Arc<std::sync::Mutex<Vec<u8>>>;

/// Runs `command` with `stdin` as its standard input, for at most `limit`, judged by its
/// exit status: once it exits, its pipes are read for a short grace time only (a child
/// left holding them does not hold the caller), and only the last `OUTPUT_MAX` bytes of
/// each are kept. With an `interrupt`, a Ctrl-C (or SIGTERM, SIGHUP) while it runs is
/// noted (`Output::interrupted`), not obeyed.
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
    if let Some(mut pipe) = child.stdin.take() {
        let input = stdin.to_vec();
        // A program that exits without reading is judged by its status.
        tokio::spawn(async move {
            let _ = pipe.write_all(&input).await;
        });
    }
    let out = Tail::default();
    let err = Tail::default();
    let readers = [
        child
            .stdout
            .take()
            .map(|pipe| tokio::spawn(read_tail(pipe, out.clone()))),
        child
            .stderr
            .take()
            .map(|pipe| tokio::spawn(read_tail(pipe, err.clone()))),
    ];
    let deadline = tokio::time::sleep(limit);
    tokio::pin!(deadline);
    let mut interrupted = false;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.map_err(Ended::Io)?,
            _ = &mut deadline => {
                kill_group(group);
                let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                for reader in readers.into_iter().flatten() {
                    reader.abort();
                }
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
    };
    let grace = tokio::time::sleep(GRACE);
    tokio::pin!(grace);
    for mut reader in readers.into_iter().flatten() {
        tokio::select! {
            _ = &mut grace => reader.abort(),
            _ = &mut reader => {}
        }
    }
    let take = |tail: &Tail| std::mem::take(&mut *tail.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Output {
        status,
        stdout: take(&out),
        stderr: take(&err),
        interrupted,
    })
}

/// Reads `pipe` to its end, keeping its last `OUTPUT_MAX` bytes (from a line start)
/// in `tail`.
async fn read_tail(mut pipe: impl tokio::io::AsyncRead + Unpin, tail: Tail) {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut kept = tail.lock().unwrap_or_else(|e| e.into_inner());
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > OUTPUT_MAX {
            let mut cut = kept.len() - OUTPUT_MAX;
            if let Some(newline) = kept[cut..].iter().position(|&b| b == b'\n') {
                cut += newline + 1;
            }
            kept.drain(..cut);
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
