//! Walks a spec against the field table (`spec::fields`) and renames its keys to their
//! canonical protobuf names, as pachctl's protobuf-JSON decoding sees them.
//!
//! One walk per spec does both: it drops `$schema` keys, accepts either spelling of every
//! field and sets `Entry.name` to the protobuf name, and notes what pachctl would refuse
//! (unknown, removed (1.x) and not-yet-available fields, values of the wrong type, a
//! missing `pipeline.name`) as `Issue`s: data, which `check::schema` words as findings.
//! Values are never changed: deploy renders the spec as the user wrote it.
//!
//! The walk is on the hot path of the pre-commit hook, so it allocates only for issues:
//! pointers are built from a chain of stack frames (`Path`) when an issue needs one.

use crate::release::Release;
use crate::spec::fields::{CREATE_PIPELINE_REQUEST, Field, Int, Kind, Message, Removed};
use crate::spec::protojson::{self, IntError};
use crate::spec::suggest::{Style, key_style};
use crate::spec::{Entry, Node, Pointer, Span, Value};

/// Something in a spec that pachctl would refuse, found by the walk: where, and what.
#[derive(Debug)]
pub struct Issue {
    /// In the file's own key spelling.
    pub pointer: Pointer,
    pub span: Span,
    pub kind: IssueKind,
}

#[derive(Debug)]
pub enum IssueKind {
    /// The spec is not a mapping.
    NotAMapping { found: &'static str },
    /// The key `written` sets the field `proto` a second time, first spelled `first`.
    SetTwice {
        written: String,
        proto: &'static str,
        first: String,
    },
    /// A key that is not a 2.x field of `message` (`owner`: "the spec" or "`transform`");
    /// `removed` when it is a 1.x field. `style` is how the user spells keys here.
    Stray {
        written: String,
        owner: String,
        message: &'static Message,
        removed: Option<&'static Removed>,
        style: Style,
    },
    /// The field at `name` (dotted path) does not exist in the target `release`.
    Unavailable {
        name: String,
        field: &'static Field,
        release: Release,
    },
    /// The value at `name` (dotted path) is not one the field takes.
    Invalid { name: String, problem: Invalid },
    /// pachctl refuses a spec without `pipeline` or `pipeline.name` before sending it.
    Missing(Missing),
}

/// How a value is not one its field takes.
#[derive(Debug)]
pub enum Invalid {
    /// A repeated field given something else than a list.
    NotAList { kind: &'static Kind, found: Found },
    /// A null element in a list.
    NullInList { kind: &'static Kind },
    /// A number too large for a 32-bit float.
    FloatOutOfRange { text: String },
    /// Not an integer of the field's type, or out of its range.
    Integer {
        int: Int,
        error: IntError,
        found: Found,
    },
    /// A value of a `map<string, string>` that is not a string.
    NotAString { found: Found },
    /// A value of another type than `kind`.
    WrongType { kind: &'static Kind, found: Found },
}

/// Which part of `pipeline.name` a spec lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    Pipeline,
    NullPipeline,
    Name,
}

/// A value found where another was expected: scalars as written, the kind of the rest.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    String(String),
    Number(String),
    Bool(bool),
    Other(&'static str),
}

impl Found {
    fn of(node: &Node) -> Found {
        match &node.value {
            Value::String(s) => Found::String(s.clone()),
            Value::Number { text, .. } => Found::Number(text.clone()),
            Value::Bool(b) => Found::Bool(*b),
            other => Found::Other(other.kind()),
        }
    }

    /// The kind of value: "a string", "null", ...
    pub fn kind(&self) -> &'static str {
        match self {
            Found::String(_) => "a string",
            Found::Number(_) => "a number",
            Found::Bool(_) => "a boolean",
            Found::Other(kind) => kind,
        }
    }
}

/// Normalizes one spec (a `pps.CreatePipelineRequest`) for `release`, and returns what
/// pachctl would refuse in it, in the order of the walk (unknown keys last).
pub fn normalize(spec: &mut Node, release: Release) -> Vec<Issue> {
    let mut walk = Walk {
        release,
        issues: Vec::new(),
        snake: 0,
        camel: 0,
        strays: Vec::new(),
    };
    match &mut spec.value {
        Value::Map(entries) => {
            walk.message(entries, &CREATE_PIPELINE_REQUEST, &Path::Root);
            walk.required(spec);
        }
        other => walk.issue(
            Pointer::root(),
            spec.span,
            IssueKind::NotAMapping {
                found: other.kind(),
            },
        ),
    }
    walk.strays();
    walk.issues
}

/// Where the walk is, as a chain of stack frames: free to extend, turned into a
/// `Pointer` or a dotted name only when something is reported.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn pointer(&self) -> Pointer {
        match self {
            Path::Root => Pointer::root(),
            Path::Key(parent, key) => parent.pointer().key(key),
            Path::Index(parent, i) => parent.pointer().index(*i),
        }
    }

