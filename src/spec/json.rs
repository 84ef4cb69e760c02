//! A JSON reader that keeps the position of every key and value.
//!
//! pachctl reads every spec, `.json` included, with a YAML decoder, and JSON is a subset
//! of YAML 1.2, so this reader is a fast path, not a second dialect: `read` tries it on
//! documents that start with `{` or `[` and falls back to the YAML reader whenever it
//! says no. It must therefore never accept what the YAML reader would reject (`-0`,
//! escaped UTF-16 surrogates, nesting deeper than [`MAX_DEPTH`]) and never
//! build a different tree: numbers become values through the same rules as YAML scalars
//! (`crate::spec::scalar`).

use super::scalar::{self, Style};
use super::tree::{Entry, Node, Pos, Span, Value};
use super::{MAX_DEPTH, ReadError};

/// Parses one JSON value followed only by white space.
pub fn parse(text: &str) -> Result<Node, ReadError> {
    let (node, end) = parse_prefix(text).map_err(|f| f.error)?;
    let mut p = Parser::new(text);
    p.i = end;
    p.skip_ws();
    if p.i < p.bytes.len() {
        return Err(p.error_here("unexpected text after the end of the JSON document"));
    }
    Ok(node)
}

/// Why the fast path said no.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: ReadError,
    /// The text is JSON up to the error and the YAML reader refuses it for the same
    /// reason at the same place (`-0`, too deep), so falling back would
    /// only repeat the work.
    pub certain: bool,
    /// The text stops being JSON where YAML flow syntax (an unquoted key or value) starts:
    /// the author probably wrote YAML, whose own error then says more.
    pub yaml_syntax: bool,
}

/// Parses the JSON value at the start of `text` (after white space) and returns it with
/// the byte offset just past it; what follows is the caller's business.
pub(crate) fn parse_prefix(text: &str) -> Result<(Node, usize), Failure> {
    let mut p = Parser::new(text);
    p.skip_ws();
    match p.value(0) {
        Ok(node) => Ok((node, p.i)),
        Err(error) => Err(Failure {
            error,
            certain: p.certain,
            yaml_syntax: p.yaml_syntax,
        }),
    }
}

/// Turns byte offsets into line and character column. Offsets are asked for in
/// increasing order while parsing, so the cursor only moves forward: linear overall,
/// even for a 10 MB spec on one line.
#[derive(Default)]
struct Cursor {
    offset: usize,
    line: u32,
    column: u32,
}

impl Cursor {
    fn pos(&mut self, bytes: &[u8], offset: usize) -> Pos {
        if offset < self.offset {
            // Only error paths look back; recount from the start.
            *self = Cursor::default();
        }
        for (i, &b) in bytes.iter().enumerate().take(offset).skip(self.offset) {
            if crate::source::is_line_break(bytes, i) {
                self.line += 1;
                self.column = 0;
            } else if b & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
        self.offset = offset;
        Pos {
            line: self.line + 1,
            column: self.column + 1,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
    cursor: Cursor,
    certain: bool,
    yaml_syntax: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            bytes: text.as_bytes(),
            i: 0,
            cursor: Cursor::default(),
            certain: false,
            yaml_syntax: false,
        }
    }

    /// An error the YAML reader would report too, at the same place.
    fn certain_error_at(&mut self, offset: usize, message: impl Into<String>) -> ReadError {
        self.certain = true;
        self.error_at(offset, message)
    }

    fn pos(&mut self, offset: usize) -> Pos {
        self.cursor.pos(self.bytes, offset)
    }

    fn error_at(&mut self, offset: usize, message: impl Into<String>) -> ReadError {
        ReadError {
            message: message.into(),
            pos: self.pos(offset),
        }
    }

    fn error_here(&mut self, message: impl Into<String>) -> ReadError {
        self.error_at(self.i, message)
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.i) {
            self.i += 1;
        }
    }

