//! GitHub Actions workflow commands: one `::error` or `::warning` line per finding, which
//! the runner turns into an annotation on the file and line of the pull request.
//!
//! Workflow commands are parsed from the log, so a message must not be able to end its
//! line or forge a command: `%`, CR and LF are escaped in the message, and `,` and `:`
//! too in the properties (GitHub's `toolkit/packages/core/src/command.ts`).

use std::io::Write;

use crate::check::{Report, Severity};

/// How many annotations of each kind GitHub shows for one step; the rest are only in the
/// step's log. (GitHub's documented limits: 10 error and 10 warning annotations per
/// step, 50 per job.)
pub const SHOWN_PER_STEP: usize = 10;

pub fn write(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    for file in &report.files {
        for f in &file.findings {
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let (start, end) = (super::position(f.span.start), super::position(f.span.end));
            write!(
                out,
                "::{command} file={},line={},col={}",
                property(&file.source.path),
                start.line,
                start.column
            )?;
            if end.line > start.line {
                write!(out, ",endLine={}", end.line)?;
            } else if end.line == start.line && end.column > start.column + 1 {
                // GitHub's endColumn is the last column of the annotation (inclusive).
                write!(out, ",endLine={},endColumn={}", end.line, end.column - 1)?;
            }
            let mut message = super::line(&f.message).into_owned();
            if !f.help.is_empty() {
                message.push_str("\nhelp: ");
                message.push_str(&super::line(&f.help));
            }
            writeln!(out, ",title={}::{}", property(f.rule.id()), data(&message))?;
        }
    }
    let (errors, warnings) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
    );
    if errors > SHOWN_PER_STEP || warnings > SHOWN_PER_STEP {
        writeln!(
            out,
            "::notice title=pachhook::{}",
            data(&more_than_shown(errors, warnings))
        )?;
    }
    Ok(())
}

/// The closing notice when GitHub shows only some of the annotations: how many there
/// are, how many it shows, and where the others are.
fn more_than_shown(errors: usize, warnings: usize) -> String {
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    format!(
        "{} and {}: GitHub shows the first {SHOWN_PER_STEP} errors and {SHOWN_PER_STEP} warnings of a step as annotations. \
         Every finding is in this step's log above; run `pachhook check` on the same files \
         (or `--format sarif` for code scanning) to see them all.",
        count(errors, "error"),
        count(warnings, "warning"),
    )
}

/// The message of a command: `%`, CR and LF escaped, other control characters shown.
fn data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if crate::escape::is_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A property value (`file=`, `title=`): as `data`, and `:` and `,` escaped too, which
/// would otherwise end the value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{data, property};

    #[test]
    fn escapes_what_would_end_a_command() {
        assert_eq!(data("50%\r\nx::error::y"), "50%25%0D%0Ax::error::y");
        assert_eq!(property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(data("\u{1b}[31m"), "\\u{1b}[31m");
    }
}
