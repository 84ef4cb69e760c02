//! The schema rules: `unknown-field`, `removed-field`, `unavailable-field`,
//! `invalid-value`, `missing-field`, and the `parse-error` of a field given in both its
//! spellings.
//!
//! `spec::normalize` finds these while it renames a spec's keys, and hands them over as
//! data (`Issue`); this module words each one as a finding: what is wrong, and what to do
//! about it, with did-you-mean suggestions spelled the way the spec spells its keys.

use super::{Findings, Rule};
use crate::release::Release;
use crate::spec::Node;
use crate::spec::fields::{Field, Kind, Message, Removed};
use crate::spec::normalize::{self, Found, Invalid, IssueKind, Missing};
use crate::spec::protojson::{self, IntError};
use crate::spec::suggest::{Style, closest, in_child, spell};

/// Normalizes `spec` for `release` and reports what pachctl would refuse in it.
pub fn check(spec: &mut Node, release: Release, out: &mut Findings) {
    for issue in normalize::normalize(spec, release) {
        let (rule, message, help) = word(issue.kind);
        out.push(rule, &issue.pointer, issue.span, message, help);
    }
}

/// The rule, message and help of one issue.
fn word(kind: IssueKind) -> (Rule, String, String) {
    match kind {
        IssueKind::NotAMapping { found } => (
            Rule::InvalidValue,
            format!("a pipeline spec must be a mapping, found {found}"),
            "write the spec as a mapping: {\"pipeline\": {\"name\": \"...\"}, \"transform\": {...}, ...}".into(),
        ),
        IssueKind::SetTwice {
            written,
            proto,
            first,
        } => (
            Rule::ParseError,
            format!("`{written}` sets `{proto}` a second time (first as `{first}`)"),
            "keep one of the two spellings: pachctl refuses a field given twice".into(),
        ),
        IssueKind::Stray {
            written,
            message,
            removed: Some(removed),
            style,
            ..
        } => (
            Rule::RemovedField,
            removed_message(&written, removed, message, style),
            removed.help.into(),
        ),
        IssueKind::Stray {
            written,
            owner,
            message,
            removed: None,
            style,
        } => (
            Rule::UnknownField,
            format!("`{written}` is not a field of {owner}"),
            unknown_help(message, &written, style),
        ),
        IssueKind::Unavailable {
            name,
            field,
            release,
        } => {
            let (message, help) = unavailable(&name, field, release);
            (Rule::UnavailableField, message, help)
        }
        IssueKind::Invalid { name, problem } => {
            let (what, help) = invalid(problem);
            (Rule::InvalidValue, format!("`{name}` {what}"), help)
        }
        IssueKind::Missing(missing) => {
            let (message, help) = missing_message(missing);
            (Rule::MissingField, message.into(), help.into())
        }
    }
}

fn removed_message(
    written: &str,
    removed: &Removed,
    message: &'static Message,
    style: Style,
) -> String {
    match removed.replacement {
        Some(new) => format!(
            "`{written}` is a Pachyderm 1.x field that 2.x rejects; 2.x uses `{}`",
            spell(message.field(new), new, style)
        ),
        None => format!("`{written}` is a Pachyderm 1.x field that 2.x rejects"),
    }
}

/// A field the target release does not have: whether a newer one does, or only one did.
fn unavailable(name: &str, field: &Field, release: Release) -> (String, String) {
    match field.until {
        Some(until) if until == field.since => (
            format!(
                "`{name}` exists only in Pachyderm {until}; this check targets {release} ([pachyderm] version / --pachyderm)"
            ),
            format!("remove it: Pachyderm releases other than {until} reject it"),
        ),
        _ => (
            format!(
                "`{name}` needs Pachyderm {}; this check targets {release} ([pachyderm] version / --pachyderm)",
                field.since
            ),
            format!(
                "remove it, or if your cluster runs Pachyderm {} or newer, set [pachyderm] version in pachhook.toml (or pass --pachyderm)",
                field.since
            ),
        ),
    }
}

