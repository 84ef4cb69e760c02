//! GitLab Code Quality: a JSON array of issues that a merge request shows beside the
//! diff (`artifacts: reports: codequality`).
//!
//! GitLab tells new issues from fixed ones by `fingerprint` (`super::fingerprints`: the
//! same while the finding is, whatever line it moves to).

use std::io::Write;

use serde::Serialize;

use crate::check::{Report, Severity};

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

pub fn write(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let fingerprints = super::fingerprints(report);
    let mut issues = Vec::new();
    for (file, prints) in report.files.iter().zip(fingerprints) {
        for (f, fingerprint) in file.findings.iter().zip(prints) {
            let mut description = super::line(&f.message).into_owned();
            if !f.help.is_empty() {
                description.push_str(" (help: ");
                description.push_str(&super::line(&f.help));
                description.push(')');
            }
            issues.push(Issue {
                description,
                check_name: f.rule.id(),
                fingerprint,
                severity: match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                location: Location {
                    path: &file.source.path,
                    lines: Lines {
                        begin: super::position(f.span.start).line,
                    },
                },
            });
        }
    }
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
