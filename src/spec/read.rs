//! Reads a spec file the way pachctl does (FACTS.md, "How pachctl reads a spec file").

use super::tree::{Node, Pos, Value};
use super::{ReadError, json};

/// Reads every spec in a file: documents are flattened, and a document that is a list
/// contributes each element, so the index of a spec counts documents and list elements.
pub fn read(bytes: &[u8]) -> Result<Vec<Node>, ReadError> {
    let text = std::str::from_utf8(bytes).map_err(|e| invalid_utf8(bytes, e))?;
    let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
    if trimmed.starts_with(['{', '[']) {
        if let Ok(node) = json::parse(text) {
            return Ok(flatten(vec![node]));
        }
    }
    Err(ReadError {
        message: "YAML documents are not read yet".into(),
        pos: Pos { line: 1, column: 1 },
    })
}

/// A document that is a list stands for its elements.
fn flatten(documents: Vec<Node>) -> Vec<Node> {
    let mut specs = Vec::with_capacity(documents.len());
    for doc in documents {
        match doc.value {
            Value::Seq(items) => specs.extend(items),
            _ => specs.push(doc),
        }
    }
    specs
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
    let valid = &bytes[..e.valid_up_to()];
    let line = valid.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&valid[line_start..])
        .chars()
        .count() as u32
        + 1;
    ReadError {
        message: "the file is not valid UTF-8 text".into(),
        pos: Pos { line, column },
    }
}
