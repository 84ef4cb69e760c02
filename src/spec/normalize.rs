//! Checks a spec against the field table (`spec::fields`) and renames its keys to their
//! canonical protobuf names, as pachctl's protobuf-JSON decoding sees them.
//!
//! One walk per spec does both: it drops `$schema` keys, accepts either spelling of every
//! field and sets `Entry.name` to the protobuf name, and reports unknown, removed (1.x) and
//! not-yet-available fields, values of the wrong type, and a missing `pipeline.name`.
//! Values are never changed: deploy renders the spec as the user wrote it.
//!
//! The walk is on the hot path of the pre-commit hook, so it allocates only to report:
//! pointers are built from a chain of stack frames (`Path`) when a finding needs one.

use crate::check::{Findings, Rule};
use crate::release::Release;
use crate::spec::fields::{CREATE_PIPELINE_REQUEST, Field, Int, Kind, Message, Removed};
use crate::spec::protojson::{self, IntError};
use crate::spec::suggest::{Style, closest, in_child, key_style, spell};
use crate::spec::{Entry, Node, Pointer, Span, Value};

/// Checks and normalizes one spec (a `pps.CreatePipelineRequest`) for `release`.
pub fn normalize(spec: &mut Node, release: Release, out: &mut Findings) {
    let mut walk = Walk {
        release,
        out,
        snake: 0,
        camel: 0,
        strays: Vec::new(),
    };
    match &mut spec.value {
        Value::Map(entries) => {
            walk.message(entries, &CREATE_PIPELINE_REQUEST, &Path::Root);
            walk.required(spec);
        }
        _ => walk.out.push(
            Rule::InvalidValue,
            &Pointer::root(),
            spec.span,
            format!("a pipeline spec must be a mapping, found {}", spec.kind()),
            "write the spec as a mapping: {\"pipeline\": {\"name\": \"...\"}, \"transform\": {...}, ...}",
        ),
    }
    walk.report_strays();
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

/// A key that is not a 2.x field. Reported after the walk, when the spec's own key style
/// (snake_case or camelCase) is known, so suggestions are spelled the user's way.
struct Stray {
    pointer: Pointer,
    owner: String,
    span: Span,
    written: String,
    message: &'static Message,
    removed: Option<&'static Removed>,
}

struct Walk<'o> {
    release: Release,
    out: &'o mut Findings,
    /// Known multi-word fields written in protobuf (snake) and JSON (camel) spelling.
    snake: u32,
    camel: u32,
    strays: Vec<Stray>,
}

