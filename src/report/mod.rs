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

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::check::Report;

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
