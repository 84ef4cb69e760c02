//! GitLab Code Quality: a JSON array of issues that a merge request shows beside the
//! diff (`artifacts: reports: codequality`).
//!
//! GitLab tells new issues from fixed ones by `fingerprint`, so it must stay the same
//! while the finding does and differ between findings: it hashes the file, the rule, the
//! spec, the JSON pointer and the message, not the line (a line added above a finding
//! does not make it new), with a counter for findings that are otherwise identical.

use std::collections::HashMap;
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
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut issues = Vec::new();
    for file in &report.files {
        for f in &file.findings {
            let spec = f.spec.map_or(String::new(), |s| s.to_string());
            let key = [
                file.source.path.as_str(),
                f.rule.id(),
                &spec,
                &f.pointer,
                &f.message,
            ]
            .join("\0");
            let count = seen.entry(key.clone()).or_insert(0);
            *count += 1;
            let key = format!("{key}\0{count}");
            let mut description = f.message.clone();
            if !f.help.is_empty() {
                description.push_str(" (help: ");
                description.push_str(&f.help);
                description.push(')');
            }
            issues.push(Issue {
                description,
                check_name: f.rule.id(),
                fingerprint: format!("{:032x}", fnv1a_128(key.as_bytes())),
                severity: match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                location: Location {
                    path: &file.source.path,
                    lines: Lines {
                        begin: f.span.start.line,
                    },
                },
            });
        }
    }
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

/// FNV-1a, 128 bits: a hash whose value is fixed by its definition (unlike std's
/// `DefaultHasher`), so fingerprints stay the same across pachhook and Rust versions.
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fnv1a_128_matches_its_reference_values() {
        // From the FNV reference test vectors.
        assert_eq!(super::fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(super::fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    }
}
