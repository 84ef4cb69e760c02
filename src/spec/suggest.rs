//! Did-you-mean for unknown keys, spelled the way the user spells keys.
//!
//! Only runs when a key is already wrong, so it may allocate freely. The edit distance
//! is `strsim`'s Levenshtein (over characters), already in the build through clap.

use crate::spec::fields::{Field, Kind, Message};

/// How a spec spells its multi-word keys: protobuf `snake_case` or JSON `camelCase`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Style {
    Snake,
    Camel,
}

/// A key's own style, when it shows one.
pub fn key_style(key: &str) -> Option<Style> {
    if key.contains('_') {
        Some(Style::Snake)
    } else if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Style::Camel)
    } else {
        None
    }
}

pub fn spell(field: Option<&Field>, fallback: &'static str, style: Style) -> &'static str {
    match (field, style) {
        (Some(f), Style::Camel) => f.json,
        (Some(f), Style::Snake) => f.proto,
        (None, _) => fallback,
    }
}

/// The field of `message` closest to `key`, if one is close enough to be a typo:
/// compared without case, `_` and `-`, within an edit distance that grows with length.
pub fn closest(message: &'static Message, key: &str) -> Option<&'static Field> {
    let key = squash(key);
    let limit = match key.chars().count() {
        0..=3 => 1,
        4..=9 => 2,
        _ => 3,
    };
    message
        .fields
        .iter()
        .map(|f| (strsim::levenshtein(&key, &squash(f.proto)), f))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

/// A field of a sub-message (one level down) that `key` names exactly, but for case
/// and separators: `image` written at the top level belongs in `transform`.
pub fn in_child(message: &'static Message, key: &str) -> Option<(&'static Field, &'static Field)> {
    let key = squash(key);
    message.fields.iter().find_map(|parent| match parent.kind {
        Kind::Message(child) => child
            .fields
            .iter()
            .find(|f| squash(f.proto) == key)
            .map(|f| (parent, f)),
        _ => None,
    })
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}
