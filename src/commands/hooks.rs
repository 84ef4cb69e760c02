//! `install`, `uninstall`, `status`, `run`: the hooks' command-line side.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{HookArgs, RunArgs};
use crate::config::ConfigError;
use crate::error::{ExitStatus, UsageError};
use crate::hooks::HookName;
use crate::hooks::install::{self, Binary, Installed, State, Uninstalled};
use crate::hooks::managers::{self, Manager};
use crate::hooks::{self, accepted, pre_commit, pre_push};
use crate::repo::Repo;

fn chosen(hook: Option<HookName>) -> Vec<HookName> {
    hook.map_or_else(|| install::ALL.to_vec(), |h| vec![h])
}

/// The binary the hooks will call: this one, by absolute path.
fn this_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the path of pachhook")?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

/// Where the hooks go, and how they are written there: into a directory of the work
/// tree (a committed `core.hooksPath`), portable hooks that call `pachhook` from `PATH`
/// and never replace the team's own hook; elsewhere, hooks that call this binary and
/// keep a hook that was there.
struct Target {
    /// Resolved: the directory git really uses.
    dir: PathBuf,
    shared: bool,
    exe: PathBuf,
    /// The hooks directory as git names it, when a symbolic link on the way leads out of
    /// this repository (see `refuse_linked_out`).
    linked_out: Option<PathBuf>,
}

impl Target {
    fn find(repo: &Repo) -> Result<Target> {
        let found = repo.hooks_dir()?;
        let shared = repo.is_tracked_dir(&found.path)?;
        Ok(Target {
            dir: found.path,
            shared,
            exe: this_exe()?,
            linked_out: found.linked_out,
        })
    }

    /// Why pachhook does not write into this hooks directory, if it does not: one
    /// reached through a symbolic link out of the repository may be shared by other
    /// repositories, whose hooks an install here would replace (and an uninstall there
    /// remove). Nothing is touched; the user chooses a directory of this repository.
    fn linked_out_reason(&self) -> Option<String> {
        let named = self.linked_out.as_ref()?;
        Some(format!(
            "the hooks directory {} is a symbolic link to {}, outside this repository: \
             other repositories may share it, and pachhook does not change their hooks. \
             Give this repository its own hooks directory (replace the link with a \
             directory, or `git config core.hooksPath <directory of this repository>`), \
             or add `{}` to the shared hook yourself",
            crate::escape::path(named),
            crate::escape::path(&self.dir),
            install::snippet(HookName::PreCommit)
        ))
    }

    fn refuse_linked_out(&self) -> Result<()> {
        match self.linked_out_reason() {
            Some(reason) => Err(UsageError(reason).into()),
            None => Ok(()),
        }
    }

    fn binary(&self) -> Binary<'_> {
        if self.shared {
            Binary::OnPath
        } else {
            Binary::At(&self.exe)
        }
    }

    /// The hooks directory as the user knows it: relative to the current directory when
    /// inside it; escaped, as a path of the repository is data.
    fn show(&self, path: &Path) -> String {
        let cwd = std::env::current_dir().ok();
        let shown = cwd
            .and_then(|c| path.strip_prefix(c).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.to_path_buf());
        crate::escape::path(&shown)
    }
}

pub fn install(args: HookArgs) -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let target = Target::find(&repo)?;
    target.refuse_linked_out()?;
    let mut written = Vec::new();
    let top = repo.work_tree()?.to_path_buf();
    for hook in chosen(args.hook) {
        let name = install::file_name(hook);
        let path = target.dir.join(name);
        let shown = target.show(&path);
        // A hook manager's hook is not chained: the manager re-installs (lefthook at the
        // next change of lefthook.yml) and moves pachhook's aside, and the checks stop
        // without a word. pachhook belongs in the manager's configuration instead.
        if let Some((manager, runs)) = manager_owning(&target.dir, &top, hook) {
            match runs {
                Some(file) => crate::outln!(
                    "{name}: {} owns it and runs pachhook (configured in {}): nothing to do",
                    manager.name(),
                    target.show(&file)
                )?,
                None => crate::outln!(
                    "{name}: not installed: {} owns it (chained behind a manager, pachhook's \
                     hook would be moved aside at its next install)\n  {}",
                    manager.name(),
                    manager.advice(hook)
                )?,
            }
            continue;
        }
        let outcome = install::install(
            &target.dir,
            hook,
            target.binary(),
            !target.shared,
            args.force,
        )?;
        match &outcome {
            Installed::Written => crate::outln!("installed {name}: {shown}")?,
            Installed::Updated => crate::outln!("updated {name}: {shown}")?,
            Installed::Unchanged => crate::outln!("{name} is installed and current: {shown}")?,
            Installed::Chained(previous) => crate::outln!(
                "installed {name}: {shown}\n  the hook that was there runs first, kept as {}",
                target.show(previous)
            )?,
            Installed::Repaired(why) => {
                crate::outln!("repaired {name} ({why}, so git did not run it): {shown}")?
            }
            Installed::Replaced(copy) => crate::outln!(
                "replaced {name}, which was edited: {shown}\n  your version is kept as {}",
                target.show(copy)
            )?,
        }
        if outcome != Installed::Unchanged {
            written.push(shown);
        }
    }
    if target.shared && !written.is_empty() {
        crate::outln!(
            "  {} is a directory of the work tree: these are portable hooks (they run \
             `pachhook` from PATH), meant to be committed so the team shares them: \
             `git add {}` and commit",
            target.show(&target.dir),
            written.join(" ")
        )?;
    }
    Ok(ExitStatus::Ok)
}

