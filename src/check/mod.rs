//! The checking engine: sources in, findings out.
//!
//! It knows nothing of git, hooks or configuration files: callers (the `check` command,
//! the hooks, deploy) choose which sources to feed it and with which `Options`. For each
//! file it reads the specs, normalizes each against the spec description, runs the
//! server rules and the image rules, then the rules that look across files.

pub mod across;
pub mod builds;
pub mod duplicate_key;
pub mod graph;
pub mod hazard;
pub mod image;
pub mod policy;
pub mod schema;
pub mod server;
pub mod template;

use std::collections::BTreeMap;

pub use crate::diagnostic::{Finding, Level, Rule, Severity};

use crate::release::Release;
use crate::source::Source;
use crate::spec::{self, Node, Pointer, Span};

/// What the caller decides about a run; `Options::default()` is the zero-config run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The Pachyderm release the specs must work on.
    pub release: Release,
    /// Tags that move: an image with one of these (or no tag) is `floating-tag`.
    pub floating_tags: Vec<String>,
    /// Every image must carry a digest.
    pub require_digest: bool,
    /// Image repositories (no tag) that deploy builds and tags itself: a spec may name
    /// them without a tag.
    pub managed_images: Vec<String>,
    /// Pipelines a `[[build]]` names in its `pipelines`: managed whatever image they use.
    pub managed_pipelines: Vec<String>,
    /// The repository deploys its specs (`[deploy] enabled`, or a deploy being planned):
    /// two files defining one pipeline are then an error, not a warning.
    pub deploys: bool,
    /// Deploy passes `--reprocess` (`[deploy] reprocess`).
    pub reprocess: bool,
    /// `[[template]]` instances: the renderings of jsonnet templates to check.
    pub templates: Vec<template::Instance>,
    /// Per-rule levels that replace the defaults (`[rules]` in pachhook.toml,
    /// `PACHHOOK_SKIP`).
    pub levels: BTreeMap<Rule, Level>,
    /// Keep each spec's normalized tree in `FileReport::parsed`, for callers that act on
    /// the specs (deploy). Off, a large check holds only the sources and findings.
    pub keep_trees: bool,
    /// The team's policies (`[[policy]]`), compiled once for the run.
    pub policies: Vec<std::sync::Arc<policy::Policy>>,
    /// For files named on the command line: how their paths relate to the repository
    /// root, which the policies' `paths` are relative to. `None`: source paths are
    /// repository paths already.
    pub path_base: Option<policy::PathBase>,
    /// The rules `PACHHOOK_SKIP` turned off for this command, for the summary to name.
    pub skipped: Vec<Rule>,
    /// The graph rules' settings: default project, `[graph] sources`, the rest of the
    /// repository's pipelines.
    pub graph: graph::Settings,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            release: Release::NEWEST,
            floating_tags: vec!["latest".to_string()],
            require_digest: false,
            managed_images: Vec::new(),
            managed_pipelines: Vec::new(),
            deploys: false,
            reprocess: false,
            templates: Vec::new(),
            levels: BTreeMap::new(),
            keep_trees: false,
            policies: Vec::new(),
            path_base: None,
            skipped: Vec::new(),
            graph: graph::Settings::default(),
        }
    }
}

/// Collects the findings of one spec; the rules push into it while they walk.
pub struct Findings {
    spec: Option<usize>,
    found: Vec<Finding>,
}

impl Findings {
    pub fn new(spec: Option<usize>) -> Findings {
        Findings {
            spec,
            found: Vec::new(),
        }
    }

    /// A finding at the rule's default severity.
    pub fn push(
        &mut self,
        rule: Rule,
        pointer: &Pointer,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push_as(rule.default_severity(), rule, pointer, span, message, help);
    }

    /// A finding whose severity depends on the case (`duplicate-pipeline` across files
    /// of a repository that does not deploy is a warning). `[rules]` still overrides it.
    pub fn push_as(
        &mut self,
        severity: Severity,
        rule: Rule,
        pointer: &Pointer,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.found.push(Finding {
            rule,
            severity,
            spec: self.spec,
            pointer: pointer.to_string(),
            span,
            message: message.into(),
            help: help.into(),
        });
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.found
    }
}

