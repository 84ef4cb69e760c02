//! `pachhook status --cluster`: what runs where. For each pipeline of the repository (at
//! HEAD), the commit and image the cluster runs, whether that is HEAD's, and whether the
//! running spec differs from the one the repository holds at the commit it claims
//! (drift: someone ran `pachctl update` by hand); and the cluster's pipelines that no
//! spec of the repository names.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::error::Failure;
use super::plan;
use crate::cluster::{COMMIT_ANNOTATION, REPOSITORY_ANNOTATION, Running};
use crate::config::Config;
use crate::repo::{Oid, Repo};

#[derive(Debug, Serialize)]
pub struct ClusterStatus {
    pub cluster: String,
    pub context: Option<String>,
    /// HEAD, the commit the repository's specs are read from.
    pub commit: String,
    pub pipelines: Vec<PipelineStatus>,
    /// Pipelines of the cluster that no spec of the repository names.
    pub unknown: Vec<Unknown>,
}

#[derive(Debug, Serialize)]
pub struct PipelineStatus {
    pub project: String,
    pub name: String,
    pub file: String,
    /// The cluster has it.
    pub running: bool,
    /// The commit it was deployed from (its `pachhook.commit`), if pachhook deployed it.
    pub commit: Option<String>,
    pub image: Option<String>,
    /// It runs HEAD's spec.
    pub current: bool,
    /// Its spec differs from the repository's at the commit it names (or it names none).
    pub drift: bool,
}

#[derive(Debug, Serialize)]
pub struct Unknown {
    pub project: String,
    pub name: String,
    pub commit: Option<String>,
    pub image: Option<String>,
    /// Deployed by pachhook from this repository (its spec was deleted or renamed).
    pub ours: bool,
}

/// Reads the cluster the current branch deploys to and compares.
pub fn collect(repo: &Repo, head: Oid, branch: Option<&str>) -> Result<ClusterStatus, Failure> {
    let config = Config::for_commit(repo, head).map_err(|e| Failure::Config(format!("{e:#}")))?;
    let (cluster, view) = super::reach(repo, &config, branch)?;
    let mut specs_at: BTreeMap<Oid, BTreeMap<(String, String), Value>> = BTreeMap::new();
    let head_specs = specs_of(repo, head, &mut specs_at)?;
    let mut pipelines = Vec::new();
    let mut named = Vec::new();
    for ((project, name), (file, spec)) in &head_specs {
        named.push((project.clone(), name.clone()));
        let running = view
            .all
            .iter()
            .find(|r| &r.project == project && &r.name == name);
        let Some(running) = running else {
            pipelines.push(PipelineStatus {
                project: project.clone(),
                name: name.clone(),
                file: file.clone(),
                running: false,
                commit: None,
                image: None,
                current: false,
                drift: false,
            });
            continue;
        };
        let claimed = running
            .commit
            .as_deref()
            .and_then(|c| repo.parse_oid(c).ok());
        let expected = match claimed {
            Some(commit) if commit == head => Some(spec.clone()),
            Some(commit) => specs_of(repo, commit, &mut specs_at).ok().and_then(|s| {
                s.get(&(project.clone(), name.clone()))
                    .map(|(_, s)| s.clone())
            }),
            None => None,
        };
        let drift = match (&running.spec, &expected) {
            (Some(actual), Some(expected)) => comparable(actual) != comparable(expected),
            _ => true,
        };
        pipelines.push(PipelineStatus {
            project: project.clone(),
            name: name.clone(),
            file: file.clone(),
            running: true,
            commit: running.commit.clone(),
            image: running.image.clone(),
            current: claimed == Some(head) && !drift,
            drift,
        });
    }
    let unknown = view
        .all
        .iter()
        .filter(|r| !named.iter().any(|(p, n)| *p == r.project && *n == r.name))
        .map(|r: &Running| Unknown {
            project: r.project.clone(),
            name: r.name.clone(),
            commit: r.commit.clone(),
            image: r.image.clone(),
            ours: r.repository.as_deref() == Some(view.repository.as_str()),
        })
        .collect();
    Ok(ClusterStatus {
        cluster: view.id,
        context: cluster.context,
        commit: head.to_string(),
        pipelines,
        unknown,
    })
}

