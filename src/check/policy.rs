//! The `policy` rule: the team's own rules for its pipelines, as JSON Schemas
//! (`[[policy]]` in pachhook.toml), evaluated against each spec's canonical form
//! (`spec::canonical`).
//!
//! The schemas are compiled once per run (`config::policy` reads and compiles them from
//! the same commit or index as the specs); the checking threads share them. Each
//! violation is a finding at the value that breaks it, or at the object that lacks a
//! required field, worded by the schema when it says why (the failing subschema's
//! `description`, else its `title`), else by the validator.

use std::collections::HashMap;
use std::path::{Component, PathBuf};

use jsonschema::error::ValidationErrorKind;
use serde_json::Value as Json;

use crate::check::{Findings, Level, Options, Rule, Severity};
use crate::select::{Pick, Selector};
use crate::spec::canonical::{self, Located};
use crate::spec::{Node, Pointer, Span};

/// Findings one policy may raise on one spec: past this many, the spec needs fixing as
/// a whole, and a hostile schema cannot flood the report.
const MAX_PER_SPEC: usize = 50;
/// Messages quoted from the validator (which may quote the instance) are cut here.
const MAX_MESSAGE: usize = 300;

/// One compiled `[[policy]]`.
pub struct Policy {
    /// The schema file as named in pachhook.toml, relative to the repository root:
    /// every finding names it.
    pub file: String,
    /// `level`: the severity of its findings.
    pub severity: Severity,
    /// `paths`: the spec files it applies to; `None`: every spec file.
    paths: Option<Selector>,
    validator: jsonschema::Validator,
    /// The schema documents (the policy file and the files its `$ref`s name) by URI, to
    /// find the description of a failing keyword.
    documents: HashMap<String, Json>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("file", &self.file)
            .field("severity", &self.severity)
            .finish_non_exhaustive()
    }
}

impl Policy {
    pub fn new(
        file: String,
        severity: Severity,
        paths: Option<Selector>,
        validator: jsonschema::Validator,
        documents: HashMap<String, Json>,
    ) -> Policy {
        Policy {
            file,
            severity,
            paths,
            validator,
            documents,
        }
    }

    /// The repository paths of its files: the schema and the files its `$ref`s name.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.documents
            .keys()
            .filter_map(|uri| uri.strip_prefix("file:///"))
    }

    /// Whether the policy applies to the spec file at `path` (relative to the
    /// repository root; `None`: outside the repository, where only a policy for every
    /// spec file applies).
    pub fn applies_to(&self, path: Option<&str>) -> bool {
        match (&self.paths, path) {
            (None, _) => true,
            (Some(globs), Some(path)) => globs.pick(path.as_bytes()) == Some(Pick::Spec),
            (Some(_), None) => false,
        }
    }
}

/// Where the paths of files named on the command line are relative to, so that a
/// policy's `paths` (relative to the repository root) match them from any directory.
#[derive(Clone, Debug)]
pub struct PathBase {
    /// The top of the work tree.
    pub root: PathBuf,
    /// The directory the command runs in.
    pub cwd: PathBuf,
}

impl PathBase {
    /// `path` (as typed: relative to `cwd`, or absolute) relative to the repository
    /// root, `/`-separated; `None` outside the repository. Lexical: nothing is read.
    pub fn repo_path(&self, path: &str) -> Option<String> {
        let mut parts: Vec<Component<'_>> = Vec::new();
        let joined = self.cwd.join(path);
        for part in joined.components() {
            match part {
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        let full: PathBuf = parts.iter().collect();
        let relative = full.strip_prefix(&self.root).ok()?;
        let names: Vec<&str> = relative
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<_>>()?;
        Some(names.join("/"))
    }
}

/// The repository path of a source for matching `paths`: as given by the hooks and
/// repository scans, or resolved from where the command runs for named files.
pub fn repo_path(path: &str, base: Option<&PathBase>) -> Option<String> {
    match base {
        Some(base) => base.repo_path(path),
        None => Some(path.strip_prefix("./").unwrap_or(path).to_string()),
    }
}

/// The policies that apply to the spec file at `path` (as the source names it), unless
/// `[rules]` or `PACHHOOK_SKIP` turned the rule off.
pub fn applicable<'o>(path: &str, opts: &'o Options) -> Vec<&'o Policy> {
    if opts.policies.is_empty() || opts.levels.get(&Rule::Policy) == Some(&Level::Off) {
        return Vec::new();
    }
    let path = repo_path(path, opts.path_base.as_ref());
    opts.policies
        .iter()
        .filter(|p| p.applies_to(path.as_deref()))
        .map(|p| &**p)
        .collect()
}

/// Checks one normalized spec against the policies that apply to its file.
pub fn check(spec: &Node, policies: &[&Policy], out: &mut Findings) {
    if policies.is_empty() {
        return;
    }
    let instance = canonical::to_json(spec);
    for policy in policies {
        // Most specs meet the policy: the yes/no answer is much cheaper than the errors.
        if policy.validator.is_valid(&instance) {
            continue;
        }
        for error in policy.validator.iter_errors(&instance).take(MAX_PER_SPEC) {
            let (pointer, span) = place(spec, &error);
            let (message, help) = policy.wording(&error);
            out.push_as(policy.severity, Rule::Policy, &pointer, span, message, help);
        }
    }
}

