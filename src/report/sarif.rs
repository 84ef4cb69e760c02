//! SARIF 2.1.0 (OASIS), what GitHub code scanning and most code-review tools import:
//! every rule in `tool.driver.rules` (id, short and full description, help as text and
//! Markdown from `explanation`, default level, a help URI into the README), one result
//! per finding with its rule, level, message, region and `partialFingerprints`.
//!
//! GitHub's own rules for SARIF (SARIF Multitool `validate --rule-kind Gh`) want each
//! rule's `fullDescription` and `help`; the fingerprints let code scanning tell an alert
//! it has seen from a new one when the SARIF is uploaded through the REST API, which does
//! not compute them (`upload-sarif` does). They are `super::fingerprints`, stable across
//! runs and line moves, under pachhook's own key and under `primaryLocationLineHash`,
//! the key GitHub matches alerts by.
//!
//! Columns are counted in characters, as in every pachhook report: the run says so with
//! `columnKind: unicodeCodePoints` (SARIF's default would be UTF-16 code units).

use std::io::Write;

use serde_json::{Value, json};

use crate::check::{Finding, Level, Report, Rule, Severity};

pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

pub fn write(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|rule| {
            let explanation = crate::explanation::of(*rule);
            json!({
                "id": rule.id(),
                "shortDescription": {"text": rule.summary()},
                "fullDescription": {"text": full_description(*rule)},
                "help": {
                    "text": explanation.text(),
                    "markdown": explanation.markdown(),
                },
                "helpUri": super::RULES_URL,
                "defaultConfiguration": {"level": match rule.default_level() {
                    Level::Error => "error",
                    Level::Warning => "warning",
                    Level::Off => "none",
                }},
            })
        })
        .collect();
    let fingerprints = super::fingerprints(report);
    let results: Vec<Value> = report
        .files
        .iter()
        .zip(&fingerprints)
        .flat_map(|(file, prints)| {
            file.findings
                .iter()
                .zip(prints)
                .map(move |(f, print)| result(&file.source.path, f, print))
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "pachhook",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// The rule's summary as a sentence, then why it matters (`explanation`), in one
/// paragraph.
fn full_description(rule: Rule) -> String {
    let summary = rule.summary();
    let mut chars = summary.chars();
    let first = chars
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    let why = crate::explanation::of(rule)
        .why
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    format!("{first}{}. {why}", chars.as_str())
}

fn result(path: &str, f: &Finding, fingerprint: &str) -> Value {
    let (start, end) = (super::position(f.span.start), super::position(f.span.end));
    let mut region = json!({"startLine": start.line, "startColumn": start.column});
    if (end.line, end.column) > (start.line, start.column) {
        region["endLine"] = json!(end.line);
        region["endColumn"] = json!(end.column);
    }
    let mut text = super::line(&f.message).into_owned();
    if !f.help.is_empty() {
        text.push_str("\nhelp: ");
        text.push_str(&super::line(&f.help));
    }
    json!({
        "ruleId": f.rule.id(),
        "ruleIndex": Rule::ALL.iter().position(|r| *r == f.rule),
        "level": match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact(path),
            "region": region,
        }}],
        "partialFingerprints": {
            "pachhook/v1": fingerprint,
            "primaryLocationLineHash": fingerprint,
        },
    })
}

/// Where a result is: a path relative to the repository root is relative to
/// `%SRCROOT%`, the checkout GitHub and other consumers resolve it against.
fn artifact(path: &str) -> Value {
    if path.starts_with('/') {
        json!({"uri": uri(path)})
    } else {
        json!({"uri": uri(path), "uriBaseId": "%SRCROOT%"})
    }
}

/// A path as a URI reference: relative paths stay relative (SARIF consumers resolve them
/// against the repository root), absolute ones become `file://` URIs; every byte of the
/// file's name that is not unreserved (RFC 3986) or `/` is percent-encoded, so a name
/// that is not UTF-8 (shown `caf\351.json` by the other formats) is `caf%E9.json`, the
/// bytes of the file.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    out.push_str(&crate::percent::encode(
        &crate::select::display_bytes(path),
        b"/",
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("pipelines/edges.json"), "pipelines/edges.json");
        assert_eq!(uri("my specs/a#1.yaml"), "my%20specs/a%231.yaml");
        assert_eq!(uri("/tmp/é.json"), "file:///tmp/%C3%A9.json");
        let shown = crate::select::display(b"caf\xe9 \\.json");
        assert_eq!(uri(&shown), "caf%E9%20%5C.json");
    }
}
