//! The acceptance of a push, as git reports it: the `reference-transaction` hook.
//!
//! git runs that hook for every ref update of the clone (about five runs per commit), so
//! it is not installed with the others: the pre-push hook arms it when it leaves a
//! deploy waiting (`deploy::pending`), and it disarms itself once that deploy is applied
//! or has expired. A reference-transaction hook the user had is kept and runs first
//! (the installer's chaining), and is put back when ours goes.
//!
//! The remote accepted the push when git, in the same `git push`, updates the
//! remote-tracking ref of the pushed branch to the pushed commit (`committed` state). A
//! refused push and `git push --dry-run` update no tracking ref, so the record waits,
//! unapplied, until a later push replaces it or it expires.

use std::path::Path;

use anyhow::Result;

use super::HookName;
use super::install::{self, Binary};
use crate::deploy::{self, pending};
use crate::error::ExitStatus;
use crate::repo::Repo;

/// Arms the acceptance hook in `hooks` after a deploy was left waiting. When it cannot
/// be armed, the deploy is dropped (nothing would ever apply it) and one line says how
/// to deploy instead.
pub fn arm(repo: &Repo, hooks: &Path) {
    let armed = std::env::current_exe()
        .map_err(anyhow::Error::from)
        .and_then(|exe| {
            let exe = exe.canonicalize().unwrap_or(exe);
            install::install(
                hooks,
                HookName::ReferenceTransaction,
                Binary::At(&exe),
                true,
                false,
            )
        });
    if let Err(error) = armed {
        let common = repo.common_dir();
        let sha = pending::read(common).map(|p| p.commit).unwrap_or_default();
        pending::remove(common);
        eprintln!(
            "pachhook: warning: cannot wait for the remote's answer ({}): nothing will be deployed from this push; after the push, deploy with `pachhook deploy {sha}`",
            crate::report::human::escape(&format!("{error:#}"))
        );
    }
}

/// Removes the acceptance hook, putting back the hook it replaced. A hook the user
/// edited since is left alone.
pub fn disarm(repo: &Repo) {
    let Ok(hooks) = repo.hooks_dir() else { return };
    if let Err(error) = install::uninstall(&hooks.path, HookName::ReferenceTransaction, false) {
        eprintln!(
            "pachhook: warning: cannot remove the reference-transaction hook pachhook armed: {}",
            crate::report::human::escape(&format!("{error:#}"))
        );
    }
}

/// The hook: `state` is git's first argument, `lines` its `<old> <new> <ref>` lines.
pub fn run(state: &str, lines: &str) -> Result<ExitStatus> {
    if state != "committed" {
        return Ok(ExitStatus::Ok);
    }
    let repo = Repo::discover()?;
    let common = repo.common_dir().to_path_buf();
    let Some(record) = pending::read(&common) else {
        // Nothing waits (applied by another hook, or removed): the hook has no reason
        // to be here.
        disarm(&repo);
        return Ok(ExitStatus::Ok);
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let accepted = lines.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        matches!(fields[..], [_, new, reference] if record.accepted_by(reference, new))
    });
    if record.expired(now) {
        pending::remove(&common);
        disarm(&repo);
        eprintln!(
            "pachhook: the deploy of {} waited for {} to accept the push and expired: nothing was deployed; to deploy it: `pachhook deploy {}`",
            deploy::short(&record.commit),
            crate::report::human::escape(&record.remote),
            record.commit
        );
        return Ok(ExitStatus::Ok);
    }
    if !accepted {
        return Ok(ExitStatus::Ok);
    }
    // Of two hooks that see the acceptance, one applies it.
    let Some(record) = pending::take(&common) else {
        return Ok(ExitStatus::Ok);
    };
    disarm(&repo);
    Ok(deploy::apply_pending(&repo, &record))
}
