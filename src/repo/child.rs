//! The git programs deploy runs (`git cat-file`, `git check-attr`, `git config`, `git
//! lfs`) and the hooks' `git ls-files` for a split index, each with a bound on its wait:
//! a one-shot command is killed when it has not finished in time, and a streaming one
//! when it has produced nothing for a while. A hung program never holds a deploy, a
//! commit or a push forever.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};

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
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message")
            .escape_debug()
            .to_string()
    }
}

/// Runs `command` with `input` on its standard input; kills it after `limit`.
pub fn run(mut command: Command, input: &[u8], limit: Duration, what: &str) -> Result<Output> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {what}"))?;
    let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
    let input = input.to_vec();
    // Writing and reading on threads of their own: a child that writes much before it
    // reads cannot block us.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("{what} did not finish within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Runs `command` with nothing on its standard input, its standard output written to
/// `out` as it comes (a converted file may be large); kills it after `limit`. The exit
/// status and what it wrote on standard error.
pub fn run_into(
    mut command: Command,
    mut out: std::fs::File,
    limit: Duration,
    what: &str,
) -> Result<(ExitStatus, Vec<u8>)> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {what}"))?;
    let stdout = child.stdout.take();
    let copier = std::thread::spawn(move || -> std::io::Result<()> {
        if let Some(mut pipe) = stdout {
            std::io::copy(&mut pipe, &mut out)?;
        }
        Ok(())
    });
    let stderr = drain(child.stderr.take().map(|p| p.take(64 * 1024)));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("{what} did not finish within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    copier
        .join()
        .map_err(|_| anyhow!("the copy of {what}'s output stopped"))?
        .with_context(|| format!("cannot keep what {what} wrote"))?;
    Ok((status, stderr.join().unwrap_or_default()))
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut out);
        }
        out
    })
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
