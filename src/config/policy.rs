//! `[[policy]]`: the team's JSON Schemas for its pipelines, and how they are loaded.
//!
//! ```toml
//! [[policy]]
//! schema = "policy/pipelines.schema.json"   # JSON or YAML
//! level = "error"                           # or "warning"
//! paths = ["pipelines/prod/**"]             # optional: only these spec files
//! ```
//!
//! A policy is read from the same place as the specs it checks (the work tree, the
//! staged index, a pushed commit), so a commit that changes the policy is checked
//! against its own policy. It is read like a configuration file (a regular file inside
//! the repository, at most 1 MiB), and so are the files its relative `$ref`s name. A
//! `$ref` to anything else (`https://…`) is refused: a hook reads no network. Every
//! problem with a policy is a configuration error (exit 2) at its position.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use serde::Deserialize;
use serde_json::Value as Json;

use crate::check::Severity;
use crate::check::policy::{Policy, document_uri};
use crate::config::ConfigError;
use crate::repo::Repo;
use crate::spec::{Node, Pos, Value};

/// How many files one policy may pull in through `$ref`s.
const MAX_FILES: usize = 64;

/// One `[[policy]]` block as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyLayer {
    schema: toml::Spanned<String>,
    level: Option<toml::Spanned<String>>,
    paths: Option<Vec<toml::Spanned<String>>>,
}

/// One `[[policy]]` block, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyConfig {
    /// The schema file, relative to the repository root, `/`-separated.
    pub schema: String,
    pub severity: Severity,
    /// Globs of the spec files it applies to; empty: every spec file.
    pub paths: Vec<String>,
    /// Where `schema =` is written, for errors about the file it names.
    at: (PathBuf, usize, usize),
}

/// Checks the `[[policy]]` blocks of one configuration file.
pub(super) fn parse(
    layers: Vec<PolicyLayer>,
    path: &Path,
    text: &str,
) -> Result<Vec<PolicyConfig>> {
    let mut out = Vec::new();
    for layer in layers {
        let written = layer.schema.get_ref().trim();
        let schema = super::paths::file(written).map_err(|why| {
            super::error_at(
                path,
                text,
                layer.schema.span(),
                format!("[[policy]] schema `{written}`: {why}"),
            )
        })?;
        let severity = match layer
            .level
            .as_ref()
            .map(|l| (l.get_ref().as_str(), l.span()))
        {
            None | Some(("error", _)) => Severity::Error,
            Some(("warning", _)) => Severity::Warning,
            Some((other, span)) => {
                return Err(super::error_at(
                    path,
                    text,
                    span,
                    format!(
                        "[[policy]] level: `{other}` is not a level: use \"error\" or \"warning\""
                    ),
                ));
            }
        };
        let mut paths = Vec::new();
        for glob in layer.paths.unwrap_or_default() {
            let normalised = super::paths::glob(glob.get_ref()).map_err(|why| {
                super::error_at(
                    path,
                    text,
                    glob.span(),
                    format!("[[policy]] paths `{}`: {why}", glob.get_ref()),
                )
            })?;
            // The same globs as `[specs] paths` (gitignore conventions).
            if let Err(e) = crate::select::Selector::new(std::slice::from_ref(&normalised)) {
                return Err(super::error_at(
                    path,
                    text,
                    glob.span(),
                    format!("[[policy]] paths: {e:#}"),
                ));
            }
            paths.push(normalised);
        }
        let (line, column) = super::file::position(text.as_bytes(), layer.schema.span().start);
        out.push(PolicyConfig {
            schema,
            severity,
            paths,
            at: (path.to_path_buf(), line, column),
        });
    }
    Ok(out)
}

/// Reads the regular file at a repository path; `None` when there is none.
type ReadFile<'a> = dyn FnMut(&str) -> Result<Option<Vec<u8>>> + 'a;

/// Where policy files are read from: the same place as the specs they check. Each is
/// read as configuration is: a regular file, bounded (`config::file`,
/// `Repo::file_at_commit`, `Repo::staged_file`).
pub struct Files<'a> {
    /// What the place is called in messages: "the work tree", "the index", "commit …".
    place: String,
    read: Box<ReadFile<'a>>,
}

