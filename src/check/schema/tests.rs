use super::*;
use crate::check::Finding;
use crate::spec::{Pos, Value, json};

fn run(text: &str, release: Release) -> (Node, Vec<Finding>) {
    let mut node = json::parse(text).expect("test spec is valid JSON");
    let mut out = Findings::new(Some(0));
    check(&mut node, release, &mut out);
    (node, out.into_vec())
}

fn findings(text: &str) -> Vec<Finding> {
    run(text, Release::NEWEST).1
}

/// (rule, pointer) of every finding, in order.
fn summary(found: &[Finding]) -> Vec<(&'static str, &str)> {
    found
        .iter()
        .map(|f| (f.rule.id(), f.pointer.as_str()))
        .collect()
}

fn only(text: &str, rule: Rule, pointer: &str) -> Finding {
    let found = findings(text);
    assert_eq!(summary(&found), [(rule.id(), pointer)], "{found:#?}");
    found.into_iter().next().expect("one finding")
}

const SNAKE: &str = r#"{
  "pipeline": {"name": "edges"},
  "transform": {"image": "team/edges:1.0", "cmd": ["python3"], "image_pull_secrets": ["regcred"],
                "env": {"LOG_LEVEL": "debug"}},
  "parallelism_spec": {"constant": "2"},
  "resource_limits": {"cpu": 0.5, "memory": "1G", "gpu": {"type": "nvidia.com/gpu", "number": 1}},
  "input": {"cross": [{"pfs": {"repo": "images", "glob": "/*", "empty_files": true}},
                      {"cron": {"name": "tick", "spec": "@every 60s", "start": "2024-01-31T08:00:00Z"}}]},
  "datum_timeout": "60s",
  "datum_tries": "3",
  "scheduling_spec": {"node_selector": {"disktype": "ssd"}},
  "tolerations": [{"key": "k", "operator": "EXISTS", "effect": 1, "toleration_seconds": "30"}]
}"#;

const CAMEL: &str = r#"{
  "pipeline": {"name": "edges"},
  "transform": {"image": "team/edges:1.0", "cmd": ["python3"], "imagePullSecrets": ["regcred"],
                "env": {"LOG_LEVEL": "debug"}},
  "parallelismSpec": {"constant": "2"},
  "resourceLimits": {"cpu": 0.5, "memory": "1G", "gpu": {"type": "nvidia.com/gpu", "number": 1}},
  "input": {"cross": [{"pfs": {"repo": "images", "glob": "/*", "emptyFiles": true}},
                      {"cron": {"name": "tick", "spec": "@every 60s", "start": "2024-01-31T08:00:00Z"}}]},
  "datumTimeout": "60s",
  "datumTries": "3",
  "schedulingSpec": {"nodeSelector": {"disktype": "ssd"}},
  "tolerations": [{"key": "k", "operator": "EXISTS", "effect": 1, "tolerationSeconds": "30"}]
}"#;

#[test]
fn both_spellings_normalize_to_the_same_canonical_tree() {
    let (snake, found) = run(SNAKE, Release::NEWEST);
    assert_eq!(found, []);
    let (camel, found) = run(CAMEL, Release::NEWEST);
    assert_eq!(found, []);
    assert_eq!(snake.to_json(), camel.to_json());
    let entry = camel.entry("parallelism_spec").expect("renamed");
    assert_eq!(entry.written, "parallelismSpec");
    // Values are untouched: the string integer stays a string.
    assert_eq!(
        camel
            .get("parallelism_spec")
            .and_then(|p| p.get("constant")),
        Some(&Node::new(
            Value::String("2".into()),
            entry
                .value
                .get("constant")
                .map(|c| c.span)
                .unwrap_or_default()
        ))
    );
}

#[test]
fn keys_of_map_fields_are_user_data() {
    let (node, found) = run(
        r#"{"pipeline": {"name": "p"}, "transform": {"env": {"fooBar": "1", "parallelismSpec": "x"}},
            "metadata": {"labels": {"teamName": "a"}, "annotations": {"x_y": "b"}}}"#,
        Release::NEWEST,
    );
    assert_eq!(found, []);
    let env = node
        .get("transform")
        .and_then(|t| t.get("env"))
        .expect("env");
    let names: Vec<&str> = env
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|e| e.name())
        .collect();
    assert_eq!(names, ["fooBar", "parallelismSpec"]);
}

