//! What a deploy shows a person: the dry run (images and rendered specs), the question
//! `[deploy] confirm` asks, and the summary at the end. Results go to standard output;
//! progress and errors go to standard error.

use std::io::Write;

use anyhow::Result;
use git2::{Repository, Tree};

use super::plan::Plan;
use super::{Summary, context, short, update};
use crate::config::{Config, Pin};
use crate::repo::tree::CommitTree;

pub fn dry_run(
    repo: &Repository,
    tree: &Tree<'_>,
    commit_time: u64,
    plan: &Plan,
    config: &Config,
    sha: &str,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "dry run: deploy of {sha} (nothing is built, pushed, updated or recorded)"
    )?;
    for image in &plan.images {
        let ctx = context::collect(
            &CommitTree::new(repo, tree),
            commit_time,
            &image.build.context,
            &image.build.dockerfile,
        )?;
        writeln!(
            out,
            "would build {} from {} (Dockerfile {}; {} entries, {} bytes from the commit)",
            image.reference,
            if image.build.context.is_empty() {
                "."
            } else {
                &image.build.context
            },
            ctx.dockerfile,
            ctx.paths().len(),
            ctx.total_bytes
        )?;
    }
    if config.deploy.pin == Pin::Digest && !plan.images.is_empty() {
        writeln!(
            out,
            "(pin = \"digest\": the specs will name the digest the registry returns)"
        )?;
    }
    for pipeline in &plan.pipelines {
        let image = pipeline
            .image
            .and_then(|i| plan.images.get(i))
            .map(|i| i.reference.as_str());
        writeln!(
            out,
            "would update pipeline {} ({}):",
            pipeline.name, pipeline.file
        )?;
        let spec = update::render(&pipeline.spec, image);
        writeln!(out, "{}", serde_json::to_string_pretty(&spec)?)?;
    }
    Ok(())
}

/// Asks on the terminal (not standard input: in a hook that is git's pipe). Without a
/// terminal there is nobody to ask, and the deploy goes on.
pub fn confirm(plan: &Plan, sha: &str) -> bool {
    let (Ok(read), Ok(write)) = (
        std::fs::File::open("/dev/tty"),
        std::fs::OpenOptions::new().write(true).open("/dev/tty"),
    ) else {
        return true;
    };
    let term = dialoguer::console::Term::read_write_pair(read, write);
    if !term.is_term() {
        return true;
    }
    let images: Vec<&str> = plan.images.iter().map(|i| i.reference.as_str()).collect();
    let pipelines: Vec<&str> = plan.pipelines.iter().map(|p| p.name.as_str()).collect();
    let prompt = format!(
        "Deploy {}: build {} and update {}?",
        short(sha),
        if images.is_empty() {
            "nothing".to_string()
        } else {
            images.join(", ")
        },
        if pipelines.is_empty() {
            "no pipeline".to_string()
        } else {
            pipelines.join(", ")
        },
    );
    dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact_on(&term)
        .unwrap_or(false)
}

pub fn summary(summary: &Summary) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "deployed {} ({} image(s), {} pipeline(s)):",
        short(&summary.commit),
        summary.images.len(),
        summary.pipelines.len()
    );
    for image in &summary.images {
        let _ = writeln!(
            out,
            "  image     {}  {}  {}",
            image.reference,
            image.digest.as_deref().unwrap_or("-"),
            if image.built {
                "built and pushed"
            } else {
                "already in the registry"
            }
        );
    }
    for p in &summary.pipelines {
        let _ = writeln!(
            out,
            "  pipeline  {}  {}  {}  updated",
            p.name,
            p.image.as_deref().unwrap_or("-"),
            p.digest.as_deref().unwrap_or("-"),
        );
    }
}
