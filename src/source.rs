//! A file to check: a path to show the user and the bytes to read.
//!
//! The bytes come from wherever the caller chose (the working tree, the git index, a
//! pushed commit), which is why the engine never opens files itself. Positions in those
//! bytes (`Pos`, `Span`) live here too: the readers produce them, findings carry them.

#[derive(Clone, Debug)]
pub struct Source {
    /// The path as shown in reports, relative to the repository or as the user typed it.
    pub path: String,
    pub bytes: Vec<u8>,
    /// Named by the user (or by `[specs] paths`): checked even when it holds no pipeline
    /// spec. A file found by scanning that holds none is someone else's JSON or YAML and
    /// is left out of the report.
    pub explicit: bool,
    /// Why the file could not be read (unreadable, vanished while scanning): the engine
    /// reports it as a finding and goes on with the other files.
    pub unreadable: Option<String>,
}

impl Source {
    /// A file found by scanning a directory or a commit: left out when it holds no spec.
    pub fn scanned(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Source {
        Source {
            explicit: false,
            ..Source::new(path, bytes)
        }
    }

    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Source {
        Source {
            path: path.into(),
            bytes: bytes.into(),
            explicit: true,
            unreadable: None,
        }
    }

    /// A file that was selected but could not be read; `reason` says why.
    pub fn unreadable(path: impl Into<String>, reason: impl Into<String>) -> Source {
        Source {
            unreadable: Some(reason.into()),
            ..Source::new(path, Vec::new())
        }
    }
}

/// A position in a source file: 1-based line, 1-based column counted in characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    /// The position of byte `offset` of `bytes`: lines counted by `\n`, the column in
    /// characters (UTF-8 lead bytes; the bytes before `offset` are expected to be UTF-8).
    /// An offset past the end is the end.
    pub fn at(bytes: &[u8], offset: usize) -> Pos {
        let before = bytes.get(..offset).unwrap_or(bytes);
        let line = (0..before.len())
            .filter(|&i| is_line_break(bytes, i))
            .count()
            + 1;
        let line_start = (0..before.len())
            .rev()
            .find(|&i| is_line_break(bytes, i))
            .map_or(0, |i| i + 1);
        let column = before[line_start..]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
            + 1;
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// A range of source text; `end` is exclusive and may equal `start` (an empty span).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Span {
        Span { start, end }
    }

    /// A span of one position, for errors that have a point and no extent.
    pub fn point(pos: Pos) -> Span {
        Span {
            start: pos,
            end: pos,
        }
    }
}

/// Whether the byte at `i` ends a line: `\n`, or a `\r` not followed by `\n` (YAML's line
/// breaks, so pachctl's: a file with lone-CR line endings has lines too, and every reader
/// and the report count them alike).
pub fn is_line_break(bytes: &[u8], i: usize) -> bool {
    match bytes.get(i) {
        Some(b'\n') => true,
        Some(b'\r') => bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Pos;

    #[test]
    fn a_byte_offset_is_a_line_and_a_column_in_characters() {
        let p = |line, column| Pos { line, column };
        assert_eq!(Pos::at(b"", 0), p(1, 1));
        assert_eq!(Pos::at(b"ab\ncd", 4), p(2, 2));
        assert_eq!(Pos::at("é\n日本語x".as_bytes(), 12), p(2, 4));
        assert_eq!(Pos::at(b"a\n", 2), p(2, 1));
        assert_eq!(Pos::at(b"ab", 99), p(1, 3), "past the end is the end");
        // Lone CR ends a line (YAML); CRLF is one break.
        assert_eq!(Pos::at(b"a\rb\r\nc", 5), p(3, 1));
    }
}
