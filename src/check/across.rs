//! Rules across files: `duplicate-pipeline`.
//!
//! Two specs that define the same pipeline (same project and name) both deploy, one
//! after the other: `pachctl update pipeline` lets whichever runs last silently replace
//! the other. The first definition in path order (then file order) is taken as the
//! original; every later one is reported at its `pipeline.name`, naming the first.

use std::collections::HashMap;

use super::server::DEFAULT_PROJECT;
use super::{FileReport, Findings, Rule};
use crate::spec::{Node, Pointer, Span};

pub fn check(files: &mut [FileReport]) {
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
        let Some(((first_file, _, first), rest)) = group.split_first() else {
            continue;
        };
        let at = format!(
            "{}:{}",
            files[*first_file].source.path, first.span.start.line
        );
        for (f, index, definition) in rest {
            let mut out = Findings::new(Some(*index));
            out.push(
                Rule::DuplicatePipeline,
                &definition.pointer,
                definition.span,
                format!(
                    "pipeline `{}` in project `{}` is already defined at {at}",
                    definition.name, definition.project
                ),
                "keep one definition: both would deploy, and whichever is applied last silently replaces the other",
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
}

pub(crate) fn identify(spec: &Node) -> Option<Definition> {
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
    Some(Definition {
        project: project.to_string(),
        name: text.to_string(),
        pointer: Pointer::root().key(&pipeline.written).key(&name.written),
        span: name.value.span,
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
        assert!(message.contains("already defined at a.json:2"), "{message}");
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
        assert!(found.iter().all(|f| f.2.contains("a.json:2")));
    }
}
