//! One deploy at a time per clone and cluster: two deploys that interleave their
//! pachctl calls leave the cluster running pipelines of two commits. The lock is a file
//! in the clone's common git directory (every worktree of the clone shares it), created
//! with `O_EXCL`, holding the holder's process id and commit; a holder that is gone
//! (killed) leaves a file that the next deploy takes over.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::Failure;
use super::pending::state_dir;
use super::ui::Ui;

/// Held while a deploy updates pipelines; dropping it releases the lock.
pub struct Lock {
    path: PathBuf,
    content: String,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Only our own: a lock taken over from us (we were thought dead) stays.
        if std::fs::read_to_string(&self.path).is_ok_and(|c| c == self.content) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The lock of `cluster` (the context name, or `default`) in this clone, waiting at
/// most `limit` for a deploy under way, with one line saying on what. `pause` waits the
/// given time between two looks at the lock and says whether Ctrl-C came meanwhile (the
/// deploy catches it, so only the deploy's runtime hears it): the wait then stops.
pub fn acquire(
    common: &Path,
    cluster: &str,
    sha: &str,
    limit: Duration,
    ui: &Ui,
    pause: &mut dyn FnMut(Duration) -> bool,
) -> Result<Lock, Failure> {
    let dir = state_dir(common);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::Git(format!("cannot create {}: {e}", dir.display())))?;
    let name: String = cluster
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("deploy-{name}.lock"));
    let content = format!("{} {sha}\n", std::process::id());
    let start = Instant::now();
    let mut said = false;
    loop {
        match crate::atomic_write::create_new(&path, content.as_bytes(), 0o644) {
            Ok(()) => return Ok(Lock { path, content }),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(Failure::Git(format!(
                    "cannot take the deploy lock {}: {e}",
                    path.display()
                )));
            }
        }
        let held = std::fs::read_to_string(&path).unwrap_or_default();
        let mut fields = held.split_whitespace();
        let pid = fields.next().and_then(|p| p.parse::<i32>().ok());
        let holder = fields.next().unwrap_or("").to_string();
        if pid.is_some_and(|p| !alive(p)) {
            take_over(&path, &held);
            continue;
        }
        let what = format!(
            "the deploy of {} (process {})",
            super::short(&holder),
            pid.map_or_else(|| "unknown".into(), |p| p.to_string())
        );
        if start.elapsed() >= limit {
            return Err(Failure::Busy {
                holder: what,
                lock: path.display().to_string(),
            });
        }
        if !said {
            ui.say(&format!(
                "pachhook: waiting for {what} to the same cluster to finish (at most {})",
                super::process::human(limit)
            ));
            said = true;
        }
        if pause(Duration::from_millis(200)) {
            return Err(Failure::Interrupted);
        }
    }
}

/// Removes the lock at `path` left by a holder that is gone, whose content was `held`.
/// Take, then check: the file is first renamed to a name of this process, so what is
/// compared is what is removed; a lock another deploy took meanwhile is put back (a
/// hard link never replaces one taken since).
fn take_over(path: &Path, held: &str) {
    let mut stale = path.as_os_str().to_owned();
    stale.push(format!(".{}.stale", std::process::id()));
    let stale = PathBuf::from(stale);
    if std::fs::rename(path, &stale).is_err() {
        return;
    }
    if !std::fs::read_to_string(&stale).is_ok_and(|c| c == held) {
        let _ = std::fs::hard_link(&stale, path);
    }
    let _ = std::fs::remove_file(&stale);
}

/// Whether process `pid` exists (a process of another user counts as alive).
fn alive(pid: i32) -> bool {
    #[cfg(unix)]
    {
        let Some(pid) = rustix::process::Pid::from_raw(pid) else {
            return false;
        };
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_holders_lock_is_removed_a_live_one_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deploy-x.lock");
        std::fs::write(&path, "1 dead\n").unwrap();
        take_over(&path, "1 dead\n");
        assert!(!path.exists());
        // Taken by someone else since it was read: left as it is.
        std::fs::write(&path, "2 live\n").unwrap();
        take_over(&path, "1 dead\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "2 live\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