pub fn uninstall(args: HookArgs) -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let target = Target::find(&repo)?;
    target.refuse_linked_out()?;
    let mut changed = Vec::new();
    for hook in chosen(args.hook) {
        let name = install::file_name(hook);
        let shown = target.show(&target.dir.join(name));
        let (outcome, saved) = install::uninstall(&target.dir, hook, args.force)?;
        match outcome {
            Uninstalled::Removed => crate::outln!("removed {name}: {shown}")?,
            Uninstalled::Restored => {
                crate::outln!("removed {name}, and restored the hook it had replaced: {shown}")?
            }
            Uninstalled::NotInstalled => crate::outln!("{name} was not installed")?,
            Uninstalled::NotOurs => crate::outln!("{name} is not pachhook's, left alone: {shown}")?,
        }
        if let Some(copy) = saved {
            crate::outln!(
                "  it was edited: your version is kept as {}",
                target.show(&copy)
            )?;
        }
        if matches!(outcome, Uninstalled::Removed | Uninstalled::Restored) {
            changed.push(shown);
        }
    }
    if target.shared && !changed.is_empty() {
        crate::outln!(
            "  {} is a directory of the work tree: commit the change (`git add -A {}`), \
             or undo it with `git checkout -- {}`",
            target.show(&target.dir),
            changed.join(" "),
            changed.join(" ")
        )?;
    }
    Ok(ExitStatus::Ok)
}

pub fn status() -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let target = Target::find(&repo)?;
    crate::outln!("hooks directory: {}", crate::escape::path(&target.dir))?;
    if target.shared {
        crate::outln!("  a directory of the work tree: hooks there are the team's, committed")?;
    }
    if let Some(reason) = target.linked_out_reason() {
        crate::outln!("  {}", reason.replacen("the hooks directory ", "", 1))?;
    }
    let top = repo.work_tree()?.to_path_buf();
    for hook in install::ALL {
        let name = install::file_name(hook);
        let status = install::status(&target.dir, hook, target.binary())?;
        let owner = manager_owning(&target.dir, &top, hook);
        let managed;
        let state = match status.state {
            State::Missing => "not installed (run `pachhook install`)",
            State::Current => "installed, current",
            State::Outdated => {
                "installed, outdated: written by another pachhook (run `pachhook install`)"
            }
            State::Modified => {
                "installed, modified: edited since pachhook wrote it; pachhook leaves it \
                 alone (`pachhook install --force` rewrites it and keeps a copy)"
            }
            State::Foreign if owner.is_some() => {
                let (manager, runs) = owner.as_ref().map(|(m, r)| (*m, r.as_ref())).unzip();
                managed = match runs.flatten() {
                    Some(file) => format!(
                        "{}'s hook, which runs pachhook (configured in {})",
                        manager.map_or("", Manager::name),
                        target.show(file)
                    ),
                    None => format!(
                        "{}'s hook, which does not run pachhook",
                        manager.map_or("", Manager::name)
                    ),
                };
                managed.as_str()
            }
            State::Foreign if target.shared => "the team's own hook, not pachhook's",
            State::Foreign => "another hook, not pachhook's (`pachhook install` keeps it)",
            State::NotExecutable(_) | State::NotRegular(_) => "",
        };
        match status.state {
            State::NotExecutable(mode) => crate::outln!(
                "{name}: installed, NOT RUNNABLE: not executable (mode {mode:04o}), so git \
                 skips it (run `pachhook install` to repair it)"
            )?,
            State::NotRegular(kind) => crate::outln!(
                "{name}: NOT RUNNABLE: {kind}, not a file, is in its place, so git runs no \
                 hook (run `pachhook install` to replace it)"
            )?,
            _ => crate::outln!("{name}: {state}")?,
        }
        if target.shared && status.state == State::Foreign {
            crate::outln!("  to run pachhook from it, add: {}", install::snippet(hook))?;
        }
        if let Some(link) = &status.link {
            crate::outln!("  a symbolic link to {}", crate::escape::path(link))?;
        }
        if let Some(previous) = &status.previous {
            crate::outln!("  runs first: {}", crate::escape::path(previous))?;
        }
        let runs = owner.as_ref().is_some_and(|(_, runs)| runs.is_some());
        manager_notes(&target.dir, hook, &status, runs)?;
    }
    for waiting in crate::deploy::pending::read_all(repo.common_dir()) {
        crate::outln!(
            "a deploy waits: {} once {} accepts the push of {} (reference-transaction is \
             armed until then)",
            crate::deploy::short(&waiting.commit),
            crate::escape::escape(&waiting.remote),
            crate::escape::escape(&waiting.branch)
        )?;
        // Armed and runnable, or git will not report the acceptance.
        let armed = install::status(&target.dir, HookName::ReferenceTransaction, target.binary())?;
        let wrong = match armed.state {
            State::Missing => Some("missing".to_string()),
            State::Foreign => Some("not pachhook's".to_string()),
            State::NotExecutable(mode) => Some(format!("not executable (mode {mode:04o})")),
            State::NotRegular(kind) => Some(format!("{kind}, not a file")),
            State::Current | State::Outdated | State::Modified => None,
        };
        if let Some(wrong) = wrong {
            crate::outln!(
                "  NOT ARMED: the reference-transaction hook is {wrong}, so git will not \
                 run it: after the push, deploy with `pachhook deploy {}`",
                waiting.commit
            )?;
        }
    }
    Ok(ExitStatus::Ok)
}

