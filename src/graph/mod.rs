//! The pipeline graph of a repository: which repositories each pipeline reads, and so
//! which pipelines come before which.
//!
//! A pipeline writes one output repository named after it, in its project; it reads the
//! repositories its PFS inputs name, anywhere in its input tree (inside `cross`, `join`,
//! `group` and `union` too), each in the input's `project` when it names one, else the
//! pipeline's own. The graph has a node per pipeline and per source repository (one that
//! no pipeline of the graph writes), and an edge per PFS input, from the repository read
//! to the pipeline. Cron and spout inputs write no edge: they are shown on the pipeline.
//!
//! This is the one place that knows the graph: deploy's order (`upstream_first`), the
//! graph rules (`check::graph`) and `pachhook graph` all come from here. It reads the
//! normalized spec tree only, so it knows nothing of files, git or configuration.

pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::{Node, Pointer, Span};

/// The project of a pipeline whose spec names none, and of the deploy configuration
/// names none either: what pachd uses.
pub const DEFAULT_PROJECT: &str = "default";

/// One pipeline, as the graph needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    pub project: String,
    pub name: String,
    /// Where `pipeline.name` is written.
    pub line: u32,
    /// Its PFS inputs, in the order the spec writes them.
    pub inputs: Vec<Input>,
    /// The names of its cron inputs.
    pub crons: Vec<String>,
    /// It has a `spout`: it writes its output without any input.
    pub spout: bool,
}

/// One PFS input: the repository it reads, and where that is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub project: String,
    pub repo: String,
    /// The input's name: `pfs.name`, else the repository (what pachd calls it).
    pub name: String,
    /// `.../pfs/repo`, in the user's key spelling.
    pub pointer: Pointer,
    /// The span of the repository's name.
    pub span: Span,
}

impl Input {
    /// `project/repo`, as graph nodes are named.
    pub fn id(&self) -> String {
        format!("{}/{}", self.project, self.repo)
    }
}

impl Pipeline {
    /// The pipeline a normalized spec defines; `default_project` is the project of a spec
    /// that names none (`[deploy] project`, else `default`). `None` without a name.
    pub fn of(spec: &Node, default_project: &str) -> Option<Pipeline> {
        let name_entry = spec.get("pipeline")?.entry("name")?;
        let name = name_entry.value.as_str().filter(|n| !n.is_empty())?;
        let project = project_of(spec).unwrap_or(default_project).to_string();
        let mut pipeline = Pipeline {
            project,
            name: name.to_string(),
            line: name_entry.value.span.start.line,
            inputs: Vec::new(),
            crons: Vec::new(),
            spout: spec.get("spout").is_some(),
        };
        if let Some(input) = spec.entry("input") {
            let at = Pointer::root().key(&input.written);
            walk(&input.value, at, &mut pipeline);
        }
        Some(pipeline)
    }

    /// `project/name`: the pipeline, and its output repository.
    pub fn id(&self) -> String {
        format!("{}/{}", self.project, self.name)
    }
}

/// `pipeline.project.name` of a spec, when written and not empty.
pub fn project_of(spec: &Node) -> Option<&str> {
    spec.get("pipeline")?
        .get("project")?
        .get("name")?
        .as_str()
        .filter(|p| !p.is_empty())
}

fn walk(input: &Node, at: Pointer, pipeline: &mut Pipeline) {
    let Some(entries) = input.as_map() else {
        return;
    };
    for entry in entries.iter().filter(|e| !e.value.is_null()) {
        let here = at.key(&entry.written);
        match entry.name() {
            "pfs" => {
                let pfs = &entry.value;
                let Some(repo) = pfs.entry("repo").filter(|r| r.value.as_str().is_some()) else {
                    continue;
                };
                let text = repo.value.as_str().unwrap_or_default();
                let project = pfs
                    .get("project")
                    .and_then(Node::as_str)
                    .filter(|p| !p.is_empty())
                    .unwrap_or(&pipeline.project)
                    .to_string();
                let name = pfs
                    .get("name")
                    .and_then(Node::as_str)
                    .filter(|n| !n.is_empty())
                    .unwrap_or(text)
                    .to_string();
                pipeline.inputs.push(Input {
                    project,
                    repo: text.to_string(),
                    name,
                    pointer: here.key(&repo.written),
                    span: repo.value.span,
                });
            }
            "cron" => {
                let name = entry.value.get("name").and_then(Node::as_str).unwrap_or("");
                pipeline.crons.push(name.to_string());
            }
            "cross" | "union" | "join" | "group" => {
                for (i, item) in entry.value.as_seq().unwrap_or_default().iter().enumerate() {
                    walk(item, here.index(i), pipeline);
                }
            }
            _ => {}
        }
    }
}

