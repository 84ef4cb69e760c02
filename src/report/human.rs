//! Compiler-style frames: the finding, its file:line:column, the source line with a
//! caret under the offending text, and what to do about it.
//!
//! Everything quoted here comes from repository content (keys, values, source lines,
//! file names) and is data, never terminal control: control characters (C0, DEL, C1,
//! and the bidirectional overrides that reorder what a reader sees) are escaped visibly,
//! the way git quotes paths (`\033`, `\t`, `\u{202e}`). The only escape sequences
//! written are pachhook's own colours, and only on a terminal.
//!
//! Carets are placed by display width (`unicode-width`): a CJK character takes two
//! columns, a combining mark none, an escape as many as it prints. We kept this renderer
//! rather than `annotate-snippets`: the frames are ~150 lines of code that own the three
//! things this report needs and that crate does not do for us (escaping every control
//! character as git does, a window around the column of a 1 MB line, the per-file bound),
//! and the insta snapshots in the tests pin the output either way.
//!
//! The cost is linear in the input: each file's text is split into lines once, and the
//! output per file is bounded (`MAX_FRAMES_PER_FILE`, then "… and N more"); the JSON
//! report stays complete.

use std::borrow::Cow;
use std::io::Write;

use unicode_width::UnicodeWidthChar;

use crate::check::{Finding, Report, Severity};
pub use crate::escape::escape;
use crate::escape::{is_control, push_escaped};

/// Display columns of a source line shown around the caret.
const MAX_SHOWN: usize = 100;
/// Characters of the line shown before the caret when the line is cut.
const LEAD: usize = 40;
/// Frames shown per file; the rest are counted.
pub const MAX_FRAMES_PER_FILE: usize = 25;
/// Characters of a quoted value (between backticks or double quotes) in a message.
const MAX_QUOTED: usize = 60;
/// Characters of a whole message or help text.
const MAX_MESSAGE: usize = 400;
/// Columns a tab takes in a shown source line.
const TAB: &str = "    ";

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
        if file.findings.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(&file.source.bytes);
        let lines = Lines::new(&text);
        let path = escape(&file.source.path);
        for finding in file.findings.iter().take(MAX_FRAMES_PER_FILE) {
            frame(out, &style, &path, &lines, finding)?;
        }
        let more = file.findings.len().saturating_sub(MAX_FRAMES_PER_FILE);
        if more > 0 {
            writeln!(
                out,
                "… and {more} more {} in {path} (`--format json` lists them all)\n",
                plural(more, "finding")
            )?;
        }
    }
    summary(out, &style, report)
}

fn frame(
    out: &mut impl Write,
    style: &Style,
    path: &str,
    lines: &Lines<'_>,
    f: &Finding,
) -> std::io::Result<()> {
    let (label, code) = match f.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let start = super::position(f.span.start);
    writeln!(
        out,
        "{}{} {}",
        style.paint(code, &format!("{label}[{}]", f.rule)),
        style.paint("1", ":"),
        style.paint("1", &message(&f.message))
    )?;
    let gutter = " ".repeat(start.line.to_string().len());
    writeln!(
        out,
        "{gutter}{} {path}:{}:{}",
        style.paint("1;34", "-->"),
        start.line,
        start.column
    )?;
    if let Some(line) = lines.get(start.line as usize) {
        let chars = if f.span.end.line == start.line {
            (f.span.end.column.saturating_sub(start.column) as usize).max(1)
        } else {
            usize::MAX // to the end of the line
        };
        let shown = window(line, (start.column as usize).saturating_sub(1), chars);
        let bar = style.paint("1;34", "|");
        writeln!(out, "{gutter} {bar}")?;
        writeln!(
            out,
            "{} {bar} {}",
            style.paint("1;34", &start.line.to_string()),
            shown.text
        )?;
        writeln!(
            out,
            "{gutter} {bar} {}{}",
            " ".repeat(shown.caret_at),
            style.paint(code, &"^".repeat(shown.caret_len))
        )?;
    }
    if !f.help.is_empty() {
        writeln!(
            out,
            "{gutter} {} help: {}",
            style.paint("1;34", "="),
            message(&f.help)
        )?;
    }
    writeln!(out)
}

