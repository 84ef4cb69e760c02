//! `pachhook deploy [REV] [--dry-run]`: the deploy a push would do, by hand or from CI,
//! for everything of one commit (default HEAD).

use anyhow::Result;

use crate::cli::DeployArgs;
use crate::config::Config;
use crate::deploy::{self, Changes, RunOpts};
use crate::exit::{self, UsageError};

pub fn run(args: DeployArgs) -> Result<i32> {
    let start = match &args.repo {
        Some(path) => path.clone(),
        None => std::env::current_dir()?,
    };
    let repo = git2::Repository::discover(&start).map_err(|_| {
        UsageError(format!(
            "not in a git repository ({}): run deploy inside the repository to deploy",
            start.display()
        ))
    })?;
    let root = repo
        .workdir()
        .map(std::path::Path::to_path_buf)
        .ok_or_else(|| UsageError("deploy needs a repository with a working tree".into()))?;
    let config = Config::load(&root)?;
    let rev = args.rev.as_deref().unwrap_or("HEAD");
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| UsageError(format!("`{rev}` does not name a commit of this repository")))?
        .id();
    let opts = RunOpts {
        dry_run: args.dry_run,
        interactive: true,
    };
    match deploy::run(&repo, &config, commit, Changes::All, opts) {
        Ok(_) => Ok(exit::OK),
        Err(error) => match error.downcast_ref::<deploy::DeployError>() {
            Some(failure) => {
                eprintln!("pachhook: {failure}");
                Ok(failure.exit_code())
            }
            None => Err(error),
        },
    }
}