#[test]
fn map_values_must_be_strings() {
    let f = only(
        r#"{"pipeline": {"name": "p"}, "transform": {"env": {"PORT": 8080}}}"#,
        Rule::InvalidValue,
        "/transform/env/PORT",
    );
    assert_eq!(
        f.message,
        "`transform.env.PORT` must be a string, found 8080"
    );
    assert_eq!(f.help, "quote it: \"8080\"");
    only(
        r#"{"pipeline": {"name": "p"}, "metadata": {"labels": {"a": null}}}"#,
        Rule::InvalidValue,
        "/metadata/labels/a",
    );
}

#[test]
fn schema_keys_are_dropped_at_every_level() {
    let (node, found) = run(
        r#"{"$schema": "s", "pipeline": {"$schema": "s", "name": "p"},
            "transform": {"env": {"$schema": "s", "A": "b"}},
            "input": {"cross": [{"$schema": "s", "pfs": {"repo": "r", "glob": "/"}}]}}"#,
        Release::NEWEST,
    );
    assert_eq!(found, []);
    let text = node.to_json().to_string();
    assert!(!text.contains("$schema"), "{text}");
}

#[test]
fn null_means_unset() {
    let found = findings(
        r#"{"pipeline": {"name": "p"}, "transform": {"cmd": null, "env": null}, "egress": null,
            "datum_timeout": null, "parallelism_spec": {"constant": null}}"#,
    );
    assert_eq!(found, []);
}

#[test]
fn unknown_fields_get_a_suggestion_in_the_users_style() {
    let f = only(
        r#"{"pipeline": {"name": "p"}, "paralelism_spec": {"constant": 1}}"#,
        Rule::UnknownField,
        "/paralelism_spec",
    );
    assert_eq!(f.message, "`paralelism_spec` is not a field of the spec");
    assert_eq!(f.help, "did you mean `parallelism_spec`?");
    assert_eq!(
        f.span.start,
        Pos {
            line: 1,
            column: 29
        }
    );

    let f = only(
        r#"{"pipeline": {"name": "p"}, "parallelismSpec": {"constant": 1}, "datumtries": 3}"#,
        Rule::UnknownField,
        "/datumtries",
    );
    assert_eq!(f.help, "did you mean `datumTries`?");

    let f = only(
        r#"{"pipeline": {"name": "p"}, "transform": {"imagee": "x"}}"#,
        Rule::UnknownField,
        "/transform/imagee",
    );
    assert_eq!(f.message, "`imagee` is not a field of `transform`");
    assert_eq!(f.help, "did you mean `image`?");

    let f = only(
        r#"{"pipeline": {"name": "p"}, "image": "x"}"#,
        Rule::UnknownField,
        "/image",
    );
    assert_eq!(f.help, "`image` is a field of `transform`: move it there");

    let f = only(
        r#"{"pipeline": {"name": "p"}, "spout": {"zzz": 1}}"#,
        Rule::UnknownField,
        "/spout/zzz",
    );
    assert!(
        f.help.ends_with("the fields here are: service"),
        "{}",
        f.help
    );
}

#[test]
fn removed_fields_name_the_replacement() {
    let f = only(
        r#"{"pipeline": {"name": "p"}, "standby": true}"#,
        Rule::RemovedField,
        "/standby",
    );
    assert!(
        f.message.contains("2.x uses `autoscaling`"),
        "{}",
        f.message
    );
    let f = only(
        r#"{"pipeline": {"name": "p"}, "input": {"atom": {"repo": "r", "glob": "/"}}}"#,
        Rule::RemovedField,
        "/input/atom",
    );
    assert!(f.message.contains("2.x uses `pfs`"), "{}", f.message);
    let f = only(
        r#"{"pipeline": {"name": "p"}, "parallelismSpec": {"coefficient": 1}}"#,
        Rule::RemovedField,
        "/parallelismSpec/coefficient",
    );
    assert!(f.message.contains("2.x uses `constant`"), "{}", f.message);
    let f = only(
        r#"{"pipeline": {"name": "p"}, "enableStats": true}"#,
        Rule::RemovedField,
        "/enableStats",
    );
    assert!(f.help.starts_with("remove it"), "{}", f.help);
    let found = findings(
        r#"{"pipeline": {"name": "p"}, "cache_size": "64M", "max_queue_size": 1, "chunk_spec": {},
            "hashtree_spec": {}, "transform": {"build": {}}, "input": {"git": {}},
            "spout": {"overwrite": true, "marker": "m"}, "parallelism_spec": {"strategy": "CONSTANT"}}"#,
    );
    assert_eq!(
        summary(&found),
        [
            ("removed-field", "/cache_size"),
            ("removed-field", "/max_queue_size"),
            ("removed-field", "/chunk_spec"),
            ("removed-field", "/hashtree_spec"),
            ("removed-field", "/transform/build"),
            ("removed-field", "/input/git"),
            ("removed-field", "/spout/overwrite"),
            ("removed-field", "/spout/marker"),
            ("removed-field", "/parallelism_spec/strategy"),
        ]
    );
    assert!(found.iter().all(|f| !f.help.is_empty()));
}

