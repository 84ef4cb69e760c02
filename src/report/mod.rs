//! Rendering a report. Findings are data; the human and JSON forms are two views of the
//! same list.

pub mod human;
pub mod json;

use std::io::{IsTerminal, Write};

use anyhow::Result;

use crate::check::Report;
use crate::cli::Format;

/// Prints the report to standard output: colour only on a terminal, and never when
/// `NO_COLOR` is set (no-color.org).
pub fn print(report: &Report, format: Format) -> Result<()> {
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Human => human::write(&mut out, report, color)?,
        Format::Json => json::write(&mut out, report)?,
    }
    out.flush()?;
    Ok(())
}
