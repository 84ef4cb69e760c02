//! Template evaluation in a child process: the bounds stop the evaluation itself.
//!
//! A thread cannot be stopped, and an allocation that fails aborts the whole process: a
//! three-line template that builds a huge array took a hook to 1.5 GB and SIGABRT, and a
//! timed-out evaluation kept its thread spinning. So the pachhook binary evaluates each
//! rendering in a copy of itself (`pachhook __evaluate-template`, hidden), which first
//! limits its own address space (`RLIMIT_AS`, [`Limits::memory`]) and CPU time
//! (`RLIMIT_CPU`), and which the parent kills when [`Limits::time`] has passed
//! (`repo::child::run`). The request goes on standard input and the result comes back
//! on standard output, both JSON.
//!
//! Only the binary isolates (`isolate`, called by `commands::run`); the library used on
//! its own (unit tests, other callers) evaluates on a thread as before.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Limits, RenderError};
use crate::source::Pos;

/// The hidden command a child runs.
pub const COMMAND: &str = "__evaluate-template";

/// The binary to run children of, once `isolate` was called.
static EXE: OnceLock<PathBuf> = OnceLock::new();

/// Makes every later `render` evaluate in a child process of this binary.
pub fn isolate() {
    if let Ok(exe) = std::env::current_exe() {
        let _ = EXE.set(exe);
    }
}

pub(super) fn exe() -> Option<&'static PathBuf> {
    EXE.get()
}

#[derive(Serialize, Deserialize)]
struct Request {
    template: String,
    args: BTreeMap<String, String>,
    stack: usize,
    time_ms: u64,
    output: usize,
}

#[derive(Serialize, Deserialize)]
enum Reply {
    Json(String),
    Error {
        message: String,
        pos: Option<(u32, u32)>,
    },
}

/// Renders in a child of `exe`, bounded by `limits`.
pub(super) fn render(
    exe: &PathBuf,
    template: &[u8],
    args: &BTreeMap<String, String>,
    limits: Limits,
) -> Result<String, RenderError> {
    let fail = |message: String| RenderError { message, pos: None };
    let Ok(template) = std::str::from_utf8(template) else {
        // The evaluator says where; it reads bytes the same way in-process.
        return super::render_here(template, args, limits);
    };
    let request = Request {
        template: template.to_string(),
        args: args.clone(),
        stack: limits.stack,
        time_ms: u64::try_from(limits.time.as_millis()).unwrap_or(u64::MAX),
        output: limits.output,
    };
    let input = serde_json::to_vec(&request).map_err(|e| fail(e.to_string()))?;
    let mut command = std::process::Command::new(exe);
    command
        .arg(COMMAND)
        .env("PACHHOOK_TEMPLATE_MEMORY", limits.memory.to_string());
    // The child's own limit comes first; this one is for a child that hangs outside the
    // evaluation.
    let wait = limits.time + Duration::from_secs(2);
    let out =
        crate::repo::child::run(command, &input, wait, "the template evaluation").map_err(|e| {
            fail(format!(
                "{e:#}: the template loops, or builds something very large (at most {} \
                 seconds per rendering)",
                limits.time.as_secs_f64()
            ))
        })?;
    match serde_json::from_slice::<Reply>(&out.stdout) {
        Ok(Reply::Json(json)) => Ok(json),
        Ok(Reply::Error { message, pos }) => Err(RenderError {
            message,
            pos: pos.map(|(line, column)| Pos { line, column }),
        }),
        Err(_) => Err(fail(stopped(&out.status, limits))),
    }
}

/// Why a child ended without a reply: a bound stopped it.
fn stopped(status: &std::process::ExitStatus, limits: Limits) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(libc::SIGXCPU | libc::SIGKILL) => {
                return format!(
                    "the template did not finish within {} seconds: it loops, or builds \
                     something very large",
                    limits.time.as_secs_f64()
                );
            }
            Some(libc::SIGABRT | libc::SIGSEGV | libc::SIGBUS) => {
                return format!(
                    "the template needs more than {} MiB of memory: it builds something \
                     very large (pachd would stop it too)",
                    limits.memory >> 20
                );
            }
            _ => {}
        }
    }
    format!("the template evaluation stopped unexpectedly ({status})")
}

/// The child: limits itself, reads one request, evaluates it, writes the reply. Its
/// exit status is 0 whenever it replied.
pub fn child_status() -> crate::error::ExitStatus {
    use crate::error::ExitStatus;
    let memory = std::env::var("PACHHOOK_TEMPLATE_MEMORY")
        .ok()
        .and_then(|m| m.parse::<u64>().ok())
        .unwrap_or(Limits::default().memory);
    let mut input = Vec::new();
    if std::io::stdin()
        .take(64 << 20)
        .read_to_end(&mut input)
        .is_err()
    {
        return ExitStatus::Failed;
    }
    let Ok(request) = serde_json::from_slice::<Request>(&input) else {
        return ExitStatus::Usage;
    };
    drop(input);
    let time = Duration::from_millis(request.time_ms);
    limit_self(memory, time);
    let limits = Limits {
        stack: request.stack,
        time,
        output: request.output,
        memory,
    };
    let reply = match super::render_here(request.template.as_bytes(), &request.args, limits) {
        Ok(json) => Reply::Json(json),
        Err(e) => Reply::Error {
            message: e.message,
            pos: e.pos.map(|p| (p.line, p.column)),
        },
    };
    let mut out = std::io::stdout().lock();
    if serde_json::to_writer(&mut out, &reply).is_err() || out.flush().is_err() {
        return ExitStatus::Failed;
    }
    // Freeing a large result would only delay the exit.
    std::mem::forget(reply);
    ExitStatus::Ok
}

/// This process's address space and CPU time, bounded: an allocation past `memory`
/// fails (and the process aborts), CPU time past `time` (rounded up, plus one second)
/// ends it with SIGXCPU.
fn limit_self(memory: u64, time: Duration) {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        let _ = setrlimit(
            Resource::As,
            Rlimit {
                current: Some(memory),
                maximum: Some(memory),
            },
        );
        let seconds = time.as_secs() + 1 + u64::from(time.subsec_nanos() > 0);
        let _ = setrlimit(
            Resource::Cpu,
            Rlimit {
                current: Some(seconds),
                maximum: Some(seconds + 1),
            },
        );
    }
    #[cfg(not(unix))]
    let _ = (memory, time);
}
