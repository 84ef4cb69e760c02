//! Rules across specs: `duplicate-pipeline`.
//!
//! Identity is project + name (no project means `default`). Two definitions of one
//! pipeline in the same file are an error: pachctl applies them in order, so the second
//! silently overrides the first. Across files it depends on what the repository does
//! with them: pachd accepts both, and repositories keep alternatives side by side
//! (example collections, `model` / `model_wandb`, test fixtures). Where the repository
//! deploys (`[deploy] enabled`, a deploy being planned, or either spec managed by a
//! `[[build]]`), both would be deployed and whichever runs last wins: an error. Elsewhere
//! a warning. The first definition in path order (then file order) is the original;
//! every later one is reported at its `pipeline.name`, naming the first.

use std::collections::HashMap;

use super::server::DEFAULT_PROJECT;
use super::{FileReport, Findings, Options, Rule, Severity};
use crate::spec::{Node, Pointer, Span};

pub fn check(files: &mut [FileReport], opts: &Options) {
    // Every definition, grouped by (project, name), as (file, spec) positions.
    let mut groups: HashMap<(String, String), Vec<Place>> = HashMap::new();
    for (f, file) in files.iter().enumerate() {
        for spec in &file.specs {
            if let Some(definition) = &spec.definition {
                let key = (definition.project.clone(), definition.name.clone());
                groups
                    .entry(key)
                    .or_default()
                    .push((f, spec.index, definition.clone()));
            }
        }
    }
    for mut group in groups.into_values().filter(|g| g.len() > 1) {
        // The original is the first in path order, so the verdict does not depend on
        // the order a directory walk happened to return the files in.
        group.sort_by(|a, b| {
            let (pa, pb) = (&files[a.0].source.path, &files[b.0].source.path);
            pa.cmp(pb).then(a.1.cmp(&b.1))
        });
        let deployed = opts.deploys || group.iter().any(|(_, _, d)| d.managed);
        for (i, (f, index, definition)) in group.iter().enumerate() {
            let Some(first) = i.checked_sub(1).map(|_| &group[0]) else {
                continue;
            };
            // The earlier definition in the same file, if any, is the one this overrides.
            let same_file = group[..i].iter().find(|(g, _, _)| g == f);
            let (severity, message, help) = match same_file {
                Some((_, _, earlier)) => (
                    Severity::Error,
                    format!(
                        "pipeline `{}` in project `{}` is also defined at line {} of this file: this one replaces it",
                        definition.name, definition.project, earlier.span.start.line
                    ),
                    "keep one definition in the file",
                ),
                None => {
                    let at = format!("{}:{}", files[first.0].source.path, first.2.span.start.line);
                    let text = format!(
                        "pipeline `{}` in project `{}` is already defined at `{at}`",
                        definition.name, definition.project
                    );
                    if deployed {
                        (
                            Severity::Error,
                            format!("{text}; deployed, the last applied wins"),
                            "keep one definition, or give one of them another name or project",
                        )
                    } else {
                        (
                            Severity::Warning,
                            format!("{text}: the one created last replaces the other"),
                            "fine for examples and alternatives kept side by side; rename one if both are meant to run",
                        )
                    }
                }
            };
            let mut out = Findings::new(Some(*index));
            out.push_as(
                severity,
                Rule::DuplicatePipeline,
                &definition.pointer,
                definition.span,
                message,
                help,
            );
            files[*f].findings.extend(out.into_vec());
        }
    }
}

/// A definition and where it is: (file index, spec index in the file, definition).
type Place = (usize, usize, Definition);

/// Which pipeline a spec defines, and where its name is written. Taken while each spec
/// is checked, so the trees need not outlive their file's checks.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Definition {
    project: String,
    name: String,
    pointer: Pointer,
    span: Span,
    /// A `[[build]]` manages it: deploy would apply it.
    managed: bool,
}

pub(crate) fn identify(spec: &Node, opts: &Options) -> Option<Definition> {
    let pipeline = spec.entry("pipeline").filter(|e| !e.value.is_null())?;
    let name = pipeline.value.entry("name")?;
    let text = name.value.as_str().filter(|n| !n.is_empty())?;
    let project = pipeline
        .value
        .get("project")
        .and_then(|p| p.get("name"))
        .and_then(Node::as_str)
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_PROJECT);
    let image = spec
        .get("transform")
        .and_then(|t| t.get("image"))
        .and_then(Node::as_str)
        .and_then(|i| crate::image_ref::parse(i).ok());
    let managed = opts.managed_pipelines.iter().any(|p| p == text)
        || image.is_some_and(|i| super::image::is_managed(&i, &opts.managed_images));
    Some(Definition {
        project: project.to_string(),
        name: text.to_string(),
        pointer: Pointer::root().key(&pipeline.written).key(&name.written),
        span: name.value.span,
        managed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{self, Options};
    use crate::source::Source;

    fn report(files: &[(&str, &str)]) -> Vec<(String, Option<usize>, String, u32)> {
        let sources = files
            .iter()
            .map(|(path, text)| Source::new(*path, text.as_bytes()))
            .collect();
        let report = check::check(sources, &Options::default());
        report
            .files
            .iter()
            .flat_map(|f| {
                f.findings
                    .iter()
                    .filter(|x| x.rule == Rule::DuplicatePipeline)
                    .map(|x| {
                        (
                            f.source.path.clone(),
                            x.spec,
                            x.message.clone(),
                            x.span.start.line,
                        )
                    })
            })
            .collect()
    }

    fn spec(name: &str, project: Option<&str>) -> String {
        let project = project
            .map(|p| format!(r#", "project": {{"name": "{p}"}}"#))
            .unwrap_or_default();
        format!(
            "{{\n\"pipeline\": {{\"name\": \"{name}\"{project}}},\n\"transform\": {{\"image\": \"a/b:1\"}},\n\"input\": {{\"pfs\": {{\"repo\": \"r\", \"glob\": \"/\"}}}}}}"
        )
    }

    #[test]
    fn same_name_in_two_files() {
        let a = spec("edges", None);
        let found = report(&[
            ("a.json", &a),
            ("b.json", &a),
            ("c.json", &spec("other", None)),
        ]);
        assert_eq!(found.len(), 1);
        let (path, index, message, line) = &found[0];
        assert_eq!((path.as_str(), *index, *line), ("b.json", Some(0), 2));
        assert!(
            message.contains("already defined at `a.json:2`"),
            "{message}"
        );
    }

    #[test]
    fn default_project_is_the_same_as_no_project() {
        let found = report(&[
            ("a.json", &spec("edges", None)),
            ("b.json", &spec("edges", Some("default"))),
            ("c.json", &spec("edges", Some("staging"))),
            ("d.json", &spec("edges", Some(""))),
        ]);
        let paths: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(paths, ["b.json", "d.json"]);
    }

    #[test]
    fn twice_in_one_file_and_every_later_copy() {
        let two = format!("[{}, {}]", spec("edges", None), spec("edges", None));
        let found = report(&[("a.json", &two), ("b.json", &spec("edges", None))]);
        let at: Vec<(&str, Option<usize>)> = found.iter().map(|f| (f.0.as_str(), f.1)).collect();
        assert_eq!(at, [("a.json", Some(1)), ("b.json", Some(0))]);
        assert!(
            found[0].2.contains("at line 2 of this file"),
            "{}",
            found[0].2
        );
        assert!(found[1].2.contains("a.json:2"), "{}", found[1].2);
    }
}
