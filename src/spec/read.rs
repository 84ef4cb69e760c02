//! Reads a spec file the way pachctl does (FACTS.md, "How pachctl reads a spec file").
//!
//! pachctl decodes every file, `.json` included, with a YAML decoder, one document at a
//! time: a document that is a mapping is a spec, a document that is a list holds specs,
//! anything else is an error. A file with no document at all (empty, or only white space
//! and comments) holds no spec and is not an error: pachctl creates nothing from it. The
//! callers decide whether an explicitly named file without specs deserves a finding.
//!
//! Documents starting with `{` or `[` first go to the JSON reader, which is faster and
//! gives JSON-specific messages; anything it does not accept goes to the YAML reader,
//! since JSON-like text can still be valid YAML (`{a: 1}`, a trailing comma, a comment).

use super::tree::{Node, Pos, Value};
use super::{ReadError, json, yaml};

/// Reads every spec in a file: documents are flattened, and a document that is a list
/// contributes each element, so the index of a spec counts documents and list elements.
pub fn read(bytes: &[u8]) -> Result<Vec<Node>, ReadError> {
    // yaml.v3 skips a UTF-8 byte order mark; editors do not show it as a column.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            // Report whichever problem comes first, as a streaming reader would.
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            check_characters(std::str::from_utf8(valid).unwrap_or_default())?;
            return Err(invalid_utf8(bytes, e));
        }
    };
    check_characters(text)?;
    specs(documents(text)?)
}

/// The documents of a file, through the JSON fast path when it applies.
fn documents(text: &str) -> Result<Vec<Node>, ReadError> {
    if !text.trim_start_matches(WHITE_SPACE).starts_with(['{', '[']) {
        return yaml::parse(text);
    }
    let json_error = match json::parse_prefix(text) {
        Ok((node, end)) => {
            let rest = text.get(end..).unwrap_or_default();
            let next = rest.trim_start_matches(WHITE_SPACE);
            if next.is_empty() {
                return Ok(vec![node]);
            }
            if next.starts_with(['{', '[']) {
                return Err(ReadError {
                    message: "a second JSON document starts here: Pachyderm 2.x needs a `---` \
                              line between documents"
                        .into(),
                    pos: Pos::at(text.as_bytes(), text.len() - next.len()),
                });
            }
            // A comment, `---` or `...` follows: a YAML stream.
            None
        }
        Err(failure) if failure.certain => return Err(failure.error),
        Err(failure) => Some(failure),
    };
    match (yaml::parse(text), json_error) {
        (Ok(documents), _) => Ok(documents),
        (Err(yaml_error), None) => Err(yaml_error),
        // Both refuse it. JSON's message is the clearer one for JSON text, unless the
        // author was writing YAML flow syntax (`{a: 1 b: 2}`) or YAML found a problem
        // earlier in the file.
        (Err(yaml_error), Some(json)) if json.yaml_syntax || yaml_error.pos < json.error.pos => {
            Err(yaml_error)
        }
        (Err(_), Some(json)) => Err(json.error),
    }
}

const WHITE_SPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// The specs of a file's documents, refusing what pachctl refuses.
fn specs(documents: Vec<Node>) -> Result<Vec<Node>, ReadError> {
    let mut specs = Vec::with_capacity(documents.len());
    for doc in documents {
        let message = match doc.value {
            Value::Map(_) => {
                specs.push(doc);
                continue;
            }
            Value::Seq(items) if !items.is_empty() => {
                specs.extend(items);
                continue;
            }
            Value::Seq(_) => {
                "an empty list of specs, which pachctl cannot read: add specs or remove it"
                    .to_string()
            }
            Value::Null => "an empty YAML document: pachctl expects a spec (a mapping) or a \
                            list of specs after every `---`; remove the extra `---`"
                .to_string(),
            _ => format!(
                "a YAML document must be a spec (a mapping) or a list of specs, not {}",
                doc.kind()
            ),
        };
        return Err(ReadError {
            message,
            pos: doc.span.start,
        });
    }
    Ok(specs)
}

