use std::time::{Duration, Instant};

use super::*;

fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ok(template: &str, pairs: &[(&str, &str)]) -> String {
    render(template.as_bytes(), &args(pairs), Limits::default()).unwrap()
}

fn err(template: &str, pairs: &[(&str, &str)]) -> RenderError {
    render(template.as_bytes(), &args(pairs), Limits::default()).unwrap_err()
}

#[test]
fn a_top_level_function_gets_every_argument_as_a_string() {
    let out = ok(
        "function(n, suffix='x') { n: n, both: n + suffix, zero: std.length(n) }",
        &[("n", "12")],
    );
    assert_eq!(
        out,
        "{\n   \"both\": \"12x\",\n   \"n\": \"12\",\n   \"zero\": 2\n}\n"
    );
    // Not a function: taken as it is, the arguments ignored (go-jsonnet does the same).
    assert_eq!(
        ok("[1, {b: 2, a: 1}]", &[("n", "1")]),
        "[\n   1,\n   {\n      \"a\": 1,\n      \"b\": 2\n   }\n]\n"
    );
}

#[test]
fn what_pachd_does_not_offer_is_an_error_that_says_so() {
    let e = err("local lib = import 'lib.libsonnet';\nfunction() lib", &[]);
    assert!(e.message.contains("without local files"), "{e}");
    assert_eq!(
        e.pos,
        Some(Pos {
            line: 1,
            column: 13
        })
    );
    let e = err("function() import 'https://example.com/x.jsonnet'", &[]);
    assert!(e.message.contains("offline"), "{e}");
    let e = err("function() { a: std.extVar('a') }", &[]);
    assert!(e.message.contains("--arg a=VALUE"), "{e}");
    let e = err("function() { a: std.native('f')(1) }", &[]);
    assert!(!e.message.is_empty(), "{e}");
}

#[test]
fn argument_mistakes_name_the_argument() {
    let e = err("function(src) { s: src }", &[]);
    assert!(e.message.contains("--arg src=VALUE"), "{e}");
    let e = err("function(src) { s: src }", &[("src", "a"), ("other", "b")]);
    assert!(e.message.contains("no parameter `other`"), "{e}");
    assert_eq!(parse_arg("a=b=c"), Ok(("a".into(), "b=c".into())));
    assert!(parse_arg("novalue").unwrap_err().contains("NAME=VALUE"));
}

#[test]
fn errors_point_into_the_template() {
    let e = err("function()\n  { a: error 'broken' }", &[]);
    assert_eq!(e.message, "error: broken");
    assert_eq!(e.pos, Some(Pos { line: 2, column: 8 }));
    let e = err("function() {\n  a: ,\n}", &[]);
    assert!(e.message.starts_with("syntax error"), "{e}");
    assert_eq!(e.pos.map(|p| p.line), Some(2));
    let e = err("function() { a: \"open }", &[]);
    assert!(e.message.contains("unfinished string"), "{e}");
}

#[test]
fn evaluation_is_bounded() {
    // Unbounded recursion: the stack limit.
    let e = err("local f(x) = f(x + 1) + 1; function() f(0)", &[]);
    assert!(e.message.contains("stack overflow"), "{e}");
    // A loop that never recurses deeply: the time limit, and no hang.
    let limits = Limits {
        time: Duration::from_millis(300),
        ..Limits::default()
    };
    let start = Instant::now();
    let e = render(
        b"local r = std.range(1, 100000);\nfunction() std.foldl(function(a, i) a + std.foldl(function(b, j) b + j, r, 0), r, 0)",
        &BTreeMap::new(),
        limits,
    )
    .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(e.message.contains("did not finish"), "{e}");
    // Too much output.
    let limits = Limits {
        output: 1000,
        ..Limits::default()
    };
    let e = render(b"std.range(1, 1000)", &BTreeMap::new(), limits).unwrap_err();
    assert!(e.message.contains("more than"), "{e}");
}
