//! Jsonnet templates as specs: each `[[template]]` instance is rendered the way pachd
//! renders it (`crate::jsonnet`) and its specs go through every rule like a spec file's.
//!
//! Findings are reported on the template, not on JSON nobody wrote: at the template's
//! literal when the offending value (or key) is written there as a string literal, else
//! at the instance's `[[template]]` block in pachhook.toml. Either way the message names
//! the instance. A template that no instance covers is read for syntax only and gets an
//! `unchecked-template` warning: its specs depend on arguments nobody gave.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{FileReport, Findings, Options, Rule};
use crate::jsonnet::{self, Limits};
use crate::source::Source;
use crate::spec::{Pointer, Pos, Span};

/// One `[[template]]` block: a template and the arguments of one rendering.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// The template, relative to the repository root, `/`-separated.
    pub path: String,
    /// Top-level arguments, passed as strings.
    pub args: BTreeMap<String, String>,
    /// The configuration file that declares it (`pachhook.toml`) and its text, for
    /// findings placed at the instance.
    pub config: String,
    pub config_text: Arc<String>,
    /// Where its `path =` is written.
    pub line: u32,
    pub column: u32,
}

impl Instance {
    /// How messages name the instance: `pachhook.toml:4 (suffix="1", src="images")`.
    pub fn label(&self) -> String {
        let args = self
            .args
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("{}:{} ({args})", self.config, self.line)
    }

    fn span(&self) -> Span {
        Span::point(Pos {
            line: self.line,
            column: self.column,
        })
    }
}

/// Whether a path is a jsonnet template (`.libsonnet` files are libraries, imported by
/// templates, never rendered on their own).
pub fn is_template(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".jsonnet")
}

/// One rendering, checked: its report against the rendered JSON, to be placed back on
/// the template by [`place`] once the rules across files have run.
pub(super) struct Rendered {
    pub report: FileReport,
    pub template: Source,
    pub instance: Instance,
}

/// The longest all the renderings of one check may take together: a commit with many
/// instances of a slow template ends with errors, not after instances × 10 s.
pub const TOTAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Renders and checks every template source. Returns the reports that are already about
/// the template (render errors, unchecked templates) and the renderings.
pub(super) fn check(
    templates: Vec<Source>,
    opts: &Options,
    check_file: impl Fn(Source) -> Option<FileReport>,
) -> (Vec<FileReport>, Vec<Rendered>) {
    let mut direct = Vec::new();
    let mut rendered = Vec::new();
    let deadline = std::time::Instant::now() + TOTAL;
    for template in templates {
        // Instances name templates from the repository root; a file named on the
        // command line is as typed, relative to the current directory.
        let at = super::policy::repo_path(&template.path, opts.path_base.as_ref());
        let instances: Vec<&Instance> = opts
            .templates
            .iter()
            .filter(|i| at.as_deref() == Some(i.path.as_str()))
            .collect();
        if instances.is_empty() {
            if let Some(report) = unchecked(template) {
                direct.push(report);
            }
            continue;
        }
        let mut errors = Findings::new(None);
        // The instances render at once (each in its own bounded process), and all the
        // renderings of one check share one total bound (`TOTAL`).
        let results = crate::parallel::map_each(instances, |instance| {
            let limits = Limits::default();
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let result = if left.is_zero() {
                Err(jsonnet::RenderError {
                    message: format!(
                        "not rendered: the templates of this check took more than {} \
                         seconds together (each rendering may take {} seconds)",
                        TOTAL.as_secs(),
                        limits.time.as_secs()
                    ),
                    pos: None,
                })
            } else {
                let limits = Limits {
                    time: limits.time.min(left),
                    ..limits
                };
                jsonnet::render(&template.bytes, &instance.args, limits)
            };
            (instance, result)
        });
        for (instance, result) in results {
            match result {
                Err(e) => errors.push(
                    Rule::TemplateError,
                    &Pointer::root(),
                    e.pos.map_or(Span::default(), Span::point),
                    format!(
                        "the template does not render for [[template]] {}: {}",
                        instance.label(),
                        e.message
                    ),
                    "fix the template or the instance's arguments: pachd would refuse to render it the same way",
                ),
                Ok(json) => {
                    let source = Source::new(template.path.clone(), json.into_bytes());
                    if let Some(report) = check_file(source) {
                        rendered.push(Rendered {
                            report,
                            template: template.clone(),
                            instance: instance.clone(),
                        });
                    }
                }
            }
        }
        let errors = errors.into_vec();
        if !errors.is_empty() {
            direct.push(FileReport {
                source: template,
                specs: Vec::new(),
                parsed: Vec::new(),
                findings: errors,
            });
        }
    }
    (direct, rendered)
}