/// Bytes that may begin a character YAML refuses: C0 controls but tab and line breaks,
/// DEL, and the lead bytes of C1 controls (0xC2) and U+FFFE/U+FFFF (0xEF).
const SUSPECT: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        #[allow(clippy::cast_possible_truncation, reason = "below 0x20")]
        let byte = c as u8;
        table[c] = !matches!(byte, b'\t' | b'\n' | b'\r');
        c += 1;
    }
    table[0x7F] = true;
    table[0xC2] = true;
    table[0xEF] = true;
    table
};

/// yaml.v3 refuses characters outside YAML's printable set anywhere in the file, even in
/// comments: C0 controls other than tab and line breaks, DEL, C1 controls other than NEL,
/// U+FFFE and U+FFFF. saphyr does not check, so we do.
fn check_characters(text: &str) -> Result<(), ReadError> {
    let b = text.as_bytes();
    // Almost every byte is printable: one table look-up each, and the exact test only
    // for the few bytes that may start a refused character.
    for (i, &c) in b.iter().enumerate() {
        if !SUSPECT[c as usize] {
            continue;
        }
        let bad = match c {
            b'\t' | b'\n' | b'\r' => false,
            0..=0x1F | 0x7F => true,
            0xC2 => matches!(b.get(i + 1), Some(0x80..=0x84 | 0x86..=0x9F)),
            0xEF => b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)),
            _ => false,
        };
        if bad {
            let code = text
                .get(i..)
                .and_then(|t| t.chars().next())
                .map_or(0, u32::from);
            return Err(ReadError {
                message: format!(
                    "the control character U+{code:04X} is not allowed in a YAML file, and \
                     pachctl reads every spec as YAML: remove it, or write it as an escape \
                     (`\\u{code:04x}`) in a double-quoted string"
                ),
                pos: Pos::at(b, i),
            });
        }
    }
    Ok(())
}

/// Whether a file holds pipeline specs: some spec in it is a mapping with a `pipeline`
/// key. Directory scans and the hooks use this to skip other JSON and YAML files.
pub fn holds_specs(specs: &[Node]) -> bool {
    specs.iter().any(|s| {
        s.as_map()
            .is_some_and(|m| m.iter().any(|e| e.written == "pipeline"))
    })
}

