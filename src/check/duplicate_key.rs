//! `duplicate-key`: a key written twice in one mapping, judged by release.
//!
//! pachctl 2.0-2.7 decoded each document with go-yaml v3 into Go values, which refuses a
//! repeated key ("mapping key already defined"): the file is not read at all. From 2.8.0
//! pachctl decodes into a `yaml.Node` tree and builds each mapping itself, assigning key
//! by key, so the last value wins and the file is accepted
//! (`src/internal/ppsutil/decoder.go`, `yamlToJSON`: `o[keyString] = value`). The readers
//! therefore keep the last value and record the earlier keys (`Entry::shadowed`); this
//! rule reports them: before 2.8 as the parse error pachctl gives, from 2.8 as a warning
//! naming which value pachctl uses.

use super::{Findings, Rule};
use crate::release::Release;
use crate::spec::{Node, Pointer, Span, Value};

/// The first release whose pachctl keeps the last of repeated keys.
pub const LAST_KEY_WINS: Release = Release::new(2, 8);

pub fn check(spec: &Node, release: Release, out: &mut Findings) {
    walk(spec, &Pointer::root(), release, out);
}

fn walk(node: &Node, at: &Pointer, release: Release, out: &mut Findings) {
    match &node.value {
        Value::Map(entries) => {
            for entry in entries {
                let here = at.key(&entry.written);
                if !entry.shadowed.is_empty() {
                    report(
                        &entry.written,
                        &entry.shadowed,
                        entry.key_span,
                        &here,
                        release,
                        out,
                    );
                }
                walk(&entry.value, &here, release, out);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &at.index(i), release, out);
            }
        }
        _ => {}
    }
}

fn report(
    key: &str,
    earlier: &[Span],
    last: Span,
    pointer: &Pointer,
    release: Release,
    out: &mut Findings,
) {
    let places = earlier
        .iter()
        .map(|s| format!("{}:{}", s.start.line, s.start.column))
        .collect::<Vec<_>>()
        .join(", ");
    let (line, column) = (last.start.line, last.start.column);
    if release < LAST_KEY_WINS {
        out.push(
            Rule::ParseError,
            pointer,
            last,
            format!(
                "duplicate key `{key}` at {line}:{column}, first written at {places}: pachctl \
                 {release} refuses a file with a repeated key (\"mapping key already defined\")"
            ),
            format!(
                "remove one of the two `{key}`; pachctl {LAST_KEY_WINS} and later would accept \
                 the file and use the last value"
            ),
        );
    } else {
        out.push(
            Rule::DuplicateKey,
            pointer,
            last,
            format!(
                "`{key}` is written twice, at {places} and {line}:{column}: pachctl {release} \
                 uses the last value"
            ),
            format!(
                "remove the `{key}` at {places}: it has no effect, and pachctl before \
                 {LAST_KEY_WINS} refuses the file"
            ),
        );
    }
}
