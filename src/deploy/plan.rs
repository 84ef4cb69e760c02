//! What a deploy of one commit has to do: which images to build and which pipelines to
//! update, decided from the commit's own specs and from which paths the push changed.
//!
//! A pipeline is updated when its spec changed or when its image is rebuilt; an image
//! is built when its context or Dockerfile changed or when a pipeline it serves is
//! updated (so that the tag the pipeline will name exists). Pipelines come upstream
//! first: one that reads another pipeline's output repo is updated after it.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use git2::{Oid, Repository, Tree};

use super::error::Failure;
use crate::check::{self, Report};
use crate::config::{Build, Config};
use crate::discover;
use crate::repo::tree::{self, CommitTree, Step};
use crate::source::Source;
use crate::spec::Node;

/// Which paths the pushed range changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changes {
    /// Deploy everything: a new branch, or `pachhook deploy REV`.
    All,
    /// Paths relative to the repository root, `/`-separated.
    Paths(BTreeSet<String>),
}

impl Changes {
    /// The paths that differ between two commits; `All` without an old commit (a new
    /// branch, or a remote commit this repository does not have).
    pub fn between(repo: &Repository, old: Option<Oid>, new: Oid) -> Result<Changes> {
        let Some(old) = old.filter(|o| !o.is_zero()) else {
            return Ok(Changes::All);
        };
        // The remote's commit may be unknown here (someone else pushed it): then the
        // range is unknown too, and everything is deployed.
        let Ok(old_commit) = repo.find_commit(old) else {
            return Ok(Changes::All);
        };
        let old_tree = old_commit.tree()?;
        let new_tree = repo.find_commit(new)?.tree()?;
        let diff = repo.diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)?;
        let mut paths = BTreeSet::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path().and_then(|p| p.to_str()) {
                    paths.insert(path.to_string());
                }
            }
        }
        Ok(Changes::Paths(paths))
    }

    fn touches(&self, path: &str) -> bool {
        match self {
            Changes::All => true,
            Changes::Paths(paths) => paths.contains(path),
        }
    }

    fn touches_dir(&self, dir: &str) -> bool {
        match self {
            Changes::All => true,
            Changes::Paths(_) if dir.is_empty() => true,
            Changes::Paths(paths) => {
                let prefix = format!("{dir}/");
                paths.iter().any(|p| p.starts_with(&prefix))
            }
        }
    }
}

/// An image to build and push.
#[derive(Clone, Debug)]
pub struct ImageWork {
    pub build: Build,
    /// `<image>:<full commit SHA>`.
    pub reference: String,
}

/// A pipeline to update.
#[derive(Clone, Debug)]
pub struct PipelineWork {
    pub name: String,
    /// The spec file it comes from.
    pub file: String,
    /// The normalized spec as written.
    pub spec: Node,
    /// Index into `Plan::images` of the image deploy sets, for managed pipelines.
    pub image: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub images: Vec<ImageWork>,
    /// Upstream first.
    pub pipelines: Vec<PipelineWork>,
}

/// The spec files of a commit: `[specs] paths` when set (explicit), else every JSON and
/// YAML file (scanned: kept only if it holds a spec).
pub fn spec_sources(repo: &Repository, tree: &Tree, globs: &[String]) -> Result<Vec<Source>> {
    let set = if globs.is_empty() {
        None
    } else {
        Some(discover::glob_set(globs)?)
    };
    let mut sources = Vec::new();
    // Names are bytes in git; one that is not UTF-8 is shown with replacement characters.
    CommitTree::new(repo, tree).walk("", &mut |entry| {
        match entry.kind {
            tree::Kind::File | tree::Kind::Exec => {}
            tree::Kind::Dir => return Ok(Step::Descend),
            // Symbolic links and submodules hold no spec of this commit.
            tree::Kind::Symlink | tree::Kind::Submodule => return Ok(Step::Skip),
        }
        let path = String::from_utf8_lossy(entry.path).into_owned();
        let explicit = match &set {
            Some(set) if set.is_match(&path) => true,
            Some(_) => return Ok(Step::Descend),
            None if discover::is_spec_path(&path) => false,
            None => return Ok(Step::Descend),
        };
        let content = entry.content()?;
        sources.push(if explicit {
            Source::new(path, content)
        } else {
            Source::scanned(path, content)
        });
        Ok(Step::Descend)
    })?;
    Ok(sources)
}