fn invalid_utf8(bytes: &[u8], e: std::str::Utf8Error) -> ReadError {
    ReadError {
        message: "the file is not valid UTF-8 text (pachctl reads specs as UTF-8 YAML): \
                  save it as UTF-8"
            .into(),
        pos: Pos::at(bytes, e.valid_up_to()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Span;

    fn p(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    fn err(text: &str) -> ReadError {
        read(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn no_document_means_no_spec() {
        for text in ["", "  \n\t\n", "# just a comment\n# another\n", "\u{feff}"] {
            assert_eq!(read(text.as_bytes()), Ok(vec![]), "{text:?}");
        }
    }

    #[test]
    fn invalid_utf8_and_control_characters_have_positions() {
        let e = read(b"a: 1\nb: \"x\xff\"\n").unwrap_err();
        assert!(e.message.contains("UTF-8"), "{}", e.message);
        assert_eq!(e.pos, p(2, 6));
        let e = err("a: 1\n# \u{7}\n");
        assert!(e.message.contains("U+0007"), "{}", e.message);
        assert_eq!(e.pos, p(2, 3));
        let e = err("{\"é\": \"\u{80}\"}");
        assert!(e.message.contains("U+0080"), "{}", e.message);
        assert_eq!(e.pos, p(1, 8));
        assert_eq!(err("a: \u{ffff}").pos, p(1, 4));
        assert_eq!(err("\0").pos, p(1, 1));
        // NEL, tab and carriage return are allowed.
        assert!(read("a: \"x\u{85}\ty\"\r\n".as_bytes()).is_ok());
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let specs = read("\u{feff}{\"a\": 1}".as_bytes()).unwrap();
        assert_eq!(specs[0].span.start, p(1, 1));
        let specs = read("\u{feff}a: 1\n".as_bytes()).unwrap();
        assert_eq!(specs[0].as_map().unwrap()[0].value.span.start, p(1, 4));
    }

    #[test]
    fn json_and_yaml_paths_build_the_same_tree() {
        let text = "{\n  \"pipeline\": {\"name\": \"édges\"},\n  \"transform\": {\"cmd\": [\"a\", \"\\u00e9\\n\"], \"env\": {}},\n  \"n\": [0, -1, 1.5, 1e5, 18446744073709551616, 1e400, true, false, null]\n}\n";
        let fast = json::parse(text).unwrap();
        let slow = yaml::parse(text).unwrap();
        assert_eq!(slow, vec![fast.clone()]);
        assert_eq!(read(text.as_bytes()).unwrap(), vec![fast]);
        // A repeated key, too: same place, same value, same record of the earlier one.
        let text = "{\"a\": {\"x\": 1},\n \"b\": 2, \"a\": [3]}";
        assert_eq!(yaml::parse(text).unwrap(), vec![json::parse(text).unwrap()]);
    }

    #[test]
    fn yaml_that_looks_like_json_falls_back() {
        let specs = read(b"{a: 1, \"b\": .5,}  # flow YAML\n").unwrap();
        let spec = &specs[0];
        assert_eq!(spec.get("a").unwrap().as_i64(), Some(1));
        assert_eq!(
            spec.get("b").unwrap().value,
            Value::Number {
                text: "0.5".into(),
                integer: false
            }
        );
        let specs = read(b"{\"a\": 1}\n---\n[{\"b\": 2}, {\"c\": 3}]\n").unwrap();
        assert_eq!(specs.len(), 3);
        assert_eq!(specs[2].span, Span::new(p(3, 12), p(3, 20)));
        let specs = read(b"{\"a\": \"tab\there\"}").unwrap();
        assert_eq!(specs[0].get("a").unwrap().as_str(), Some("tab\there"));
    }

    #[test]
    fn concatenated_json_documents_need_a_separator() {
        let e = err("{\"a\": 1}{\"b\": 2}");
        assert!(e.message.contains("Pachyderm 2.x needs"), "{}", e.message);
        assert!(e.message.contains("`---`"), "{}", e.message);
        assert_eq!(e.pos, p(1, 9));
        let e = err("[{\"a\": 1}]\n\n  {\"b\": 2}\n");
        assert!(e.message.contains("Pachyderm 2.x needs"), "{}", e.message);
        assert_eq!(e.pos, p(3, 3));
    }

    #[test]
    fn semantic_json_errors_are_final_and_match_yaml() {
        for (text, pos) in [
            ("{\"a\": {\"n\": -0}}", p(1, 13)),
            ("[\"\\udc00\"]", p(1, 3)),
        ] {
            let fast = err(text);
            assert_eq!(fast.pos, pos, "{text}");
            let slow = yaml::parse(text).unwrap_err();
            assert_eq!(slow.pos.line, pos.line, "{text}: {}", slow.message);
        }
    }

    #[test]
    fn the_reader_that_got_further_explains_the_error() {
        // Broken JSON: JSON's message.
        let e = err("{\"a\": 1 \"b\": 2}");
        assert_eq!(e.message, "expected `,` or `}`");
        assert_eq!(e.pos, p(1, 9));
        let e = err("{\"a\": [1, 2}");
        assert_eq!(e.message, "expected `,` or `]`");
        // Flow YAML with a mistake further on: YAML's message.
        let e = err("{a: 1, b: [1, 2}");
        assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
    }

    #[test]
    fn documents_must_be_specs_or_lists_of_specs() {
        let specs = read(b"- a: 1\n- b: 2\n---\nc: 3\n").unwrap();
        assert_eq!(specs.len(), 3);
        let e = err("a: 1\n---\n");
        assert!(e.message.contains("empty YAML document"), "{}", e.message);
        assert_eq!(e.pos, p(2, 1));
        let e = err("a: 1\n---\n[]\n");
        assert!(e.message.contains("empty list"), "{}", e.message);
        assert_eq!(e.pos, p(3, 1));
        let e = err("just text\n");
        assert!(e.message.contains("not a string"), "{}", e.message);
        assert_eq!(e.pos, p(1, 1));
        let e = err("[]");
        assert!(e.message.contains("empty list"), "{}", e.message);
    }

    #[test]
    fn holds_specs_looks_for_a_pipeline_key() {
        assert!(holds_specs(&read(b"pipeline: {name: a}\n").unwrap()));
        assert!(!holds_specs(&read(b"{\"name\": \"pkg\"}").unwrap()));
    }
}
