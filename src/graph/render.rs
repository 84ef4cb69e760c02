//! The graph as text: Mermaid (which GitHub and GitLab draw in Markdown), Graphviz dot,
//! and the JSON contract (`version` 1, documented in the README).
//!
//! Names come from specs someone else wrote: every rendering quotes them in its own
//! syntax (Mermaid entity codes, dot and JSON string escapes), so no name can end a
//! label, add a statement, or reach the terminal as a control character.

use std::fmt::Write;

use super::{Graph, GraphNode, Kind, State};

/// The fills a state gets, in Mermaid and dot alike.
const CHANGED_FILL: &str = "#fde68a";
const CHANGED_STROKE: &str = "#b45309";
const DOWNSTREAM_FILL: &str = "#fee2e2";
const DOWNSTREAM_STROKE: &str = "#b91c1c";

/// What a node's label says under its id: its cron inputs and spout.
fn notes(node: &GraphNode) -> Vec<String> {
    let mut notes: Vec<String> = node.crons.iter().map(|c| format!("cron: {c}")).collect();
    if node.spout {
        notes.push("spout".to_string());
    }
    if let Some(state) = node.state {
        notes.push(state.as_str().to_string());
    }
    notes
}

/// A Mermaid flowchart, left to right: pipelines as boxes, source repositories as
/// cylinders, an arrow per input labelled with its name; changed and downstream
/// pipelines styled by class.
pub fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, node) in graph.nodes.iter().enumerate() {
        let mut label = mermaid_text(&node.id);
        for note in notes(node) {
            label.push_str("<br/>");
            label.push_str(&mermaid_text(&note));
        }
        let _ = match node.kind {
            Kind::Pipeline => writeln!(out, "  n{i}[\"{label}\"]"),
            Kind::Repo => writeln!(out, "  n{i}[(\"{label}\")]"),
        };
    }
    let index: std::collections::HashMap<&str, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    for edge in &graph.edges {
        let _ = writeln!(
            out,
            "  n{} -->|\"{}\"| n{}",
            index.get(edge.from.as_str()).copied().unwrap_or(0),
            mermaid_text(&edge.input),
            index.get(edge.to.as_str()).copied().unwrap_or(0)
        );
    }
    let marked = |state: State| -> Vec<String> {
        graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.state == Some(state))
            .map(|(i, _)| format!("n{i}"))
            .collect()
    };
    for (state, fill, stroke) in [
        (State::Changed, CHANGED_FILL, CHANGED_STROKE),
        (State::Downstream, DOWNSTREAM_FILL, DOWNSTREAM_STROKE),
    ] {
        let nodes = marked(state);
        if !nodes.is_empty() {
            let name = state.as_str();
            let _ = writeln!(out, "  classDef {name} fill:{fill},stroke:{stroke}");
            let _ = writeln!(out, "  class {} {name}", nodes.join(","));
        }
    }
    out
}

/// Text inside a quoted Mermaid label: letters, digits and a few safe marks as they
/// are, everything else as a decimal entity code (`#35;`), which Mermaid decodes.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | '/' | ':' | '@') {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

/// A Graphviz digraph, left to right: pipelines as boxes, source repositories as
/// cylinders, an edge per input labelled with its name; changed and downstream
/// pipelines filled.
pub fn dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph pipelines {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for node in &graph.nodes {
        let mut label = dot_text(&node.id);
        for note in notes(node) {
            label.push_str("\\n");
            label.push_str(&dot_text(&note));
        }
        let mut attrs = vec![format!("label=\"{label}\"")];
        if node.kind == Kind::Repo {
            attrs.push("shape=cylinder".to_string());
        }
        match node.state {
            Some(State::Changed) => attrs.push(format!(
                "style=filled, fillcolor=\"{CHANGED_FILL}\", color=\"{CHANGED_STROKE}\""
            )),
            Some(State::Downstream) => attrs.push(format!(
                "style=filled, fillcolor=\"{DOWNSTREAM_FILL}\", color=\"{DOWNSTREAM_STROKE}\""
            )),
            None => {}
        }
        let _ = writeln!(out, "  \"{}\" [{}];", dot_text(&node.id), attrs.join(", "));
    }
    for edge in &graph.edges {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [label=\"{}\"];",
            dot_text(&edge.from),
            dot_text(&edge.to),
            dot_text(&edge.input)
        );
    }
    out.push_str("}\n");
    out
}

/// Text inside a dot double-quoted string: `"` and `\` escaped, control characters
/// written out as `\\u{..}` text so that dot shows them rather than acts on them.
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The JSON contract, version 1:
/// `{"version": 1, "nodes": [{"id", "kind", "file", "line", "state"}], "edges": [{"from",
/// "to", "input"}]}`, nodes sorted by id, edges by (from, to, input). Structs, so the
/// keys keep this order.
pub fn json(graph: &Graph) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        version: u32,
        nodes: Vec<JsonNode<'a>>,
        edges: Vec<JsonEdge<'a>>,
    }
    #[derive(serde::Serialize)]
    struct JsonNode<'a> {
        id: &'a str,
        kind: &'static str,
        file: Option<&'a str>,
        line: Option<u32>,
        state: Option<&'static str>,
    }
    #[derive(serde::Serialize)]
    struct JsonEdge<'a> {
        from: &'a str,
        to: &'a str,
        input: &'a str,
    }
    let doc = Doc {
        version: 1,
        nodes: graph
            .nodes
            .iter()
            .map(|n| JsonNode {
                id: &n.id,
                kind: match n.kind {
                    Kind::Pipeline => "pipeline",
                    Kind::Repo => "repo",
                },
                file: n.file.as_deref(),
                line: n.line,
                state: n.state.map(State::as_str),
            })
            .collect(),
        edges: graph
            .edges
            .iter()
            .map(|e| JsonEdge {
                from: &e.from,
                to: &e.to,
                input: &e.input,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_break_out_of_labels() {
        assert_eq!(mermaid_text("a\"]; b|c\u{1b}"), "a#34;#93;#59; b#124;c#27;");
        assert_eq!(dot_text("a\"\\\u{1b}"), "a\\\"\\\\\\\\u{1b}");
    }
}