/// The order to create or update `pipelines` in: one that reads another's output comes
/// after it; otherwise the given order. A cycle (which pachd refuses) keeps the given
/// order for its members. Returns indices into `pipelines`.
pub fn upstream_first(pipelines: &[Pipeline]) -> Vec<usize> {
    let ids: Vec<String> = pipelines.iter().map(Pipeline::id).collect();
    let known: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let deps: Vec<Vec<String>> = pipelines
        .iter()
        .zip(&ids)
        .map(|(p, id)| {
            p.inputs
                .iter()
                .map(Input::id)
                .filter(|r| known.contains(r.as_str()) && r != id)
                .collect()
        })
        .collect();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::with_capacity(pipelines.len());
    let mut left: Vec<usize> = (0..pipelines.len()).collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|&i| deps[i].iter().all(|d| placed.contains(d.as_str())))
            .unwrap_or(0);
        let i = left.remove(ready);
        placed.insert(&ids[i]);
        order.push(i);
    }
    order
}

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Pipeline,
    /// A repository no pipeline of the graph writes.
    Repo,
}

/// What a change does to a pipeline (`pachhook graph --from-ref`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Its spec or image changes: deploy updates it.
    Changed,
    /// Upstream of it changes: it reprocesses.
    Downstream,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Changed => "changed",
            State::Downstream => "downstream",
        }
    }
}

/// A node of the graph. Pipelines carry the file that defines them.
#[derive(Clone, Debug)]
pub struct GraphNode {
    pub id: String,
    pub kind: Kind,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub crons: Vec<String>,
    pub spout: bool,
    pub state: Option<State>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// The input's name.
    pub input: String,
}

/// The graph, sorted: nodes by id, edges by (from, to, input), so every rendering is
/// stable whatever order the files were read in.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<Edge>,
}

impl Graph {
    /// The graph of `pipelines`, each with the file it comes from. A pipeline defined
    /// twice is one node (the first in the given order).
    pub fn build<'a>(pipelines: impl IntoIterator<Item = (&'a Pipeline, &'a str)>) -> Graph {
        let mut nodes: BTreeMap<String, GraphNode> = BTreeMap::new();
        let mut edges = BTreeSet::new();
        let mut read: BTreeSet<String> = BTreeSet::new();
        for (pipeline, file) in pipelines {
            let id = pipeline.id();
            if nodes.contains_key(&id) {
                continue;
            }
            for input in &pipeline.inputs {
                let from = input.id();
                read.insert(from.clone());
                edges.insert(Edge {
                    from,
                    to: id.clone(),
                    input: input.name.clone(),
                });
            }
            nodes.insert(
                id.clone(),
                GraphNode {
                    id,
                    kind: Kind::Pipeline,
                    file: Some(file.to_string()),
                    line: Some(pipeline.line),
                    crons: pipeline.crons.clone(),
                    spout: pipeline.spout,
                    state: None,
                },
            );
        }
        for repo in read {
            nodes.entry(repo.clone()).or_insert(GraphNode {
                id: repo,
                kind: Kind::Repo,
                file: None,
                line: None,
                crons: Vec::new(),
                spout: false,
                state: None,
            });
        }
        Graph {
            nodes: nodes.into_values().collect(),
            edges: edges.into_iter().collect(),
        }
    }

    /// Marks the pipelines `changed` names as changed, and every pipeline that reads,
    /// directly or through others, from a changed one as downstream.
    pub fn mark(&mut self, changed: &BTreeSet<String>) {
        let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for edge in &self.edges {
            next.entry(&edge.from).or_default().push(&edge.to);
        }
        let mut downstream: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<&str> = changed.iter().map(String::as_str).collect();
        while let Some(id) = stack.pop() {
            for &to in next.get(id).into_iter().flatten() {
                if downstream.insert(to) {
                    stack.push(to);
                }
            }
        }
        let downstream: BTreeSet<String> = downstream.into_iter().map(str::to_string).collect();
        for node in &mut self.nodes {
            node.state = if node.kind != Kind::Pipeline {
                None
            } else if changed.contains(&node.id) {
                Some(State::Changed)
            } else if downstream.contains(&node.id) {
                Some(State::Downstream)
            } else {
                None
            };
        }
    }
}

