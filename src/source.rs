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

    /// The bytes are decoded to UTF-8 here (`decode`), the one place every spec file
    /// passes through, so that every reader and report sees the text pachctl reads.
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Source {
        Source {
            path: path.into(),
            bytes: decode(bytes.into()),
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

/// A spec file's bytes as UTF-8 text, the way pachctl's YAML decoder (go-yaml v3) takes
/// them: a UTF-16 file (little- or big-endian) is recognised by its byte order mark and
/// decoded (PowerShell's `>` writes one); anything else is returned as it is, UTF-8 with
/// or without its mark. go-yaml knows no UTF-32: a UTF-32 file stays as it is and is
/// refused by the reader as pachctl refuses it (its `FF FE 00 00` mark reads as UTF-16
/// and a NUL). A UTF-16 file with a lone surrogate is left as it is too (not UTF-8:
/// refused at that byte, as pachctl refuses it).
pub fn decode(bytes: Vec<u8>) -> Vec<u8> {
    let little = match bytes.get(..2) {
        Some([0xFF, 0xFE]) if bytes.get(2..4) != Some(&[0, 0]) => true,
        Some([0xFE, 0xFF]) => false,
        _ => return bytes,
    };
    let units = bytes[2..].chunks(2).map(|pair| match (pair, little) {
        ([a, b], true) => u16::from_le_bytes([*a, *b]),
        ([a, b], false) => u16::from_be_bytes([*a, *b]),
        // An odd last byte: not UTF-16; an unpaired surrogate makes the decoding fail.
        _ => 0xD800,
    });
    match char::decode_utf16(units).collect::<Result<String, _>>() {
        Ok(text) => text.into_bytes(),
        Err(_) => bytes,
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
    use super::{Pos, decode};

    #[test]
    fn utf16_with_a_mark_is_decoded_and_the_rest_left_alone() {
        let utf16 = |big: bool| {
            let mut out = if big {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for unit in "a: é😀\n".encode_utf16() {
                out.extend(if big {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                });
            }
            out
        };
        assert_eq!(decode(utf16(false)), "a: é😀\n".as_bytes());
        assert_eq!(decode(utf16(true)), "a: é😀\n".as_bytes());
        // UTF-8, with or without its mark, stays.
        assert_eq!(decode(b"\xEF\xBB\xBFa: 1".to_vec()), b"\xEF\xBB\xBFa: 1");
        assert_eq!(decode(b"a: 1".to_vec()), b"a: 1");
        // UTF-32 (which go-yaml does not read) and broken UTF-16 stay as they are.
        let utf32 = b"\xFF\xFE\x00\x00a\x00\x00\x00".to_vec();
        assert_eq!(decode(utf32.clone()), utf32);
        let lone = b"\xFF\xFE\x00\xD8a\x00".to_vec();
        assert_eq!(decode(lone.clone()), lone);
        let odd = b"\xFF\xFEa\x00b".to_vec();
        assert_eq!(decode(odd.clone()), odd);
    }

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