fn missing_message(missing: Missing) -> (&'static str, &'static str) {
    match missing {
        Missing::Pipeline => (
            "the spec has no `pipeline`",
            "add \"pipeline\": {\"name\": \"<pipeline name>\"}: pachctl refuses a spec without it",
        ),
        Missing::NullPipeline => (
            "`pipeline` is null",
            "set \"pipeline\": {\"name\": \"<pipeline name>\"}: pachctl refuses a spec without it",
        ),
        Missing::Name => (
            "`pipeline` has no `name`",
            "add \"name\": \"<pipeline name>\" to `pipeline`: pachctl refuses a spec without it",
        ),
    }
}

/// Did you mean a field of this mapping, or of one inside it? Else the fields there are.
fn unknown_help(message: &'static Message, written: &str, style: Style) -> String {
    if let Some(field) = closest(message, written) {
        format!("did you mean `{}`?", spell(Some(field), field.proto, style))
    } else if let Some((parent, field)) = in_child(message, written) {
        format!(
            "`{}` is a field of `{}`: move it there",
            spell(Some(field), field.proto, style),
            spell(Some(parent), parent.proto, style)
        )
    } else if message.fields.len() <= 8 {
        let names: Vec<&str> = message
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
    }
}

/// What is wrong with a value (after its dotted name), and what to do.
fn invalid(problem: Invalid) -> (String, String) {
    match problem {
        Invalid::NotAList { kind, found } => (
            format!(
                "must be a list of {}, found {}",
                plural(kind),
                quoted(&found)
            ),
            "write a list: [ ... ], one element per item".into(),
        ),
        Invalid::NullInList { kind } => (
            format!("must be {}, found null", expected(kind)),
            "remove the null from the list: pachctl refuses null list elements".into(),
        ),
        Invalid::FloatOutOfRange { text } => (
            format!("is out of range for a 32-bit float, found {text}"),
            "write a smaller number".into(),
        ),
        Invalid::Integer { int, error, found } => {
            let found = match found {
                Found::Number(text) => text,
                Found::String(s) => format!("\"{s}\""),
                other => other.kind().to_string(),
            };
            match error {
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
            }
        }
        Invalid::NotAString { found } => {
            let help = match &found {
                Found::Number(text) => format!("quote it: \"{text}\""),
                Found::Bool(b) => format!("quote it: \"{b}\""),
                Found::Other("null") => "give it a string value, or remove the key".to_string(),
                _ => "write a single string".to_string(),
            };
            (format!("must be a string, found {}", quoted(&found)), help)
        }
        Invalid::WrongType { kind, found } => (
            format!("must be {}, found {}", expected(kind), quoted(&found)),
            help_for(kind, &found),
        ),
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

/// What was found, quoting short scalars: `"1m"`, `60`, `true`; else its kind.
fn quoted(found: &Found) -> String {
    match found {
        Found::String(s) if s.chars().count() <= 40 => format!("\"{s}\""),
        Found::Number(text) if text.len() <= 40 => text.clone(),
        Found::Bool(b) => b.to_string(),
        other => other.kind().to_string(),
    }
}

/// What to do about a value of the wrong type.
fn help_for(kind: &Kind, found: &Found) -> String {
    match (kind, found) {
        (Kind::String, Found::Number(text)) => format!("quote it: \"{text}\""),
        (Kind::String, Found::Bool(b)) => format!("quote it: \"{b}\""),
        (Kind::String, _) => "write a single string".into(),
        (Kind::Bool, Found::String(s)) if s.eq_ignore_ascii_case("true") => {
            "write true, without quotes".into()
        }
        (Kind::Bool, Found::String(s)) if s.eq_ignore_ascii_case("false") => {
            "write false, without quotes".into()
        }
        (Kind::Bool, _) => "write true or false".into(),
        (Kind::Float, _) => "write a number, such as 0.5 or 2".into(),
        (Kind::Enum(e), Found::String(s)) => {
            match e.values.iter().find(|v| v.eq_ignore_ascii_case(s)) {
                Some(v) => format!("write `{v}`: enum names are case-sensitive"),
                None => format!("use one of {}", e.values.join(", ")),
            }
        }
        (Kind::Enum(e), _) => format!("use one of {}", e.values.join(", ")),
        (Kind::Duration, Found::String(s)) => match protojson::duration_hint(s) {
            Some(seconds) => {
                format!("write \"{seconds}\": durations are seconds with an `s` suffix")
            }
            None => "write seconds with an `s` suffix, such as \"60s\" or \"1.5s\"".into(),
        },
        (Kind::Duration, Found::Number(text)) => {
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
