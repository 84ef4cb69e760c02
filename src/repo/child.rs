//! The git programs deploy runs (`git cat-file`, `git check-attr`, `git config`, `git
//! lfs`) and the hooks' `git ls-files` for a split index, each with a bound on its wait:
//! a one-shot command is killed when it has not finished in time, and a streaming one
//! when it has produced nothing for a while. A hung program never holds a deploy, a
//! commit or a push forever.

use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

use crate::process::{self, Ended, Sink};

/// What a finished command wrote.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    /// The first line of standard error, for messages.
    pub fn error_line(&self) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        crate::escape::escape(line).into_owned()
    }
}

/// Runs `command` with `input` on its standard input; kills it (its process group)
/// after `limit`. The one supervised runner, `crate::process`.
pub fn run(command: Command, input: &[u8], limit: Duration, what: &str) -> Result<Output> {
    let out = process::run(
        command,
        Some(input),
        limit,
        Sink::All,
        Sink::Head(STDERR_MAX),
        &AtomicBool::new(false),
    )
    .map_err(|e| ended(e, limit, what))?;
    Ok(Output {
        status: out.status,
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// Runs `command` with nothing on its standard input, its standard output written to
/// `out` as it comes (a converted file may be large); kills it (and a filter it
/// started) after `limit`, and a child left holding its output after a grace time.
/// The exit status and what it wrote on standard error.
pub fn run_into(
    command: Command,
    out: std::fs::File,
    limit: Duration,
    what: &str,
) -> Result<(ExitStatus, Vec<u8>)> {
    let done = process::run(
        command,
        None,
        limit,
        Sink::File(out),
        Sink::Head(STDERR_MAX),
        &AtomicBool::new(false),
    )
    .map_err(|e| ended(e, limit, what))?;
    Ok((done.status, done.stderr))
}

/// The most of a program's standard error kept for messages.
const STDERR_MAX: usize = 64 * 1024;

fn ended(e: Ended, limit: Duration, what: &str) -> anyhow::Error {
    match e {
        Ended::NotStarted(e) => anyhow!("cannot run {what}: {e}"),
        Ended::TimedOut => anyhow!("{what} did not finish within {} s", limit.as_secs()),
        Ended::Io(e) => anyhow!("cannot keep what {what} wrote: {e}"),
    }
}

/// Kills a streaming child that makes no progress for `idle` while someone waits on it.
/// Readers call `busy`/`progress`; the watchdog thread ends with the child.
pub struct Watchdog {
    child: Arc<Mutex<Child>>,
    state: Arc<State>,
}

struct State {
    start: Instant,
    /// Milliseconds since `start` of the last progress.
    last: AtomicU64,
    waiting: AtomicBool,
    expired: AtomicBool,
    finished: AtomicBool,
}

impl Watchdog {
    pub fn new(child: Child, idle: Duration) -> Watchdog {
        let child = Arc::new(Mutex::new(child));
        let state = Arc::new(State {
            start: Instant::now(),
            last: AtomicU64::new(0),
            waiting: AtomicBool::new(false),
            expired: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        });
        let (watched, watch_state) = (child.clone(), state.clone());
        std::thread::spawn(move || {
            let tick = Duration::from_millis(100).min(idle);
            while !watch_state.finished.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                let now =
                    u64::try_from(watch_state.start.elapsed().as_millis()).unwrap_or(u64::MAX);
                let last = watch_state.last.load(Ordering::Relaxed);
                if watch_state.waiting.load(Ordering::Relaxed)
                    && now.saturating_sub(last)
                        > u64::try_from(idle.as_millis()).unwrap_or(u64::MAX)
                {
                    watch_state.expired.store(true, Ordering::Relaxed);
                    if let Ok(mut child) = watched.lock() {
                        let _ = child.kill();
                    }
                    break;
                }
            }
        });
        Watchdog { child, state }
    }

    /// Marks the start (`true`) or end of a wait on the child.
    pub fn waiting(&self, waiting: bool) {
        self.progress();
        self.state.waiting.store(waiting, Ordering::Relaxed);
    }

    pub fn progress(&self) {
        let now = u64::try_from(self.state.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.state.last.store(now, Ordering::Relaxed);
    }

    /// Whether the child was killed for making no progress.
    pub fn expired(&self) -> bool {
        self.state.expired.load(Ordering::Relaxed)
    }

    /// Waits for the child's exit (it has closed its output), bounded like any wait.
    pub fn finish(&self, limit: Duration) -> Result<ExitStatus> {
        let start = Instant::now();
        loop {
            let status = self
                .child
                .lock()
                .map_err(|_| anyhow!("child lock poisoned"))?
                .try_wait()?;
            if let Some(status) = status {
                self.state.finished.store(true, Ordering::Relaxed);
                return Ok(status);
            }
            if start.elapsed() > limit {
                self.kill();
                anyhow::bail!("did not exit within {} s", limit.as_secs());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn kill(&self) {
        self.state.finished.store(true, Ordering::Relaxed);
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if !self.state.finished.load(Ordering::Relaxed) {
            self.kill();
        }
    }
}
