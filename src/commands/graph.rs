//! `pachhook graph`: the pipeline graph of the repository (or of the files named), as
//! Mermaid, dot or JSON; with `--from-ref`, what a range changes and reprocesses.
//!
//! The specs go through the check engine, so the graph sees exactly what `check` and
//! deploy see (templates rendered, keys normalized, projects resolved); which pipelines
//! a range changes is deploy's own decision (`deploy::plan::decide`), not a second one.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::check::{self, Report};
use crate::cli::{GraphArgs, GraphFormat};
use crate::config::{Config, Judged};
use crate::deploy::{Changes, plan};
use crate::error::{ExitStatus, UsageError};
use crate::graph::{Graph, render};
use crate::repo::Repo;

pub fn run(args: GraphArgs) -> Result<ExitStatus> {
    let repo = Repo::discover().ok();
    let mut graph = if let Some(from) = &args.from_ref {
        let repo = repo.ok_or_else(|| UsageError("--from-ref: not in a git repository".into()))?;
        of_range(&repo, from, args.to_ref.as_deref().unwrap_or("HEAD"))?
    } else {
        let root = repo
            .as_ref()
            .and_then(|r| r.work_tree().ok())
            .map(Path::to_path_buf);
        let config = match (&repo, &root) {
            (Some(repo), Some(_)) => Config::judging(repo, Judged::WorkTree)?,
            _ => Config::default(),
        };
        let selection = if args.paths.is_empty() {
            let root = root.as_ref().ok_or_else(|| {
                UsageError("not in a git repository: name the spec files or directories".into())
            })?;
            super::work_tree_specs(repo.as_ref(), root, &config.selector()?)?
        } else {
            crate::discover::from_paths(&args.paths)?
        };
        crate::hooks::warn(selection.warning());
        let report = check::check(selection.sources, &config.engine_options()?);
        let graph = of_report(&report);
        std::mem::forget(report);
        graph
    };
    if args.from_ref.is_none() {
        graph.mark(&BTreeSet::new());
    }
    let text = match args.format {
        GraphFormat::Mermaid => render::mermaid(&graph),
        GraphFormat::Dot => render::dot(&graph),
        GraphFormat::Json => render::json(&graph),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write the graph")?;
    Ok(ExitStatus::Ok)
}

/// The graph of the pipelines a check found. Files that do not parse add none: a
/// warning says so, since their pipelines are missing from the picture.
fn of_report(report: &Report) -> Graph {
    let unreadable = report
        .files
        .iter()
        .filter(|f| f.findings.iter().any(|x| x.rule == check::Rule::ParseError))
        .count();
    if unreadable > 0 {
        eprintln!(
            "pachhook: warning: {unreadable} spec file(s) do not parse; their pipelines are \
             missing from the graph (`pachhook check` shows why)"
        );
    }
    Graph::build(report.files.iter().flat_map(|f| {
        f.specs
            .iter()
            .filter_map(|s| s.pipeline.as_ref().map(|p| (p, f.source.path.as_str())))
    }))
}

/// The graph at `to`, with the pipelines deploy would update for the range from the
/// merge base of `from` and `to` marked changed, and those downstream of them.
fn of_range(repo: &Repo, from: &str, to: &str) -> Result<Graph> {
    let to = repo.commit_named(to)?;
    let from = repo.commit_named(from)?;
    let config = Config::for_commit(repo, to)?;
    let base = repo.merge_base(from, to)?;
    let tree = repo.tree_of(to)?;
    let sha = to.to_string();
    // What stops a deploy's planning stops the graph, with deploy's words.
    let failed = |e: crate::deploy::Failure| -> anyhow::Error {
        match e {
            crate::deploy::Failure::Config(m) => UsageError(m).into(),
            crate::deploy::Failure::Git(m) => anyhow::anyhow!(m),
            other => anyhow::anyhow!("{other:?}"),
        }
    };
    let specs = plan::check_commit(repo, to, &tree, &config).map_err(failed)?;
    let changes = Changes::between(repo, base, to)?;
    let work = plan::decide(&config, &specs, &changes, &sha).map_err(failed)?;
    let changed: BTreeSet<String> = work.pipelines.iter().map(|p| p.id()).collect();
    let mut graph = of_report(&specs.report);
    graph.mark(&changed);
    Ok(graph)
}