impl<'a> Files<'a> {
    /// Files of the work tree at `root`.
    pub fn work_tree(root: &'a Path) -> Files<'a> {
        Files {
            place: "the work tree".into(),
            read: Box::new(move |path| Ok(super::file::read_bytes_in(root, path)?)),
        }
    }

    /// Files as staged in the index, as the pre-commit hook sees the specs.
    pub fn index(repo: &'a Repo) -> Files<'a> {
        Files {
            place: "the index".into(),
            read: Box::new(move |path| repo.staged_file(path)),
        }
    }

    /// Files of a commit's tree, as the pre-push hook and deploy see the specs.
    pub fn commit(repo: &'a Repo, commit: crate::repo::Oid) -> Files<'a> {
        let hex = commit.to_string();
        Files {
            place: format!("commit {}", hex.get(..12).unwrap_or(&hex)),
            read: Box::new(move |path| repo.file_at_commit(commit, path)),
        }
    }
}

/// Reads and compiles the policies from `files`. Nothing is read when there is none.
pub fn load(configs: &[PolicyConfig], files: &mut Files<'_>) -> Result<Vec<Arc<Policy>>> {
    configs
        .iter()
        .map(|config| compile(config, files).map(Arc::new))
        .collect()
}

/// One schema document: its repository path, tree (for positions) and JSON.
struct Document {
    path: String,
    node: Node,
    json: Json,
}

fn compile(config: &PolicyConfig, files: &mut Files<'_>) -> Result<Policy> {
    let (file, line, column) = &config.at;
    let missing =
        |what: String| -> anyhow::Error { ConfigError::new(file, *line, *column, what).into() };
    let Some(bytes) = (files.read)(&config.schema)? else {
        return Err(missing(format!(
            "[[policy]] schema: `{}` is not a file in {}",
            config.schema, files.place
        )));
    };
    let mut documents = vec![document(&config.schema, &bytes)?];
    gather_refs(&mut documents, files)?;

    let root = &documents[0];
    let retriever = Preloaded(
        documents
            .iter()
            .map(|d| (document_uri(&d.path), d.json.clone()))
            .collect(),
    );
    let validator = jsonschema::options()
        .with_base_uri(document_uri(&root.path))
        .with_retriever(retriever)
        .build(&root.json)
        .map_err(|e| {
            let pos = find(&root.node, e.instance_path().as_str()).unwrap_or(root.node.span.start);
            at(&root.path, pos, format!("not a valid JSON Schema: {e}"))
        })?;
    let paths = if config.paths.is_empty() {
        None
    } else {
        Some(crate::select::Selector::new(&config.paths)?)
    };
    let documents = documents
        .into_iter()
        .map(|d| (document_uri(&d.path), d.json))
        .collect();
    Ok(Policy::new(
        config.schema.clone(),
        config.severity,
        paths,
        validator,
        documents,
    ))
}

/// Reads a JSON or YAML schema document with the spec reader, which gives positions.
fn document(path: &str, bytes: &[u8]) -> Result<Document> {
    let mut nodes = crate::spec::read::read(bytes).map_err(|e| {
        at(
            path,
            e.pos,
            format!("not a JSON or YAML schema: {}", e.message),
        )
    })?;
    let node = match nodes.len() {
        1 => nodes.remove(0),
        _ => {
            return Err(at(
                path,
                Pos { line: 1, column: 1 },
                "a policy file holds one JSON Schema: a single mapping".into(),
            ));
        }
    };
    let json = node.to_json();
    Ok(Document {
        path: path.to_string(),
        node,
        json,
    })
}

/// Loads every file the documents' `$ref`s name, relative to the document naming it,
/// and refuses the `$ref`s that name anything else.
fn gather_refs(documents: &mut Vec<Document>, files: &mut Files<'_>) -> Result<()> {
    let mut ids = HashSet::new();
    for doc in documents.iter() {
        collect_ids(&doc.node, &mut ids);
    }
    let mut next = 0;
    while next < documents.len() {
        let mut refs = Vec::new();
        collect_refs(&documents[next].node, &mut refs);
        let base = documents[next].path.clone();
        for (reference, pos) in refs {
            let target = match resolve(&base, &reference) {
                Ok(None) => continue,
                Ok(Some(target)) => target,
                Err(Resolved::Remote(uri)) if ids.contains(&uri) || is_meta_schema(&uri) => {
                    continue;
                }
                Err(Resolved::Remote(_)) => {
                    return Err(at(
                        &base,
                        pos,
                        format!(
                            "`$ref` \"{reference}\": remote references are refused (a hook reads \
                             no network); copy the schema beside the policy and refer to it by \
                             a relative path"
                        ),
                    ));
                }
                Err(Resolved::Outside) => {
                    return Err(at(
                        &base,
                        pos,
                        format!(
                            "`$ref` \"{reference}\" leaves the repository: name a file beside \
                             the policy, by a relative path"
                        ),
                    ));
                }
            };
            if documents.iter().any(|d| d.path == target) {
                continue;
            }
            if documents.len() >= MAX_FILES {
                return Err(at(
                    &base,
                    pos,
                    format!("more than {MAX_FILES} files through `$ref`s"),
                ));
            }
            let Some(bytes) = (files.read)(&target)? else {
                return Err(at(
                    &base,
                    pos,
                    format!(
                        "`$ref` \"{reference}\" names `{target}`, which is not a file in {}",
                        files.place
                    ),
                ));
            };
            let doc = document(&target, &bytes)?;
            collect_ids(&doc.node, &mut ids);
            documents.push(doc);
        }
        next += 1;
    }
    Ok(())
}

enum Resolved {
    /// A URI with a scheme, not a file beside the policy.
    Remote(String),
    /// A relative path that climbs out of the repository.
    Outside,
}

/// The repository path a `$ref` names, relative to the document at `base`; `None` for
/// a reference inside the same document (`#/$defs/x`).
fn resolve(base: &str, reference: &str) -> Result<Option<String>, Resolved> {
    let without_fragment = reference.split('#').next().unwrap_or_default();
    if without_fragment.is_empty() {
        return Ok(None);
    }
    if has_scheme(without_fragment) {
        return Err(Resolved::Remote(
            without_fragment.trim_end_matches('#').to_string(),
        ));
    }
    let mut parts: Vec<&str> = if without_fragment.starts_with('/') {
        Vec::new()
    } else {
        let mut dir: Vec<&str> = base.split('/').collect();
        dir.pop();
        dir
    };
    for part in without_fragment.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(Resolved::Outside)?;
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(Resolved::Outside);
    }
    Ok(Some(parts.join("/")))
}

/// `scheme:` at the start (RFC 3986): `https:`, `urn:`, `file:`.
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The JSON Schema meta-schemas, which the validator carries itself.
fn is_meta_schema(uri: &str) -> bool {
    uri.starts_with("https://json-schema.org/") || uri.starts_with("http://json-schema.org/")
}

/// Every `"$ref": "<string>"`, with the position of the string.
fn collect_refs(node: &Node, out: &mut Vec<(String, Pos)>) {
    walk(node, &mut |key, value| {
        if let ("$ref", Value::String(s)) = (key, &value.value) {
            out.push((s.clone(), value.span.start));
        }
    });
}

/// Every `"$id": "<string>"`: URIs the policy defines itself, which `$ref`s may name.
fn collect_ids(node: &Node, out: &mut HashSet<String>) {
    walk(node, &mut |key, value| {
        if let ("$id" | "id", Value::String(s)) = (key, &value.value) {
            out.insert(s.split('#').next().unwrap_or_default().to_string());
        }
    });
}

fn walk(node: &Node, f: &mut dyn FnMut(&str, &Node)) {
    match &node.value {
        Value::Map(entries) => {
            for entry in entries {
                f(&entry.written, &entry.value);
                walk(&entry.value, f);
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| walk(i, f)),
        _ => {}
    }
}

/// The position of the value at a JSON pointer in a schema document, by its keys as
/// written.
fn find(node: &Node, pointer: &str) -> Option<Pos> {
    let mut node = node;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = match &node.value {
            Value::Map(entries) => &entries.iter().find(|e| e.written == token)?.value,
            Value::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node.span.start)
}

fn at(path: &str, pos: Pos, message: String) -> anyhow::Error {
    ConfigError::new(
        Path::new(path),
        pos.line as usize,
        pos.column as usize,
        message,
    )
    .into()
}

/// The documents read before compiling, served to the validator by URI. Anything else is
/// refused: the validator never reaches for the network or the file system.
struct Preloaded(HashMap<String, Json>);

impl jsonschema::Retrieve for Preloaded {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Json, Box<dyn std::error::Error + Send + Sync>> {
        self.0.get(uri.as_str()).cloned().ok_or_else(|| {
            format!(
                "`{uri}` is not read: a hook reads no network; name files beside the policy by \
                 relative paths"
            )
            .into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Resolved, resolve};

    #[test]
    fn refs_resolve_beside_the_policy_and_never_out_of_the_repository() {
        let r = |base: &str, reference: &str| match resolve(base, reference) {
            Ok(path) => Ok(path),
            Err(Resolved::Remote(uri)) => Err(format!("remote {uri}")),
            Err(Resolved::Outside) => Err("outside".to_string()),
        };
        assert_eq!(r("policy/a.json", "#/$defs/x"), Ok(None));
        assert_eq!(
            r("policy/a.json", "b.json#/x"),
            Ok(Some("policy/b.json".into()))
        );
        assert_eq!(
            r("policy/a.json", "../c/d.yaml"),
            Ok(Some("c/d.yaml".into()))
        );
        assert_eq!(
            r("policy/a.json", "./e/../f.json"),
            Ok(Some("policy/f.json".into()))
        );
        assert_eq!(r("policy/a.json", "../../x.json"), Err("outside".into()));
        assert_eq!(
            r("a.json", "https://example.com/s.json#/a"),
            Err("remote https://example.com/s.json".into())
        );
        assert_eq!(
            r("a.json", "file:///etc/passwd"),
            Err("remote file:///etc/passwd".into())
        );
    }
}
