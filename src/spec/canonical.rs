//! The canonical form of a spec: the one JSON document team policies (JSON Schemas,
//! `[[policy]]`) are evaluated against, whatever syntax and spelling the file uses.
//!
//! Built from a normalized tree (`spec::normalize` has set every known key's protobuf
//! name), walking the field table (`spec::fields`) alongside:
//! - keys are the protobuf (snake_case) field names: `parallelismSpec` and
//!   `parallelism_spec` both become `parallelism_spec`; keys of map fields
//!   (`transform.env`, `metadata.labels`) and unknown keys stay as written;
//! - integer fields are JSON numbers, also when written as decimal strings (`"8"`), and
//!   float fields given as numeric strings are numbers;
//! - enum fields are their value names, also when written as numbers (`1` → `EXISTS`);
//! - durations and timestamps are the strings written (`"300s"`);
//! - a known field set to `null` is left out: protobuf reads it as unset, so a policy's
//!   `required` sees it missing;
//! - everything else (strings, booleans, unknown keys' values) is as written.
//!
//! `locate` maps a JSON pointer into the canonical form back to the tree, and so to the
//! file: the pointer in the file's own key spelling and the spans of the key and value.
//! It applies the same rules as `to_json`, so each canonical pointer has one place.

use serde_json::{Map, Number, Value as Json};

use crate::spec::fields::{CREATE_PIPELINE_REQUEST, Field, Kind, Message};
use crate::spec::{Entry, Node, Pointer, Span, Value};

/// What a value's type is known to be from the field table.
#[derive(Clone, Copy)]
enum Known {
    /// A field of this kind (each element, for a repeated field once inside the list).
    Kind(&'static Kind),
    /// A repeated field: a list of this kind.
    List(&'static Kind),
    /// Not a field pachhook knows: converted as written.
    Unknown,
}

/// The canonical JSON of a normalized spec.
pub fn to_json(spec: &Node) -> Json {
    value(spec, Known::Kind(&ROOT))
}

/// The spec as a message of `pps.CreatePipelineRequest`.
static ROOT: Kind = Kind::Message(&CREATE_PIPELINE_REQUEST);

/// Where a canonical pointer is in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// The same place as a JSON pointer in the file's own key spelling.
    pub pointer: Pointer,
    /// The value's span.
    pub span: Span,
    /// The span of the key naming the value, when it is a mapping entry.
    pub key_span: Option<Span>,
}

/// The place in `spec` of the canonical JSON pointer `pointer` (RFC 6901).
pub fn locate(spec: &Node, pointer: &str) -> Option<Located> {
    let mut here = Located {
        pointer: Pointer::root(),
        span: spec.span,
        key_span: None,
    };
    let mut node = spec;
    let mut known = Known::Kind(&ROOT);
    if pointer.is_empty() {
        return Some(here);
    }
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        match (&node.value, known) {
            (Value::Map(entries), _) => {
                let message = message_of(known);
                let (entry, field) = entries
                    .iter()
                    .filter(|e| included(e, message))
                    .map(|e| (e, message.and_then(|m| field_of(m, e))))
                    .find(|(e, _)| e.name() == token)?;
                here.pointer = here.pointer.key(&entry.written);
                here.key_span = Some(entry.key_span);
                known = child(known, field);
                node = &entry.value;
            }
            (Value::Seq(items), _) => {
                let i: usize = token.parse().ok()?;
                node = items.get(i)?;
                here.pointer = here.pointer.index(i);
                here.key_span = None;
                known = match known {
                    Known::List(kind) => Known::Kind(kind),
                    _ => Known::Unknown,
                };
            }
            _ => return None,
        }
        here.span = node.span;
    }
    Some(here)
}

fn value(node: &Node, known: Known) -> Json {
    match (&node.value, known) {
        (Value::Seq(items), Known::List(kind)) => Json::Array(
            items
                .iter()
                .map(|item| value(item, Known::Kind(kind)))
                .collect(),
        ),
        (Value::Map(entries), _) => {
            let message = message_of(known);
            let mut map = Map::with_capacity(entries.len());
            for entry in entries.iter().filter(|e| included(e, message)) {
                let field = message.and_then(|m| field_of(m, entry));
                map.insert(
                    entry.name().to_string(),
                    value(&entry.value, child(known, field)),
                );
            }
            Json::Object(map)
        }
        (_, Known::Kind(kind)) => scalar(node, kind).unwrap_or_else(|| as_written(node)),
        _ => as_written(node),
    }
}

/// A scalar of a known kind, when the table says how protobuf reads it.
fn scalar(node: &Node, kind: &Kind) -> Option<Json> {
    match (kind, &node.value) {
        (Kind::Int(_) | Kind::Int64Value, Value::Number { text, .. } | Value::String(text)) => {
            integer(text)
        }
        (Kind::Float, Value::String(text)) if crate::spec::protojson::json_number(text) => {
            number(text)
        }
        (Kind::Enum(e), Value::Number { text, .. }) => {
            let name = e.values.get(text.parse::<usize>().ok()?)?;
            Some(Json::String((*name).to_string()))
        }
        _ => None,
    }
}

/// A whole number as a JSON integer: `8`, `"8"`, `8.0` and `8e0` are all `8`.
fn integer(text: &str) -> Option<Json> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Json::Number(i.into()));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(Json::Number(u.into()));
    }
    let f: f64 = text.parse().ok()?;
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation, reason = "a whole number below 2^53")]
        let n = f as i64;
        return Some(Json::Number(n.into()));
    }
    None
}

fn number(text: &str) -> Option<Json> {
    integer(text).or_else(|| Number::from_f64(text.parse().ok()?).map(Json::Number))
}

fn as_written(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number { text, .. } => number(text).unwrap_or_else(|| Json::String(text.clone())),
        Value::String(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(|i| value(i, Known::Unknown)).collect()),
        Value::Map(_) => value(node, Known::Unknown),
    }
}

/// The message a mapping is, when known.
fn message_of(known: Known) -> Option<&'static Message> {
    match known {
        Known::Kind(Kind::Message(m)) => Some(m),
        _ => None,
    }
}

fn field_of(message: &'static Message, entry: &Entry) -> Option<&'static Field> {
    message.field(entry.name())
}

/// Whether an entry is part of the canonical form: a known field set to null is unset.
fn included(entry: &Entry, message: Option<&'static Message>) -> bool {
    !(entry.value.is_null() && message.is_some_and(|m| field_of(m, entry).is_some()))
}

/// What the value of an entry is: a field of a message, a value of a map field, or
/// unknown.
fn child(parent: Known, field: Option<&'static Field>) -> Known {
    match (parent, field) {
        (_, Some(f)) if f.repeated => Known::List(&f.kind),
        (_, Some(f)) => Known::Kind(&f.kind),
        _ => Known::Unknown,
    }
}

#[cfg(test)]
mod tests;
