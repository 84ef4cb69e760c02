//! `install`, `uninstall`, `status`, `run`: the hooks' command-line side.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::{HookArgs, RunArgs};
use crate::config::ConfigError;
use crate::error::{ExitStatus, UsageError};
use crate::hooks::HookName;
use crate::hooks::install::{self, Installed, State, Uninstalled};
use crate::hooks::{self, pre_commit, pre_push};
use crate::repo::Repo;

fn chosen(hook: Option<HookName>) -> Vec<HookName> {
    hook.map_or_else(|| install::ALL.to_vec(), |h| vec![h])
}

/// The binary the hooks will call: this one, by absolute path.
fn this_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the path of pachhook")?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

pub fn install(args: HookArgs) -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let dir = repo.hooks_dir()?;
    let exe = this_exe()?;
    for hook in chosen(args.hook) {
        let name = install::file_name(hook);
        let path = dir.join(name);
        match install::install(&dir, hook, &exe)? {
            Installed::Written => println!("installed {name}: {}", path.display()),
            Installed::Updated => println!("updated {name}: {}", path.display()),
            Installed::Unchanged => println!("{name} is installed and current: {}", path.display()),
            Installed::Chained(previous) => println!(
                "installed {name}: {}\n  the hook that was there runs first, kept as {}",
                path.display(),
                previous.display()
            ),
        }
    }
    Ok(ExitStatus::Ok)
}

pub fn uninstall(args: HookArgs) -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let dir = repo.hooks_dir()?;
    for hook in chosen(args.hook) {
        let name = install::file_name(hook);
        let path = dir.join(name);
        match install::uninstall(&dir, hook)? {
            Uninstalled::Removed => println!("removed {name}: {}", path.display()),
            Uninstalled::Restored => println!(
                "removed {name}, and restored the hook it had replaced: {}",
                path.display()
            ),
            Uninstalled::NotInstalled => println!("{name} was not installed"),
            Uninstalled::NotOurs => {
                println!("{name} is not pachhook's, left alone: {}", path.display())
            }
        }
    }
    Ok(ExitStatus::Ok)
}

pub fn status() -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let dir = repo.hooks_dir()?;
    let exe = this_exe()?;
    println!("hooks directory: {}", dir.display());
    for hook in install::ALL {
        let name = install::file_name(hook);
        let status = install::status(&dir, hook, &exe)?;
        let state = match status.state {
            State::Missing => "not installed (run `pachhook install`)",
            State::Current => "installed, current",
            State::Outdated => {
                "installed, outdated: written by another pachhook (run `pachhook install`)"
            }
            State::Foreign => "another hook, not pachhook's (`pachhook install` keeps it)",
        };
        println!("{name}: {state}");
        if let Some(previous) = status.previous {
            println!("  runs first: {}", previous.display());
        }
    }
    Ok(ExitStatus::Ok)
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
        HookName::PrePush => {
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
    }
}
