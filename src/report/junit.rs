//! JUnit XML, which every CI system shows as a test report: one test case per spec
//! (named after its pipeline, its class the file), failed when the spec has an error
//! finding; warnings go to the case's `system-out`. Findings about a whole file
//! (`parse-error`) are a test case of their own, named after the file.

use std::fmt::Write as _;
use std::io::Write;

use crate::check::{FileReport, Finding, Report, Severity};

struct Case<'a> {
    name: String,
    path: &'a str,
    findings: Vec<&'a Finding>,
}

impl Case<'_> {
    fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}

pub fn write(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let cases: Vec<Case> = report.files.iter().flat_map(cases).collect();
    let failures = cases.iter().filter(|c| c.errors() > 0).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="pachhook" tests="{}" failures="{failures}" errors="0">"#,
        cases.len()
    )?;
    writeln!(
        out,
        r#"  <testsuite name="pachhook check" tests="{}" failures="{failures}" errors="0" skipped="0">"#,
        cases.len()
    )?;
    for case in &cases {
        write!(
            out,
            r#"    <testcase name="{}" classname="{}""#,
            xml(&super::line(&case.name)),
            xml(&super::line(&classname(case.path)))
        )?;
        if case.findings.is_empty() {
            writeln!(out, "/>")?;
            continue;
        }
        writeln!(out, ">")?;
        let text = |severity: Severity| {
            let mut text = String::new();
            for f in case.findings.iter().filter(|f| f.severity == severity) {
                let start = super::position(f.span.start);
                let _ = writeln!(
                    text,
                    "{}:{}:{}: {}[{}]: {}",
                    super::line(case.path),
                    start.line,
                    start.column,
                    severity.as_str(),
                    f.rule,
                    super::line(&f.message)
                );
                if !f.help.is_empty() {
                    let _ = writeln!(text, "  help: {}", super::line(&f.help));
                }
            }
            text
        };
        let errors = case.errors();
        if errors > 0 {
            let first = case
                .findings
                .iter()
                .find(|f| f.severity == Severity::Error)
                .map_or("", |f| f.rule.id());
            writeln!(
                out,
                r#"      <failure type="{first}" message="{errors} {}">{}</failure>"#,
                if errors == 1 { "error" } else { "errors" },
                xml(&text(Severity::Error))
            )?;
        }
        let warnings = text(Severity::Warning);
        if !warnings.is_empty() {
            writeln!(out, "      <system-out>{}</system-out>", xml(&warnings))?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// The test cases of one file: each spec, and the file itself when it has findings that
/// belong to no spec (or holds no spec at all).
fn cases(file: &FileReport) -> Vec<Case<'_>> {
    let path = file.source.path.as_str();
    let mut cases: Vec<Case> = file
        .specs
        .iter()
        .map(|s| Case {
            name: match &s.name {
                Some(name) => name.clone(),
                None => format!("spec {} (line {})", s.index, s.line),
            },
            path,
            findings: file
                .findings
                .iter()
                .filter(|f| f.spec == Some(s.index))
                .collect(),
        })
        .collect();
    let whole: Vec<&Finding> = file.findings.iter().filter(|f| f.spec.is_none()).collect();
    if !whole.is_empty() || file.specs.is_empty() {
        cases.push(Case {
            name: super::line(path).into_owned(),
            path,
            findings: whole,
        });
    }
    cases
}

/// A file's path as a test case's class. Jenkins splits a class name at its last `.`
/// into package and class, so `pipelines/edges.yaml` would show as class `yaml` of
/// package `pipelines/edges`: the dots are written as `_` (`pipelines/edges_yaml`); the
/// failure text names the file by its path.
fn classname(path: &str) -> String {
    path.replace('.', "_")
}

/// Text as XML character data or attribute value. XML 1.0 cannot hold most control
/// characters nor U+FFFE and U+FFFF at all, even as references (its `Char` production):
/// those, and the characters that drive a terminal, are written as `\u{..}`.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if crate::escape::is_control(c) || !is_xml_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// XML 1.0's `Char`: what a well-formed document may contain.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(
            super::xml("a<b>&\"'\u{1b}\n"),
            "a&lt;b&gt;&amp;&quot;&apos;\\u{1b}\n"
        );
        assert_eq!(
            super::xml("\u{fffe}\u{ffff}\u{202e}"),
            "\\u{fffe}\\u{ffff}\\u{202e}"
        );
    }
}
