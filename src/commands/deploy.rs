//! `pachhook deploy [REV] [--dry-run]`: the deploy a push would do, by hand or from CI,
//! for everything of one commit (default HEAD).

use anyhow::Result;

use crate::cli::{DeployArgs, StatusArgs, StatusFormat};
use crate::config::Config;
use crate::deploy::{self, Changes, RunOpts};
use crate::error::{ExitStatus, UsageError};
use crate::repo::Repo;

pub fn run(args: DeployArgs) -> Result<ExitStatus> {
    let repo = match &args.repo {
        Some(path) => Repo::open(path)?,
        None => Repo::discover()?,
    };
    let rev = args.rev.as_deref().unwrap_or("HEAD");
    let commit = repo
        .git
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| UsageError(format!("`{rev}` does not name a commit of this repository")))?
        .id();
    // The settings of the commit deployed, not of the working tree.
    let config = Config::for_commit(&repo, commit)?;
    // The branch deployed, for `[deploy] clusters`: the one named, or the one checked
    // out when deploying HEAD.
    let branch = match &args.rev {
        Some(rev) => repo
            .git
            .find_reference(&format!("refs/heads/{rev}"))
            .is_ok()
            .then(|| rev.clone()),
        None => repo
            .git
            .head()
            .ok()
            .filter(|h| h.is_branch())
            .and_then(|h| h.shorthand().ok().map(|s| s.to_string())),
    };
    let opts = RunOpts {
        dry_run: args.dry_run,
        from_push: false,
        branch,
        force: args.force,
        ..RunOpts::default()
    };
    // A failed deploy's exit status (findings, configuration, the rest failed) comes
    // from `error::status_of`, like every other command's.
    deploy::run(&repo, &config, commit, Changes::All, opts)?;
    Ok(ExitStatus::Ok)
}

/// `pachhook status --cluster`: what the cluster the current branch deploys to runs.
pub fn status(args: StatusArgs) -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let head = repo
        .git
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id())
        .ok_or_else(|| UsageError("the repository has no commit yet".into()))?;
    let branch = repo
        .git
        .head()
        .ok()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok().map(|s| s.to_string()));
    let status = deploy::status::collect(&repo, head, branch.as_deref()).map_err(|failure| {
        crate::error::StatusError::new(ExitStatus::Failed, ClusterUnread(failure.to_string()))
    })?;
    match args.format {
        StatusFormat::Human => crate::outln!("{}", deploy::status::human(&status).trim_end())?,
        StatusFormat::Json => {
            crate::outln!("{}", serde_json::to_string_pretty(&status)?)?;
        }
    }
    Ok(ExitStatus::Ok)
}

/// `status --cluster` could not read the cluster (or the repository's specs).
#[derive(Debug)]
struct ClusterUnread(String);

impl std::fmt::Display for ClusterUnread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot tell what the cluster runs: {}", self.0)
    }
}

impl std::error::Error for ClusterUnread {}
