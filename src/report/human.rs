//! Compiler-style frames: the finding, its file:line:column, the source line with a
//! caret under the offending text, and what to do about it.

use std::io::Write;

use crate::check::{Finding, Report, Severity};

/// Source lines longer than this are shown as a window around the column.
const MAX_SHOWN: usize = 120;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

pub fn write(out: &mut impl Write, report: &Report, color: bool) -> std::io::Result<()> {
    let style = Style { on: color };
    for file in &report.files {
        let text = String::from_utf8_lossy(&file.source.bytes);
        for finding in &file.findings {
            frame(out, &style, &file.source.path, &text, finding)?;
        }
    }
    summary(out, &style, report)
}

fn frame(
    out: &mut impl Write,
    style: &Style,
    path: &str,
    text: &str,
    f: &Finding,
) -> std::io::Result<()> {
    let (label, code) = match f.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let start = f.span.start;
    writeln!(
        out,
        "{}{} {}",
        style.paint(code, &format!("{label}[{}]", f.rule)),
        style.paint("1", ":"),
        style.paint("1", &f.message)
    )?;
    let gutter = " ".repeat(start.line.to_string().len());
    writeln!(
        out,
        "{gutter}{} {path}:{}:{}",
        style.paint("1;34", "-->"),
        start.line,
        start.column
    )?;
    if let Some(line) = text.lines().nth(start.line.saturating_sub(1) as usize) {
        let width = if f.span.end.line == start.line {
            (f.span.end.column.saturating_sub(start.column) as usize).max(1)
        } else {
            usize::MAX // to the end of the line
        };
        let (shown, caret_at, caret_len) = window(line, start.column as usize - 1, width);
        let bar = style.paint("1;34", "|");
        writeln!(out, "{gutter} {bar}")?;
        writeln!(
            out,
            "{} {bar} {shown}",
            style.paint("1;34", &start.line.to_string())
        )?;
        let pad: String = shown
            .chars()
            .take(caret_at)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(
            out,
            "{gutter} {bar} {pad}{}",
            style.paint(code, &"^".repeat(caret_len))
        )?;
    }
    if !f.help.is_empty() {
        writeln!(
            out,
            "{gutter} {} {}",
            style.paint("1;34", "="),
            format_args!("help: {}", f.help)
        )?;
    }
    writeln!(out)
}

/// The part of `line` to show, the caret's column in it and the caret's length, clamped
/// to what is shown.
fn window(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let column = column.min(chars.len());
    let (from, prefix) = if chars.len() > MAX_SHOWN && column > MAX_SHOWN / 2 {
        (column - MAX_SHOWN / 2, "…")
    } else {
        (0, "")
    };
    let to = (from + MAX_SHOWN).min(chars.len());
    let suffix = if to < chars.len() { "…" } else { "" };
    let shown: String = prefix
        .chars()
        .chain(chars[from..to].iter().copied())
        .chain(suffix.chars())
        .collect();
    let caret_at = column - from + prefix.chars().count();
    let room = (to - column.min(to)).max(1);
    (shown, caret_at, width.min(room))
}

fn summary(out: &mut impl Write, style: &Style, report: &Report) -> std::io::Result<()> {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let specs = report.spec_count();
    let files = report.files.len();
    let checked = format!(
        "{specs} {} in {files} {}",
        plural(specs, "spec"),
        plural(files, "file")
    );
    if errors == 0 && warnings == 0 {
        return writeln!(
            out,
            "{} {checked}: no problems found",
            style.paint("1;32", "ok:")
        );
    }
    let counts = format!(
        "{errors} {}, {warnings} {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    let code = if errors > 0 { "1;31" } else { "1;33" };
    writeln!(out, "{} {counts} in {checked}", style.paint(code, "found:"))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn window_clamps_long_lines_and_spans() {
        let (shown, at, len) = window("  \"image\": \"x\"", 11, 3);
        assert_eq!((shown.as_str(), at, len), ("  \"image\": \"x\"", 11, 3));
        let long = "x".repeat(1000);
        let (shown, at, len) = window(&long, 900, usize::MAX);
        assert!(shown.chars().count() <= super::MAX_SHOWN + 2);
        assert_eq!(shown.chars().nth(at), Some('x'));
        assert!(at + len <= shown.chars().count());
    }
}