    /// `input.cross[1].pfs.glob`, for messages.
    fn dotted(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(Path::Root, key) => (*key).to_string(),
            Path::Key(parent, key) => format!("{}.{key}", parent.dotted()),
            Path::Index(parent, i) => format!("{}[{i}]", parent.dotted()),
        }
    }

    /// What a message calls the mapping at this path: "the spec" or "`transform`".
    fn owner(&self) -> String {
        match self {
            Path::Root => "the spec".to_string(),
            _ => format!("`{}`", self.dotted()),
        }
    }
}

/// A key that is not a 2.x field. Noted after the walk, when the spec's own key style
/// (snake_case or camelCase) is known, so suggestions can be spelled the user's way.
struct Stray {
    pointer: Pointer,
    owner: String,
    span: Span,
    written: String,
    message: &'static Message,
    removed: Option<&'static Removed>,
}

struct Walk {
    release: Release,
    issues: Vec<Issue>,
    /// Known multi-word fields written in protobuf (snake) and JSON (camel) spelling.
    snake: u32,
    camel: u32,
    strays: Vec<Stray>,
}

impl Walk {
    fn issue(&mut self, pointer: Pointer, span: Span, kind: IssueKind) {
        self.issues.push(Issue {
            pointer,
            span,
            kind,
        });
    }

    fn message(&mut self, entries: &mut Vec<Entry>, message: &'static Message, path: &Path) {
        drop_schema_keys(entries);
        for i in 0..entries.len() {
            let (before, rest) = entries.split_at_mut(i);
            let Some(entry) = rest.first_mut() else {
                break;
            };
            let Some(field) = message.field(&entry.written) else {
                self.strays.push(Stray {
                    pointer: Path::Key(path, &entry.written).pointer(),
                    owner: path.owner(),
                    span: entry.key_span,
                    written: entry.written.clone(),
                    message,
                    removed: message.removed(&entry.written),
                });
                continue;
            };
            if let Some(first) = before.iter().find(|e| e.name() == field.proto) {
                let kind = IssueKind::SetTwice {
                    written: entry.written.clone(),
                    proto: field.proto,
                    first: first.written.clone(),
                };
                self.issue(
                    Path::Key(path, &entry.written).pointer(),
                    entry.key_span,
                    kind,
                );
                continue;
            }
            entry.set_name(field.proto);
            let Entry {
                written,
                key_span,
                value,
                ..
            } = entry;
            let here = Path::Key(path, written);
            if field.proto != field.json {
                if *written == field.proto {
                    self.snake += 1;
                } else {
                    self.camel += 1;
                }
            }
            if field.available_in(self.release) {
                self.field(value, field, &here);
            } else {
                self.unavailable(field, &here, *key_span);
                // Check what is inside as the newest release would, so that one field
                // too new for the target is one finding, not one per nested field.
                let target = std::mem::replace(&mut self.release, Release::NEWEST);
                self.field(value, field, &here);
                self.release = target;
            }
        }
    }

    fn unavailable(&mut self, field: &'static Field, path: &Path, span: Span) {
        let kind = IssueKind::Unavailable {
            name: path.dotted(),
            field,
            release: self.release,
        };
        self.issue(path.pointer(), span, kind);
    }

    /// A field's value: a list of `kind` for a repeated field, else one `kind`.
    fn field(&mut self, node: &mut Node, field: &'static Field, path: &Path) {
        if node.is_null() {
            return;
        }
        if !field.repeated {
            return self.single(node, &field.kind, path);
        }
        let Value::Seq(items) = &mut node.value else {
            let found = Found::of(node);
            let kind = &field.kind;
            return self.invalid(path, node.span, Invalid::NotAList { kind, found });
        };
        for (i, item) in items.iter_mut().enumerate() {
            let here = Path::Index(path, i);
            if item.is_null() {
                let kind = &field.kind;
                self.invalid(&here, item.span, Invalid::NullInList { kind });
            } else {
                self.single(item, &field.kind, &here);
            }
        }
    }

