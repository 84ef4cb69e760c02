//! `pre-push`: checks the spec files a push changes, as they are at the pushed tips.
//!
//! git gives the hook one line per ref it is about to update, on standard input:
//! `<local ref> <local sha> <remote ref> <remote sha>`. A deletion (all-zero local sha)
//! sends nothing. A tag is peeled to its commit; a tag of a tree or a blob carries no
//! history and has nothing to check.
//!
//! The cost is linear in what the push sends, however many refs it updates (a
//! `git push --mirror` of thousands of tags): one history walk from every pushed tip
//! together, hiding the remote's old tips (or its tracking refs `refs/remotes/<remote>/*`
//! when an old tip is unknown here), gives the new commits; each is compared once with
//! its first parent. A spec file's content is checked when a new commit introduced it and
//! it is what a pushed tip holds, once per distinct content, and the output is one summary
//! line, not a line per ref.

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context, Result};

use crate::config::{Config, Judged, policy};
use crate::error::{ExitStatus, UsageError};
use crate::repo::{Oid, Repo, TreeFiles, is_zero};
use crate::select::{self, Pick, Selection, Selector};
use crate::source::Source;

/// One ref a push updates.
#[derive(Clone, Debug, PartialEq)]
pub struct PushUpdate {
    pub local_ref: String,
    /// The object pushed: a commit, or a tag object.
    pub local_oid: Oid,
    /// The commit it stands for; `None` for a tag of a tree or a blob.
    pub commit: Option<Oid>,
    pub remote_ref: String,
    /// The remote's current tip; `None` when the push creates the ref.
    pub remote_oid: Option<Oid>,
}

/// Everything one push sends.
#[derive(Debug)]
pub struct Push {
    /// The refs it creates or updates (deletions left out).
    pub updates: Vec<PushUpdate>,
    /// The commits the remote does not have yet, for all refs together, newest first.
    pub commits: Vec<Oid>,
}

/// The hook: exit 1 on error findings at any pushed tip, 0 otherwise.
pub fn run(remote: &str, stdin: &str) -> Result<ExitStatus> {
    let repo = Repo::discover()?;
    let push = pushed(&repo, remote, stdin)?;
    let mut refused = false;
    // Each pushed tip is judged by its own settings (its pachhook.toml, policies and
    // templates), never the work tree's: tips that carry the same pachhook.toml share
    // one check.
    for (tip, updates) in by_settings(&repo, &push)? {
        let config = Config::judging(&repo, Judged::Commit(tip))?;
        let part = Push {
            updates,
            commits: push.commits.clone(),
        };
        refused |= check_part(&repo, &config, &part)?;
    }
    if refused {
        eprintln!("pachhook: push refused: fix the errors above in a new commit");
        return Ok(ExitStatus::Findings);
    }
    // The checks passed: prepare the deploy of the pushed branches the team opted in
    // for, with the settings of the pushed commits; the pipelines wait for the remote.
    let branches: Vec<crate::deploy::Pushed> = push
        .updates
        .iter()
        .filter_map(|update| {
            let branch = update.remote_ref.strip_prefix("refs/heads/")?;
            Some(crate::deploy::Pushed {
                branch: branch.to_string(),
                old: update.remote_oid,
                new: update.commit?,
            })
        })
        .collect();
    if branches.is_empty() {
        return Ok(ExitStatus::Ok);
    }
    let hooks = repo.hooks_dir()?;
    // The acceptance hook is armed only in a hooks directory of this clone alone: not
    // the team's committed one, not one other repositories share through a link.
    let target = crate::deploy::PushTarget {
        remote,
        can_wait: hooks.linked_out.is_none()
            && !repo.is_tracked_dir(&hooks.path)?
            && super::accepted::can_arm(&repo, &hooks.path),
    };
    let outcome = crate::deploy::on_push(&repo, target, &branches);
    if outcome.waiting {
        super::accepted::arm(&repo, &hooks.path);
    }
    Ok(outcome.status)
}

/// The pushed updates grouped by the `pachhook.toml` their commit holds (by blob id),
/// each group with one of its commits, whose settings judge the whole group.
fn by_settings(repo: &Repo, push: &Push) -> Result<Vec<(Oid, Vec<PushUpdate>)>> {
    let mut groups: Vec<(Option<Oid>, Oid, Vec<PushUpdate>)> = Vec::new();
    let team = crate::config::TEAM_FILE.as_bytes();
    for update in &push.updates {
        let Some(commit) = update.commit else {
            continue;
        };
        let settings = TreeFiles::new(repo, repo.commit_tree(commit)?).blob(team)?;
        match groups.iter_mut().find(|(s, _, _)| *s == settings) {
            Some((_, _, updates)) => updates.push(update.clone()),
            None => groups.push((settings, commit, vec![update.clone()])),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(_, tip, updates)| (tip, updates))
        .collect())
}

