//! The JSON report: a stable contract other tools and CI read. Its shape is documented
//! in the README; change it only with a new `version`.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;

use crate::check::{Report, Severity};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    files: Vec<File<'a>>,
    summary: Summary,
    /// The rules `PACHHOOK_SKIP` turned off for this run: a reader of the report can
    /// tell "nothing found" from "not looked for".
    skipped: Vec<&'static str>,
}

#[derive(Serialize)]
struct File<'a> {
    path: &'a str,
    specs: Vec<Spec<'a>>,
    findings: Vec<Finding<'a>>,
}

#[derive(Serialize)]
struct Spec<'a> {
    index: usize,
    name: Option<&'a str>,
    line: u32,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'static str,
    severity: &'static str,
    spec: Option<usize>,
    pointer: &'a str,
    line: u32,
    column: u32,
    message: Cow<'a, str>,
    help: Cow<'a, str>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    specs: usize,
    errors: usize,
    warnings: usize,
}

pub fn write(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let doc = Doc {
        version: VERSION,
        files: report
            .files
            .iter()
            .map(|f| File {
                path: &f.source.path,
                specs: f
                    .specs
                    .iter()
                    .map(|s| Spec {
                        index: s.index,
                        name: s.name.as_deref(),
                        line: s.line,
                    })
                    .collect(),
                findings: f
                    .findings
                    .iter()
                    .map(|x| Finding {
                        rule: x.rule.id(),
                        severity: x.severity.as_str(),
                        spec: x.spec,
                        pointer: &x.pointer,
                        line: super::position(x.span.start).line,
                        column: super::position(x.span.start).column,
                        message: super::line(&x.message),
                        help: super::line(&x.help),
                    })
                    .collect(),
            })
            .collect(),
        summary: Summary {
            files: report.files.len(),
            specs: report.spec_count(),
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
        },
        skipped: report.skipped.iter().map(|r| r.id()).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