    /// One value of type `kind` (not null).
    fn single(&mut self, node: &mut Node, kind: &'static Kind, path: &Path) {
        let span = node.span;
        match (kind, &mut node.value) {
            (Kind::Message(message), Value::Map(entries)) => self.message(entries, message, path),
            (Kind::StringMap, Value::Map(entries)) => self.string_map(entries, path),
            (Kind::String, Value::String(_)) | (Kind::Bool, Value::Bool(_)) => {}
            (Kind::Int(int), _) => self.integer(node, *int, path),
            (Kind::Int64Value, _) => self.integer(node, Int::I64, path),
            (Kind::Float, Value::Number { text, .. }) if !protojson::fits_f32(text) => {
                let text = text.clone();
                self.invalid(path, span, Invalid::FloatOutOfRange { text });
            }
            (Kind::Float, Value::Number { .. }) => {}
            (Kind::Float, Value::String(s)) if protojson::float_string(s) => {}
            (Kind::Enum(e), Value::String(s)) if e.values.contains(&s.as_str()) => {}
            (Kind::Enum(_), Value::Number { text, .. })
                if protojson::integer(text, Int::I32).is_ok() => {}
            (Kind::Duration, Value::String(s)) if protojson::duration(s) => {}
            (Kind::Timestamp, Value::String(s)) if protojson::timestamp(s) => {}
            _ => {
                let found = Found::of(node);
                self.invalid(path, span, Invalid::WrongType { kind, found });
            }
        }
    }

    fn integer(&mut self, node: &Node, int: Int, path: &Path) {
        let result = match &node.value {
            Value::Number { text, .. } | Value::String(text) => protojson::integer(text, int),
            _ => Err(IntError::NotInteger),
        };
        if let Err(error) = result {
            let found = Found::of(node);
            self.invalid(path, node.span, Invalid::Integer { int, error, found });
        }
    }

    /// A `map<string, string>`: keys are the user's, values must be strings.
    fn string_map(&mut self, entries: &mut Vec<Entry>, path: &Path) {
        drop_schema_keys(entries);
        for entry in entries.iter() {
            if let Value::String(_) = entry.value.value {
                continue;
            }
            let here = Path::Key(path, &entry.written);
            let found = Found::of(&entry.value);
            self.invalid(&here, entry.value.span, Invalid::NotAString { found });
        }
    }

    fn invalid(&mut self, path: &Path, span: Span, problem: Invalid) {
        let name = path.dotted();
        self.issue(path.pointer(), span, IssueKind::Invalid { name, problem });
    }

    /// pachctl refuses a spec without `pipeline` or `pipeline.name` before sending it.
    fn required(&mut self, spec: &Node) {
        let Some(pipeline) = spec.entry("pipeline") else {
            let span = Span::point(spec.span.start);
            return self.issue(Pointer::root(), span, IssueKind::Missing(Missing::Pipeline));
        };
        let missing = match &pipeline.value.value {
            Value::Null => Missing::NullPipeline,
            Value::Map(_) if pipeline.value.get("name").is_none() => Missing::Name,
            // Any other value is already invalid.
            _ => return,
        };
        let pointer = Pointer::root().key(&pipeline.written);
        self.issue(pointer, pipeline.key_span, IssueKind::Missing(missing));
    }

    /// Notes the unknown and 1.x keys, with the key style suggestions should use: the
    /// key's own, else the spec's.
    fn strays(&mut self) {
        let spec_style = if self.camel > self.snake {
            Style::Camel
        } else {
            Style::Snake
        };
        for stray in std::mem::take(&mut self.strays) {
            let style = key_style(&stray.written).unwrap_or(spec_style);
            let kind = IssueKind::Stray {
                written: stray.written,
                owner: stray.owner,
                message: stray.message,
                removed: stray.removed,
                style,
            };
            self.issue(stray.pointer, stray.span, kind);
        }
    }
}

/// pachctl drops `$schema` keys (editors add them) before decoding.
fn drop_schema_keys(entries: &mut Vec<Entry>) {
    if entries.iter().any(|e| e.written == "$schema") {
        entries.retain(|e| e.written != "$schema");
    }
}