/// A spec as listed in the report: where it starts and what it is called.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecSummary {
    pub index: usize,
    pub name: Option<String>,
    pub line: u32,
    /// Which pipeline the spec defines, for the rules across files.
    pub(crate) definition: Option<across::Definition>,
    /// The pipeline as the graph sees it (`crate::graph`): its project, name and inputs.
    pub pipeline: Option<crate::graph::Pipeline>,
}

/// Everything found in one file. The source stays attached so reports can quote it.
#[derive(Debug)]
pub struct FileReport {
    pub source: Source,
    pub specs: Vec<SpecSummary>,
    /// The normalized specs, in file order, when `Options::keep_trees` asked for them.
    pub parsed: Vec<Node>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    /// The rules `PACHHOOK_SKIP` turned off (`Options::skipped`).
    pub skipped: Vec<Rule>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.findings)
            .filter(|f| f.severity == severity)
            .count()
    }

    pub fn spec_count(&self) -> usize {
        self.files.iter().map(|f| f.specs.len()).sum()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Checks every source. A scanned source (`Source::scanned`) that holds no pipeline spec
/// is someone else's JSON or YAML and is left out of the report.
pub fn check(sources: Vec<Source>, opts: &Options) -> Report {
    let (templates, sources): (Vec<Source>, Vec<Source>) = sources
        .into_iter()
        .partition(|s| template::is_template(&s.path));
    let mut files: Vec<FileReport> = crate::parallel::map(sources, |s| check_file(s, opts))
        .into_iter()
        .flatten()
        .collect();
    // Templates: each instance rendered and checked like a spec file; the renderings
    // take part in the rules across files, then their findings go back on the template.
    let (direct, rendered) = template::check(templates, opts, |s| check_file(s, opts));
    let first_rendered = files.len();
    let mut origins = Vec::with_capacity(rendered.len());
    for r in rendered {
        files.push(r.report);
        origins.push((r.template, r.instance));
    }
    across::check(&mut files, opts);
    graph::check(&mut files, opts);
    let renderings: Vec<FileReport> = files.drain(first_rendered..).collect();
    let mut placed = direct;
    for (report, (template, instance)) in renderings.into_iter().zip(origins) {
        let (on_template, on_config) = template::place(template::Rendered {
            report,
            template,
            instance,
        });
        placed.push(on_template);
        placed.extend(on_config);
    }
    if !placed.is_empty() {
        files.extend(placed);
        files = template::merge(files);
    }
    // Reports list files by path, whatever order the sources came in.
    files.sort_by(|a, b| a.source.path.cmp(&b.source.path));
    for file in &mut files {
        // A level set in `[rules]` (or `PACHHOOK_SKIP`) replaces the severity the rule
        // chose for each finding.
        file.findings
            .retain_mut(|f| match opts.levels.get(&f.rule) {
                None => true,
                Some(Level::Off) => false,
                Some(Level::Warning) => {
                    f.severity = Severity::Warning;
                    true
                }
                Some(Level::Error) => {
                    f.severity = Severity::Error;
                    true
                }
            });
        file.findings.sort_by_key(|f| (f.spec, f.span.start));
    }
    Report {
        files,
        skipped: opts.skipped.clone(),
    }
}

fn check_file(source: Source, opts: &Options) -> Option<FileReport> {
    if let Some(reason) = &source.unreadable {
        let mut out = Findings::new(None);
        out.push(
            Rule::ParseError,
            &Pointer::root(),
            Span::point(crate::spec::Pos { line: 1, column: 1 }),
            format!("cannot read the file: {reason}"),
            "make the file readable (or remove it), then run pachhook again",
        );
        return Some(FileReport {
            source,
            specs: Vec::new(),
            parsed: Vec::new(),
            findings: out.into_vec(),
        });
    }
    let specs = match spec::read::read(&source.bytes) {
        Ok(specs) if !source.explicit && !spec::read::holds_specs(&specs) => return None,
        Ok(specs) => specs,
        // A scanned file that does not parse is reported only if it looks like it was
        // meant to be a spec: a broken `package.json`, or a CI file that uses YAML
        // aliases, is not ours to block.
        Err(_) if !source.explicit && !has_pipeline_key(&source.bytes) => return None,
        Err(e) => {
            let mut out = Findings::new(None);
            out.push(
                Rule::ParseError,
                &Pointer::root(),
                Span::point(e.pos),
                e.message,
                "fix the syntax at this position; pachctl reads every spec file with a YAML decoder",
            );
            return Some(FileReport {
                source,
                specs: Vec::new(),
                parsed: Vec::new(),
                findings: out.into_vec(),
            });
        }
    };
    let mut summaries = Vec::with_capacity(specs.len());
    let mut parsed = Vec::with_capacity(specs.len());
    let mut findings = Vec::new();
    let policies = policy::applicable(&source.path, opts);
    for (index, mut node) in specs.into_iter().enumerate() {
        let mut out = Findings::new(Some(index));
        duplicate_key::check(&node, opts.release, &mut out);
        schema::check(&mut node, opts.release, &mut out);
        server::check(&node, &mut out);
        image::check(&node, opts, &mut out);
        hazard::check(&node, opts, &mut out);
        policy::check(&node, &policies, &mut out);
        summaries.push(SpecSummary {
            index,
            name: pipeline_name(&node),
            line: node.span.start.line,
            definition: across::identify(&node, opts),
            pipeline: crate::graph::Pipeline::of(&node, &opts.graph.default_project),
        });
        findings.extend(out.into_vec());
        if opts.keep_trees {
            parsed.push(node);
        }
    }
    Some(FileReport {
        source,
        specs: summaries,
        parsed,
        findings,
    })
}

/// Whether unparsable text still has a `pipeline` key: `"pipeline":` (JSON, any
/// spacing) or a line starting `pipeline:` / `- pipeline:` (YAML). Mentioning the word,
/// as CI configurations do, is not enough.
fn has_pipeline_key(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let json = text
        .match_indices("\"pipeline\"")
        .any(|(i, m)| text[i + m.len()..].trim_start().starts_with(':'));
    json || text.lines().any(|l| {
        let l = l.trim_start().trim_start_matches("- ").trim_start();
        l.starts_with("pipeline:") || l.starts_with("\"pipeline\":") || l.starts_with("'pipeline':")
    })
}

/// `pipeline.name` of a normalized spec, when it is a string.
pub fn pipeline_name(spec: &Node) -> Option<String> {
    spec.get("pipeline")?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanned_findings(path: &str, text: &str) -> Option<Vec<Rule>> {
        let report = check(vec![Source::scanned(path, text)], &Options::default());
        report
            .files
            .first()
            .map(|f| f.findings.iter().map(|x| x.rule).collect())
    }

    #[test]
    fn scanned_files_that_do_not_parse_are_reported_only_with_a_pipeline_key() {
        // A CI file that mentions pipelines and uses YAML aliases is not a spec.
        let ci = "stages: [build]\ndefaults: &d\n  script: run the pipeline\njob:\n  <<: *d\n";
        assert_eq!(scanned_findings(".gitlab-ci.yml", ci), None);
        // A truncated spec is.
        let broken = "{\n  \"pipeline\" : {\"name\": \"edges\"},\n  \"transform\": {";
        assert_eq!(
            scanned_findings("edges.json", broken),
            Some(vec![Rule::ParseError])
        );
        let yaml = "- pipeline:\n    name: edges\n  input: &i\n    pfs: {repo: a, glob: /}\n- pipeline:\n    name: b\n  input: *i\n";
        assert_eq!(
            scanned_findings("edges.yaml", yaml),
            Some(vec![Rule::ParseError])
        );
    }
}
