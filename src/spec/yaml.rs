//! The YAML reader: every document of a file as a value tree with positions.
//!
//! pachctl decodes spec files with Go's gopkg.in/yaml.v3 into nodes and converts them to
//! JSON itself (FACTS.md, "How pachctl reads a spec file"). This reader builds the same
//! values from saphyr-parser's event stream, which carries a span for every event:
//! scalars are resolved by `scalar` exactly as yaml.v3 and pachctl would, aliases are
//! refused at the first `*name` (pachctl: "alias nodes not supported"), keys must be
//! strings, and a repeated key is an error.
//!
//! The tree is built with an explicit stack, never by recursion, and the nesting depth is
//! checked before a collection is opened, so a hostile file cannot overflow the stack. saphyr
//! never expands aliases itself and we stop at the first one, so an alias bomb costs no
//! more than reading its text.

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError};

use super::json::{KeyIndex, too_deep};
use super::scalar::{self, Style};
use super::tree::{Entry, Node, Pos, Span, Value};
use super::{MAX_DEPTH, ReadError};

/// Reads every document of a YAML stream. An empty document (`---` with nothing after it)
/// is a `Null` node spanning its `---`; deciding what documents may hold is the caller's
/// business.
pub fn parse(text: &str) -> Result<Vec<Node>, ReadError> {
    let mut builder = Builder::default();
    let mut source = Source::new(text);
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(scan_error)?;
        let end = match event {
            Event::Scalar(..) | Event::SequenceEnd | Event::MappingEnd => {
                source.trim_end(span.start, span.end)
            }
            _ => span.end,
        };
        builder.event(event, Span::new(pos(span.start), pos(end)))?;
    }
    Ok(builder.documents)
}

/// saphyr's scalar and flow-end spans run over the blanks that follow them (`"a" ]`);
/// the JSON reader's end right after the text, and both readers must build the same
/// tree. Markers count characters, so this walks the text with a cursor that only moves
/// a little between events: linear overall.
struct Source<'a> {
    text: &'a str,
    /// A character index and its byte offset.
    chars: usize,
    byte: usize,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Source<'a> {
        Source {
            text,
            chars: 0,
            byte: 0,
        }
    }

    /// The character just before character index `index`.
    fn char_before(&mut self, index: usize) -> Option<char> {
        while self.chars < index {
            let c = self.text.get(self.byte..)?.chars().next()?;
            self.byte += c.len_utf8();
            self.chars += 1;
        }
        while self.chars > index {
            let c = self.text.get(..self.byte)?.chars().next_back()?;
            self.byte -= c.len_utf8();
            self.chars -= 1;
        }
        self.text.get(..self.byte)?.chars().next_back()
    }

    /// `end` moved back over spaces and tabs, not before `start`.
    fn trim_end(&mut self, start: Marker, end: Marker) -> Marker {
        let mut trimmed = end;
        while trimmed.index() > start.index() && trimmed.col() > 0 {
            match self.char_before(trimmed.index()) {
                Some(' ' | '\t') => {
                    trimmed = Marker::new(trimmed.index() - 1, trimmed.line(), trimmed.col() - 1);
                }
                _ => break,
            }
        }
        trimmed
    }
}

const ALIASES: &str = "YAML aliases (`*name`) are not supported by pachctl (\"alias nodes not \
                       supported\"): write the value out";

fn pos(m: Marker) -> Pos {
    Pos {
        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
        column: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    }
}

fn scan_error(e: ScanError) -> ReadError {
    // saphyr counts flow levels in a u8; report its limit like ours.
    let message = if e.info() == "recursion limit exceeded" {
        too_deep()
    } else if e.info().contains("unknown anchor") {
        // saphyr checks an alias's anchor before it reports the alias.
        format!("{ALIASES}; this one names no anchor defined before it")
    } else {
        format!("invalid YAML: {}", e.info())
    };
    ReadError {
        message,
        pos: pos(*e.marker()),
    }
}

