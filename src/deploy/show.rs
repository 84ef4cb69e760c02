//! What a deploy shows a person: the dry run (images and rendered specs), the question
//! `[deploy] confirm` asks, and the summary at the end. Results go to standard output;
//! progress and errors go to standard error.

use std::io::Write;

use anyhow::Result;
use git2::{Repository, Tree};

use super::plan::Plan;
use super::{Status, Summary, context, short, update};
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
            pipeline.id(),
            pipeline.file
        )?;
        let spec = update::render(&pipeline.spec, image);
        writeln!(out, "{}", serde_json::to_string_pretty(&spec)?)?;
    }
    Ok(())
}

/// What the person asked by `confirm` chose.
pub enum Answer {
    Deploy,
    /// Refuse the push (from `pachhook deploy`: do nothing).
    Refuse,
    /// Let the push go on without deploying (pre-push only).
    Skip,
    /// There is no terminal to ask on: nobody agreed, so nothing is deployed.
    NoTerminal,
}

/// Asks on the terminal (not standard input: in a hook that is git's pipe). From a push
/// the choices are: deploy, refuse the push, push without deploying.
pub fn confirm(plan: &Plan, sha: &str, from_push: bool) -> Answer {
    let (Ok(read), Ok(write)) = (
        std::fs::File::open("/dev/tty"),
        std::fs::OpenOptions::new().write(true).open("/dev/tty"),
    ) else {
        return Answer::NoTerminal;
    };
    let term = dialoguer::console::Term::read_write_pair(read, write);
    if !term.is_term() {
        return Answer::NoTerminal;
    }
    let images: Vec<&str> = plan.images.iter().map(|i| i.reference.as_str()).collect();
    let pipelines: Vec<String> = plan.pipelines.iter().map(|p| p.id()).collect();
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
    let mut choices = vec!["deploy"];
    let mut answers = vec![Answer::Deploy];
    if from_push {
        choices.extend(["refuse the push", "push without deploying"]);
        answers.extend([Answer::Refuse, Answer::Skip]);
    } else {
        choices.push("do not deploy");
        answers.push(Answer::Refuse);
    }
    match dialoguer::Select::new()
        .with_prompt(prompt)
        .items(&choices)
        .default(1)
        .interact_on_opt(&term)
    {
        Ok(Some(i)) if i < answers.len() => answers.swap_remove(i),
        _ => Answer::Refuse,
    }
}

pub fn summary(summary: &Summary) {
    let mut out = std::io::stdout().lock();
    let updated = summary
        .pipelines
        .iter()
        .filter(|p| p.status == Status::Updated)
        .count();
    let _ = writeln!(
        out,
        "{} {} ({} image(s), {updated} of {} pipeline(s) updated):",
        if summary.error.is_some() {
            "deploy stopped:"
        } else {
            "deployed"
        },
        summary.commit,
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
        let status = match &p.status {
            Status::Updated => "updated",
            Status::Failed(_) => "failed",
            Status::NotAttempted => "not attempted",
        };
        let _ = writeln!(
            out,
            "  pipeline  {}/{}  {}  {}  {status}",
            p.project,
            p.name,
            p.image.as_deref().unwrap_or("-"),
            p.digest.as_deref().unwrap_or("-"),
        );
    }
}
