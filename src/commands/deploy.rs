//! `pachhook deploy [REV] [--dry-run]`: the deploy a push would do, by hand or from CI,
//! for everything of one commit (default HEAD).

use anyhow::Result;

use crate::cli::DeployArgs;
use crate::config::Config;
use crate::deploy::{self, Changes, RunOpts};
use crate::error::{ExitStatus, UsageError};
use crate::repo::Repo;

pub fn run(args: DeployArgs) -> Result<ExitStatus> {
    let repo = match &args.repo {
        Some(path) => Repo::open(path)?,
        None => Repo::discover()?,
    };
    let config = Config::load(repo.work_tree()?)?;
    let rev = args.rev.as_deref().unwrap_or("HEAD");
    let commit = repo
        .git
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| UsageError(format!("`{rev}` does not name a commit of this repository")))?
        .id();
    let opts = RunOpts {
        dry_run: args.dry_run,
        interactive: true,
    };
    // A failed deploy's exit status (findings, configuration, the rest failed) comes
    // from `error::status_of`, like every other command's.
    deploy::run(&repo.git, &config, commit, Changes::All, opts)?;
    Ok(ExitStatus::Ok)
}
