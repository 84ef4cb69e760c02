//! What a deploy of one commit has to do: which images to build and which pipelines to
//! update, decided from the commit's own specs and from what the push changed in the images and
//! specs (see `Changes`).
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
pub(super) use crate::config::clean;
use crate::config::{Build, Config};
use crate::graph;
use crate::image_ref;
use crate::repo::Repo;
use crate::repo::tree::CommitTree;
use crate::source::Source;
use crate::spec::Node;

/// What the pushed range changed, as what the images and specs would hold: an image
/// is rebuilt when its build context (as deploy would send it: `context::fingerprint`)
/// or its `[[build]]` block differs from the remote's commit, and a pipeline is updated
/// when its rendered spec does. Which paths changed does not decide: a `.gitattributes`
/// above the context, a name that is not UTF-8, a `[[template]]` instance's `args` all
/// change what is deployed without touching the paths a path rule would look at.
#[derive(Clone, Debug)]
pub enum Changes {
    /// Deploy everything: a new branch, or `pachhook deploy REV`.
    All,
    Range {
        /// Canonical repositories of the `[[build]]` images to rebuild.
        rebuild: BTreeSet<String>,
        /// The rendered specs of the remote's commit, by project and name; `None` when
        /// they cannot be read (then every spec counts as changed).
        old_specs: Option<BTreeMap<(String, String), serde_json::Value>>,
    },
}

impl Changes {
    /// What differs between two commits; `All` without an old commit (a new branch, a
    /// remote commit this repository does not have, or settings of either commit that
    /// cannot be read: then nothing is known about the range).
    pub fn between(repo: &Repo, old: Option<Oid>, new: Oid) -> Result<Changes> {
        let Some(old) = old.filter(|o| !o.is_zero()) else {
            return Ok(Changes::All);
        };
        let Ok(old_commit) = repo.git.find_commit(old) else {
            return Ok(Changes::All);
        };
        let (Ok(old_config), Ok(new_config)) =
            (Config::for_commit(repo, old), Config::for_commit(repo, new))
        else {
            return Ok(Changes::All);
        };
        let old_tree = old_commit.tree()?;
        let new_tree = repo.git.find_commit(new)?.tree()?;
        let old_contexts = CommitTree::new(&repo.git, &old_tree);
        let new_contexts = CommitTree::new(&repo.git, &new_tree);
        let fingerprint = |tree: &CommitTree<'_>, build: &Build| {
            super::context::fingerprint(tree, &build.context, &build.dockerfile).ok()
        };
        let rebuild = new_config
            .builds
            .iter()
            .filter(|build| {
                let Some(before) = old_config.builds.iter().find(|b| b.same_build(build)) else {
                    return true;
                };
                let now = fingerprint(&new_contexts, build);
                now.is_none() || now != fingerprint(&old_contexts, before)
            })
            .map(Build::canonical)
            .collect();
        let old_specs = check_commit(repo, old, &old_tree, &old_config)
            .ok()
            .map(|specs| {
                specs
                    .specs
                    .into_iter()
                    .map(|s| ((s.project, s.name), super::update::render(&s.spec, None)))
                    .collect()
            });
        Ok(Changes::Range { rebuild, old_specs })
    }

    /// Whether the spec of `spec` renders differently from the remote's commit.
    fn spec_changed(&self, spec: &SpecAt) -> bool {
        match self {
            Changes::All
            | Changes::Range {
                old_specs: None, ..
            } => true,
            Changes::Range {
                old_specs: Some(old),
                ..
            } => {
                old.get(&(spec.project.clone(), spec.name.clone()))
                    != Some(&super::update::render(&spec.spec, None))
            }
        }
    }

    /// Whether the image of `build` must be rebuilt.
    fn rebuilds(&self, build: &Build) -> bool {
        match self {
            Changes::All => true,
            Changes::Range { rebuild, .. } => rebuild.contains(&build.canonical()),
        }
    }
}

/// An image to build and push.
#[derive(Clone, Debug)]
pub struct ImageWork {
    pub build: Build,
    /// `<image>:<full commit SHA>`, the image as `[[build]]` writes it.
    pub reference: String,
    /// The tag: the full commit SHA.
    pub tag: String,
}

/// A pipeline to update. Project and name identify it.
#[derive(Clone, Debug)]
pub struct PipelineWork {
    pub project: String,
    pub name: String,
    /// The spec file it comes from.
    pub file: String,
    /// The normalized spec as written.
    pub spec: Node,
    /// Index into `Plan::images` of the image deploy sets, for managed pipelines.
    pub image: Option<usize>,
}