#[test]
fn fields_newer_than_the_target_release_are_unavailable() {
    let spec = r#"{"pipeline": {"name": "p"}, "maximum_expected_uptime": "60s"}"#;
    assert_eq!(run(spec, Release::new(2, 9)).1, []);
    let found = run(spec, Release::new(2, 5)).1;
    assert_eq!(
        summary(&found),
        [("unavailable-field", "/maximum_expected_uptime")]
    );
    assert_eq!(
        found[0].message,
        "`maximum_expected_uptime` needs Pachyderm 2.9; this check targets 2.5 ([pachyderm] version / --pachyderm)"
    );

    // One finding for a too-new message, not one per field inside it.
    let spec = r#"{"pipeline": {"name": "p"}, "egress": {"sql_database": {"url": "u", "file_format": {"type": "CSV"}}}}"#;
    let found = run(spec, Release::new(2, 1)).1;
    assert_eq!(
        summary(&found),
        [("unavailable-field", "/egress/sql_database")]
    );
    assert_eq!(run(spec, Release::new(2, 2)).1, []);

    let spec = r#"{"pipeline": {"name": "p", "project": {"name": "team"}}, "input": {"pfs": {"repo": "r", "glob": "/", "reference": true}}}"#;
    let found = run(spec, Release::new(2, 4)).1;
    assert_eq!(
        summary(&found),
        [
            ("unavailable-field", "/pipeline/project"),
            ("unavailable-field", "/input/pfs/reference")
        ]
    );
    assert!(
        found[1].message.contains("needs Pachyderm 2.12"),
        "{}",
        found[1].message
    );
}

#[test]
fn details_json_exists_only_in_2_7() {
    let spec = r#"{"pipeline": {"name": "p"}, "detailsJson": "{}"}"#;
    assert_eq!(run(spec, Release::new(2, 7)).1, []);
    for release in [Release::new(2, 6), Release::new(2, 8), Release::NEWEST] {
        let found = run(spec, release).1;
        assert_eq!(summary(&found), [("unavailable-field", "/detailsJson")]);
        assert!(
            found[0].message.contains("only in Pachyderm 2.7"),
            "{}",
            found[0].message
        );
    }
}

#[test]
fn integers_accept_numbers_and_decimal_strings_in_range() {
    let ok = r#"{"pipeline": {"name": "p"}, "parallelism_spec": {"constant": 3},
                 "datum_set_spec": {"number": "-1", "size_bytes": "9223372036854775807"},
                 "service": {"internal_port": "8080", "external_port": 30080},
                 "transform": {"accept_return_code": [1, "2"]}}"#;
    assert_eq!(findings(ok), []);
    // pachctl's YAML step writes 2.0 back as 2, and protobuf JSON takes whole numbers in
    // any notation.
    let whole = r#"{"pipeline": {"name": "p"}, "parallelism_spec": {"constant": 2.0},
                    "datum_tries": "1e1", "tolerations": [{"operator": 1.0}]}"#;
    assert_eq!(findings(whole), []);
    let f = only(
        r#"{"pipeline": {"name": "p"}, "parallelism_spec": {"constant": 1.5}}"#,
        Rule::InvalidValue,
        "/parallelism_spec/constant",
    );
    assert_eq!(
        f.message,
        "`parallelism_spec.constant` must be an integer (uint64), found 1.5"
    );
    let f = only(
        r#"{"pipeline": {"name": "p"}, "parallelism_spec": {"constant": "-1"}}"#,
        Rule::InvalidValue,
        "/parallelism_spec/constant",
    );
    assert!(
        f.message.contains("out of range for uint64"),
        "{}",
        f.message
    );
    let f = only(
        r#"{"pipeline": {"name": "p"}, "service": {"internal_port": 2147483648}}"#,
        Rule::InvalidValue,
        "/service/internal_port",
    );
    assert!(
        f.message.contains("out of range for int32"),
        "{}",
        f.message
    );
    only(
        r#"{"pipeline": {"name": "p"}, "transform": {"accept_return_code": [1, "two"]}}"#,
        Rule::InvalidValue,
        "/transform/accept_return_code/1",
    );
    only(
        r#"{"pipeline": {"name": "p"}, "datum_tries": true}"#,
        Rule::InvalidValue,
        "/datum_tries",
    );
}