/// The cycles among `pipelines`: for each pipeline on one, the shortest way round from
/// it back to itself, as pipeline indices in data-flow order (the pipeline first; each
/// next one reads the previous one's output), and the index of its input that closes
/// the way (the one reading the last pipeline of the way). A pipeline defined twice
/// counts once (its first definition).
pub fn cycles(pipelines: &[&Pipeline]) -> Vec<(usize, Vec<usize>, usize)> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in pipelines.iter().enumerate() {
        index.entry(p.id()).or_insert(i);
    }
    // Who reads whom: `readers[a]` are the pipelines with an input on a's output.
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); pipelines.len()];
    for (i, p) in pipelines.iter().enumerate() {
        if index.get(&p.id()) != Some(&i) {
            continue;
        }
        for input in &p.inputs {
            if let Some(&from) = index.get(&input.id())
                && !readers[from].contains(&i)
            {
                readers[from].push(i);
            }
        }
    }
    let mut out = Vec::new();
    for start in 0..pipelines.len() {
        if readers[start].is_empty() {
            continue;
        }
        // Breadth first from `start` along the data flow, until back at `start`.
        let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut last = None;
        'search: while let Some(at) = queue.pop_front() {
            for &to in &readers[at] {
                if to == start {
                    last = Some(at);
                    break 'search;
                }
                if let std::collections::btree_map::Entry::Vacant(e) = came_from.entry(to) {
                    e.insert(at);
                    queue.push_back(to);
                }
            }
        }
        let Some(last) = last else {
            continue;
        };
        let mut way = vec![last];
        while let Some(&before) = came_from.get(way.last().unwrap_or(&start)) {
            way.push(before);
        }
        if way.last() != Some(&start) {
            way.push(start);
        }
        way.reverse();
        let closing_id = pipelines[last].id();
        let closing = pipelines[start]
            .inputs
            .iter()
            .position(|i| i.id() == closing_id)
            .unwrap_or(0);
        out.push((start, way, closing));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(text: &str) -> Pipeline {
        let mut node = crate::spec::read::read(text.as_bytes()).unwrap().remove(0);
        crate::spec::normalize::normalize(&mut node, crate::release::Release::NEWEST);
        Pipeline::of(&node, "default").unwrap()
    }

    #[test]
    fn inputs_everywhere_in_the_tree_with_their_projects() {
        let p = pipeline(
            r#"{"pipeline": {"name": "m", "project": {"name": "vision"}},
                "input": {"cross": [
                    {"pfs": {"repo": "edges", "glob": "/"}},
                    {"join": [{"pfs": {"repo": "a", "project": "raw", "name": "left", "glob": "/"}},
                              {"group": [{"pfs": {"repo": "b", "glob": "/"}}]}]},
                    {"cron": {"name": "tick", "spec": "@daily"}}]}}"#,
        );
        let got: Vec<(String, &str, &str)> = p
            .inputs
            .iter()
            .map(|i| (i.id(), i.name.as_str(), i.pointer.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "vision/edges".to_string(),
                    "edges",
                    "/input/cross/0/pfs/repo"
                ),
                (
                    "raw/a".to_string(),
                    "left",
                    "/input/cross/1/join/0/pfs/repo"
                ),
                (
                    "vision/b".to_string(),
                    "b",
                    "/input/cross/1/join/1/group/0/pfs/repo"
                ),
            ]
        );
        assert_eq!(p.crons, ["tick"]);
        assert_eq!(p.id(), "vision/m");
    }

    #[test]
    fn a_cycle_is_found_from_each_member() {
        let a = pipeline(r#"{"pipeline":{"name":"a"},"input":{"pfs":{"repo":"c","glob":"/"}}}"#);
        let b = pipeline(r#"{"pipeline":{"name":"b"},"input":{"pfs":{"repo":"a","glob":"/"}}}"#);
        let c = pipeline(
            r#"{"pipeline":{"name":"c"},"input":{"union":[{"pfs":{"repo":"x","glob":"/"}},{"pfs":{"repo":"b","glob":"/"}}]}}"#,
        );
        let d = pipeline(r#"{"pipeline":{"name":"d"},"input":{"pfs":{"repo":"c","glob":"/"}}}"#);
        let found = cycles(&[&a, &b, &c, &d]);
        assert_eq!(
            found,
            [
                (0, vec![0, 1, 2], 0),
                (1, vec![1, 2, 0], 0),
                (2, vec![2, 0, 1], 1)
            ]
        );
        let own = pipeline(r#"{"pipeline":{"name":"o"},"input":{"pfs":{"repo":"o","glob":"/"}}}"#);
        assert_eq!(cycles(&[&own]), [(0, vec![0], 0)]);
    }

    #[test]
    fn downstream_of_a_change() {
        let a = pipeline(r#"{"pipeline":{"name":"a"},"input":{"pfs":{"repo":"src","glob":"/"}}}"#);
        let b = pipeline(r#"{"pipeline":{"name":"b"},"input":{"pfs":{"repo":"a","glob":"/"}}}"#);
        let c = pipeline(r#"{"pipeline":{"name":"c"},"input":{"pfs":{"repo":"src","glob":"/"}}}"#);
        let mut graph = Graph::build([(&b, "b.json"), (&a, "a.json"), (&c, "c.json")]);
        graph.mark(&["default/a".to_string()].into());
        let states: Vec<(&str, Option<State>)> = graph
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n.state))
            .collect();
        assert_eq!(
            states,
            [
                ("default/a", Some(State::Changed)),
                ("default/b", Some(State::Downstream)),
                ("default/c", None),
                ("default/src", None),
            ]
        );
    }
}
