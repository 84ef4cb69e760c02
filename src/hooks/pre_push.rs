//! `pre-push`: checks the spec files a push changes, as they are at each pushed tip.
//!
//! git gives the hook one line per ref it is about to update, on standard input:
//! `<local ref> <local sha> <remote ref> <remote sha>`. Every line is handled: a deletion
//! (all-zero local sha) sends nothing and is skipped; a new branch (all-zero remote sha)
//! sends the commits that no remote-tracking ref of that remote has; otherwise the push
//! sends `remote..local`.

use std::collections::BTreeSet;

use anyhow::{Context, Result, anyhow};
use git2::Oid;

use super::Filter;
use crate::config::{Config, policy};
use crate::error::{ExitStatus, UsageError};
use crate::repo::{Repo, is_zero};
use crate::source::Source;

/// One ref a push updates, and the commits it sends.
#[derive(Clone, Debug, PartialEq)]
pub struct PushUpdate {
    pub local_ref: String,
    pub local_oid: Oid,
    pub remote_ref: String,
    /// The remote's current tip; `None` when the push creates the ref.
    pub remote_oid: Option<Oid>,
    /// The commits the remote does not have yet, newest first.
    pub commits: Vec<Oid>,
}

/// The hook: exit 1 on error findings at any pushed tip, 0 otherwise.
pub fn run(remote: &str, stdin: &str) -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let config = Config::load(repo.work_tree()?)?;
    let filter = Filter::new(&config)?;
    let pushed = updates(&repo, remote, stdin)?;
    let mut opts = None;
    let mut refused = false;
    for update in &pushed {
        let changed = changed_paths(&repo, update)?;
        let mut sources = tip_sources(&repo, update, &filter, &changed)?;
        sources.extend(templates_of_changed_config(
            &repo, update, &config, &sources, &changed,
        )?);
        if sources.is_empty() && config.policies.is_empty() {
            continue;
        }
        let base = match &opts {
            Some(opts) => opts,
            None => opts.insert(config.engine_options()?),
        };
        // The policies as they are at the pushed tip, like the specs: a push whose
        // policy file does not load is refused even when it changes no spec, and one
        // that changes a policy has every spec at the tip checked against it.
        let mut opts = base.clone();
        if !config.policies.is_empty() {
            let mut files = policy::Files::commit(&repo, update.local_oid);
            opts.policies = policy::load(&config.policies, &mut files)?;
        }
        if opts
            .policies
            .iter()
            .flat_map(|p| p.files())
            .any(|f| changed.contains(f))
        {
            let tree = tip_tree(&repo, update)?;
            for source in crate::deploy::plan::spec_sources(&repo.git, &tree, &config.spec_paths)? {
                if !sources.iter().any(|s| s.path == source.path) {
                    sources.push(source);
                }
            }
        }
        if sources.is_empty() {
            continue;
        }
        println!(
            "pachhook: {} at {}",
            update.local_ref,
            short(&update.local_oid)
        );
        refused |= super::check_and_print(sources, &opts)?.has_errors();
    }
    if refused {
        eprintln!("pachhook: push refused: fix the errors above in a new commit");
        return Ok(ExitStatus::Findings);
    }
    // The checks passed: deploy the pushed branches the team opted in for, with the
    // settings of the pushed commits.
    let branches: Vec<crate::deploy::Pushed> = pushed
        .iter()
        .filter_map(|update| {
            let branch = update.remote_ref.strip_prefix("refs/heads/")?;
            Some(crate::deploy::Pushed {
                branch: branch.to_string(),
                old: update.remote_oid,
                new: update.local_oid,
            })
        })
        .collect();
    Ok(crate::deploy::on_push(&repo, &branches))
}

/// Parses git's pre-push lines and finds the commits each update sends. Deletions are
/// left out: they send no commit.
pub fn updates(repo: &Repo, remote: &str, stdin: &str) -> Result<Vec<PushUpdate>> {
    let mut out = Vec::new();
    for line in stdin.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local_sha, remote_ref, remote_sha] = fields[..] else {
            return Err(UsageError(format!(
                "pre-push: cannot read `{line}`: git sends \
                 `<local ref> <local sha> <remote ref> <remote sha>` lines on standard input"
            ))
            .into());
        };
        if is_zero(local_sha) {
            continue;
        }
        let local_oid = repo.parse_oid(local_sha)?;
        let remote_oid = if is_zero(remote_sha) {
            None
        } else {
            Some(repo.parse_oid(remote_sha)?)
        };
        let commits = repo
            .pushed_commits(local_oid, remote_oid, remote)
            .with_context(|| format!("cannot find the commits {local_ref} pushes"))?;
        out.push(PushUpdate {
            local_ref: local_ref.to_string(),
            local_oid,
            remote_ref: remote_ref.to_string(),
            remote_oid,
            commits,
        });
    }
    Ok(out)
}

/// The paths the pushed commits add or change.
pub fn changed_paths(repo: &Repo, update: &PushUpdate) -> Result<BTreeSet<String>> {
    let mut paths = BTreeSet::new();
    for &commit in &update.commits {
        paths.extend(repo.changed_paths(commit)?);
    }
    Ok(paths)
}

fn tip_tree<'r>(repo: &'r Repo, update: &PushUpdate) -> Result<git2::Tree<'r>> {
    repo.git
        .find_commit(update.local_oid)
        .and_then(|c| c.tree())
        .map_err(|e| anyhow!(e).context(format!("cannot read {}", update.local_ref)))
}

/// The spec files among the `changed` paths of a push, as they are at the pushed tip.
pub fn tip_sources(
    repo: &Repo,
    update: &PushUpdate,
    filter: &Filter,
    changed: &BTreeSet<String>,
) -> Result<Vec<Source>> {
    let paths: Vec<&String> = changed.iter().filter(|p| filter.matches(p)).collect();
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let tree = tip_tree(repo, update)?;
    let mut sources = Vec::new();
    for path in paths {
        // A file changed in the range may be gone at the tip: nothing to check then.
        if let Some(id) = repo.blob_at(&tree, path)? {
            sources.push(filter.source(path.clone(), repo.blob(id)?));
        }
    }
    Ok(sources)
}

/// When the pushed commits change pachhook.toml, the templates its `[[template]]`
/// instances name, as they are at the tip (those not already among `sources`).
fn templates_of_changed_config(
    repo: &Repo,
    update: &PushUpdate,
    config: &Config,
    sources: &[Source],
    changed: &BTreeSet<String>,
) -> Result<Vec<Source>> {
    if config.templates.is_empty() || !changed.contains(crate::config::TEAM_FILE) {
        return Ok(Vec::new());
    }
    let tree = tip_tree(repo, update)?;
    let mut out: Vec<Source> = Vec::new();
    for instance in &config.templates {
        let path = &instance.path;
        if sources.iter().chain(&out).any(|s| &s.path == path) {
            continue;
        }
        if let Some(id) = repo.blob_at(&tree, path)? {
            out.push(Source::new(path.clone(), repo.blob(id)?));
        }
    }
    Ok(out)
}

fn short(id: &Oid) -> String {
    id.to_string().chars().take(12).collect()
}