#[test]
fn scalars_of_the_wrong_type_are_invalid() {
    let cases = [
        (
            r#""transform": {"image": 3}"#,
            "/transform/image",
            "quote it: \"3\"",
        ),
        (
            r#""transform": {"debug": "true"}"#,
            "/transform/debug",
            "write true, without quotes",
        ),
        (
            r#""transform": {"cmd": "python3 main.py"}"#,
            "/transform/cmd",
            "write a list: [ ... ], one element per item",
        ),
        (
            r#""transform": {"cmd": ["a", null]}"#,
            "/transform/cmd/1",
            "remove the null from the list: pachctl refuses null list elements",
        ),
        (
            r#""transform": "x""#,
            "/transform",
            "write a mapping of its fields: { ... }",
        ),
        (
            r#""resource_limits": {"cpu": "half"}"#,
            "/resource_limits/cpu",
            "write a number, such as 0.5 or 2",
        ),
        (
            r#""tolerations": [{"operator": "Exists"}]"#,
            "/tolerations/0/operator",
            "write `EXISTS`: enum names are case-sensitive",
        ),
        (
            r#""tolerations": [{"effect": "NEVER"}]"#,
            "/tolerations/0/effect",
            "use one of ALL_EFFECTS, NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE",
        ),
        (
            r#""datum_timeout": "1m""#,
            "/datum_timeout",
            "write \"60s\": durations are seconds with an `s` suffix",
        ),
        (
            r#""job_timeout": "1h""#,
            "/job_timeout",
            "write \"3600s\": durations are seconds with an `s` suffix",
        ),
        (
            r#""job_timeout": 60"#,
            "/job_timeout",
            "write \"60s\": durations are strings of seconds with an `s` suffix",
        ),
        (
            r#""input": {"cron": {"start": "2024-01-31"}}"#,
            "/input/cron/start",
            "write an RFC 3339 time with a zone, such as \"2024-01-31T08:00:00Z\"",
        ),
        (
            r#""metadata": {"labels": ["a"]}"#,
            "/metadata/labels",
            "write a mapping such as {\"KEY\": \"value\"}",
        ),
        (
            r#""tolerations": [{"toleration_seconds": 1.5}]"#,
            "/tolerations/0/toleration_seconds",
            "write a whole number, such as 2 or \"2\"",
        ),
    ];
    for (fragment, pointer, help) in cases {
        let spec = format!(r#"{{"pipeline": {{"name": "p"}}, {fragment}}}"#);
        let found = findings(&spec);
        assert_eq!(summary(&found), [("invalid-value", pointer)], "{spec}");
        assert_eq!(found[0].help, help, "{spec}");
    }
    // Floats also take numeric strings; enums take their number.
    let ok = r#"{"pipeline": {"name": "p"}, "resource_requests": {"cpu": "0.25"},
                 "tolerations": [{"operator": 2}], "datum_timeout": "1.5s"}"#;
    assert_eq!(findings(ok), []);
}

#[test]
fn both_spellings_of_one_field_in_one_mapping_are_refused() {
    let f = only(
        r#"{"pipeline": {"name": "p"}, "parallelism_spec": {"constant": 1}, "parallelismSpec": {"constant": 2}}"#,
        Rule::ParseError,
        "/parallelismSpec",
    );
    assert!(f.message.contains("a second time"), "{}", f.message);
}

#[test]
fn pipeline_and_its_name_are_required() {
    let f = only(r#"{"transform": {"image": "a:1"}}"#, Rule::MissingField, "");
    assert_eq!(f.message, "the spec has no `pipeline`");
    let f = only(r#"{"pipeline": {}}"#, Rule::MissingField, "/pipeline");
    assert_eq!(f.message, "`pipeline` has no `name`");
    only(r#"{"pipeline": null}"#, Rule::MissingField, "/pipeline");
    only(
        r#"{"pipeline": {"name": null}}"#,
        Rule::MissingField,
        "/pipeline",
    );
    // A pipeline of the wrong type is one finding, not two.
    only(r#"{"pipeline": "edges"}"#, Rule::InvalidValue, "/pipeline");
}

#[test]
fn a_spec_that_is_not_a_mapping_is_invalid() {
    let f = only(r#""edges""#, Rule::InvalidValue, "");
    assert_eq!(
        f.message,
        "a pipeline spec must be a mapping, found a string"
    );
}

#[test]
fn normalizing_twice_changes_nothing() {
    let (mut node, _) = run(CAMEL, Release::NEWEST);
    let before = node.clone();
    let mut out = Findings::new(Some(0));
    check(&mut node, Release::NEWEST, &mut out);
    assert_eq!(out.into_vec(), []);
    assert_eq!(node, before);
}
