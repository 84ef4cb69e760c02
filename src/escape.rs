//! Text from a repository made safe to print on a terminal: control characters (C0,
//! DEL, C1, and the bidirectional overrides that reorder what a reader sees) escaped
//! visibly, the way git quotes paths (`\033`, `\t`, `\u{202e}`). One implementation for
//! every human-readable output: the report's frames, error messages (which quote keys,
//! values and paths of `pachhook.toml`), hook installation and deploy progress.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that move the cursor, change the terminal's state or reorder text.
pub fn is_control(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// `c` as git writes it in a quoted path.
pub fn push_escaped(out: &mut String, c: char) {
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\x0b' => out.push_str("\\v"),
        '\x0c' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\{:03o}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
}

/// One line of repository text (a path, a key, a value): every control character
/// escaped, line breaks included, so it cannot pass for a line of pachhook's own.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_but(text, None)
}

/// A message of pachhook's own that may quote repository text (an error and its causes):
/// escaped as `escape`, except the line breaks pachhook writes between its lines.
pub fn escape_message(text: &str) -> Cow<'_, str> {
    escape_but(text, Some('\n'))
}

/// A path as printed: lossy UTF-8, escaped.
pub fn path(path: &std::path::Path) -> String {
    escape(&path.to_string_lossy()).into_owned()
}

fn escape_but(text: &str, kept: Option<char>) -> Cow<'_, str> {
    let escaped = |c: char| is_control(c) && Some(c) != kept;
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_drives_a_terminal() {
        assert_eq!(escape("ok"), "ok");
        assert_eq!(
            escape("a\x1b]52;c;aGk=\x07\r\n\u{202e}\u{9b}"),
            "a\\033]52;c;aGk=\\a\\r\\n\\u{202e}\\u{009b}"
        );
        assert_eq!(escape_message("a\x1b[2J\nb\r"), "a\\033[2J\nb\\r");
    }
}