/// Where a violation is in the file: the value that breaks the rule; for a missing
/// required field, the object that lacks it (its key, when it has one); for a property
/// the schema does not allow, that property's key.
fn place(spec: &Node, error: &jsonschema::ValidationError<'_>) -> (Pointer, Span) {
    let at = error.instance_path().as_str();
    let root = || Located {
        pointer: Pointer::root(),
        span: Span::point(spec.span.start),
        key_span: None,
    };
    let extra = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => unexpected.first(),
        _ => None,
    };
    if let Some(name) = extra {
        let escaped = name.replace('~', "~0").replace('/', "~1");
        if let Some(found) = canonical::locate(spec, &format!("{at}/{escaped}")) {
            return (found.pointer, found.key_span.unwrap_or(found.span));
        }
    }
    let found = canonical::locate(spec, at).unwrap_or_else(root);
    let span = match (error.kind(), found.key_span) {
        (ValidationErrorKind::Required { .. }, Some(key)) => key,
        (ValidationErrorKind::Required { .. }, None) => Span::point(found.span.start),
        _ => found.span,
    };
    (found.pointer, span)
}

impl Policy {
    /// The message and help of a violation. The message names the policy file and says
    /// what the schema says about the failing subschema (`description`, else `title`),
    /// else what the validator says; the help gives the validator's words and the
    /// keyword's place in the schema.
    fn wording(&self, error: &jsonschema::ValidationError<'_>) -> (String, String) {
        let validator = clip(&error.to_string());
        let (document, keyword) = self.keyword_location(error);
        let subschema = document.and_then(|doc| described(doc, &keyword, error.kind()));
        let location = match error.absolute_keyword_location() {
            Some(uri) => display_location(uri.as_str()),
            None => format!("{}#{}", self.file, error.schema_path().as_str()),
        };
        match subschema {
            Some(said) => (
                format!(
                    "policy {}: {}{}",
                    self.file,
                    clip(said),
                    detail(error.kind())
                ),
                format!("{validator} ({location})"),
            ),
            None => (
                format!("policy {}: {validator}", self.file),
                format!("the rule is {location}: change the spec to meet it, or change the policy"),
            ),
        }
    }

    /// The schema document holding the failing keyword, and the keyword's JSON pointer
    /// in it.
    fn keyword_location(&self, error: &jsonschema::ValidationError<'_>) -> (Option<&Json>, String) {
        if let Some(uri) = error.absolute_keyword_location() {
            let (base, fragment) = uri.as_str().split_once('#').unwrap_or((uri.as_str(), ""));
            if let Some(doc) = self.documents.get(base) {
                return (Some(doc), crate::percent::decode(fragment));
            }
        }
        let root = self.documents.get(&document_uri(&self.file));
        (root, error.schema_path().as_str().to_string())
    }
}

/// Which property a schema's own words are about, when one keyword names several.
fn detail(kind: &ValidationErrorKind) -> String {
    match kind {
        ValidationErrorKind::Required { property } => match property.as_str() {
            Some(name) => format!(" (`{}` is missing)", clip(name)),
            None => String::new(),
        },
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let names: Vec<String> = unexpected
                .iter()
                .map(|n| format!("`{}`", clip(n)))
                .collect();
            format!(" ({} not allowed)", names.join(", "))
        }
        _ => String::new(),
    }
}

/// The description or title of the subschema whose keyword failed. A `false` schema is
/// its own location; any other keyword's subschema is the object holding it.
fn described<'d>(document: &'d Json, keyword: &str, kind: &ValidationErrorKind) -> Option<&'d str> {
    let subschema = match kind {
        ValidationErrorKind::FalseSchema => keyword,
        _ => keyword.rsplit_once('/').map_or("", |(parent, _)| parent),
    };
    let schema = document.pointer(subschema)?;
    ["description", "title"]
        .iter()
        .find_map(|k| schema.get(k)?.as_str())
        .filter(|s| !s.trim().is_empty())
}

/// The URI a policy document is known by: `file:///` and its path in the repository.
pub fn document_uri(path: &str) -> String {
    // A repository path may hold what a URI may not (a space, `#`, `%`, non-ASCII):
    // percent-encoded, as `display_location` decodes it.
    format!(
        "file:///{}",
        crate::percent::encode(path.as_bytes(), b"/!$&'()*+,;=:@")
    )
}

/// `file:///policy/x.json#/properties/a` as `policy/x.json#/properties/a`.
fn display_location(uri: &str) -> String {
    let shown = uri.strip_prefix("file:///").unwrap_or(uri);
    crate::percent::decode(shown)
}

/// Text from a schema or the validator is repository content: control characters are
/// escaped, and long text is cut.
fn clip(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_MESSAGE + 3));
    for (n, c) in text.chars().enumerate() {
        if n == MAX_MESSAGE {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn locations_are_shown_decoded_and_repository_relative() {
        assert_eq!(
            super::display_location("file:///policy/x.json#/%24defs/a"),
            "policy/x.json#/$defs/a"
        );
        assert_eq!(super::clip("a\u{1b}[31mb"), "a\\u{1b}[31mb");
    }

    #[test]
    fn named_paths_are_matched_from_the_repository_root() {
        let base = super::PathBase {
            root: "/r".into(),
            cwd: "/r/pipelines".into(),
        };
        assert_eq!(
            base.repo_path("prod/a.json").as_deref(),
            Some("pipelines/prod/a.json")
        );
        assert_eq!(
            base.repo_path("./../x/../b.yaml").as_deref(),
            Some("b.yaml")
        );
        assert_eq!(base.repo_path("/r/c.json").as_deref(), Some("c.json"));
        assert_eq!(base.repo_path("../../elsewhere.json"), None);
    }
}
