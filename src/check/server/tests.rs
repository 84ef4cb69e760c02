//! One test per server rule, on small specs written with canonical (snake_case) keys,
//! as the rules see them after normalization.

use super::check;
use crate::check::{Finding, Findings, Rule};
use crate::spec::json;

fn findings(text: &str) -> Vec<Finding> {
    let spec = json::parse(text).expect("test spec is valid JSON");
    let mut out = Findings::new(Some(0));
    check(&spec, &mut out);
    out.into_vec()
}

/// `(rule, pointer)` of every finding.
fn found(text: &str) -> Vec<(Rule, String)> {
    findings(text)
        .into_iter()
        .map(|f| (f.rule, f.pointer))
        .collect()
}

fn one(rule: Rule, pointer: &str) -> Vec<(Rule, String)> {
    vec![(rule, pointer.to_string())]
}

/// A complete, valid spec with `extra` spliced into the top level.
fn spec_with(extra: &str) -> String {
    let mut s =
        String::from(r#"{"pipeline": {"name": "edges"}, "transform": {"image": "team/edges:1"}"#);
    if !extra.is_empty() {
        s.push_str(", ");
        s.push_str(extra);
    }
    s.push('}');
    s
}

fn with_input(input: &str) -> String {
    spec_with(&format!(r#""input": {input}"#))
}

const PFS: &str = r#""input": {"pfs": {"repo": "images", "glob": "/*"}}"#;

#[test]
fn a_valid_spec_has_no_findings() {
    assert_eq!(found(&spec_with(PFS)), vec![]);
}

#[test]
fn pipeline_names() {
    let name = |n: &str| {
        found(&format!(
            r#"{{"pipeline": {{"name": "{n}"}}, "transform": {{}}, {PFS}}}"#
        ))
    };
    assert_eq!(name("edges_v2-x"), vec![]);
    assert_eq!(name("9lives"), vec![]);
    for bad in [
        "",
        "_edges",
        "-edges",
        "my pipeline",
        "$PIPELINE_NAME",
        "edges.v2",
        "é",
    ] {
        assert_eq!(
            name(bad),
            one(Rule::InvalidName, "/pipeline/name"),
            "{bad:?}"
        );
    }
    assert_eq!(name(&"a".repeat(51)), vec![]);
    let long = findings(&format!(
        r#"{{"pipeline": {{"name": "{}"}}, "transform": {{}}, {PFS}}}"#,
        "a".repeat(52)
    ));
    assert_eq!(long.len(), 1);
    assert!(
        long[0].message.contains("at most 51"),
        "{}",
        long[0].message
    );
}

#[test]
fn project_and_name_must_fit_a_kubernetes_name() {
    let spec = |project: &str, name: &str| {
        findings(&format!(
            r#"{{"pipeline": {{"name": "{name}", "project": {{"name": "{project}"}}}}, "transform": {{}}, {PFS}}}"#
        ))
    };
    // 12 + 1 + 46 + 4 = 63: fits.
    assert_eq!(spec("a".repeat(12).as_str(), &"b".repeat(46)), vec![]);
    let over = spec("a".repeat(13).as_str(), &"b".repeat(46));
    assert_eq!(over.len(), 1);
    assert_eq!(
        (over[0].rule, over[0].pointer.as_str()),
        (Rule::InvalidName, "/pipeline/name")
    );
    assert!(
        over[0].message.contains("64 characters"),
        "{}",
        over[0].message
    );
    // The default project counts too: "default-" + 51 + "-v99" = 63.
    assert_eq!(
        found(&format!(
            r#"{{"pipeline": {{"name": "{}"}}, "transform": {{}}, {PFS}}}"#,
            "b".repeat(51)
        )),
        vec![]
    );
    let bad_project = spec("my project", "edges");
    assert_eq!(bad_project.len(), 1);
    assert_eq!(bad_project[0].pointer, "/pipeline/project/name");
    // An empty project name is the default project.
    assert_eq!(spec("", "edges"), vec![]);
}

#[test]
fn transform_and_input_are_required() {
    assert_eq!(
        found(&format!(r#"{{"pipeline": {{"name": "x"}}, {PFS}}}"#)),
        one(Rule::MissingField, "")
    );
    assert_eq!(
        found(&format!(
            r#"{{"pipeline": {{"name": "x"}}, "transform": null, {PFS}}}"#
        )),
        one(Rule::MissingField, "")
    );
    assert_eq!(found(&spec_with("")), one(Rule::MissingField, ""));
    assert_eq!(found(&spec_with(r#""spout": {}"#)), vec![]);
}

#[test]
fn a_spout_without_a_service_has_no_input() {
    assert_eq!(
        found(&spec_with(&format!(r#""spout": {{}}, {PFS}"#))),
        one(Rule::InvalidInput, "/input")
    );
    assert_eq!(
        found(&spec_with(&format!(
            r#""spout": {{"service": {{"internal_port": 8888, "external_port": 30088}}}}, {PFS}"#
        ))),
        vec![]
    );
}

#[test]
fn one_kind_per_input_node() {
    assert_eq!(found(&with_input("{}")), one(Rule::InvalidInput, "/input"));
    assert_eq!(
        found(&with_input(r#"{"cross": []}"#)),
        one(Rule::InvalidInput, "/input")
    );
    assert!(
        findings(&with_input(r#"{"cross": []}"#))[0]
            .message
            .contains("`cross` is an empty list")
    );
    assert_eq!(
        found(&with_input(r#"{"pfs": null}"#)),
        one(Rule::InvalidInput, "/input")
    );
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "a", "glob": "/"}, "cron": {"name": "t", "spec": "@daily"}}"#
        )),
        one(Rule::InvalidInput, "/input/cron")
    );
    assert_eq!(
        found(&with_input(
            r#"{"cross": [{"pfs": {"repo": "a", "glob": "/"}}, {}]}"#
        )),
        one(Rule::InvalidInput, "/input/cross/1")
    );
}

#[test]
fn pfs_needs_repo_and_glob_and_no_commit() {
    assert_eq!(
        found(&with_input(r#"{"pfs": {"glob": "/"}}"#)),
        one(Rule::InvalidInput, "/input/pfs")
    );
    assert_eq!(
        found(&with_input(r#"{"pfs": {"repo": "data"}}"#)),
        one(Rule::InvalidInput, "/input/pfs")
    );
    assert_eq!(
        found(&with_input(r#"{"pfs": {"repo": "data", "glob": ""}}"#)),
        one(Rule::InvalidInput, "/input/pfs")
    );
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "a", "glob": "/", "commit": "abc"}}"#
        )),
        one(Rule::InvalidInput, "/input/pfs/commit")
    );
    // Wrong types are the schema's findings, not ours.
    assert_eq!(
        found(&with_input(r#"{"pfs": {"repo": 5, "glob": true}}"#)),
        vec![]
    );
}

#[test]
fn s3_inputs() {
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "a", "glob": "/", "s3": true}}"#
        )),
        vec![]
    );
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "a", "glob": "/*", "s3": true}}"#
        )),
        one(Rule::InvalidInput, "/input/pfs/glob")
    );
    assert_eq!(
        found(&with_input(r#"{"pfs": {"repo": "a", "s3": true}}"#)),
        one(Rule::InvalidInput, "/input/pfs/s3")
    );
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "a", "glob": "/", "s3": true, "lazy": true, "empty_files": true}}"#
        )),
        vec![
            (Rule::InvalidInput, "/input/pfs/lazy".to_string()),
            (Rule::InvalidInput, "/input/pfs/empty_files".to_string())
        ]
    );
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "a", "glob": "/", "lazy": true}}"#
        )),
        vec![]
    );
    let s3 = r#"{"pfs": {"repo": "a", "glob": "/", "s3": true}}"#;
    let b = r#"{"pfs": {"repo": "b", "glob": "/"}}"#;
    assert_eq!(
        found(&with_input(&format!(r#"{{"cross": [{s3}, {b}]}}"#))),
        vec![]
    );
    for kind in ["join", "group", "union"] {
        assert_eq!(
            found(&with_input(&format!(r#"{{"{kind}": [{s3}, {b}]}}"#))),
            one(Rule::InvalidInput, &format!("/input/{kind}/0/pfs/s3")),
            "{kind}"
        );
    }
    // Nested anywhere below a join counts.
    assert_eq!(
        found(&with_input(&format!(
            r#"{{"join": [{{"cross": [{s3}]}}, {b}]}}"#
        ))),
        one(Rule::InvalidInput, "/input/join/0/cross/0/pfs/s3")
    );
}

#[test]
fn input_names_are_unique_except_across_union_branches() {
    let a = r#"{"pfs": {"repo": "a", "glob": "/"}}"#;
    let a2 = r#"{"pfs": {"repo": "other", "name": "a", "glob": "/"}}"#;
    let b = r#"{"pfs": {"repo": "b", "glob": "/"}}"#;
    assert_eq!(
        found(&with_input(&format!(r#"{{"cross": [{a}, {a2}]}}"#))),
        one(Rule::InvalidInput, "/input/cross/1/pfs/name")
    );
    assert_eq!(
        found(&with_input(&format!(r#"{{"join": [{a2}, {a}]}}"#))),
        one(Rule::InvalidInput, "/input/join/1/pfs/repo")
    );
    let msg = &findings(&with_input(&format!(r#"{{"join": [{a2}, {a}]}}"#)))[0].message;
    assert!(msg.contains("named after its repo"), "{msg}");
    assert!(msg.contains("line 1"), "{msg}");
    assert_eq!(
        found(&with_input(&format!(r#"{{"union": [{a}, {a2}]}}"#))),
        vec![]
    );
    // A union's names still clash with what is crossed with it.
    assert_eq!(
        found(&with_input(&format!(
            r#"{{"cross": [{{"union": [{a}, {b}]}}, {a2}]}}"#
        ))),
        one(Rule::InvalidInput, "/input/cross/1/pfs/name")
    );
    let tick = r#"{"cron": {"name": "a", "spec": "@daily"}}"#;
    assert_eq!(
        found(&with_input(&format!(r#"{{"cross": [{a}, {tick}]}}"#))),
        one(Rule::InvalidInput, "/input/cross/1/cron/name")
    );
}

#[test]
fn reserved_input_names() {
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "a", "name": "out", "glob": "/"}}"#
        )),
        one(Rule::InvalidInput, "/input/pfs/name")
    );
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "a", "name": ".env", "glob": "/"}}"#
        )),
        one(Rule::InvalidInput, "/input/pfs/name")
    );
    assert_eq!(
        found(&with_input(r#"{"pfs": {"repo": "out", "glob": "/"}}"#)),
        one(Rule::InvalidInput, "/input/pfs/repo")
    );
    assert_eq!(
        found(&with_input(
            r#"{"pfs": {"repo": "out", "name": "prev", "glob": "/"}}"#
        )),
        vec![]
    );
    assert_eq!(
        found(&with_input(
            r#"{"cron": {"name": "out", "spec": "@daily"}}"#
        )),
        one(Rule::InvalidInput, "/input/cron/name")
    );
}

#[test]
fn cron_inputs() {
    assert_eq!(
        found(&with_input(
            r#"{"cron": {"name": "tick", "spec": "@every 10s"}}"#
        )),
        vec![]
    );
    assert_eq!(
        found(&with_input(
            r#"{"cron": {"name": "tick", "spec": "every 10s"}}"#
        )),
        one(Rule::InvalidValue, "/input/cron/spec")
    );
    assert_eq!(
        found(&with_input(
            r#"{"cron": {"name": "tick", "spec": "61 * * * *"}}"#
        )),
        one(Rule::InvalidValue, "/input/cron/spec")
    );
    assert_eq!(
        found(&with_input(r#"{"cron": {"spec": "@daily"}}"#)),
        one(Rule::InvalidInput, "/input/cron")
    );
    assert_eq!(
        found(&with_input(r#"{"cron": {"name": "tick"}}"#)),
        one(Rule::InvalidInput, "/input/cron")
    );
}

#[test]
fn refused_fields_and_combinations() {
    assert_eq!(
        found(&spec_with(&format!(r#""tf_job": {{}}, {PFS}"#))),
        one(Rule::InvalidValue, "/tf_job")
    );
    let service = r#""service": {"internal_port": 80, "external_port": 30080}"#;
    assert_eq!(
        found(&spec_with(&format!(r#""s3_out": true, {service}, {PFS}"#))),
        one(Rule::InvalidValue, "/s3_out")
    );
    assert_eq!(
        found(&spec_with(r#""s3_out": true, "spout": {}"#)),
        one(Rule::InvalidValue, "/s3_out")
    );
    assert_eq!(
        found(&spec_with(&format!(r#""s3_out": true, {PFS}"#))),
        vec![]
    );
    assert_eq!(found(&spec_with(r#""s3_out": false, "spout": {}"#)), vec![]);
    assert_eq!(
        found(&spec_with(r#""autoscaling": true, "spout": {}"#)),
        one(Rule::InvalidValue, "/autoscaling")
    );
    assert_eq!(
        found(&spec_with(&format!(r#""autoscaling": true, {PFS}"#))),
        vec![]
    );
}

#[test]
fn services_run_one_worker_of_a_known_type() {
    let service = |extra: &str| {
        found(&spec_with(&format!(
            r#""service": {{"internal_port": 80{extra}}}, "parallelism_spec": {{"constant": 1}}, {PFS}"#
        )))
    };
    assert_eq!(service(""), vec![]);
    for ok in ["ClusterIP", "NodePort", "LoadBalancer"] {
        assert_eq!(service(&format!(r#", "type": "{ok}""#)), vec![]);
    }
    assert_eq!(
        service(r#", "type": "nodeport""#),
        one(Rule::InvalidValue, "/service/type")
    );
    assert_eq!(
        found(&spec_with(r#""spout": {"service": {"type": "External"}}"#)),
        one(Rule::InvalidValue, "/spout/service/type")
    );
    for constant in ["2", r#""3""#] {
        assert_eq!(
            found(&spec_with(&format!(
                r#""service": {{}}, "parallelism_spec": {{"constant": {constant}}}, {PFS}"#
            ))),
            one(Rule::InvalidValue, "/parallelism_spec/constant"),
            "{constant}"
        );
    }
    assert_eq!(
        found(&spec_with(&format!(
            r#""parallelism_spec": {{"constant": 4}}, {PFS}"#
        ))),
        vec![]
    );
}

#[test]
fn reprocess_spec_values() {
    for ok in ["until_success", "every_job", ""] {
        assert_eq!(
            found(&spec_with(&format!(r#""reprocess_spec": "{ok}", {PFS}"#))),
            vec![]
        );
    }
    assert_eq!(
        found(&spec_with(&format!(
            r#""reprocess_spec": "EVERY_JOB", {PFS}"#
        ))),
        one(Rule::InvalidValue, "/reprocess_spec")
    );
}

#[test]
fn pod_spec_and_patch_hold_json() {
    assert_eq!(
        found(&spec_with(&format!(
            r#""pod_spec": "{{\"nodeName\": \"n1\"}}", "pod_patch": "[{{\"op\": \"add\", \"path\": \"/x\", \"value\": 1}}]", {PFS}"#
        ))),
        vec![]
    );
    assert_eq!(
        found(&spec_with(&format!(
            r#""pod_spec": "{{nodeName: n1}}", {PFS}"#
        ))),
        one(Rule::InvalidValue, "/pod_spec")
    );
    assert_eq!(
        found(&spec_with(&format!(r#""pod_patch": "[{{]", {PFS}"#))),
        one(Rule::InvalidValue, "/pod_patch")
    );
}

#[test]
fn findings_point_at_what_the_user_wrote() {
    let text = "{\n  \"pipeline\": {\"name\": \"bad name\"},\n  \"transform\": {},\n  \"input\": {\"pfs\": {\"repo\": \"a\", \"glob\": \"/\", \"commit\": \"c\"}}\n}";
    let found = findings(text);
    assert_eq!(found.len(), 2);
    assert_eq!(
        (found[0].span.start.line, found[0].span.start.column),
        (2, 24)
    );
    assert_eq!(
        (found[1].span.start.line, found[1].span.start.column),
        (4, 47)
    );
}
