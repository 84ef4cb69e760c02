//! `pachhook check`: the engine on files the user names, or on the repository's specs.

use std::path::Path;

use anyhow::Result;

use crate::check::{self, Options};
use crate::cli::CheckArgs;
use crate::config::{Config, policy};
use crate::error::{ExitStatus, UsageError};
use crate::repo::Repo;
use crate::report::Format;
use crate::{discover, hooks, report};

pub fn run(args: CheckArgs) -> Result<ExitStatus> {
    // Outside a repository, named files are still checked, with the defaults.
    let repo = Repo::discover().ok();
    let root = repo
        .as_ref()
        .and_then(|r| r.work_tree().ok())
        .map(Path::to_path_buf);
    let config = match &root {
        Some(root) => Config::load(root)?,
        None => Config::default(),
    };
    let mut opts = options(&config, args.pachyderm.as_deref())?;
    let sources = if args.staged {
        // The pre-commit hook's selection: the staged content of the changed specs, and
        // the policies as staged.
        let repo = repo.ok_or_else(|| UsageError("--staged: not in a git repository".into()))?;
        let filter = hooks::Filter::new(&config)?;
        opts.policies = policy::load(&config.policies, &mut policy::Files::index(&repo))?;
        hooks::pre_commit::staged_sources(&repo, &filter)?
    } else if args.paths.is_empty() || args.all {
        let root = root.as_ref().ok_or_else(|| {
            UsageError(
                "not in a git repository: name the spec files or directories to check".into(),
            )
        })?;
        discover::from_repo(root, &config.spec_paths)?
    } else {
        if let Some(root) = &root {
            opts.path_base = Some(check::policy::PathBase {
                root: root.canonicalize().unwrap_or_else(|_| root.clone()),
                cwd: std::env::current_dir()?,
            });
        }
        discover::from_paths(&args.paths)?
    };
    if let (Some(root), false) = (&root, args.staged) {
        opts.policies = policy::load(&config.policies, &mut policy::Files::work_tree(root))?;
    }
    let report = check::check(sources, &opts);
    match &args.output {
        // The file for the CI system, the human report for the log.
        Some(path) => {
            report::save(&report, args.format, path)?;
            report::print(&report, Format::Human)?;
        }
        None => report::print(&report, args.format)?,
    }
    let status = if report.has_errors() {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    };
    // The process ends right after this: freeing every tree of a large run one node at
    // a time would only delay the exit (measured with scripts/bench-check.sh).
    std::mem::forget(report);
    Ok(status)
}

/// Engine options from the configuration, `PACHHOOK_SKIP` and a `--pachyderm` flag.
fn options(config: &Config, release: Option<&str>) -> Result<Options> {
    let mut opts = config.engine_options()?;
    if let Some(release) = release {
        opts.release = release
            .parse()
            .map_err(|m| UsageError(format!("--pachyderm: {m}")))?;
    }
    Ok(opts)
}