/// A template with no instance: its syntax, and a warning. A scanned `.jsonnet` file that
/// never mentions `pipeline` is some other jsonnet (a dashboard) and is left alone.
fn unchecked(template: Source) -> Option<FileReport> {
    let text = String::from_utf8_lossy(&template.bytes);
    if !template.explicit && !text.contains("pipeline") {
        return None;
    }
    let mut out = Findings::new(None);
    match jsonnet::syntax(&template.bytes) {
        Err(e) => out.push(
            Rule::TemplateError,
            &Pointer::root(),
            e.pos.map_or(Span::default(), Span::point),
            format!("the template cannot be read: {}", e.message),
            "fix the syntax at this position",
        ),
        Ok(()) => out.push(
            Rule::UncheckedTemplate,
            &Pointer::root(),
            Span::point(Pos { line: 1, column: 1 }),
            "only the syntax of this template was checked: no `[[template]]` in pachhook.toml renders it",
            format!(
                "add a `[[template]]` with `path = \"{}\"` and the `args` of one rendering to pachhook.toml",
                template.path
            ),
        ),
    }
    Some(FileReport {
        source: template,
        specs: Vec::new(),
        parsed: Vec::new(),
        findings: out.into_vec(),
    })
}

/// Places a rendering's findings on its template (at the literal the value comes from)
/// or on its `[[template]]` block, naming the instance. Returns the template's report
/// and, when some findings have no literal, a report on the configuration file.
pub(super) fn place(rendered: Rendered) -> (FileReport, Option<FileReport>) {
    let Rendered {
        report,
        template,
        instance,
    } = rendered;
    let json = String::from_utf8_lossy(&report.source.bytes).into_owned();
    let text = String::from_utf8_lossy(&template.bytes).into_owned();
    let label = instance.label();
    let mut on_template = Vec::new();
    let mut on_config = Vec::new();
    for mut finding in report.findings {
        finding.message = format!("{} (rendered by [[template]] {label})", finding.message);
        match literal(&json, finding.span).and_then(|value| find_literal(&text, &value)) {
            Some(span) => {
                finding.span = span;
                on_template.push(finding);
            }
            None => {
                finding.span = instance.span();
                on_config.push(finding);
            }
        }
    }
    let mut specs = report.specs;
    for spec in &mut specs {
        spec.line = 1;
        // The graph names the template's line that writes the pipeline's name, when a
        // literal does.
        if let Some(pipeline) = &mut spec.pipeline {
            pipeline.line = find_literal(&text, &pipeline.name).map_or(1, |s| s.start.line);
        }
    }
    let config = (!on_config.is_empty()).then(|| FileReport {
        source: Source::new(
            instance.config.clone(),
            instance.config_text.as_bytes().to_vec(),
        ),
        specs: Vec::new(),
        parsed: Vec::new(),
        findings: on_config,
    });
    (
        FileReport {
            source: template,
            specs,
            parsed: report.parsed,
            findings: on_template,
        },
        config,
    )
}

/// The string a finding points at in the rendered JSON: a JSON string token (a value or
/// a key) on one line.
fn literal(json: &str, span: Span) -> Option<String> {
    if span.start.line != span.end.line || span.start.line == 0 {
        return None;
    }
    let line = json
        .lines()
        .nth(usize::try_from(span.start.line).ok()? - 1)?;
    let chars: Vec<char> = line.chars().collect();
    let start = usize::try_from(span.start.column).ok()?.checked_sub(1)?;
    let end = usize::try_from(span.end.column).ok()?.checked_sub(1)?;
    let token: String = chars.get(start..end)?.iter().collect();
    serde_json::from_str::<String>(&token).ok()
}

/// Where a string literal with this value is written in the template: `'value'`,
/// `"value"`, or a field name `value:`. The first one wins.
fn find_literal(text: &str, value: &str) -> Option<Span> {
    if value.is_empty() || value.contains(['\'', '"', '\\', '\n']) {
        return None;
    }
    let mut best: Option<usize> = None;
    for quoted in [format!("'{value}'"), format!("\"{value}\"")] {
        if let Some(i) = text.find(&quoted) {
            best = Some(best.map_or(i, |b| b.min(i)));
        }
    }
    let identifier = value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !value.starts_with(|c: char| c.is_ascii_digit());
    if identifier {
        let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        for (i, _) in text.match_indices(value) {
            let before = text[..i].chars().next_back();
            let after = text[i + value.len()..].trim_start_matches([' ', '\t']);
            if after.starts_with(':') && !before.is_some_and(|c| is_ident(c) || c == '.') {
                best = Some(best.map_or(i, |b| b.min(i)));
                break;
            }
        }
    }
    let offset = best?;
    let start = Pos::at(text.as_bytes(), offset);
    Some(Span::point(start))
}

/// Reports about one path (several renderings of one template, and the template's own
/// findings) become one report: the specs numbered on across the renderings.
pub(super) fn merge(files: Vec<FileReport>) -> Vec<FileReport> {
    let mut merged: Vec<FileReport> = Vec::new();
    for mut file in files {
        match merged
            .iter_mut()
            .find(|m| m.source.path == file.source.path)
        {
            None => merged.push(file),
            Some(into) => {
                let offset = into.specs.len();
                for spec in &mut file.specs {
                    spec.index += offset;
                }
                for finding in &mut file.findings {
                    if let Some(spec) = &mut finding.spec {
                        *spec += offset;
                    }
                }
                into.specs.extend(file.specs);
                into.parsed.extend(file.parsed);
                into.findings.extend(file.findings);
            }
        }
    }
    merged
}