impl PipelineWork {
    /// `project/name`, as messages name the pipeline.
    pub fn id(&self) -> String {
        format!("{}/{}", self.project, self.name)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub images: Vec<ImageWork>,
    /// Upstream first.
    pub pipelines: Vec<PipelineWork>,
}

/// One pipeline spec of the commit.
#[derive(Clone, Debug)]
pub struct SpecAt {
    pub project: String,
    pub name: String,
    pub file: String,
    pub spec: Node,
}

/// The specs of a commit, checked. The trees are kept because deploy renders the specs
/// it updates from them.
pub struct Specs {
    pub report: Report,
    pub specs: Vec<SpecAt>,
}

/// Checks the specs of `tree` with the commit's settings; each pipeline is identified
/// by its project (the spec's, else `[deploy] project`, else `default`) and name.
pub fn check_commit(
    repo: &Repo,
    commit: Oid,
    tree: &Tree,
    config: &Config,
) -> Result<Specs, Failure> {
    let selector = config
        .selector()
        .map_err(|e| Failure::Config(format!("{e:#}")))?;
    let sources =
        spec_sources(&repo.git, tree, &selector).map_err(|e| Failure::Git(format!("{e:#}")))?;
    let mut opts = config
        .engine_options()
        .map_err(|e| Failure::Config(format!("{e:#}")))?;
    opts.keep_trees = true;
    // The repository deploys: a pipeline defined twice is an error here.
    opts.deploys = true;
    // The policies as they are in the commit, like the specs.
    if !config.policies.is_empty() {
        let mut files = crate::config::policy::Files::commit(repo, commit);
        opts.policies = crate::config::policy::load(&config.policies, &mut files)
            .map_err(|e| Failure::Config(format!("{e:#}")))?;
    }
    let report = check::check(sources, &opts);
    let default_project = config
        .deploy
        .project
        .as_deref()
        .unwrap_or(graph::DEFAULT_PROJECT);
    let mut specs = Vec::new();
    for file in &report.files {
        for node in &file.parsed {
            if let Some(name) = check::pipeline_name(node) {
                let project = graph::project_of(node)
                    .unwrap_or(default_project)
                    .to_string();
                specs.push(SpecAt {
                    project,
                    name,
                    file: file.source.path.clone(),
                    spec: node.clone(),
                });
            }
        }
    }
    Ok(Specs { report, specs })
}

/// The spec files of a commit, as `select` picks them everywhere (`Config::selector`):
/// `[specs] paths` when set (explicit), else every JSON and YAML file (scanned: kept only
/// if it holds a spec), and the `[[template]]` files whatever the globs say.
pub fn spec_sources(
    repo: &Repository,
    tree: &Tree,
    selector: &crate::select::Selector,
) -> Result<Vec<Source>> {
    let repo = crate::repo::Repo::reopen(repo)?;
    Ok(crate::select::in_tree(&repo, tree.id(), selector)?.sources)
}

/// Decides the work from the commit's checked specs.
pub fn decide(
    config: &Config,
    specs: &Specs,
    changes: &Changes,
    sha: &str,
) -> Result<Plan, Failure> {
    let specs = &specs.specs;
    for (i, spec) in specs.iter().enumerate() {
        if let Some(first) = specs[..i]
            .iter()
            .find(|s| s.project == spec.project && s.name == spec.name)
        {
            return Err(Failure::Config(format!(
                "pipeline {}/{} is defined twice: in {} and in {}",
                spec.project, spec.name, first.file, spec.file
            )));
        }
    }
    // `pipelines = [...]` names a pipeline by name, or by `project/name`.
    let named =
        |n: &str, spec: &SpecAt| n == spec.name || n == format!("{}/{}", spec.project, spec.name);
    let serves = |build: &Build, spec: &SpecAt| match &build.pipelines {
        Some(names) => names.iter().any(|n| named(n, spec)),
        None => image_of(&spec.spec)
            .and_then(|i| image_ref::parse(i).ok())
            .is_some_and(|i| i.canonical_repository() == build.canonical()),
    };
    for build in &config.builds {
        if let Some(names) = &build.pipelines
            && let Some(missing) = names.iter().find(|n| !specs.iter().any(|s| named(n, s)))
        {
            return Err(Failure::Config(format!(
                "[[build]] {} ({}) serves pipeline {missing}, which no spec at this commit defines",
                build.repository(),
                build.origin()
            )));
        }
    }
    let changed_builds: BTreeSet<usize> = config
        .builds
        .iter()
        .enumerate()
        .filter(|(_, b)| changes.rebuilds(b))
        .map(|(i, _)| i)
        .collect();

    let mut chosen: Vec<(&SpecAt, Option<usize>)> = Vec::new();
    let mut needed: BTreeSet<usize> = changed_builds.clone();
    for spec in specs {
        let build = config.builds.iter().position(|b| serves(b, spec));
        let update =
            changes.spec_changed(spec) || build.is_some_and(|b| changed_builds.contains(&b));
        if update {
            if let Some(b) = build {
                needed.insert(b);
            }
            chosen.push((spec, build));
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
                reference: format!("{}:{sha}", build.repository()),
                tag: sha.to_string(),
                build,
            }
        })
        .collect();
    let pipelines = chosen
        .into_iter()
        .map(|(spec, build)| PipelineWork {
            project: spec.project.clone(),
            name: spec.name.clone(),
            file: spec.file.clone(),
            spec: spec.spec.clone(),
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

/// Orders pipelines so that one reading another's output comes after it (the graph's
/// order: `graph::upstream_first`).
fn upstream_first(pipelines: Vec<PipelineWork>) -> Vec<PipelineWork> {
    let nodes: Vec<graph::Pipeline> = pipelines
        .iter()
        .map(|p| {
            graph::Pipeline::of(&p.spec, &p.project).unwrap_or_else(|| graph::Pipeline {
                project: p.project.clone(),
                name: p.name.clone(),
                line: 0,
                inputs: Vec::new(),
                crons: Vec::new(),
                spout: false,
            })
        })
        .collect();
    let order = graph::upstream_first(&nodes);
    let mut slots: Vec<Option<PipelineWork>> = pipelines.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Node {
        crate::spec::read::read(text.as_bytes()).unwrap().remove(0)
    }

    fn work(name: &str, text: &str) -> PipelineWork {
        PipelineWork {
            project: "default".into(),
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
}