impl Walk<'_> {
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
                self.out.push(
                    Rule::ParseError,
                    &Path::Key(path, &entry.written).pointer(),
                    entry.key_span,
                    format!(
                        "`{}` sets `{}` a second time (first as `{}`)",
                        entry.written, field.proto, first.written
                    ),
                    "keep one of the two spellings: pachctl refuses a field given twice",
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

    fn unavailable(&mut self, field: &Field, path: &Path, span: Span) {
        let name = path.dotted();
        let (message, help) = match field.until {
            Some(until) if until == field.since => (
                format!(
                    "`{name}` exists only in Pachyderm {until}; this check targets {} ([pachyderm] version / --pachyderm)",
                    self.release
                ),
                format!("remove it: Pachyderm releases other than {until} reject it"),
            ),
            _ => (
                format!(
                    "`{name}` needs Pachyderm {}; this check targets {} ([pachyderm] version / --pachyderm)",
                    field.since, self.release
                ),
                format!(
                    "remove it, or if your cluster runs Pachyderm {} or newer, set [pachyderm] version in pachhook.toml (or pass --pachyderm)",
                    field.since
                ),
            ),
        };
        self.out
            .push(Rule::UnavailableField, &path.pointer(), span, message, help);
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
            let found = found(node);
            return self.invalid(
                path,
                node.span,
                format!("must be a list of {}, found {found}", plural(&field.kind)),
                "write a list: [ ... ], one element per item",
            );
        };
        for (i, item) in items.iter_mut().enumerate() {
            let here = Path::Index(path, i);
            if item.is_null() {
                self.invalid(
                    &here,
                    item.span,
                    format!("must be {}, found null", expected(&field.kind)),
                    "remove the null from the list: pachctl refuses null list elements",
                );
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
            (Kind::Int(int), value) => self.integer(value, *int, path, span),
            (Kind::Int64Value, value) => self.integer(value, Int::I64, path, span),
            (Kind::Float, Value::Number { text, .. }) if !protojson::fits_f32(text) => {
                let message = format!("is out of range for a 32-bit float, found {text}");
                self.invalid(path, span, message, "write a smaller number");
            }
            (Kind::Float, Value::Number { .. }) => {}
            (Kind::Float, Value::String(s)) if protojson::float_string(s) => {}
            (Kind::Enum(e), Value::String(s)) if e.values.contains(&s.as_str()) => {}
            (Kind::Enum(_), Value::Number { text, .. })
                if protojson::integer(text, Int::I32).is_ok() => {}
            (Kind::Duration, Value::String(s)) if protojson::duration(s) => {}
            (Kind::Timestamp, Value::String(s)) if protojson::timestamp(s) => {}
            _ => {
                let help = help_for(kind, node);
                let message = format!("must be {}, found {}", expected(kind), found(node));
                self.invalid(path, span, message, help);
            }
        }
    }

    fn integer(&mut self, value: &Value, int: Int, path: &Path, span: Span) {
        let result = match value {
            Value::Number { text, .. } | Value::String(text) => protojson::integer(text, int),
            _ => Err(IntError::NotInteger),
        };
        let Err(error) = result else {
            return;
        };
        let found = match value {
            Value::Number { text, .. } => text.clone(),
            Value::String(s) => format!("\"{s}\""),
            other => other.kind().to_string(),
        };
        let (message, help) = match error {
            IntError::OutOfRange => {
                let (min, max) = int.range();
                (
                    format!("is out of range for {}, found {found}", int.name()),
                    format!("write a whole number from {min} to {max}"),
                )
            }
            IntError::NotInteger => (
                format!("must be an integer ({}), found {found}", int.name()),
                "write a whole number, such as 2 or \"2\"".to_string(),
            ),
        };
        self.invalid(path, span, message, help);
    }

    /// A `map<string, string>`: keys are the user's, values must be strings.
    fn string_map(&mut self, entries: &mut Vec<Entry>, path: &Path) {
        drop_schema_keys(entries);
        for entry in entries.iter() {
            if let Value::String(_) = entry.value.value {
                continue;
            }
            let here = Path::Key(path, &entry.written);
            let help = match &entry.value.value {
                Value::Number { text, .. } => format!("quote it: \"{text}\""),
                Value::Bool(b) => format!("quote it: \"{b}\""),
                Value::Null => "give it a string value, or remove the key".to_string(),
                _ => "write a single string".to_string(),
            };
            let message = format!("must be a string, found {}", found(&entry.value));
            self.invalid(&here, entry.value.span, message, help);
        }
    }

    fn invalid(&mut self, path: &Path, span: Span, what: String, help: impl Into<String>) {
        let message = format!("`{}` {what}", path.dotted());
        self.out
            .push(Rule::InvalidValue, &path.pointer(), span, message, help);
    }

    /// pachctl refuses a spec without `pipeline` or `pipeline.name` before sending it.
    fn required(&mut self, spec: &Node) {
        let Some(pipeline) = spec.entry("pipeline") else {
            self.out.push(
                Rule::MissingField,
                &Pointer::root(),
                Span::point(spec.span.start),
                "the spec has no `pipeline`",
                "add \"pipeline\": {\"name\": \"<pipeline name>\"}: pachctl refuses a spec without it",
            );
            return;
        };
        let pointer = Pointer::root().key(&pipeline.written);
        match &pipeline.value.value {
            Value::Null => self.out.push(
                Rule::MissingField,
                &pointer,
                pipeline.key_span,
                "`pipeline` is null",
                "set \"pipeline\": {\"name\": \"<pipeline name>\"}: pachctl refuses a spec without it",
            ),
            Value::Map(_) if pipeline.value.get("name").is_none() => self.out.push(
                Rule::MissingField,
                &pointer,
                pipeline.key_span,
                "`pipeline` has no `name`",
                "add \"name\": \"<pipeline name>\" to `pipeline`: pachctl refuses a spec without it",
            ),
            // Any other value is already an `invalid-value`.
            _ => {}
        }
    }

    /// Reports the unknown and 1.x keys, with suggestions in the user's key style.
    fn report_strays(&mut self) {
        let spec_style = if self.camel > self.snake {
            Style::Camel
        } else {
            Style::Snake
        };
        for stray in std::mem::take(&mut self.strays) {
            let style = key_style(&stray.written).unwrap_or(spec_style);
            let written = &stray.written;
            let owner = &stray.owner;
            if let Some(removed) = stray.removed {
                let message = match removed.replacement {
                    Some(new) => format!(
                        "`{written}` is a Pachyderm 1.x field that 2.x rejects; 2.x uses `{}`",
                        spell(stray.message.field(new), new, style)
                    ),
                    None => format!("`{written}` is a Pachyderm 1.x field that 2.x rejects"),
                };
                self.out.push(
                    Rule::RemovedField,
                    &stray.pointer,
                    stray.span,
                    message,
                    removed.help,
                );
                continue;
            }
            let message = format!("`{written}` is not a field of {owner}");
            let help = if let Some(field) = closest(stray.message, written) {
                format!("did you mean `{}`?", spell(Some(field), field.proto, style))
            } else if let Some((parent, field)) = in_child(stray.message, written) {
                format!(
                    "`{}` is a field of `{}`: move it there",
                    spell(Some(field), field.proto, style),
                    spell(Some(parent), parent.proto, style)
                )
            } else if stray.message.fields.len() <= 8 {
                let names: Vec<&str> = stray
                    .message
                    .fields
                    .iter()
                    .map(|f| spell(Some(f), f.proto, style))
                    .collect();
                format!(
                    "remove it or fix its spelling (pachctl refuses unknown fields); the fields here are: {}",
                    names.join(", ")
                )
            } else {
                "remove it or fix its spelling: pachctl refuses unknown fields".to_string()
            };
            self.out.push(
                Rule::UnknownField,
                &stray.pointer,
                stray.span,
                message,
                help,
            );
        }
    }
}

