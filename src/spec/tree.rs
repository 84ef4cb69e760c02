//! The value tree every check walks: JSON-like values that remember where they were
//! written.
//!
//! Both readers (JSON and YAML) produce this tree, so no check ever needs to know which
//! syntax a spec was written in. Keys keep the user's own spelling (`written`) for
//! reporting, and a canonical protobuf name (`name`) that normalization fills in, so the
//! rules can look fields up by one name while findings still point at what the user typed.

pub use crate::source::{Pos, Span};

/// A value with the span of its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number as written. `integer` is true for integer literals (a JSON number with no
    /// fraction or exponent, or a YAML `!!int`), so integer fields can reject `1.5`.
    Number {
        text: String,
        integer: bool,
    },
    String(String),
    Seq(Vec<Node>),
    /// Entries in source order, one per key: a repeated key keeps the place of its first
    /// occurrence and the value of its last (what pachctl 2.8+ reads), and records the
    /// earlier occurrences in `Entry::shadowed` for the rules to judge by release.
    Map(Vec<Entry>),
}

impl Value {
    /// A short name for the kind of value, for messages ("expected a string, found a
    /// mapping").
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number { .. } => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// One key of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key as the user wrote it: used in pointers and messages.
    pub written: String,
    /// The canonical (protobuf) field name, set by normalization from the field table.
    /// Unset before normalization, for unknown keys and for keys of map fields such as
    /// `transform.env`, whose name is what was written. A static string: normalizing a
    /// spec allocates nothing per key.
    canonical: Option<&'static str>,
    pub key_span: Span,
    pub value: Node,
    /// Where the same key was written earlier in this mapping, in source order: the
    /// readers keep the last value, as pachctl 2.8+ does, and leave the decision
    /// (a warning, or a parse error before 2.8) to `check::duplicate_key`. Empty for
    /// nearly every entry, so it costs no allocation.
    pub shadowed: Vec<Span>,
}

impl Entry {
    pub fn new(written: String, key_span: Span, value: Node) -> Entry {
        Entry {
            written,
            canonical: None,
            key_span,
            value,
            shadowed: Vec::new(),
        }
    }

    /// A later occurrence of this entry's key: its value replaces this one's, as pachctl
    /// 2.8+ keeps the last, and the earlier key is remembered.
    pub(crate) fn repeat(&mut self, key_span: Span, value: Node) {
        self.shadowed.push(self.key_span);
        self.key_span = key_span;
        self.value = value;
    }

    /// The canonical name once normalized, else the key as written.
    pub fn name(&self) -> &str {
        self.canonical.unwrap_or(&self.written)
    }

    /// Records the canonical name of the field this key spells.
    pub fn set_name(&mut self, canonical: &'static str) {
        self.canonical = (canonical != self.written).then_some(canonical);
    }
}

impl Node {
    pub fn new(value: Value, span: Span) -> Node {
        Node { value, span }
    }

    /// The entry with this canonical name, when this node is a mapping.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.name() == name),
            _ => None,
        }
    }

    /// The value of the entry with this canonical name, ignoring explicit nulls, which
    /// protobuf JSON reads as "unset".
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.entry(name).map(|e| &e.value).filter(|v| !v.is_null())
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer written as a number or as a decimal string, as protobuf JSON accepts.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Number { text, .. } | Value::String(text) => text.parse().ok(),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A short name for the kind of value, for messages ("expected a string, found a
    /// mapping").
    pub fn kind(&self) -> &'static str {
        self.value.kind()
    }

    /// Converts to a `serde_json::Value`, using canonical key names; used to render a spec
    /// for `pachctl` and by tests that compare against other validators.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number { text, .. } => {
                serde_json::from_str(text).unwrap_or(J::String(text.clone()))
            }
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.name().to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Builds RFC 6901 JSON pointers in the user's own key spelling while a check descends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pointer(String);

impl Pointer {
    pub fn root() -> Pointer {
        Pointer(String::new())
    }

    pub fn key(&self, written: &str) -> Pointer {
        let mut s = String::with_capacity(self.0.len() + written.len() + 1);
        s.push_str(&self.0);
        s.push('/');
        for c in written.chars() {
            match c {
                '~' => s.push_str("~0"),
                '/' => s.push_str("~1"),
                c => s.push(c),
            }
        }
        Pointer(s)
    }

    pub fn index(&self, i: usize) -> Pointer {
        Pointer(format!("{}/{}", self.0, i))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_tilde_and_slash() {
        let p = Pointer::root().key("transform").key("a/b~c").index(2);
        assert_eq!(p.as_str(), "/transform/a~1b~0c/2");
    }
}