/// The hook manager that owns the hook at `<dir>/<hook>` (a hook it wrote, not
/// pachhook's), and its configuration file that runs pachhook, if one does.
fn manager_owning(dir: &Path, top: &Path, hook: HookName) -> Option<(Manager, Option<PathBuf>)> {
    let content = install::read_hook(&dir.join(install::file_name(hook)))?;
    if install::is_ours(&content) {
        return None;
    }
    let manager = Manager::of(dir, &content)?;
    Some((manager, manager.runs_pachhook(top, hook)))
}

/// When a hook manager owns the hook: what became of pachhook's, and how to combine.
fn manager_notes(
    dir: &Path,
    hook: HookName,
    status: &install::Status,
    runs_pachhook: bool,
) -> std::io::Result<()> {
    let content = install::read_hook(&status.path).unwrap_or_default();
    let Some(manager) = Manager::of(dir, &content) else {
        return Ok(());
    };
    let ours = matches!(
        status.state,
        State::Current | State::Outdated | State::Modified
    );
    if ours && manager != Manager::Husky {
        return Ok(());
    }
    if !ours {
        crate::outln!("  written by {}", manager.name())?;
    }
    if let Some(displaced) = managers::displaced_ours(dir, hook, manager) {
        crate::outln!(
            "  pachhook's hook was moved to {}: {}",
            crate::escape::path(&displaced),
            manager.fate(hook)
        )?;
    }
    if runs_pachhook {
        return Ok(());
    }
    crate::outln!("  {}", manager.advice(hook))
}

pub fn run(args: RunArgs) -> Result<ExitStatus> {
    if hooks::disabled() {
        return Ok(ExitStatus::Ok);
    }
    let hook = args.hook;
    run_hook(args).map_err(|mut error| {
        if let Some(config) = error.downcast_mut::<ConfigError>() {
            config.bypass = Some(bypass(hook));
        }
        error
    })
}

/// A broken configuration refuses every commit, including the one that fixes it: how
/// to get past it once.
fn bypass(hook: HookName) -> &'static str {
    match hook {
        HookName::PreCommit => {
            "to commit once without pachhook: `git commit --no-verify`, or `PACHHOOK=0 git commit`"
        }
        HookName::PrePush | HookName::ReferenceTransaction => {
            "to push once without pachhook: `git push --no-verify`, or `PACHHOOK=0 git push`"
        }
        HookName::PreMergeCommit => {
            "to merge once without pachhook: `git merge --no-verify`, or `PACHHOOK=0 git merge`"
        }
    }
}

fn run_hook(args: RunArgs) -> Result<ExitStatus> {
    match args.hook {
        // A merge commit is checked like any commit: from the index holding it.
        HookName::PreCommit => pre_commit::run(false),
        HookName::PreMergeCommit => pre_commit::run(true),
        HookName::PrePush => {
            let remote = args.args.first().ok_or_else(|| {
                UsageError(
                    "pre-push needs the remote's name: `pachhook run pre-push <remote> [<url>]`, \
                     with git's ref lines on standard input"
                        .into(),
                )
            })?;
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(UsageError(
                    "pre-push reads the refs being pushed from standard input \
                     (`<local ref> <local sha> <remote ref> <remote sha>` lines), as git gives them"
                        .into(),
                )
                .into());
            }
            let mut lines = Vec::new();
            stdin
                .read_to_end(&mut lines)
                .context("cannot read the refs being pushed from standard input")?;
            // Ref names need not be UTF-8 (a branch named in Latin-1): they are only
            // shown, and the ids beside them are ASCII.
            pre_push::run(remote, &String::from_utf8_lossy(&lines))
        }
        HookName::ReferenceTransaction => {
            let state = args.args.first().map_or("", String::as_str);
            let mut lines = Vec::new();
            let mut stdin = std::io::stdin();
            if !stdin.is_terminal() {
                stdin
                    .read_to_end(&mut lines)
                    .context("cannot read the updated refs from standard input")?;
            }
            // As for pre-push: a ref name need not be UTF-8 (a Latin-1 branch updated in
            // the same transaction); the ids and the tracking ref compared are ASCII.
            accepted::run(state, &String::from_utf8_lossy(&lines))
        }
    }
}
