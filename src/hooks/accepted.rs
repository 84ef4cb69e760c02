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
/// be armed, the deploys are dropped (nothing would ever apply them) and one line each
/// says how to deploy instead.
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
        for record in pending::remove_all(repo.common_dir()) {
            eprintln!(
                "pachhook: warning: cannot wait for the remote's answer ({}): nothing will be deployed from this push; after the push, deploy with `pachhook deploy {}`",
                crate::report::human::escape(&format!("{error:#}")),
                crate::report::human::escape(&record.commit)
            );
        }
    }
}

/// Whether the acceptance hook may be armed in `hooks`: only in this clone's own git
/// directory. A hooks directory elsewhere is the team's (committed) or shared by other
/// clones (a global `core.hooksPath`): another clone's ref updates would run the hook,
/// find no record in their git directory, and disarm it under this clone's deploy.
pub fn can_arm(repo: &Repo, hooks: &Path) -> bool {
    crate::repo::resolve(hooks).starts_with(crate::repo::resolve(repo.common_dir()))
}

/// Removes the acceptance hook, putting back the hook it replaced, once no deploy
/// waits. A hook the user edited since is left alone. A pre-push that wrote its record
/// while this ran found the hook armed and did not arm it again: it is armed again here.
pub fn disarm(repo: &Repo) {
    let common = repo.common_dir();
    if pending::any(common) {
        return;
    }
    let Ok(hooks) = repo.hooks_dir() else { return };
    if let Err(error) = install::uninstall(&hooks.path, HookName::ReferenceTransaction, false) {
        eprintln!(
            "pachhook: warning: cannot remove the reference-transaction hook pachhook armed: {}",
            crate::report::human::escape(&format!("{error:#}"))
        );
        return;
    }
    if pending::any(common) {
        arm(repo, &hooks.path);
    }
}

/// The hook: `state` is git's first argument, `lines` its `<old> <new> <ref>` lines.
pub fn run(state: &str, lines: &str) -> Result<ExitStatus> {
    if state != "committed" {
        return Ok(ExitStatus::Ok);
    }
    let repo = Repo::discover()?;
    let common = repo.common_dir().to_path_buf();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Each updated tracking ref takes its own record, if it waits for that commit.
    let mut accepted = None;
    for line in lines.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, new, reference] = fields[..] else {
            continue;
        };
        match pending::take(&common, reference, Some(new), now) {
            pending::Taken::Accepted(record) if accepted.is_none() => accepted = Some(record),
            pending::Taken::Accepted(record) => {
                // One transaction, one deploy: the other is put back for a later one.
                let _ = pending::write(&common, &record);
            }
            pending::Taken::Expired(record) => expired(&record),
            pending::Taken::Nothing => {}
        }
    }
    for record in pending::take_expired(&common, now) {
        expired(&record);
    }
    disarm(&repo);
    match accepted {
        Some(record) => Ok(deploy::apply_pending(&repo, &record)),
        None => Ok(ExitStatus::Ok),
    }
}

fn expired(record: &pending::Pending) {
    eprintln!(
        "pachhook: the deploy of {} waited for {} to accept the push and expired: nothing was deployed; to deploy it: `pachhook deploy {}`",
        crate::report::human::escape(deploy::short(&record.commit)),
        crate::report::human::escape(&crate::redact::userinfo(&record.remote)),
        crate::report::human::escape(&record.commit)
    );
}
