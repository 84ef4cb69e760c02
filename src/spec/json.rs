//! A JSON reader that keeps the position of every key and value.
//!
//! pachctl reads every spec, `.json` included, with a YAML decoder, and JSON is a subset
//! of YAML 1.2, so this reader is a fast path, not a second dialect: `read` tries it on
//! documents that start with `{` or `[` and falls back to the YAML reader whenever it
//! says no. It must therefore never accept what the YAML reader would reject (duplicate
//! keys included) and never build a different tree.

use super::tree::{Entry, Node, Pos, Span, Value};
use super::{MAX_DEPTH, ReadError};

/// Parses one JSON value followed only by white space.
pub fn parse(text: &str) -> Result<Node, ReadError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        i: 0,
        cursor: Cursor::default(),
    };
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.i < p.bytes.len() {
        return Err(p.error_here("unexpected text after the end of the JSON document"));
    }
    Ok(node)
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
        for &b in &bytes[self.offset..offset] {
            if b == b'\n' {
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
    bytes: &'a [u8],
    i: usize,
    cursor: Cursor,
}

impl Parser<'_> {
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

    fn value(&mut self, depth: usize) -> Result<Node, ReadError> {
        if depth > MAX_DEPTH {
            return Err(self.error_here(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let start = self.i;
        let value = match self.bytes.get(self.i) {
            Some(b'{') => return self.object(depth),
            Some(b'[') => return self.array(depth),
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(_) => return Err(self.error_here("expected a JSON value")),
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
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            i += 1;
            integer = false;
            if !digits(&mut i) {
                return Err(self.error_at(i, "invalid number: expected digits after `.`"));
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            integer = false;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return Err(self.error_at(i, "invalid number: expected digits in the exponent"));
            }
        }
        self.i = i;
        let text = std::str::from_utf8(&b[start..i])
            .expect("ASCII digits")
            .to_string();
        Ok(Value::Number { text, integer })
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
            // The input is a &str and the run stops only at ASCII bytes: valid UTF-8.
            out.push_str(std::str::from_utf8(&self.bytes[run..self.i]).expect("utf-8 run"));
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
                let hi = self.hex4(at)?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if !self.bytes[self.i..].starts_with(b"\\u") {
                        return Err(self.error_at(at, "unpaired surrogate in a \\u escape"));
                    }
                    self.i += 2;
                    let lo = self.hex4(at)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.error_at(at, "unpaired surrogate in a \\u escape"));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                return char::from_u32(code).ok_or_else(|| self.error_at(at, "invalid \\u escape"));
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
                return Err(self.error_here("expected a key in double quotes"));
            }
            let key_start = self.i;
            let key = self.string()?;
            let key_span = Span::new(self.pos(key_start), self.pos(self.i));
            if let Some(first) = entries.iter().find(|e| e.written == key) {
                let line = first.key_span.start.line;
                return Err(ReadError {
                    message: format!("duplicate key `{key}` (first defined on line {line})"),
                    pos: key_span.start,
                });
            }
            self.skip_ws();
            if self.bytes.get(self.i) != Some(&b':') {
                return Err(self.error_here("expected `:` after the key"));
            }
            self.i += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push(Entry::new(key, key_span, value));
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
    fn rejects_duplicate_keys_and_trailing_documents() {
        let err = parse("{\"a\": 1, \"a\": 2}").unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{}", err.message);
        assert_eq!(
            err.pos,
            Pos {
                line: 1,
                column: 10
            }
        );
        let err = parse("{}{}").unwrap_err();
        assert_eq!(err.pos, Pos { line: 1, column: 3 });
    }

    #[test]
    fn decodes_escapes() {
        let node = parse(r#""a\"\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(node.as_str(), Some("a\"é😀"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("nesting"));
    }
}