/// A collection being built.
enum Frame {
    Seq {
        start: Pos,
        items: Vec<Node>,
    },
    Map {
        start: Pos,
        entries: Vec<Entry>,
        keys: KeyIndex,
        /// The key read and waiting for its value.
        key: Option<(String, Span)>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    documents: Vec<Node>,
    /// Where the current document starts, for an empty document's span.
    document: Span,
    /// The root of the current document once complete.
    root: Option<Node>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), ReadError> {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.document = span;
                self.root = None;
                Ok(())
            }
            Event::DocumentEnd => {
                self.end_document();
                Ok(())
            }
            Event::Alias(_) => Err(ReadError {
                message: ALIASES.into(),
                pos: span.start,
            }),
            Event::Scalar(text, style, _anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                self.scalar(&text, style, tag.as_deref(), span)
            }
            Event::SequenceStart(..) => self.open(span.start, false),
            Event::MappingStart(..) => self.open(span.start, true),
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
        }
    }

    fn end_document(&mut self) {
        let mut root = self
            .root
            .take()
            .unwrap_or_else(|| Node::new(Value::Null, self.document));
        // saphyr places an empty document's null at the next token: point at the
        // document's start instead.
        if root.is_null() && root.span.start == root.span.end {
            root.span = self.document;
        }
        self.documents.push(root);
    }

    /// A scalar: the key a mapping waits for, or a value. `tag` is the full tag.
    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&str>,
        span: Span,
    ) -> Result<(), ReadError> {
        let style = match style {
            ScalarStyle::Plain => Style::Plain,
            _ => Style::Quoted,
        };
        let tag = tag.and_then(scalar::short_tag);
        let value = scalar::value(text, style, tag.as_deref()).map_err(|message| ReadError {
            message,
            pos: span.start,
        })?;
        if let Some(Frame::Map {
            key: key @ None, ..
        }) = self.stack.last_mut()
        {
            return match value {
                Value::String(s) => {
                    *key = Some((s, span));
                    Ok(())
                }
                other => Err(non_string_key(text, &other, span.start)),
            };
        }
        // An empty plain scalar (`key:` with nothing after) has an empty span.
        self.attach(Node::new(value, span))
    }

    /// Opens a mapping or a list, unless it would be a key or nest too deep.
    fn open(&mut self, start: Pos, mapping: bool) -> Result<(), ReadError> {
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(ReadError {
                message: "a mapping or list used as a key: pachctl requires text keys".into(),
                pos: start,
            });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(ReadError {
                message: too_deep(),
                pos: start,
            });
        }
        self.stack.push(if mapping {
            Frame::Map {
                start,
                entries: Vec::new(),
                keys: KeyIndex::default(),
                key: None,
            }
        } else {
            Frame::Seq {
                start,
                items: Vec::new(),
            }
        });
        Ok(())
    }

    /// Closes the innermost collection and attaches it where it belongs.
    fn close(&mut self, span: Span) -> Result<(), ReadError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (start, value, last_end) = match frame {
            Frame::Seq { start, items } => {
                let end = items.last().map(|n| n.span.end);
                (start, Value::Seq(items), end)
            }
            Frame::Map { start, entries, .. } => {
                let end = entries.last().map(|e| e.value.span.end);
                (start, Value::Map(entries), end)
            }
        };
        // A flow collection ends at its bracket; a block one where its last child ends
        // (saphyr puts the end event at the next token).
        let end = if span.start == span.end {
            last_end.unwrap_or(start)
        } else {
            span.end
        };
        self.attach(Node::new(value, Span::new(start, end)))
    }

    fn attach(&mut self, node: Node) -> Result<(), ReadError> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, keys, key, ..
            }) => {
                // A value always follows its key: the key arm of `event` filled it.
                let Some((name, key_span)) = key.take() else {
                    return Ok(());
                };
                match keys.find(entries, &name).and_then(|i| entries.get_mut(i)) {
                    Some(entry) => entry.repeat(key_span, node),
                    None => entries.push(Entry::new(name, key_span, node)),
                }
            }
        }
        Ok(())
    }
}

