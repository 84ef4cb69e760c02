//! pachd's input rules: one kind per input node, what a `pfs` or `cron` input needs,
//! where S3 inputs may go, and input names (each input is mounted at `/pfs/<name>`, so
//! names must be unique and may not collide with `/pfs/out` or `/pfs/.env`).

use super::{cron, field, flag};
use crate::check::{Findings, Rule};
use crate::spec::{Entry, Node, Pointer, Span};

/// The input kinds; an input node sets exactly one.
const KINDS: [&str; 6] = ["pfs", "cross", "union", "join", "group", "cron"];

/// Names an input may not have: pachd mounts the output and the environment there.
const RESERVED: [&str; 2] = ["out", ".env"];

/// Checks the input tree rooted at `input` (the value of the spec's `input`).
pub fn check(input: &Node, ptr: &Pointer, out: &mut Findings) {
    walk(input, ptr, None, out);
    names(input, ptr, &mut Vec::new(), out);
}

/// A string field and its text; `None` when absent or not a string.
fn text<'a>(node: &'a Node, name: &str) -> Option<(&'a Entry, &'a str)> {
    let entry = field(node, name)?;
    Some((entry, entry.value.as_str()?))
}

/// A field that is absent, null or `""`: what protobuf reads as unset. A value of
/// another type is not "unset": it is a type error reported elsewhere.
fn unset(node: &Node, name: &str) -> bool {
    match field(node, name) {
        None => true,
        Some(entry) => entry.value.as_str() == Some(""),
    }
}

/// The kind entries an input node sets, in source order; an empty list sets nothing.
fn kinds(node: &Node) -> (Vec<&Entry>, Vec<&Entry>) {
    let entries = node.as_map().unwrap_or_default();
    let present = entries
        .iter()
        .filter(|e| KINDS.contains(&e.name()) && !e.value.is_null());
    present.partition(|e| e.value.as_seq().is_none_or(|items| !items.is_empty()))
}

/// Kind rules, recursively. `combiner` is the nearest enclosing `join`, `group` or
/// `union`, where S3 inputs are not allowed.
fn walk(node: &Node, ptr: &Pointer, combiner: Option<&str>, out: &mut Findings) {
    if node.as_map().is_none() {
        return;
    }
    let (set, empty) = kinds(node);
    // An input whose only content is a key the spec does not have (`atom`, `git`, a typo)
    // was reported by normalization, which names the replacement: saying "no input set"
    // as well would report one mistake twice.
    let foreign = node
        .as_map()
        .unwrap_or_default()
        .iter()
        .any(|e| !KINDS.contains(&e.name()));
    match set.as_slice() {
        [] if foreign => {}
        [] => {
            let why = match empty.first() {
                Some(e) => format!("`{}` is an empty list, so this input sets nothing", e.written),
                None => "this input sets none of `pfs`, `cross`, `union`, `join`, `group`, `cron`".into(),
            };
            out.push(
                Rule::InvalidInput,
                ptr,
                node.span,
                format!("{why}: pachd refuses it (\"no input set\")"),
                "give the input exactly one of `pfs`, `cross`, `union`, `join`, `group` or `cron`",
            );
        }
        [_] => {}
        [first, second, ..] => out.push(
            Rule::InvalidInput,
            &ptr.key(&second.written),
            second.key_span,
            format!(
                "this input sets both `{}` and `{}`: an input node holds exactly one kind",
                first.written, second.written
            ),
            "combine inputs with `cross` (every combination) or `union` (one after another), one kind each",
        ),
    }
    for entry in set {
        let here = ptr.key(&entry.written);
        match entry.name() {
            "pfs" => pfs(entry, &here, combiner, out),
            "cron" => cron_input(entry, &here, out),
            kind => {
                let inner = match kind {
                    "join" | "group" | "union" => Some(kind),
                    _ => combiner,
                };
                for (i, child) in entry.value.as_seq().unwrap_or_default().iter().enumerate() {
                    walk(child, &here.index(i), inner, out);
                }
            }
        }
    }
}

