//! SARIF 2.1.0 (OASIS), what GitHub code scanning and most code-review tools import:
//! every rule in `tool.driver.rules` (id, short description, default level, a help URI
//! into the README), one result per finding with its rule, level, message and region.
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
            json!({
                "id": rule.id(),
                "shortDescription": {"text": rule.summary()},
                "helpUri": super::RULES_URL,
                "defaultConfiguration": {"level": match rule.default_level() {
                    Level::Error => "error",
                    Level::Warning => "warning",
                    Level::Off => "none",
                }},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .files
        .iter()
        .flat_map(|file| {
            file.findings
                .iter()
                .map(move |f| result(&file.source.path, f))
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

fn result(path: &str, f: &Finding) -> Value {
    let (start, end) = (f.span.start, f.span.end);
    let mut region = json!({"startLine": start.line, "startColumn": start.column});
    if (end.line, end.column) > (start.line, start.column) {
        region["endLine"] = json!(end.line);
        region["endColumn"] = json!(end.column);
    }
    let mut text = f.message.clone();
    if !f.help.is_empty() {
        text.push_str("\nhelp: ");
        text.push_str(&f.help);
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
            "artifactLocation": {"uri": uri(path)},
            "region": region,
        }}],
    })
}

/// A path as a URI reference: relative paths stay relative (SARIF consumers resolve them
/// against the repository root), absolute ones become `file://` URIs; every byte that
/// is not unreserved (RFC 3986) or `/` is percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
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
    }
}
