//! Running another program with a bound on its time: git and its filters, pachctl,
//! Docker credential helpers. The one supervised runner of pachhook: every wait on
//! another program ends.
//!
//! - The program runs in a process group of its own: when the bound passes the whole
//!   group is killed (a smudge filter started by git, a shell wrapper's children), and a
//!   Ctrl-C at the terminal (sent to the foreground group) reaches pachhook, which
//!   decides, and not the program.
//! - It is judged by its exit status: once it exited, its pipes are read for a short
//!   grace time only. A child it left behind holding them (a filter's background
//!   process) is then killed with the group, and holds no one.
//! - What is kept of each output stream is bounded by the caller (`Sink`).

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How a bounded run ended without output to judge.
#[derive(Debug)]
pub enum Ended {
    /// The program could not be started (`NotFound`: not installed).
    NotStarted(std::io::Error),
    /// It ran past the bound (or its caller gave up on it) and was killed.
    TimedOut,
    /// Reading or keeping its output failed.
    Io(std::io::Error),
}

/// What the program printed and how it exited.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    /// Empty for a `Sink::File`.
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Where one output stream goes.
pub enum Sink {
    /// Everything (the caller bounds what it asks for).
    All,
    /// The first `n` bytes; the rest is read and dropped.
    Head(usize),
    /// The last `n` bytes, from a line start.
    Tail(usize),
    /// Written to the file as it comes (a converted file may be large).
    File(std::fs::File),
}

/// How long the pipes are still read once the program exited: a child it left behind
/// may hold them open, and its exit status is what judges it.
pub const GRACE: Duration = Duration::from_secs(2);

/// Runs `command` with `stdin` as its standard input (nothing, with `None`), for at most
/// `limit`, and `cancel` checked while it runs (set: killed, as when the bound passes).
pub fn run(
    mut command: Command,
    stdin: Option<&[u8]>,
    limit: Duration,
    stdout: Sink,
    stderr: Sink,
    cancel: &AtomicBool,
) -> Result<Output, Ended> {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(Ended::NotStarted)?;
    let group = child.id();
    if let (Some(mut pipe), Some(input)) = (child.stdin.take(), stdin) {
        let input = input.to_vec();
        // On a thread of its own: a program that writes much before it reads cannot
        // block us, and one that exits without reading is judged by its status.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let readers = [
        child.stdout.take().map(|pipe| Reader::start(pipe, stdout)),
        child.stderr.take().map(|pipe| Reader::start(pipe, stderr)),
    ];
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                kill_group(group);
                let _ = child.kill();
                let _ = child.wait();
                return Err(Ended::Io(e));
            }
        }
        if start.elapsed() > limit || cancel.load(Ordering::Relaxed) {
            kill_group(group);
            let _ = child.kill();
            let _ = child.wait();
            return Err(Ended::TimedOut);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    };
    let grace = Instant::now() + GRACE;
    let mut held = false;
    let mut done = Vec::new();
    for reader in readers.into_iter().flatten() {
        let left = grace.saturating_duration_since(Instant::now());
        match reader.done.recv_timeout(left) {
            Ok(result) => done.push((reader, Some(result))),
            Err(_) => {
                held = true;
                done.push((reader, None));
            }
        }
    }
    if held {
        // What is left of the group holds the pipes: it goes, and the pipes end.
        kill_group(group);
    }
    let mut kept = Vec::new();
    for (reader, result) in done {
        let result = match result {
            Some(result) => Some(result),
            None => reader.done.recv_timeout(GRACE).ok(),
        };
        match result {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(Ended::Io(e)),
            // Only a program that left the group holds a pipe now: what a file was to
            // receive may not be whole.
            None if reader.file => {
                return Err(Ended::Io(std::io::Error::other(
                    "its output was still held open by a program it started",
                )));
            }
            None => {}
        }
        kept.push(std::mem::take(
            &mut *reader.kept.lock().unwrap_or_else(|e| e.into_inner()),
        ));
    }
    let mut kept = kept.into_iter();
    Ok(Output {
        status,
        stdout: kept.next().unwrap_or_default(),
        stderr: kept.next().unwrap_or_default(),
    })
}

/// One output stream read on a thread of its own into its sink.
struct Reader {
    kept: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<std::io::Result<()>>,
    file: bool,
}

impl Reader {
    fn start(mut pipe: impl Read + Send + 'static, mut sink: Sink) -> Reader {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let file = matches!(sink, Sink::File(_));
        let shared = kept.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let mut result = Ok(());
            loop {
                let n = match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                };
                let chunk = &buf[..n];
                match &mut sink {
                    Sink::File(file) => {
                        // A failed write is reported; the pipe is still drained, so the
                        // program is not stopped by a full pipe.
                        if result.is_ok()
                            && let Err(e) = file.write_all(chunk)
                        {
                            result = Err(e);
                        }
                    }
                    Sink::All => shared
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(chunk),
                    Sink::Head(max) => {
                        let mut kept = shared.lock().unwrap_or_else(|e| e.into_inner());
                        let room = max.saturating_sub(kept.len()).min(chunk.len());
                        kept.extend_from_slice(&chunk[..room]);
                    }
                    Sink::Tail(max) => {
                        let mut kept = shared.lock().unwrap_or_else(|e| e.into_inner());
                        kept.extend_from_slice(chunk);
                        if kept.len() > *max {
                            let mut cut = kept.len() - *max;
                            if kept[cut - 1] != b'\n'
                                && let Some(newline) = kept[cut..].iter().position(|&b| b == b'\n')
                            {
                                cut += newline + 1;
                            }
                            kept.drain(..cut);
                        }
                    }
                }
            }
            let _ = tx.send(result);
        });
        Reader { kept, done, file }
    }
}

/// Kills the process group `group` leads (what is left of it).
fn kill_group(group: u32) {
    #[cfg(unix)]
    if let Some(pid) = i32::try_from(group)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        // A group that is already gone (ESRCH) is what we wanted.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = group;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn a_child_left_holding_the_output_does_not_hold_the_caller() {
        // A filter that answers and leaves a background process with its stdout.
        let start = Instant::now();
        let out = run(
            sh("echo converted; sleep 60 & exit 0"),
            None,
            Duration::from_secs(30),
            Sink::All,
            Sink::All,
            &AtomicBool::new(false),
        )
        .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"converted\n");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn the_whole_group_is_killed_when_the_bound_passes() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("late");
        let script = format!("(sleep 2; touch '{}') & sleep 60", marker.display());
        let start = Instant::now();
        let ended = run(
            sh(&script),
            Some(b""),
            Duration::from_millis(300),
            Sink::All,
            Sink::All,
            &AtomicBool::new(false),
        );
        assert!(matches!(ended, Err(Ended::TimedOut)), "{ended:?}");
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_secs(3));
        assert!(!marker.exists(), "the program's child was killed too");
    }

    #[test]
    fn sinks_keep_what_they_say() {
        let out = run(
            sh("cat; printf 'a\\nb\\nc\\n' >&2"),
            Some(b"hello"),
            Duration::from_secs(30),
            Sink::Head(3),
            Sink::Tail(4),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(out.stdout, b"hel");
        assert_eq!(out.stderr, b"b\nc\n");
    }
}
