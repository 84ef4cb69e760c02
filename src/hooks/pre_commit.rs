//! `pre-commit`: checks the staged content of the spec files a commit changes.
//!
//! The bytes come from the index (blobs by the entries' ids), never from the working
//! tree, so a partially staged file is checked as it will be committed, and nothing is
//! written anywhere. Which files: `select::staged`. Speed matters because this runs on
//! every commit: the index is filtered by path first (a string test), and only the few
//! candidates are compared with HEAD's tree; no diff of the whole tree is made.

use anyhow::Result;

use crate::config::{Config, Judged, policy};
use crate::error::ExitStatus;
use crate::repo::{Repo, TreeFiles};
use crate::select::{self, Selector};
use crate::source::Source;

/// The hook: exit 1 on error findings, 0 otherwise. `merging`: run as pre-merge-commit,
/// by `git merge` (see `Repo::merge_sources`).
pub fn run(merging: bool) -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let config = Config::judging(&repo, Judged::Index)?;
    let selector = config.selector()?;
    let merged = repo.merge_sources(merging)?;
    let selection = select::staged(&repo, &selector, &merged)?;
    super::warn(selection.warning());
    let mut sources = selection.sources;
    sources.extend(templates_of_changed_config(&repo, &config, &sources)?);
    if sources.is_empty() && config.policies.is_empty() {
        return Ok(ExitStatus::Ok);
    }
    let mut opts = config.engine_options()?;
    // The policies as staged: a commit that changes them is checked against them, and
    // one that breaks a policy file is refused even when it changes no spec.
    opts.policies = policy::load(&config.policies, &mut policy::Files::index(&repo))?;
    sources.extend(specs_of_changed_policy(&repo, &selector, &opts, &sources)?);
    if sources.is_empty() {
        return Ok(ExitStatus::Ok);
    }
    // The graph rules see the changed specs among all the staged ones.
    if crate::check::graph::wanted(&opts) {
        let all = select::index(&repo, &selector)?.sources;
        opts.graph.context = Some(crate::check::graph::context(all, &opts));
    }
    let report = super::check_and_print(sources, &opts)?;
    if report.has_errors() {
        eprintln!(
            "pachhook: commit refused: fix the errors above and stage the fix \
             (or skip one rule: PACHHOOK_SKIP=rule-id git commit ...)"
        );
        return Ok(ExitStatus::Findings);
    }
    Ok(ExitStatus::Ok)
}

/// When the commit changes a policy (its schema, or a file its `$ref`s name), every
/// staged spec file not already among `sources`: the commit's specs must meet the
/// commit's policy, not only the specs it touches.
fn specs_of_changed_policy(
    repo: &Repo,
    selector: &Selector,
    opts: &crate::check::Options,
    sources: &[Source],
) -> Result<Vec<Source>> {
    let files: Vec<&str> = opts.policies.iter().flat_map(|p| p.files()).collect();
    if files.is_empty() {
        return Ok(Vec::new());
    }
    if !staged_differs(repo, |path| files.iter().any(|f| f.as_bytes() == path))? {
        return Ok(Vec::new());
    }
    let mut all = select::index(repo, selector)?.sources;
    all.retain(|source| !sources.iter().any(|s| s.path == source.path));
    Ok(all)
}

/// Whether the commit changes any of the staged files `wanted` picks: one differs from
/// HEAD's version, or there is no HEAD yet.
fn staged_differs(repo: &Repo, wanted: impl Fn(&[u8]) -> bool) -> Result<bool> {
    let staged = repo.staged_files(wanted)?;
    let Some(tree) = repo.head_tree()? else {
        return Ok(!staged.is_empty());
    };
    let mut head = TreeFiles::new(repo, tree);
    for (path, id) in staged {
        if head.blob(&path)? != Some(id) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// When the commit changes pachhook.toml, the staged templates its `[[template]]`
/// instances name (those not already among `sources`): a changed argument is checked
/// like a changed template.
fn templates_of_changed_config(
    repo: &Repo,
    config: &Config,
    sources: &[Source],
) -> Result<Vec<Source>> {
    if config.templates.is_empty() {
        return Ok(Vec::new());
    }
    let team = crate::config::TEAM_FILE.as_bytes();
    if !staged_differs(repo, |path| path == team)? {
        return Ok(Vec::new());
    }
    let wanted: Vec<&str> = config
        .templates
        .iter()
        .map(|t| t.path.as_str())
        .filter(|p| !sources.iter().any(|s| s.path == *p))
        .collect();
    let mut out = Vec::new();
    for (path, id) in repo.staged_files(|p| wanted.iter().any(|w| w.as_bytes() == p))? {
        if !out.iter().any(|s: &Source| s.path.as_bytes() == path) {
            out.push(Source::new(select::display(&path), repo.blob(id)?));
        }
    }
    Ok(out)
}