type SpecsOf = BTreeMap<(String, String), (String, Value)>;

/// The specs of `commit` as JSON, by (project, name), with their files.
fn specs_of(
    repo: &Repo,
    commit: Oid,
    cache: &mut BTreeMap<Oid, BTreeMap<(String, String), Value>>,
) -> Result<SpecsOf, Failure> {
    let config = Config::for_commit(repo, commit).map_err(|e| Failure::Config(format!("{e:#}")))?;
    let tree = repo
        .commit_tree(commit)
        .map_err(|e| Failure::Git(format!("{e:#}")))?;
    let specs = plan::check_commit(repo, commit, &tree, &config)?;
    let mut out = SpecsOf::new();
    let mut cached = BTreeMap::new();
    for spec in specs.specs {
        let json = spec.spec.to_json();
        cached.insert((spec.project.clone(), spec.name.clone()), json.clone());
        out.insert((spec.project, spec.name), (spec.file, json));
    }
    cache.insert(commit, cached);
    Ok(out)
}

/// A spec without what a deploy sets: the image (a tag or digest of the commit) and
/// pachhook's annotations.
fn comparable(spec: &Value) -> Value {
    let mut spec = spec.clone();
    if let Some(transform) = spec.get_mut("transform").and_then(Value::as_object_mut) {
        transform.remove("image");
    }
    if let Some(metadata) = spec.get_mut("metadata").and_then(Value::as_object_mut) {
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.remove(COMMIT_ANNOTATION);
            annotations.remove(REPOSITORY_ANNOTATION);
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
        if metadata.is_empty() {
            spec.as_object_mut().map(|s| s.remove("metadata"));
        }
    }
    spec
}

/// The human view: one line a pipeline, then the cluster's others.
pub fn human(status: &ClusterStatus) -> String {
    use crate::escape::escape;
    let short = |c: &Option<String>| {
        c.as_deref()
            .map_or("-".to_string(), |c| super::short(c).to_string())
    };
    let mut out = format!(
        "cluster {} (context {}), repository at {}\n",
        escape(&status.cluster),
        escape(status.context.as_deref().unwrap_or("(active)")),
        super::short(&status.commit)
    );
    let width = status
        .pipelines
        .iter()
        .map(|p| escape(&p.project).chars().count() + escape(&p.name).chars().count() + 1)
        .chain(
            status
                .unknown
                .iter()
                .map(|u| escape(&u.project).chars().count() + escape(&u.name).chars().count() + 1),
        )
        .max()
        .unwrap_or(0);
    for p in &status.pipelines {
        let state = if !p.running {
            "not on the cluster".to_string()
        } else if p.commit.is_none() {
            "not deployed by pachhook".to_string()
        } else if p.drift {
            "drift: the running spec differs from the repository's (changed by hand?)".to_string()
        } else if p.current {
            "current".to_string()
        } else {
            "behind HEAD".to_string()
        };
        out.push_str(&format!(
            "  {:width$}  {:12}  {}  {}\n",
            format!("{}/{}", escape(&p.project), escape(&p.name)),
            short(&p.commit),
            escape(p.image.as_deref().unwrap_or("-")),
            state
        ));
    }
    if !status.unknown.is_empty() {
        out.push_str("on the cluster, named by no spec of the repository:\n");
        for u in &status.unknown {
            out.push_str(&format!(
                "  {:width$}  {:12}  {}{}\n",
                format!("{}/{}", escape(&u.project), escape(&u.name)),
                short(&u.commit),
                escape(u.image.as_deref().unwrap_or("-")),
                if u.ours {
                    "  (deployed from this repository: its spec is gone)"
                } else {
                    ""
                }
            ));
        }
    }
    out
}