/// Checks the spec files `push` sends with `config`; whether an error refuses it.
fn check_part(repo: &Repo, config: &Config, push: &Push) -> Result<bool> {
    let selector = config.selector()?;
    let templates: Vec<String> = config.templates.iter().map(|t| t.path.clone()).collect();
    let found = pushed_specs(repo, push, &selector, &templates)?;
    super::warn(found.selection.warning());
    // The policies as they are at each pushed tip, like the specs: a push whose policy
    // file does not load is refused even when it changes no spec.
    let mut policies = BTreeMap::new();
    if !config.policies.is_empty() {
        for commit in push.updates.iter().filter_map(|u| u.commit) {
            if let std::collections::btree_map::Entry::Vacant(slot) = policies.entry(commit) {
                let mut files = policy::Files::commit(repo, commit);
                slot.insert(policy::load(&config.policies, &mut files)?);
            }
        }
    }
    if found.selection.sources.is_empty() {
        return Ok(false);
    }
    let files = found.selection.sources.len();
    crate::outln!(
        "pachhook: checking {files} spec {} changed by {} new {} on {} pushed {}",
        plural(files, "file"),
        push.commits.len(),
        plural(push.commits.len(), "commit"),
        push.updates.len(),
        plural(push.updates.len(), "ref"),
    )?;
    let mut opts = config.engine_options()?;
    // The graph rules see the pushed specs among all those of the (first) pushed tip
    // these settings judge.
    if let Some(tip) = push.updates.iter().find_map(|u| u.commit)
        && crate::check::graph::wanted(&opts)
    {
        let all = select::in_tree(repo, tip, &selector)?.sources;
        opts.graph.context = Some(crate::check::graph::context(all, &opts));
    }
    if config.policies.is_empty() {
        return Ok(super::check_batches_and_print(
            one_version_each(found.selection.sources),
            &opts,
        )?
        .has_errors());
    }
    // The policies as they are at the pushed tip that holds each file, like the specs.
    let mut by_tip: BTreeMap<Oid, Vec<Source>> = BTreeMap::new();
    for (source, tip) in found.selection.sources.into_iter().zip(found.tips) {
        by_tip.entry(tip).or_default().push(source);
    }
    // A push that changes a policy (or a file its `$ref`s name) has every spec at the
    // tip checked against it, not only the specs it touches.
    for (tip, loaded) in &policies {
        let changed = loaded
            .iter()
            .flat_map(|p| p.files())
            .any(|f| found.changed.contains(f.as_bytes()));
        if !changed {
            continue;
        }
        let sources = by_tip.entry(*tip).or_default();
        for source in select::in_tree(repo, *tip, &selector)?.sources {
            if !sources.iter().any(|s| s.path == source.path) {
                sources.push(source);
            }
        }
    }
    let mut refused = false;
    for (tip, sources) in by_tip {
        let mut opts = opts.clone();
        opts.policies = policies.get(&tip).cloned().unwrap_or_default();
        refused |= super::check_and_print(sources, &opts)?.has_errors();
    }
    Ok(refused)
}

/// Parses git's pre-push lines and finds the commits the push sends, in one walk.
pub fn pushed(repo: &Repo, remote: &str, stdin: &str) -> Result<Push> {
    let mut updates = Vec::new();
    let mut hide = Vec::new();
    let mut base_unknown = false;
    for line in stdin.lines().filter(|l| !l.trim().is_empty()) {
        // The local side is what the user typed, which may hold spaces
        // (`HEAD@{1 minute ago}:x`); the last three fields never do.
        let mut from_right = line.trim_end().rsplitn(4, ' ');
        let (remote_sha, remote_ref, local_sha) =
            (from_right.next(), from_right.next(), from_right.next());
        let local_ref = from_right.next().map(str::trim);
        let (Some(local_ref), Some(local_sha), Some(remote_ref), Some(remote_sha)) =
            (local_ref, local_sha, remote_ref, remote_sha)
        else {
            return Err(UsageError(format!(
                "pre-push: cannot read `{}`: git sends \
                 `<local ref> <local sha> <remote ref> <remote sha>` lines on standard input",
                crate::report::human::escape(line)
            ))
            .into());
        };
        let remote_oid = if is_zero(remote_sha) {
            None
        } else {
            Some(repo.parse_oid(remote_sha)?)
        };
        // What the remote has needs no check; a remote tip unknown here (someone else
        // pushed it) leaves the remote's tracking refs as the best guess.
        match remote_oid.map(|id| repo.peel_to_commit(id)) {
            Some(Ok(Some(commit))) => hide.push(commit),
            Some(Ok(None)) => {}
            Some(Err(_)) => base_unknown = true,
            None if is_zero(local_sha) => {}
            None => base_unknown = true,
        }
        if is_zero(local_sha) {
            continue;
        }
        let local_oid = repo.parse_oid(local_sha)?;
        let commit = repo
            .peel_to_commit(local_oid)
            .with_context(|| format!("cannot read what {local_ref} pushes"))?;
        updates.push(PushUpdate {
            local_ref: local_ref.to_string(),
            local_oid,
            commit,
            remote_ref: remote_ref.to_string(),
            remote_oid,
        });
    }
    let mut tips: Vec<Oid> = updates.iter().filter_map(|u| u.commit).collect();
    tips.sort_unstable();
    tips.dedup();
    let commits = if tips.is_empty() {
        Vec::new()
    } else {
        repo.new_commits(&tips, &hide, base_unknown.then_some(remote))
            .context("cannot find the commits the push sends")?
    };
    Ok(Push { updates, commits })
}