/// The lines of a file, split once: at `\n`, `\r\n` and a lone `\r`, the line breaks of
/// YAML (and so of pachctl and of the positions the readers report).
struct Lines<'a> {
    text: &'a str,
    /// Byte ranges of each line, terminators excluded.
    ranges: Vec<(usize, usize)>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let bytes = text.as_bytes();
        let mut ranges = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    ranges.push((start, i));
                    start = i + 1;
                }
                b'\r' => {
                    ranges.push((start, i));
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        ranges.push((start, bytes.len()));
        Lines { text, ranges }
    }

    /// Line `n`, 1-based.
    fn get(&self, n: usize) -> Option<&'a str> {
        let &(from, to) = self.ranges.get(n.checked_sub(1)?)?;
        self.text.get(from..to)
    }
}

/// A source line as shown: escaped, cut to a window around the column, and where the
/// caret goes in display columns.
#[derive(Debug, PartialEq)]
struct Shown {
    text: String,
    caret_at: usize,
    caret_len: usize,
}

/// `line` shown around character `column` (0-based), with a caret `chars` characters
/// long (clamped to what is shown, at least one column).
fn window(line: &str, column: usize, chars: usize) -> Shown {
    let total = line.chars().count();
    let column = column.min(total);
    let from = if total > MAX_SHOWN && column > LEAD {
        column - LEAD
    } else {
        0
    };
    let mut text = String::new();
    let mut width = 0;
    if from > 0 {
        text.push('…');
        width += 1;
    }
    let mut caret_at = None;
    let mut caret_end = None;
    let end = column.saturating_add(chars);
    for (index, c) in (from..).zip(line.chars().skip(from)) {
        if index == column {
            caret_at = Some(width);
        }
        if index == end {
            caret_end = Some(width);
        }
        let piece = shown_char(c);
        let w = piece_width(c, &piece);
        if width + w > MAX_SHOWN {
            text.push('…');
            break;
        }
        text.push_str(&piece);
        width += w;
    }
    let caret_at = caret_at.unwrap_or(width);
    let caret_end = caret_end.unwrap_or(width);
    Shown {
        text,
        caret_at,
        caret_len: caret_end.saturating_sub(caret_at).max(1),
    }
}

/// One character of a source line as printed: tabs as spaces, controls escaped.
fn shown_char(c: char) -> Cow<'static, str> {
    if c == '\t' {
        Cow::Borrowed(TAB)
    } else if is_control(c) {
        let mut out = String::new();
        push_escaped(&mut out, c);
        Cow::Owned(out)
    } else {
        let mut out = String::with_capacity(4);
        out.push(c);
        Cow::Owned(out)
    }
}

fn piece_width(c: char, piece: &str) -> usize {
    if c == '\t' || is_control(c) {
        piece.len()
    } else {
        c.width().unwrap_or(0)
    }
}

/// A message or help text as printed: quoted values (between backticks or double
/// quotes) cut to `MAX_QUOTED` characters and the whole to `MAX_MESSAGE`, with an
/// ellipsis where something was cut; then escaped.
fn message(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_MESSAGE * 4));
    let mut quote: Option<char> = None;
    let mut quoted = 0;
    let mut cut = false;
    let mut emitted = 0;
    for c in text.chars() {
        if emitted >= MAX_MESSAGE {
            out.push('…');
            break;
        }
        match quote {
            Some(q) if c == q => {
                if cut {
                    out.push('…');
                }
                out.push(c);
                emitted += 1;
                quote = None;
            }
            Some(_) => {
                quoted += 1;
                if quoted <= MAX_QUOTED {
                    out.push(c);
                    emitted += 1;
                } else {
                    cut = true;
                }
            }
            None => {
                if c == '`' || c == '"' {
                    quote = Some(c);
                    quoted = 0;
                    cut = false;
                }
                out.push(c);
                emitted += 1;
            }
        }
    }
    escape(&out).into_owned()
}

