//! Rendering a report. Findings are data; each format is one view of the same list:
//! `human` for a terminal, `json` for scripts, and the formats CI systems read
//! (`github` workflow commands, `sarif` for code scanning, `gitlab` Code Quality,
//! `junit` test reports).

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod style;

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::check::policy::PathBase;
use crate::check::{Finding, Report};
use crate::source::Pos;

/// The formats of a report; the command line offers each as `--format <name>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style frames with the source line (the default).
    #[default]
    Human,
    /// The JSON report (a stable contract, see the README).
    Json,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitLab Code Quality JSON, for merge request widgets.
    Gitlab,
    /// JUnit XML: one test case per spec.
    Junit,
}

/// Where the documentation of a rule lives: the README's rule table, on the project's
/// repository page (SARIF `helpUri`, `pachhook explain`).
pub const RULES_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#rules");

/// Prints the report to standard output, in colour as `style::color` decides.
pub fn print(report: &Report, format: Format) -> Result<()> {
    let stdout = std::io::stdout();
    let color = style::color(stdout.is_terminal());
    let mut out = std::io::BufWriter::new(stdout.lock());
    write(&mut out, report, format, color)?;
    out.flush()?;
    Ok(())
}

/// Writes the report to a file (`check --output`), atomically: a reader never sees half
/// a report, and a failed write leaves the previous file as it was.
/// Through `atomic_write`, whose temporary file is created without following links.
pub fn save(report: &Report, format: Format, path: &Path) -> Result<()> {
    let mut bytes = Vec::new();
    write(&mut bytes, report, format, false)?;
    crate::atomic_write::replace(path, &bytes, None)
        .with_context(|| format!("cannot write the report to {}", path.display()))
}

/// Writes the report in one format.
pub fn write(
    out: &mut dyn Write,
    report: &Report,
    format: Format,
    color: bool,
) -> std::io::Result<()> {
    let mut out = out;
    match format {
        Format::Human => human::write(&mut out, report, color),
        Format::Json => json::write(&mut out, report),
        Format::Github => github::write(&mut out, report),
        Format::Sarif => sarif::write(&mut out, report),
        Format::Gitlab => gitlab::write(&mut out, report),
        Format::Junit => junit::write(&mut out, report),
    }
}

/// A position as every format writes it: 1-based line and column. A finding with no
/// position in its file (a template that fails before any line, such as a missing
/// argument) is at line 1, column 1: SARIF forbids 0 and GitHub would show `line=0`.
pub fn position(pos: Pos) -> Pos {
    Pos {
        line: pos.line.max(1),
        column: pos.column.max(1),
    }
}

/// Text a finding quotes from the repository (its message and help), as one line in
/// every format: control characters, line breaks among them, escaped as the human
/// report escapes them (`escape::escape`), so that no key, path or value can start a
/// line of its own (a GitHub workflow command, a JUnit line that reads as a finding) or
/// carry a character a format forbids. Formats escape their own syntax on top.
pub fn line(text: &str) -> Cow<'_, str> {
    crate::escape::escape(text)
}

/// Rewrites the paths of files named on the command line (relative to the working
/// directory, `./a.json`, `../specs/b.yaml`) as paths from the repository root, which
/// is what CI systems resolve a report's paths against (GitHub annotations, SARIF, GitLab
/// Code Quality, JUnit). Files outside the repository keep the path they were named by.
pub fn paths_from_root(report: &mut Report, base: &PathBase) {
    for file in &mut report.files {
        if let Some(path) = base.repo_path(&file.source.path) {
            file.source.path = path;
        }
    }
}

/// A fingerprint for each finding of each file: the same while the finding is the same,
/// different between findings. It hashes the file, the rule, the spec, the JSON pointer
/// and the message, not the line (a line added above a finding does not make it new),
/// with a counter for findings that are otherwise identical. GitLab (`fingerprint`) and
/// SARIF (`partialFingerprints`, which GitHub code scanning matches alerts by) read it.
pub fn fingerprints(report: &Report) -> Vec<Vec<String>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    report
        .files
        .iter()
        .map(|file| {
            file.findings
                .iter()
                .map(|f| fingerprint(&file.source.path, f, &mut seen))
                .collect()
        })
        .collect()
}

fn fingerprint(path: &str, f: &Finding, seen: &mut HashMap<String, usize>) -> String {
    let spec = f.spec.map_or(String::new(), |s| s.to_string());
    let key = [path, f.rule.id(), &spec, &f.pointer, &f.message].join("\0");
    let count = seen.entry(key.clone()).or_insert(0);
    *count += 1;
    let key = format!("{key}\0{count}");
    format!("{:032x}", fnv1a_128(key.as_bytes()))
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
    use super::*;

    #[test]
    fn fnv1a_128_matches_its_reference_values() {
        // From the FNV reference test vectors.
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn no_position_is_below_one() {
        let at = |line, column| Pos { line, column };
        assert_eq!(position(at(0, 0)), at(1, 1));
        assert_eq!(position(at(3, 7)), at(3, 7));
    }

    #[test]
    fn repository_text_is_one_line() {
        assert_eq!(line("a\n::error::x\r\u{1b}"), "a\\n::error::x\\r\\033");
    }
}