fn pfs(entry: &Entry, ptr: &Pointer, combiner: Option<&str>, out: &mut Findings) {
    let node = &entry.value;
    if node.as_map().is_none() {
        return;
    }
    pfs_repo_and_name(entry, ptr, out);
    if let Some((commit, value)) = text(node, "commit")
        && !value.is_empty()
    {
        out.push(
            Rule::InvalidInput,
            &ptr.key(&commit.written),
            commit.key_span,
            "a pfs input cannot name a `commit`: pachd refuses it",
            "remove `commit` and use a `branch` (a branch whose head is that commit, if you need one)",
        );
    }
    let s3 = flag(node, "s3");
    pfs_glob(entry, s3, ptr, out);
    if let Some(s3) = s3 {
        pfs_s3(node, s3, combiner, ptr, out);
    }
}

/// A pfs input names its repo, and a name (its mount point) that is free to use.
fn pfs_repo_and_name(entry: &Entry, ptr: &Pointer, out: &mut Findings) {
    let node = &entry.value;
    if unset(node, "repo") {
        out.push(
            Rule::InvalidInput,
            ptr,
            entry.key_span,
            "this pfs input has no `repo`",
            "name the repo (or pipeline) whose output this pipeline reads",
        );
    }
    let name_unset = unset(node, "name");
    if let Some((repo, "out")) = text(node, "repo")
        && name_unset
    {
        out.push(
            Rule::InvalidInput,
            &ptr.key(&repo.written),
            repo.value.span,
            "an input of the repo `out` needs a `name`: its default mount point is the output, /pfs/out",
            "add a `name` to this input, for example `\"name\": \"out_repo\"`",
        );
    }
    if let Some((name, value)) = text(node, "name") {
        if RESERVED.contains(&value) {
            reserved(name, value, ptr, out);
        }
    } else if name_unset && let Some((repo, ".env")) = text(node, "repo") {
        reserved(repo, ".env", ptr, out);
    }
}

/// Every pfs input has a glob, and an S3 one the glob `/`.
fn pfs_glob(entry: &Entry, s3: Option<&Entry>, ptr: &Pointer, out: &mut Findings) {
    let node = &entry.value;
    let glob = text(node, "glob");
    match (s3, glob) {
        (None, _) if unset(node, "glob") => out.push(
            Rule::InvalidInput,
            ptr,
            entry.key_span,
            "this pfs input has no `glob`",
            "add a `glob`: `/` for one datum with everything, `/*` for one datum per top-level file",
        ),
        (Some(s3), glob) if glob.is_none_or(|(_, g)| g != "/") && !is_other_type(node, "glob") => {
            let (at, span) = match glob {
                Some((g, _)) => (ptr.key(&g.written), g.value.span),
                None => (ptr.key(&s3.written), s3.key_span),
            };
            out.push(
                Rule::InvalidInput,
                &at,
                span,
                "with `s3: true` the glob must be `/`: the S3 gateway exposes a whole commit as one datum",
                "set `\"glob\": \"/\"`, or drop `s3` to read files from /pfs",
            );
        }
        _ => {}
    }
}

/// An S3 input (`s3` is its `s3: true` entry) reads no files, and joins nothing.
fn pfs_s3(node: &Node, s3: &Entry, combiner: Option<&str>, ptr: &Pointer, out: &mut Findings) {
    for name in ["lazy", "empty_files"] {
        if let Some(other) = flag(node, name) {
            out.push(
                Rule::InvalidInput,
                &ptr.key(&other.written),
                other.key_span,
                format!(
                    "`{}` cannot be combined with `{}`: S3 inputs are read through the S3 gateway, not the file system",
                    other.written, s3.written
                ),
                format!("remove `{}`", other.written),
            );
        }
    }
    if let Some(kind) = combiner {
        out.push(
            Rule::InvalidInput,
            &ptr.key(&s3.written),
            s3.key_span,
            format!("S3 inputs are not allowed inside a `{kind}`"),
            "move this input out of the join, group or union (a `cross` is allowed), or drop `s3`",
        );
    }
}

/// A field present with a value that is neither a string nor null (a type error).
fn is_other_type(node: &Node, name: &str) -> bool {
    field(node, name).is_some_and(|e| e.value.as_str().is_none())
}