fn summary(out: &mut impl Write, style: &Style, report: &Report) -> std::io::Result<()> {
    if super::style::quiet() {
        return Ok(()); // `-q`: the findings are the whole report
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let specs = report.spec_count();
    let files = report.files.len();
    let checked = format!(
        "{specs} {} in {files} {}",
        plural(specs, "spec"),
        plural(files, "file")
    );
    let skipped = if report.skipped.is_empty() {
        String::new()
    } else {
        let ids: Vec<&str> = report.skipped.iter().map(|r| r.id()).collect();
        format!(" (PACHHOOK_SKIP turned off: {})", ids.join(", "))
    };
    if errors == 0 && warnings == 0 {
        return writeln!(
            out,
            "{} {checked}: no problems found{skipped}",
            style.paint("1;32", "ok:")
        );
    }
    let counts = format!(
        "{errors} {}, {warnings} {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    let code = if errors > 0 { "1;31" } else { "1;33" };
    writeln!(
        out,
        "{} {counts} in {checked}{skipped}",
        style.paint(code, "found:")
    )
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
    use super::*;

    fn shown(line: &str, column: usize, chars: usize) -> (String, usize, usize) {
        let s = window(line, column, chars);
        (s.text, s.caret_at, s.caret_len)
    }

    #[test]
    fn carets_go_by_display_width() {
        assert_eq!(
            shown("  \"image\": \"x\"", 11, 3),
            ("  \"image\": \"x\"".into(), 11, 3)
        );
        // Three wide characters take six columns.
        assert_eq!(
            shown("name: 日本語 x: 1", 10, 1),
            ("name: 日本語 x: 1".into(), 13, 1)
        );
        assert_eq!(shown("a: 日本語", 3, 3), ("a: 日本語".into(), 3, 6));
        // Tabs are four columns, controls their escape.
        assert_eq!(shown("\tk: v", 1, 1), ("    k: v".into(), 4, 1));
        assert_eq!(
            shown("a\x1b]0;x\x07b", 7, 1),
            ("a\\033]0;x\\ab".into(), 11, 1)
        );
        assert_eq!(shown("a\x1b]0;x\x07b", 6, 1).1, 9);
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let long = "x".repeat(1_000_000);
        let s = window(&long, 900_000, usize::MAX);
        assert!(s.text.chars().count() <= MAX_SHOWN + 2);
        assert_eq!(s.caret_at, LEAD + 1);
        assert!(s.caret_at + s.caret_len <= s.text.chars().count());
        // A column past the end puts the caret after the text.
        let s = window("abc", 10, 1);
        assert_eq!((s.caret_at, s.caret_len), (3, 1));
    }

    #[test]
    fn lines_break_like_yaml() {
        let lines = Lines::new("a\rb\r\nc\nd");
        let all: Vec<_> = (1..=4).map(|n| lines.get(n).unwrap()).collect();
        assert_eq!(all, ["a", "b", "c", "d"]);
        assert_eq!(lines.get(5), None);
        assert_eq!(lines.get(0), None);
    }

    #[test]
    fn quoted_values_are_cut() {
        let long = "v".repeat(1_000_000);
        let text = message(&format!("must be a duration, found \"{long}\": `a`"));
        assert_eq!(
            text,
            format!(
                "must be a duration, found \"{}…\": `a`",
                "v".repeat(MAX_QUOTED)
            )
        );
        assert!(message(&"w ".repeat(10_000)).chars().count() <= MAX_MESSAGE + 1);
    }
}
