//! `unused-build`: a `[[build]]` that no spec of the repository uses. Deploy would build
//! and push it for nothing, and its image name is most likely a typo or a leftover
//! (`pachhook init` proposes one per Dockerfile).
//!
//! Only a run over every spec of the repository (`check --all`) can tell: the hooks see
//! the changed files only, so they never run this rule.

use std::sync::Arc;

use super::FileReport;
use super::image::is_managed;
use crate::diagnostic::{Finding, Rule};
use crate::image_ref;
use crate::source::{Pos, Source, Span};

/// A `[[build]]` as this rule needs it: its image, the pipelines it names, and where
/// it is written (the configuration file's path as shown, its text, the line).
pub struct Declared {
    pub canonical: String,
    pub repository: String,
    pub pipelines: Option<Vec<String>>,
    pub file: String,
    pub text: Arc<Vec<u8>>,
    pub line: u32,
}

/// Reports on the configuration files for the builds none of `files` uses.
pub fn unused(files: &[FileReport], declared: &[Declared]) -> Vec<FileReport> {
    let images: Vec<_> = files
        .iter()
        .flat_map(|f| &f.parsed)
        .filter_map(|spec| spec.get("transform")?.get("image")?.as_str())
        .filter_map(|image| image_ref::parse(image).ok())
        .collect();
    let names: Vec<&str> = files
        .iter()
        .flat_map(|f| &f.specs)
        .filter_map(|s| s.name.as_deref())
        .collect();
    let mut reports: Vec<FileReport> = Vec::new();
    for build in declared {
        let used = match &build.pipelines {
            Some(pipelines) => pipelines.iter().any(|p| names.contains(&p.as_str())),
            None => images
                .iter()
                .any(|i| is_managed(i, std::slice::from_ref(&build.canonical))),
        };
        if used {
            continue;
        }
        let at = Pos {
            line: build.line,
            column: 1,
        };
        let finding = Finding {
            rule: Rule::UnusedBuild,
            severity: Rule::UnusedBuild.default_severity(),
            spec: None,
            pointer: String::new(),
            span: Span::point(at),
            message: format!(
                "[[build]] image `{}` is used by no spec of the repository",
                build.repository
            ),
            help: "name it in a spec's transform.image, or remove the block: deploy would \
                   build and push it for nothing"
                .into(),
        };
        match reports.iter_mut().find(|r| r.source.path == build.file) {
            Some(report) => report.findings.push(finding),
            None => reports.push(FileReport {
                source: Source::new(build.file.clone(), build.text.as_ref().clone()),
                specs: Vec::new(),
                parsed: Vec::new(),
                findings: vec![finding],
            }),
        }
    }
    reports
}
