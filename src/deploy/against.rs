//! The deploy decided against what the cluster runs, not only against the pushed range:
//! the pipelines this repository deployed carry their commit (`pachhook.commit`), so a
//! failed or skipped earlier deploy is carried forward, a pipeline from a commit this one
//! does not contain is never replaced without `--force`, and a pipeline whose spec is
//! gone is named (and, with `[deploy] prune`, deleted).

use std::collections::BTreeSet;

use super::plan::{Changes, Plan, Specs};
use crate::cluster::Running;
use crate::repo::{Oid, Repo};

/// What the cluster runs that concerns this repository.
#[derive(Clone, Debug, Default)]
pub struct View {
    /// The cluster's ID.
    pub id: String,
    /// Every pipeline of the cluster.
    pub all: Vec<Running>,
    /// The annotation value that names this repository.
    pub repository: String,
}

impl View {
    /// The pipelines this repository deployed.
    pub fn ours(&self) -> impl Iterator<Item = &Running> {
        self.all
            .iter()
            .filter(|r| r.repository.as_deref() == Some(self.repository.as_str()))
    }
}

/// The range the work is decided on: for a pushed range, from the oldest commit the
/// cluster runs for this repository (when every one of its pipelines runs there, from
/// commits this one contains), else everything; the pushed range when the cluster runs
/// nothing of it yet. Everything stays everything.
pub fn changes(repo: &Repo, view: &View, specs: &Specs, commit: Oid, pushed: Changes) -> Changes {
    let ours: Vec<&Running> = view.ours().collect();
    // Everything (`pachhook deploy`, a new branch) stays everything; a range only widens.
    if ours.is_empty() || matches!(pushed, Changes::All) {
        return pushed;
    }
    let on_cluster: BTreeSet<(&str, &str)> = view
        .all
        .iter()
        .map(|r| (r.project.as_str(), r.name.as_str()))
        .collect();
    let missing = specs
        .specs
        .iter()
        .any(|s| !on_cluster.contains(&(s.project.as_str(), s.name.as_str())));
    if missing {
        return Changes::All;
    }
    let mut commits = Vec::new();
    for running in &ours {
        let Some(id) = running
            .commit
            .as_deref()
            .and_then(|c| repo.parse_oid(c).ok())
        else {
            return Changes::All;
        };
        if !repo.is_ancestor(id, commit) {
            // Never backwards decides; here nothing is known about the range.
            return Changes::All;
        }
        commits.push(id);
    }
    // The oldest: an ancestor of every other.
    let oldest = commits
        .iter()
        .copied()
        .find(|c| commits.iter().all(|o| repo.is_ancestor(*c, *o)));
    match oldest {
        Some(base) if base == commit => pushed,
        Some(base) => Changes::between(repo, Some(base), commit).unwrap_or(Changes::All),
        None => Changes::All,
    }
}

/// The first pipeline of the plan that the cluster runs from a commit this one does not
/// contain: (`project/name`, that commit).
pub fn backwards(repo: &Repo, view: &View, plan: &Plan, commit: Oid) -> Option<(String, String)> {
    plan.pipelines.iter().find_map(|work| {
        let running = view
            .all
            .iter()
            .find(|r| r.project == work.project && r.name == work.name)?;
        let deployed = running.commit.as_deref()?;
        let ok = repo
            .parse_oid(deployed)
            .is_ok_and(|id| repo.is_ancestor(id, commit));
        (!ok).then(|| (work.id(), deployed.to_string()))
    })
}

/// The pipelines this repository deployed that no spec of the commit names (deleted or
/// renamed), in the order to delete them: a pipeline before those it reads from
/// (upstream last).
pub fn removed(view: &View, specs: &Specs) -> Vec<Running> {
    let named: BTreeSet<(&str, &str)> = specs
        .specs
        .iter()
        .map(|s| (s.project.as_str(), s.name.as_str()))
        .collect();
    let mut left: Vec<Running> = view
        .ours()
        .filter(|r| !named.contains(&(r.project.as_str(), r.name.as_str())))
        .cloned()
        .collect();
    left.sort_by(|a, b| (&a.project, &a.name).cmp(&(&b.project, &b.name)));
    let mut ordered = Vec::new();
    while !left.is_empty() {
        // One that no other left pipeline reads from goes first.
        let next = (0..left.len())
            .find(|&i| {
                !left
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && reads_from(other, &left[i].name))
            })
            .unwrap_or(0);
        ordered.push(left.remove(next));
    }
    ordered
}

/// Whether `running`'s spec names the repo `name` in its input.
fn reads_from(running: &Running, name: &str) -> bool {
    fn walk(value: &serde_json::Value, name: &str) -> bool {
        match value {
            serde_json::Value::Object(map) => map
                .iter()
                .any(|(k, v)| (k == "repo" && v.as_str() == Some(name)) || walk(v, name)),
            serde_json::Value::Array(items) => items.iter().any(|v| walk(v, name)),
            _ => false,
        }
    }
    running
        .spec
        .as_ref()
        .is_some_and(|spec| walk(&spec["input"], name))
}