    /// `depth` counts the collections around the value.
    fn value(&mut self, depth: usize) -> Result<Node, ReadError> {
        let start = self.i;
        let value = match self.bytes.get(self.i) {
            Some(b'{' | b'[') if depth >= MAX_DEPTH => {
                return Err(self.certain_error_at(start, too_deep()));
            }
            Some(b'{') => return self.object(depth),
            Some(b'[') => return self.array(depth),
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(_) => {
                self.yaml_syntax = true;
                return Err(self.error_here("expected a JSON value"));
            }
            None => return Err(self.error_here("unexpected end of file: expected a JSON value")),
        };
        let span = Span::new(self.pos(start), self.pos(self.i));
        Ok(Node::new(value, span))
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, ReadError> {
        if self.bytes[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(value)
        } else {
            self.yaml_syntax = true;
            Err(self.error_here("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, ReadError> {
        let start = self.i;
        let b = self.bytes;
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = self.i;
        if b[i] == b'-' {
            i += 1;
        }
        if b.get(i) == Some(&b'0') {
            i += 1;
        } else if !digits(&mut i) {
            return Err(self.error_at(i, "invalid number"));
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return Err(self.error_at(i, "invalid number: expected digits after `.`"));
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return Err(self.error_at(i, "invalid number: expected digits in the exponent"));
            }
        }
        self.i = i;
        // The bytes are ASCII digits and signs, so this never fails.
        let text = std::str::from_utf8(&b[start..i]).unwrap_or_default();
        scalar::value(text, Style::Plain, None).map_err(|m| self.certain_error_at(start, m))
    }

    fn string(&mut self) -> Result<String, ReadError> {
        debug_assert_eq!(self.bytes[self.i], b'"');
        self.i += 1;
        let mut out = String::new();
        loop {
            let run = self.i;
            while let Some(&b) = self.bytes.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // The run starts and stops at ASCII bytes, so these are char boundaries of the
            // already validated text: slicing it costs nothing, validating again would.
            out.push_str(self.text.get(run..self.i).unwrap_or_default());
            match self.bytes.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.error_here("control character in a string: escape it")),
                None => return Err(self.error_here("unexpected end of file inside a string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, ReadError> {
        let at = self.i;
        self.i += 1;
        let c = match self.bytes.get(self.i) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.i += 1;
                let code = self.hex4(at)?;
                // YAML (and so pachctl) refuses escaped UTF-16 surrogates, pairs included.
                return char::from_u32(code).ok_or_else(|| {
                    self.certain_error_at(
                        at,
                        format!(
                            "`\\u{code:04x}` is half of a UTF-16 surrogate pair, which YAML (and \
                             so pachctl) does not accept: write the character itself or use \
                             an 8-digit `\\U` escape in a YAML file"
                        ),
                    )
                });
            }
            _ => return Err(self.error_at(at, "invalid escape in a string")),
        };
        self.i += 1;
        Ok(c)
    }

    fn hex4(&mut self, at: usize) -> Result<u32, ReadError> {
        let digits = self
            .bytes
            .get(self.i..self.i + 4)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok());
        match digits.and_then(|h| u32::from_str_radix(h, 16).ok()) {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => Err(self.error_at(at, "invalid \\u escape: expected four hex digits")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, ReadError> {
        let start = self.i;
        let start_pos = self.pos(start);
        self.i += 1;
        let mut entries: Vec<Entry> = Vec::new();
        let mut keys = KeyIndex::default();
        self.skip_ws();
        if self.bytes.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Node::new(
                Value::Map(entries),
                Span::new(start_pos, self.pos(self.i)),
            ));
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.i) != Some(&b'"') {
                self.yaml_syntax = self.bytes.get(self.i) != Some(&b'}');
                return Err(self.error_here("expected a key in double quotes"));
            }
            let key_start = self.i;
            let key = self.string()?;
            let key_span = Span::new(self.pos(key_start), self.pos(self.i));
            let earlier = keys.find(&entries, &key);
            self.skip_ws();
            if self.bytes.get(self.i) != Some(&b':') {
                return Err(self.error_here("expected `:` after the key"));
            }
            self.i += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            match earlier.and_then(|i| entries.get_mut(i)) {
                Some(entry) => entry.repeat(key_span, value),
                None => entries.push(Entry::new(key, key_span, value)),
            }
            self.skip_ws();
            match self.bytes.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Node::new(
                        Value::Map(entries),
                        Span::new(start_pos, self.pos(self.i)),
                    ));
                }
                _ => return Err(self.error_here("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, ReadError> {
        let start_pos = self.pos(self.i);
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Node::new(
                Value::Seq(items),
                Span::new(start_pos, self.pos(self.i)),
            ));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Node::new(
                        Value::Seq(items),
                        Span::new(start_pos, self.pos(self.i)),
                    ));
                }
                _ => return Err(self.error_here("expected `,` or `]`")),
            }
        }
    }
}