/// pachctl drops `$schema` keys (editors add them) before decoding.
fn drop_schema_keys(entries: &mut Vec<Entry>) {
    if entries.iter().any(|e| e.written == "$schema") {
        entries.retain(|e| e.written != "$schema");
    }
}

fn expected(kind: &Kind) -> String {
    match kind {
        Kind::String => "a string".into(),
        Kind::Bool => "true or false".into(),
        Kind::Int(int) => format!("an integer ({})", int.name()),
        Kind::Int64Value => "an integer (int64)".into(),
        Kind::Float => "a number".into(),
        Kind::Enum(e) => format!("one of {}", e.values.join(", ")),
        Kind::Duration => "a duration in seconds such as \"60s\"".into(),
        Kind::Timestamp => "an RFC 3339 timestamp such as \"2024-01-31T08:00:00Z\"".into(),
        Kind::StringMap => "a mapping of string values".into(),
        Kind::Message(_) => "a mapping".into(),
    }
}

fn plural(kind: &Kind) -> String {
    match kind {
        Kind::String => "strings".into(),
        Kind::Int(int) => format!("integers ({})", int.name()),
        Kind::Message(_) => "mappings".into(),
        other => expected(other),
    }
}

/// What was found, quoting short scalars: `a string ("1m")`, `a number (60)`.
fn found(node: &Node) -> String {
    match &node.value {
        Value::String(s) if s.chars().count() <= 40 => format!("\"{s}\""),
        Value::Number { text, .. } if text.len() <= 40 => text.clone(),
        Value::Bool(b) => b.to_string(),
        _ => node.kind().to_string(),
    }
}

/// What to do about a value of the wrong type.
fn help_for(kind: &Kind, node: &Node) -> String {
    let value = &node.value;
    match (kind, value) {
        (Kind::String, Value::Number { text, .. }) => format!("quote it: \"{text}\""),
        (Kind::String, Value::Bool(b)) => format!("quote it: \"{b}\""),
        (Kind::String, _) => "write a single string".into(),
        (Kind::Bool, Value::String(s)) if s.eq_ignore_ascii_case("true") => {
            "write true, without quotes".into()
        }
        (Kind::Bool, Value::String(s)) if s.eq_ignore_ascii_case("false") => {
            "write false, without quotes".into()
        }
        (Kind::Bool, _) => "write true or false".into(),
        (Kind::Float, _) => "write a number, such as 0.5 or 2".into(),
        (Kind::Enum(e), Value::String(s)) => {
            match e.values.iter().find(|v| v.eq_ignore_ascii_case(s)) {
                Some(v) => format!("write `{v}`: enum names are case-sensitive"),
                None => format!("use one of {}", e.values.join(", ")),
            }
        }
        (Kind::Enum(e), _) => format!("use one of {}", e.values.join(", ")),
        (Kind::Duration, Value::String(s)) => match protojson::duration_hint(s) {
            Some(seconds) => {
                format!("write \"{seconds}\": durations are seconds with an `s` suffix")
            }
            None => "write seconds with an `s` suffix, such as \"60s\" or \"1.5s\"".into(),
        },
        (Kind::Duration, Value::Number { text, .. }) => {
            format!("write \"{text}s\": durations are strings of seconds with an `s` suffix")
        }
        (Kind::Duration, _) => "write seconds with an `s` suffix, such as \"60s\"".into(),
        (Kind::Timestamp, _) => {
            "write an RFC 3339 time with a zone, such as \"2024-01-31T08:00:00Z\"".into()
        }
        (Kind::StringMap, _) => "write a mapping such as {\"KEY\": \"value\"}".into(),
        (Kind::Message(_), _) => "write a mapping of its fields: { ... }".into(),
        (Kind::Int(_) | Kind::Int64Value, _) => "write a whole number, such as 2 or \"2\"".into(),
    }
}

#[cfg(test)]
mod tests;