/// The spec files a push sends, and for each the pushed tip that holds it.
pub struct PushedSpecs {
    pub selection: Selection,
    /// The commit of the first pushed ref holding each of `selection.sources`, in order.
    pub tips: Vec<Oid>,
    /// Every path the pushed commits change, spec or not.
    pub changed: HashSet<Vec<u8>>,
}

/// The spec files to check: each content a new commit introduced that a pushed tip
/// holds, once (a path held in different versions by several tips is checked in each).
/// When the pushed commits change pachhook.toml, the `templates` its `[[template]]`
/// instances name are checked at the tips too: a changed argument is checked like a
/// changed template.
pub fn pushed_specs(
    repo: &Repo,
    push: &Push,
    selector: &Selector,
    templates: &[String],
) -> Result<PushedSpecs> {
    let mut introduced: HashSet<(Vec<u8>, Oid)> = HashSet::new();
    let mut paths: BTreeMap<Vec<u8>, Pick> = BTreeMap::new();
    let mut forced: HashSet<Vec<u8>> = HashSet::new();
    let mut changed = HashSet::new();
    for &commit in &push.commits {
        for change in repo.commit_changes(commit)? {
            changed.insert(change.path.clone());
            if change.path == crate::config::TEAM_FILE.as_bytes() {
                for template in templates {
                    paths.insert(template.as_bytes().to_vec(), Pick::Spec);
                    forced.insert(template.as_bytes().to_vec());
                }
            }
            if let (Some(id), Some(pick)) = (change.new, selector.pick(&change.path)) {
                paths.insert(change.path.clone(), pick);
                introduced.insert((change.path, id));
            }
        }
    }
    // (path, content) → the first pushed tip that holds it.
    let mut found: BTreeMap<(Vec<u8>, Oid), Oid> = BTreeMap::new();
    if !paths.is_empty() {
        let mut seen_tips = HashSet::new();
        for update in &push.updates {
            let Some(commit) = update.commit.filter(|c| seen_tips.insert(*c)) else {
                continue;
            };
            let mut tip = TreeFiles::new(repo, repo.commit_tree(commit)?);
            for path in paths.keys() {
                // A file changed in the range may be gone at the tip: nothing to check.
                let Some(id) = tip.blob(path)? else { continue };
                let key = (path.clone(), id);
                if introduced.contains(&key) || forced.contains(path) {
                    found.entry(key).or_insert(commit);
                }
            }
        }
    }
    let mut selection = Selection::new(selector);
    let mut tips = Vec::new();
    for ((path, id), tip) in &found {
        let before = selection.sources.len();
        selection.add(paths[path], path, repo.blob(*id)?);
        if selection.sources.len() > before {
            tips.push(*tip);
        }
    }
    Ok(PushedSpecs {
        selection,
        tips,
        changed,
    })
}

/// Splits sources into batches holding each path at most once: the n-th version of each
/// path goes to the n-th batch (a path several pushed tips hold in different versions).
fn one_version_each(sources: Vec<Source>) -> Vec<Vec<Source>> {
    let mut batches: Vec<Vec<Source>> = Vec::new();
    let mut versions: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for source in sources {
        let n = versions.entry(source.path.clone()).or_insert(0);
        if batches.len() <= *n {
            batches.push(Vec::new());
        }
        batches[*n].push(source);
        *n += 1;
    }
    batches
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
