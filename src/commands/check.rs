//! `pachhook check`: the engine on files the user names, or on the repository's specs.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::check::{self, Options};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::exit::{self, UsageError};
use crate::repo::Repo;
use crate::{discover, hooks, report};

pub fn run(args: CheckArgs) -> Result<i32> {
    let cwd = std::env::current_dir()?;
    let root = find_root(&cwd);
    let config = load_config(root.as_deref())?;
    let opts = options(&config, args.pachyderm.as_deref())?;
    let sources = if args.staged {
        // The pre-commit hook's selection: the staged content of the changed specs.
        let repo = Repo::discover()?;
        let filter = hooks::Filter::new(&config)?;
        hooks::pre_commit::staged_sources(&repo, &filter)?
    } else if args.paths.is_empty() || args.all {
        let root = root.ok_or_else(|| {
            UsageError(
                "not in a git repository: name the spec files or directories to check".into(),
            )
        })?;
        discover::from_repo(&root, &config.spec_paths)?
    } else {
        discover::from_paths(&args.paths)?
    };
    let report = check::check(sources, &opts);
    report::print(&report, args.format)?;
    let code = if report.has_errors() {
        exit::FINDINGS
    } else {
        exit::OK
    };
    // The process ends right after this: freeing every tree of a large run one node at
    // a time would only delay the exit (measured with scripts/bench-check.sh).
    std::mem::forget(report);
    Ok(code)
}

/// The configuration of the repository at `root`, or the defaults outside one.
pub fn load_config(root: Option<&Path>) -> Result<Config> {
    match root {
        Some(root) => Config::load(root),
        None => Ok(Config::default()),
    }
}

/// Engine options from the configuration, `PACHHOOK_SKIP` and a `--pachyderm` flag.
pub fn options(config: &Config, release: Option<&str>) -> Result<Options> {
    let skip = std::env::var("PACHHOOK_SKIP").ok();
    let mut opts = config
        .options(skip.as_deref())
        .map_err(|e| UsageError(e.to_string()))?;
    if let Some(release) = release {
        opts.release = release
            .parse()
            .map_err(|m| UsageError(format!("--pachyderm: {m}")))?;
    }
    Ok(opts)
}

/// The work tree root above `dir`: the nearest directory holding `.git` (a directory,
/// or a file in a linked worktree).
fn find_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}