pub(crate) fn too_deep() -> String {
    format!(
        "more than {MAX_DEPTH} mappings and lists nested inside each other: pachhook refuses \
         such deep nesting"
    )
}

/// Finds a key among a mapping's entries: a scan while the mapping is small (nearly every
/// mapping in a spec), a hash index once it is large, so a hostile mapping with half a
/// million keys stays linear. A repeated key replaces its entry in place
/// (`Entry::repeat`), so indexes stay valid.
#[derive(Default)]
pub(crate) struct KeyIndex {
    index: std::collections::HashMap<String, usize>,
}

impl KeyIndex {
    const SCAN: usize = 32;

    /// The index of the entry for `key`, if `entries` already hold it.
    pub(crate) fn find(&mut self, entries: &[Entry], key: &str) -> Option<usize> {
        if entries.len() < Self::SCAN {
            return entries.iter().position(|e| e.written == key);
        }
        for (i, e) in entries.iter().enumerate().skip(self.index.len()) {
            self.index.insert(e.written.clone(), i);
        }
        self.index.get(key).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_in_characters() {
        let node = parse("{\n  \"é\": \"x\",\n  \"b\": [1, 2.5]\n}").unwrap();
        let entries = node.as_map().unwrap();
        assert_eq!(entries[0].key_span.start, Pos { line: 2, column: 3 });
        assert_eq!(entries[0].value.span.start, Pos { line: 2, column: 8 });
        let items = entries[1].value.as_seq().unwrap();
        assert_eq!(
            items[1].value,
            Value::Number {
                text: "2.5".into(),
                integer: false
            }
        );
        assert_eq!(
            items[1].span.start,
            Pos {
                line: 3,
                column: 12
            }
        );
    }

    #[test]
    fn keeps_the_last_of_repeated_keys_and_rejects_trailing_documents() {
        let node = parse("{\"a\": 1, \"b\": 0, \"a\": 2}").unwrap();
        let entries = node.as_map().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].value.as_i64(), Some(2));
        assert_eq!(
            entries[0].key_span.start,
            Pos {
                line: 1,
                column: 18
            }
        );
        assert_eq!(entries[0].shadowed[0].start, Pos { line: 1, column: 2 });
        let err = parse("{}{}").unwrap_err();
        assert_eq!(err.pos, Pos { line: 1, column: 3 });
    }

    #[test]
    fn decodes_escapes_and_refuses_surrogates_like_yaml() {
        let node = parse(r#""a\"\u00e9\/\t""#).unwrap();
        assert_eq!(node.as_str(), Some("a\"é/\t"));
        let err = parse_prefix("[\"x\\ud83d\\ude00\"]").unwrap_err();
        assert!(err.certain);
        assert!(
            err.error.message.contains("surrogate"),
            "{}",
            err.error.message
        );
        assert_eq!(err.error.pos, Pos { line: 1, column: 4 });
        assert!(parse(r#""\u+123""#).is_err());
    }

    #[test]
    fn numbers_follow_the_yaml_rules() {
        let node = parse("[0, -1, 1.5, 1e5, 18446744073709551616, 1e400]").unwrap();
        let values: Vec<Value> = node
            .as_seq()
            .unwrap()
            .iter()
            .map(|n| n.value.clone())
            .collect();
        let num = |t: &str, integer| Value::Number {
            text: t.into(),
            integer,
        };
        assert_eq!(
            values,
            vec![
                num("0", true),
                num("-1", true),
                num("1.5", false),
                num("1e5", false),
                num("18446744073709551616", false),
                Value::String("1e400".into()),
            ]
        );
        let err = parse_prefix("{\"a\": -0}").unwrap_err();
        assert!(err.certain);
        assert_eq!(err.error.pos, Pos { line: 1, column: 7 });
        assert!(err.error.message.contains("`-0`"), "{}", err.error.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse_prefix(&text).unwrap_err();
        assert!(err.certain);
        assert!(
            err.error.message.contains("nested"),
            "{}",
            err.error.message
        );
        assert_eq!(
            err.error.pos,
            Pos {
                line: 1,
                column: 256
            }
        );
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }
}
