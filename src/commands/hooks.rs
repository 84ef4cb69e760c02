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
    dir: PathBuf,
    shared: bool,
    exe: PathBuf,
}

impl Target {
    fn find(repo: &Repo) -> Result<Target> {
        let dir = repo.hooks_dir()?;
        let shared = repo.is_tracked_dir(&dir)?;
        Ok(Target {
            dir,
            shared,
            exe: this_exe()?,
        })
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
    let mut written = Vec::new();
    for hook in chosen(args.hook) {
        let name = install::file_name(hook);
        let path = target.dir.join(name);
        let shown = target.show(&path);
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
    for hook in install::ALL {
        let name = install::file_name(hook);
        let status = install::status(&target.dir, hook, target.binary())?;
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
            State::Foreign if target.shared => "the team's own hook, not pachhook's",
            State::Foreign => "another hook, not pachhook's (`pachhook install` keeps it)",
        };
        crate::outln!("{name}: {state}")?;
        if target.shared && status.state == State::Foreign {
            crate::outln!("  to run pachhook from it, add: {}", install::snippet(hook))?;
        }
        if let Some(link) = &status.link {
            crate::outln!("  a symbolic link to {}", crate::escape::path(link))?;
        }
        if let Some(previous) = &status.previous {
            crate::outln!("  runs first: {}", crate::escape::path(previous))?;
        }
        manager_notes(&target.dir, hook, &status)?;
    }
    for waiting in crate::deploy::pending::read_all(repo.common_dir()) {
        crate::outln!(
            "a deploy waits: {} once {} accepts the push of {} (reference-transaction is \
             armed until then)",
            crate::deploy::short(&waiting.commit),
            crate::escape::escape(&waiting.remote),
            crate::escape::escape(&waiting.branch)
        )?;
    }
    Ok(ExitStatus::Ok)
}

/// When a hook manager owns the hook: what became of pachhook's, and how to combine.
fn manager_notes(dir: &Path, hook: HookName, status: &install::Status) -> std::io::Result<()> {
    let content = std::fs::read(&status.path).unwrap_or_default();
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
    }
}

fn run_hook(args: RunArgs) -> Result<ExitStatus> {
    match args.hook {
        HookName::PreCommit => pre_commit::run(),
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
            let mut lines = String::new();
            stdin
                .read_to_string(&mut lines)
                .context("cannot read the refs being pushed from standard input")?;
            pre_push::run(remote, &lines)
        }
        HookName::ReferenceTransaction => {
            let state = args.args.first().map_or("", String::as_str);
            let mut lines = String::new();
            let mut stdin = std::io::stdin();
            if !stdin.is_terminal() {
                stdin
                    .read_to_string(&mut lines)
                    .context("cannot read the updated refs from standard input")?;
            }
            accepted::run(state, &lines)
        }
    }
}
