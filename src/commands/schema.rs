//! `pachhook schema`: the spec's JSON Schema for editors, for one Pachyderm release.

use std::io::Write;

use anyhow::Result;

use crate::cli::SchemaArgs;
use crate::config::Config;
use crate::error::{ExitStatus, UsageError};
use crate::release::Release;
use crate::repo::Repo;
use crate::spec::json_schema;

pub fn run(args: SchemaArgs) -> Result<ExitStatus> {
    let release = match &args.pachyderm {
        Some(text) => text
            .parse::<Release>()
            .map_err(|m| UsageError(format!("--pachyderm: {m}")))?,
        None => configured_release()?,
    };
    let schema = json_schema::generate(release);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &schema)?;
    writeln!(out)?;
    Ok(ExitStatus::Ok)
}

/// `[pachyderm] version` of the repository we are in, else the newest release: the same
/// default as `check`, so the editor and the hook agree.
fn configured_release() -> Result<Release> {
    let repo = Repo::discover().ok().filter(|r| r.work_tree().is_ok());
    let config = match repo {
        Some(repo) => Config::judging(&repo, crate::config::Judged::WorkTree)?,
        None => Config::default(),
    };
    Ok(config.release.unwrap_or(Release::NEWEST))
}