fn reserved(entry: &Entry, value: &str, ptr: &Pointer, out: &mut Findings) {
    out.push(
        Rule::InvalidInput,
        &ptr.key(&entry.written),
        entry.value.span,
        format!("an input cannot be named `{value}`: pachd reserves /pfs/{value}"),
        "give this input another `name`",
    );
}

fn cron_input(entry: &Entry, ptr: &Pointer, out: &mut Findings) {
    let node = &entry.value;
    if node.as_map().is_none() {
        return;
    }
    if unset(node, "name") {
        out.push(
            Rule::InvalidInput,
            ptr,
            entry.key_span,
            "this cron input has no `name`",
            "add a `name`, for example `\"name\": \"tick\"`: the ticks are mounted at /pfs/<name>",
        );
    } else if let Some((name, value)) = text(node, "name")
        && RESERVED.contains(&value)
    {
        reserved(name, value, ptr, out);
    }
    if unset(node, "spec") {
        out.push(
            Rule::InvalidInput,
            ptr,
            entry.key_span,
            "this cron input has no `spec`",
            "add a schedule, for example `\"spec\": \"@every 10m\"` or `\"spec\": \"0 6 * * *\"`",
        );
    } else if let Some((spec, value)) = text(node, "spec")
        && let Err(why) = cron::validate(value)
    {
        out.push(
                Rule::InvalidValue,
                &ptr.key(&spec.written),
                spec.value.span,
                format!("cron spec `{value}` is not valid: {why}"),
                "write five fields (`*/10 * * * *`) or a descriptor such as `@every 10m`, `@hourly` or `@daily`",
            );
    }
}

/// An input name already in use: where, for the message.
#[derive(Clone)]
struct Seen {
    name: String,
    line: u32,
    pointer: String,
}

/// Name uniqueness, as pachd checks it: one namespace for the whole input tree, except
/// that the branches of a `union` may repeat each other's names (only one branch
/// provides a datum at a time) while still clashing with everything outside the union.
fn names(node: &Node, ptr: &Pointer, seen: &mut Vec<Seen>, out: &mut Findings) {
    let (set, _) = kinds(node);
    for entry in set {
        let here = ptr.key(&entry.written);
        match entry.name() {
            "pfs" | "cron" => name(entry, &here, seen, out),
            "union" => {
                let base = seen.len();
                let mut added = Vec::new();
                for (i, child) in entry.value.as_seq().unwrap_or_default().iter().enumerate() {
                    let mut branch = seen.clone();
                    names(child, &here.index(i), &mut branch, out);
                    added.extend(branch.drain(base..));
                }
                seen.extend(added);
            }
            _ => {
                for (i, child) in entry.value.as_seq().unwrap_or_default().iter().enumerate() {
                    names(child, &here.index(i), seen, out);
                }
            }
        }
    }
}

/// Records the name of one `pfs` or `cron` input, reporting it when already taken.
fn name(entry: &Entry, ptr: &Pointer, seen: &mut Vec<Seen>, out: &mut Findings) {
    let node = &entry.value;
    let explicit = text(node, "name").filter(|(_, v)| !v.is_empty());
    let defaulted = || {
        if entry.name() != "pfs" || !unset(node, "name") {
            return None;
        }
        text(node, "repo").filter(|(_, v)| !v.is_empty())
    };
    let Some((source, value)) = explicit.or_else(defaulted) else {
        return;
    };
    let at = ptr.key(&source.written);
    let span: Span = source.value.span;
    match seen.iter().find(|s| s.name == value) {
        Some(first) => {
            let how = if explicit.is_some() {
                String::new()
            } else {
                " (a pfs input without `name` is named after its repo)".into()
            };
            out.push(
                Rule::InvalidInput,
                &at,
                span,
                format!(
                    "input name `{value}` is used twice{how}; the first is at line {} ({})",
                    first.line, first.pointer
                ),
                "give one of them a distinct `name`: each input is mounted at /pfs/<name>",
            );
        }
        None => seen.push(Seen {
            name: value.to_string(),
            line: span.start.line,
            pointer: at.to_string(),
        }),
    }
}
