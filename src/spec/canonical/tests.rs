use serde_json::json;

use super::{locate, to_json};
use crate::release::Release;
use crate::spec::{Node, Pos, read};

fn normalized(text: &str) -> Node {
    let mut node = read::read(text.as_bytes()).unwrap().remove(0);
    normalize(&mut node);
    node
}

fn normalize(node: &mut Node) {
    crate::spec::normalize::normalize(node, Release::NEWEST);
}

#[test]
fn both_spellings_and_both_syntaxes_give_one_form() {
    let camel = r#"{"pipeline": {"name": "a"}, "parallelismSpec": {"constant": "8"},
        "datumTimeout": "300s", "tolerations": [{"operator": 1, "tolerationSeconds": "30"}],
        "metadata": {"labels": {"ownerTeam": "v"}}, "resourceLimits": {"cpu": "0.5"},
        "transform": {"env": {"some_KEY": "1"}}, "egress": null, "custom": {"x": 1}}"#;
    let snake = "pipeline: {name: a}\nparallelism_spec:\n  constant: 8\ndatum_timeout: 300s\n\
                 tolerations:\n  - operator: EXISTS\n    toleration_seconds: 30\n\
                 metadata:\n  labels: {ownerTeam: v}\nresource_limits: {cpu: 0.5}\n\
                 transform:\n  env: {some_KEY: \"1\"}\ncustom: {x: 1}\n";
    let expected = json!({
        "pipeline": {"name": "a"},
        "parallelism_spec": {"constant": 8},
        "datum_timeout": "300s",
        "tolerations": [{"operator": "EXISTS", "toleration_seconds": 30}],
        "metadata": {"labels": {"ownerTeam": "v"}},
        "resource_limits": {"cpu": 0.5},
        "transform": {"env": {"some_KEY": "1"}},
        "custom": {"x": 1}
    });
    assert_eq!(to_json(&normalized(camel)), expected);
    assert_eq!(to_json(&normalized(snake)), expected);
}

#[test]
fn canonical_pointers_lead_back_to_the_file_in_its_own_spelling() {
    let text = "pipeline: {name: a}\nparallelismSpec:\n  constant: \"8\"\n\
                tolerations:\n  - operator: 1\n";
    let spec = normalized(text);
    let found = locate(&spec, "/parallelism_spec/constant").unwrap();
    assert_eq!(found.pointer.as_str(), "/parallelismSpec/constant");
    assert_eq!(
        found.span.start,
        Pos {
            line: 3,
            column: 13
        }
    );
    assert_eq!(found.key_span.unwrap().start, Pos { line: 3, column: 3 });
    let found = locate(&spec, "/tolerations/0/operator").unwrap();
    assert_eq!(found.pointer.as_str(), "/tolerations/0/operator");
    assert_eq!(
        found.span.start,
        Pos {
            line: 5,
            column: 15
        }
    );
    assert_eq!(
        locate(&spec, "").unwrap().span.start,
        Pos { line: 1, column: 1 }
    );
    assert_eq!(locate(&spec, "/nothing"), None);
    assert_eq!(locate(&spec, "/tolerations/3"), None);
}

#[test]
fn a_null_field_is_unset_and_has_no_place() {
    let spec = normalized(r#"{"pipeline": {"name": "a"}, "egress": null}"#);
    assert_eq!(to_json(&spec), json!({"pipeline": {"name": "a"}}));
    assert_eq!(locate(&spec, "/egress"), None);
}
