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
use std::sync::Arc;

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

/// A pipeline on a cycle, and a way round from it back to itself.
#[derive(Clone, Debug)]
pub struct Cycle {
    /// The pipeline (an index into what `cycles` was given).
    pub start: usize,
    /// The index of its input that closes the way (reading the way's last pipeline).
    pub closing: usize,
    way: Arc<Vec<usize>>,
    offset: usize,
}

impl Cycle {
    /// The way round as pipeline indices in data-flow order: `start` first, each next
    /// one reading the previous one's output.
    pub fn way(&self) -> impl Iterator<Item = usize> + '_ {
        let (head, tail) = self.way.split_at(self.offset);
        tail.iter().chain(head).copied()
    }

    pub fn len(&self) -> usize {
        self.way.len()
    }

    pub fn is_empty(&self) -> bool {
        self.way.is_empty()
    }
}

/// The cycles among `pipelines`: each pipeline on one, with the shortest way round from
/// it (or, for a member of a way already found, that way from it). A pipeline defined
/// twice counts once (its first definition).
pub fn cycles(pipelines: &[&Pipeline]) -> Vec<Cycle> {
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
    // Only a pipeline in a strongly connected component of two or more, or reading its
    // own output, is on a cycle; the search for its way round stays inside its component,
    // so a large graph without cycles costs one linear pass.
    let component = components(&readers);
    let mut size = vec![0usize; pipelines.len()];
    for &c in &component {
        size[c] += 1;
    }
    // A way round found for one member serves the others on it, rotated: in a long
    // cycle each member does not search the whole of it again, and all share it.
    let mut ways: BTreeMap<usize, (Arc<Vec<usize>>, usize)> = BTreeMap::new();
    let mut out = Vec::new();
    for start in 0..pipelines.len() {
        let on_cycle = size[component[start]] > 1 || readers[start].contains(&start);
        if !on_cycle {
            continue;
        }
        let (way, offset) = match ways.remove(&start) {
            Some(found) => found,
            None => {
                let Some(way) = way_round(start, &readers, &component) else {
                    continue;
                };
                let way = Arc::new(way);
                for (k, &member) in way.iter().enumerate().skip(1) {
                    ways.entry(member).or_insert((way.clone(), k));
                }
                (way, 0)
            }
        };
        let last = way[(offset + way.len() - 1) % way.len()];
        let closing_id = pipelines[last].id();
        let closing = pipelines[start]
            .inputs
            .iter()
            .position(|i| i.id() == closing_id)
            .unwrap_or(0);
        out.push(Cycle {
            start,
            closing,
            way,
            offset,
        });
    }
    out
}

/// The shortest way from `start` back to itself along the data flow, inside its
/// component: `start` first.
fn way_round(start: usize, readers: &[Vec<usize>], component: &[usize]) -> Option<Vec<usize>> {
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut last = None;
    'search: while let Some(at) = queue.pop_front() {
        for &to in &readers[at] {
            if component[to] != component[start] {
                continue;
            }
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
    let mut way = vec![last?];
    while let Some(&before) = came_from.get(way.last().unwrap_or(&start)) {
        way.push(before);
    }
    if way.last() != Some(&start) {
        way.push(start);
    }
    way.reverse();
    Some(way)
}

/// The strongly connected component of each node (Tarjan's algorithm, iterative so a
/// long chain of pipelines cannot overflow the stack): the component's number.
fn components(next: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = next.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut component = vec![UNSEEN; n];
    let mut counter = 0;
    let mut found = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, position in its list of next nodes)
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (node, ref mut at)) = work.last_mut() {
            if *at == 0 && index[node] == UNSEEN {
                index[node] = counter;
                low[node] = counter;
                counter += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&to) = next[node].get(*at) {
                *at += 1;
                if index[to] == UNSEEN {
                    work.push((to, 0));
                } else if on_stack[to] {
                    low[node] = low[node].min(index[to]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = found;
                    if member == node {
                        break;
                    }
                }
                found += 1;
            }
        }
    }
    component
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
        let found: Vec<(usize, Vec<usize>, usize)> = cycles(&[&a, &b, &c, &d])
            .iter()
            .map(|c| (c.start, c.way().collect(), c.closing))
            .collect();
        assert_eq!(
            found,
            [
                (0, vec![0, 1, 2], 0),
                (1, vec![1, 2, 0], 0),
                (2, vec![2, 0, 1], 1)
            ]
        );
        let own = pipeline(r#"{"pipeline":{"name":"o"},"input":{"pfs":{"repo":"o","glob":"/"}}}"#);
        let own: Vec<(usize, Vec<usize>, usize)> = cycles(&[&own])
            .iter()
            .map(|c| (c.start, c.way().collect(), c.closing))
            .collect();
        assert_eq!(own, [(0, vec![0], 0)]);
    }

    #[test]
    fn a_long_cycle_shares_one_way_round() {
        let spec = |name: String, reads: String| {
            pipeline(&format!(
                r#"{{"pipeline":{{"name":"{name}"}},"input":{{"pfs":{{"repo":"{reads}","glob":"/"}}}}}}"#
            ))
        };
        let n = 5_000;
        // p0 reads p<n-1>: one cycle through all; q-chain: no cycle at all.
        let mut all: Vec<Pipeline> = (0..n)
            .map(|i| spec(format!("p{i}"), format!("p{}", (i + n - 1) % n)))
            .collect();
        all.extend((0..n).map(|i| spec(format!("q{i}"), format!("q{}", i + 1))));
        let refs: Vec<&Pipeline> = all.iter().collect();
        let found = cycles(&refs);
        assert_eq!(found.len(), n);
        let way: Vec<usize> = found[5].way().take(3).collect();
        assert_eq!((found[5].start, found[5].len(), way), (5, n, vec![5, 6, 7]));
        // p5's closing input reads p4, the way's last.
        assert_eq!(found[5].way().last(), Some(4));
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