/// Decides the work from a checked report of the commit's specs, made with
/// `Options::keep_trees` (the specs are rendered from their trees).
pub fn decide(
    config: &Config,
    report: &Report,
    changes: &Changes,
    sha: &str,
) -> Result<Plan, Failure> {
    // Every pipeline of the commit, in file order.
    let mut specs: Vec<(String, String, &Node)> = Vec::new();
    for file in &report.files {
        assert_eq!(
            file.parsed.len(),
            file.specs.len(),
            "deploy needs a report made with Options::keep_trees"
        );
        for node in &file.parsed {
            if let Some(name) = check::pipeline_name(node) {
                if specs.iter().any(|(n, _, _)| *n == name) {
                    return Err(Failure::Config(format!(
                        "pipeline {name} is defined twice (again in {})",
                        file.source.path
                    )));
                }
                specs.push((name, file.source.path.clone(), node));
            }
        }
    }
    let serves = |build: &Build, name: &str, spec: &Node| match &build.pipelines {
        Some(names) => names.iter().any(|n| n == name),
        None => image_of(spec).is_some_and(|i| repository(i) == build.image),
    };
    let changed_builds: BTreeSet<usize> = config
        .builds
        .iter()
        .enumerate()
        .filter(|(_, b)| {
            let dir = clean(&b.context);
            changes.touches_dir(&dir) || changes.touches(&clean(&format!("{dir}/{}", b.dockerfile)))
        })
        .map(|(i, _)| i)
        .collect();
    for build in &config.builds {
        if let Some(names) = &build.pipelines
            && let Some(missing) = names
                .iter()
                .find(|n| !specs.iter().any(|(s, _, _)| s == *n))
        {
            return Err(Failure::Config(format!(
                "[[build]] {} serves pipeline {missing}, which no spec at this commit defines",
                build.image
            )));
        }
    }

    let mut chosen: Vec<(String, String, Node, Option<usize>)> = Vec::new();
    let mut needed: BTreeSet<usize> = changed_builds.clone();
    for (name, file, spec) in &specs {
        let build = config.builds.iter().position(|b| serves(b, name, spec));
        let update = changes.touches(file) || build.is_some_and(|b| changed_builds.contains(&b));
        if update {
            if let Some(b) = build {
                needed.insert(b);
            }
            chosen.push((name.clone(), file.clone(), (*spec).clone(), build));
        }
    }

    let mut index_of = BTreeMap::new();
    let images: Vec<ImageWork> = needed
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            index_of.insert(b, i);
            let build = config.builds[b].clone();
            ImageWork {
                reference: format!("{}:{sha}", build.image),
                build,
            }
        })
        .collect();
    let pipelines = chosen
        .into_iter()
        .map(|(name, file, spec, build)| PipelineWork {
            name,
            file,
            spec,
            image: build.and_then(|b| index_of.get(&b).copied()),
        })
        .collect();
    Ok(Plan {
        images,
        pipelines: upstream_first(pipelines),
    })
}

/// `transform.image` of a spec.
pub fn image_of(spec: &Node) -> Option<&str> {
    spec.get("transform")?.get("image")?.as_str()
}

/// The repository of an image reference: without its digest and tag.
pub fn repository(image: &str) -> &str {
    let image = image.split_once('@').map_or(image, |(r, _)| r);
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(colon) => &image[..slash + colon],
        None => image,
    }
}

/// The repos a spec reads from (`pfs.repo` anywhere in its input tree).
pub fn input_repos(spec: &Node) -> Vec<String> {
    fn walk(input: &Node, out: &mut Vec<String>) {
        if let Some(repo) = input
            .get("pfs")
            .and_then(|p| p.get("repo"))
            .and_then(Node::as_str)
        {
            out.push(repo.to_string());
        }
        for key in ["cross", "union", "join", "group"] {
            for item in input.get(key).and_then(Node::as_seq).unwrap_or_default() {
                walk(item, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Some(input) = spec.get("input") {
        walk(input, &mut out);
    }
    out
}

/// Orders pipelines so that one reading another's output comes after it; otherwise file
/// order. A cycle (which pachd would refuse) keeps file order for its members.
fn upstream_first(pipelines: Vec<PipelineWork>) -> Vec<PipelineWork> {
    let names: BTreeSet<&str> = pipelines.iter().map(|p| p.name.as_str()).collect();
    let deps: Vec<Vec<String>> = pipelines
        .iter()
        .map(|p| {
            input_repos(&p.spec)
                .into_iter()
                .filter(|r| names.contains(r.as_str()) && *r != p.name)
                .collect()
        })
        .collect();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::with_capacity(pipelines.len());
    let mut left: Vec<usize> = (0..pipelines.len()).collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|&i| deps[i].iter().all(|d| placed.contains(d)))
            .unwrap_or(0);
        let i = left.remove(ready);
        placed.insert(pipelines[i].name.clone());
        order.push(i);
    }
    let mut slots: Vec<Option<PipelineWork>> = pipelines.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// A repository-relative path in one spelling: `a/./b/` → `a/b`; `a/../b` → `b`;
/// `.` and `` → ``. Config paths (`context`, `dockerfile`) are compared with tree paths
/// through it.
pub(super) fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        assert_eq!(
            repository("127.0.0.1:5000/vision/edges:abc"),
            "127.0.0.1:5000/vision/edges"
        );
        assert_eq!(
            repository("127.0.0.1:5000/vision/edges"),
            "127.0.0.1:5000/vision/edges"
        );
        assert_eq!(repository("edges@sha256:00"), "edges");
        assert_eq!(repository("r.io/edges:v1@sha256:00"), "r.io/edges");
    }

    fn spec(text: &str) -> Node {
        crate::spec::read::read(text.as_bytes()).unwrap().remove(0)
    }

    fn work(name: &str, text: &str) -> PipelineWork {
        PipelineWork {
            name: name.into(),
            file: format!("{name}.json"),
            spec: spec(text),
            image: None,
        }
    }

    #[test]
    fn upstream_comes_first() {
        let montage = work(
            "montage",
            r#"{"pipeline":{"name":"montage"},"input":{"cross":[{"pfs":{"repo":"edges","glob":"/"}},{"pfs":{"repo":"images","glob":"/"}}]}}"#,
        );
        let edges = work(
            "edges",
            r#"{"pipeline":{"name":"edges"},"input":{"pfs":{"repo":"images","glob":"/*"}}}"#,
        );
        let order: Vec<_> = upstream_first(vec![montage, edges])
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(order, ["edges", "montage"]);
    }

    #[test]
    fn dir_changes() {
        let c = Changes::Paths(["images/edges/main.py".to_string()].into());
        assert!(c.touches_dir("images/edges"));
        assert!(!c.touches_dir("images/edg"));
        assert!(c.touches_dir(""));
    }
}