fn non_string_key(text: &str, value: &Value, pos: Pos) -> ReadError {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        _ => "a number",
    };
    ReadError {
        message: format!(
            "the key `{text}` is read as {kind}, but pachctl requires text keys: quote it \
             (\"{text}\")"
        ),
        pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    fn one(text: &str) -> Node {
        let mut docs = parse(text).unwrap();
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0)
    }

    fn err(text: &str) -> ReadError {
        parse(text).unwrap_err()
    }

    #[test]
    fn builds_the_tree_with_positions() {
        let node = one(
            "pipeline:\n  name: edges # comment\ntransform:\n  cmd: [python3, \"/edges.py\"]\n  stdin:\n    - |\n      echo hi\n    - >\n      folded\n      text\nparallelism_spec: {constant: 2}\n",
        );
        let entries = node.as_map().unwrap();
        assert_eq!(node.span, Span::new(p(1, 1), p(11, 32)));
        assert_eq!(entries[0].written, "pipeline");
        assert_eq!(entries[0].key_span, Span::new(p(1, 1), p(1, 9)));
        let name = &entries[0].value.as_map().unwrap()[0];
        assert_eq!(name.key_span.start, p(2, 3));
        assert_eq!(name.value.as_str(), Some("edges"));
        assert_eq!(name.value.span, Span::new(p(2, 9), p(2, 14)));
        assert_eq!(entries[0].value.span, Span::new(p(2, 3), p(2, 14)));
        let transform = &entries[1].value;
        let cmd = transform.get("cmd").unwrap();
        assert_eq!(cmd.span, Span::new(p(4, 8), p(4, 30)));
        let items = cmd.as_seq().unwrap();
        assert_eq!(items[1].as_str(), Some("/edges.py"));
        assert_eq!(items[1].span, Span::new(p(4, 18), p(4, 29)));
        let stdin = transform.get("stdin").unwrap().as_seq().unwrap();
        assert_eq!(stdin[0].as_str(), Some("echo hi\n"));
        assert_eq!(stdin[1].as_str(), Some("folded text\n"));
        let par = &entries[2].value;
        assert_eq!(par.span, Span::new(p(11, 19), p(11, 32)));
        assert_eq!(
            par.get("constant").unwrap().value,
            Value::Number {
                text: "2".into(),
                integer: true
            }
        );
    }

    #[test]
    fn columns_count_characters() {
        let node = one("é: ü\nk: [\"ä\", x]\n");
        let entries = node.as_map().unwrap();
        assert_eq!(entries[0].value.span.start, p(1, 4));
        let items = entries[1].value.as_seq().unwrap();
        assert_eq!(items[1].span.start, p(2, 10));
    }

    #[test]
    fn documents_and_empty_documents() {
        let docs = parse("a: 1\n---\n- b: 2\n- c: 3\n---\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs[1].as_seq().is_some());
        assert_eq!(docs[2].value, Value::Null);
        assert_eq!(docs[2].span.start, p(5, 1));
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("# only a comment\n\n").unwrap(), vec![]);
    }

    #[test]
    fn keys_are_strings() {
        let node = one("\"1\": a\n!!str 2: b\n? c\n: d\n");
        let keys: Vec<&str> = node
            .as_map()
            .unwrap()
            .iter()
            .map(|e| e.written.as_str())
            .collect();
        assert_eq!(keys, ["1", "2", "c"]);
        let e = err("a: 1\n1: x\n");
        assert!(
            e.message.contains("key `1` is read as a number"),
            "{}",
            e.message
        );
        assert_eq!(e.pos, p(2, 1));
        let e = err("true: x\n");
        assert!(e.message.contains("a boolean"), "{}", e.message);
        let e = err("? [a]\n: x\n");
        assert!(e.message.contains("text keys"), "{}", e.message);
        assert_eq!(e.pos, p(1, 3));
    }

    #[test]
    fn a_repeated_key_keeps_the_first_place_and_the_last_value() {
        let doc = one("a: 1\nb:\n  c: 1\n  \"c\": 2\n");
        let b = doc.get("b").unwrap().as_map().unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].value.as_i64(), Some(2));
        assert_eq!(b[0].key_span.start, p(4, 3));
        assert_eq!(
            b[0].shadowed.iter().map(|s| s.start).collect::<Vec<_>>(),
            [p(3, 3)]
        );
        // Past the scanned size the hash index finds it too.
        let many: String = (0..200).map(|i| format!("k{i}: 1\n")).collect::<String>() + "k7: 2\n";
        let doc = one(&many);
        let entries = doc.as_map().unwrap();
        assert_eq!(entries.len(), 200);
        assert_eq!(entries[7].value.as_i64(), Some(2));
        assert_eq!(entries[7].shadowed[0].start, p(8, 1));
    }

    #[test]
    fn aliases_are_refused_anchors_alone_are_not() {
        let e = err("a: &x 1\nb: *x\n");
        assert!(e.message.contains("aliases"), "{}", e.message);
        assert_eq!(e.pos, p(2, 4));
        let node = one("a: &x 1\n");
        assert_eq!(node.get("a").unwrap().as_i64(), Some(1));
        let e = err("base: &b {x: 1}\nother:\n  <<: *b\n");
        assert_eq!(e.pos, p(3, 3));
        let e = err("a: 1\nb: *nowhere\n");
        assert!(e.message.contains("aliases"), "{}", e.message);
        assert!(e.message.contains("no anchor"), "{}", e.message);
        assert_eq!(e.pos, p(2, 4));
    }

    #[test]
    fn scalar_rules_apply_with_positions() {
        let e = err("a:\n  b: 0x1F\n");
        assert!(e.message.contains("`0x1F`"), "{}", e.message);
        assert_eq!(e.pos, p(2, 6));
        let e = err("a: !!binary aGk=\n");
        assert!(e.message.contains("!!binary"), "{}", e.message);
        assert_eq!(e.pos, p(1, 4));
        let e = err("start: 2021-01-01T00:00:00Z\n");
        assert!(e.message.contains("timestamp"), "{}", e.message);
        let node =
            one("a: yes\nb: \"0x1F\"\nc: !!str 12\nd: .5\ne:\nf: !!int \"3\"\ng: !!map {x: 1}\n");
        assert_eq!(node.get("a").unwrap().as_str(), Some("yes"));
        assert_eq!(node.get("b").unwrap().as_str(), Some("0x1F"));
        assert_eq!(node.get("c").unwrap().as_str(), Some("12"));
        assert_eq!(
            node.get("d").unwrap().value,
            Value::Number {
                text: "0.5".into(),
                integer: false
            }
        );
        assert!(node.entry("e").unwrap().value.is_null());
        assert_eq!(node.entry("e").unwrap().value.span, Span::point(p(5, 2)));
        assert_eq!(node.get("f").unwrap().as_i64(), Some(3));
        assert!(node.get("g").unwrap().as_map().is_some());
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = err("a: b: c\n");
        assert!(e.message.starts_with("invalid YAML:"), "{}", e.message);
        assert_eq!(e.pos, p(1, 5));
        let e = err("a: \"\\ud83d\\ude00\"\n");
        assert!(e.message.contains("Unicode"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let block: String = (0..1000)
            .map(|i| format!("{}- \n", " ".repeat(i)))
            .collect();
        let e = err(&block);
        assert!(e.message.contains("nested"), "{}", e.message);
        assert_eq!(e.pos, p(256, 256));
        let flow = "a: ".to_string() + &"[".repeat(10_000);
        let e = err(&flow);
        assert!(e.message.contains("nested"), "{}", e.message);
    }
}
