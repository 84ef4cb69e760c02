//! Team policies (`[[policy]]` in pachhook.toml): JSON Schemas the specs must meet,
//! through the binary in real repositories.

use serde_json::Value;

use crate::support::{Repo, Sandbox, code, text};

/// The team's policy, written once against the canonical form (snake_case names,
/// integers as numbers, enums as names).
const POLICY: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["resource_limits"],
  "properties": {
    "transform": {
      "properties": {
        "image": {
          "type": "string",
          "pattern": "^registry\\.example\\.com/",
          "description": "images come from registry.example.com"
        }
      }
    },
    "parallelism_spec": {
      "properties": {
        "constant": {"type": "integer", "maximum": 4, "title": "at most 4 workers"}
      }
    },
    "metadata": {
      "properties": {
        "labels": {"required": ["owner"], "description": "every pipeline names its owner"}
      }
    },
    "tolerations": {
      "items": {
        "properties": {
          "operator": {"not": {"const": "EXISTS"}, "description": "no blanket tolerations"}
        }
      }
    }
  }
}
"#;

const JSON_SNAKE: &str = r#"{
  "pipeline": {"name": "edges"},
  "metadata": {"labels": {"team": "vision"}},
  "transform": {"cmd": ["python3", "/edges.py"], "image": "docker.io/team/edges:1.0"},
  "parallelism_spec": {"constant": "8"},
  "tolerations": [{"key": "gpu", "operator": 1}],
  "input": {"pfs": {"repo": "images", "glob": "/*"}}
}
"#;

const JSON_CAMEL: &str = r#"{
  "pipeline": {"name": "edges"},
  "metadata": {"labels": {"team": "vision"}},
  "transform": {"cmd": ["python3", "/edges.py"], "image": "docker.io/team/edges:1.0"},
  "parallelismSpec": {"constant": "8"},
  "tolerations": [{"key": "gpu", "operator": "EXISTS"}],
  "input": {"pfs": {"repo": "images", "glob": "/*"}}
}
"#;

const YAML_SNAKE: &str = r#"pipeline:
  name: edges
metadata:
  labels:
    team: vision
transform:
  cmd: [python3, /edges.py]
  image: docker.io/team/edges:1.0
parallelism_spec:
  constant: "8"
tolerations:
  - key: gpu
    operator: 1
input:
  pfs: {repo: images, glob: "/*"}
"#;

const YAML_CAMEL: &str = r#"pipeline:
  name: edges
metadata:
  labels:
    team: vision
transform:
  cmd: [python3, /edges.py]
  image: docker.io/team/edges:1.0
parallelismSpec:
  constant: 8
tolerations:
  - key: gpu
    operator: EXISTS
input:
  pfs: {repo: images, glob: "/*"}
"#;

/// A spec the policy accepts.
const COMPLIANT: &str = r#"{
  "pipeline": {"name": "ok"},
  "metadata": {"labels": {"owner": "vision-team"}},
  "transform": {"image": "registry.example.com/vision/ok:1.0"},
  "parallelism_spec": {"constant": 2},
  "resource_limits": {"memory": "1G"},
  "input": {"pfs": {"repo": "images", "glob": "/*"}}
}
"#;

const CONFIG: &str = r#"[[policy]]
schema = "./policy/pipelines.schema.json"
"#;

fn json_report(repo: &Repo, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = repo.pachhook(&all);
    let report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", text(&out)));
    (code(&out), report)
}

/// The findings of one file: (rule, severity, pointer, line, column, message, help).
fn findings(report: &Value, path: &str) -> Vec<(String, String, String, u64, u64, String, String)> {
    let file = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no {path} in {report}"));
    file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["pointer"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
                f["help"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// 1-based line and column just after the first occurrence of `before` in `text`
/// (`before` empty: the start).
fn after(text: &str, before: &str) -> (u64, u64) {
    let at = text.find(before).unwrap_or_else(|| panic!("no {before:?}")) + before.len();
    let head = &text[..at];
    let line = head.matches('\n').count() as u64 + 1;
    let column = head.rsplit('\n').next().unwrap().chars().count() as u64 + 1;
    (line, column)
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
fn at(text: &str, needle: &str) -> (u64, u64) {
    let start = text.find(needle).unwrap_or_else(|| panic!("no {needle:?}"));
    after(text, &text[..start])
}

fn repo_with_policy(sandbox: &Sandbox) -> Repo {
    let repo = sandbox.repo("repo");
    repo.write("pachhook.toml", CONFIG);
    repo.write("policy/pipelines.schema.json", POLICY);
    repo
}

#[test]
fn one_policy_holds_for_json_and_yaml_in_both_spellings_at_the_right_positions() {
    let sandbox = Sandbox::new();
    let repo = repo_with_policy(&sandbox);
    let files = [
        ("pipelines/snake.json", JSON_SNAKE, "\""),
        ("pipelines/camel.json", JSON_CAMEL, "\""),
        ("pipelines/snake.yaml", YAML_SNAKE, ""),
        ("pipelines/camel.yaml", YAML_CAMEL, ""),
        ("pipelines/ok.json", COMPLIANT, "\""),
    ];
    // One pipeline name per file (the same name twice is `duplicate-pipeline`).
    let files = files.map(|(path, spec, q)| {
        (
            path,
            spec.replacen("edges", &path[10..].replace('.', "-"), 1),
            q,
        )
    });
    for (path, spec, _) in &files {
        repo.write(path, spec);
    }
    let (status, report) = json_report(&repo, &["pipelines"]);
    assert_eq!(status, 1, "{report}");
    assert_eq!(findings(&report, "pipelines/ok.json"), vec![]);

    let policy = "policy/pipelines.schema.json";
    for (path, spec, q) in &files[..4] {
        let spec = spec.as_str();
        let parallelism = if spec.contains("parallelismSpec") {
            "parallelismSpec"
        } else {
            "parallelism_spec"
        };
        let mut expected = vec![
            (
                String::new(),
                (1, 1),
                format!("policy {policy}: \"resource_limits\" is a required property"),
            ),
            (
                "/metadata/labels".to_string(),
                at(spec, &format!("{q}labels{q}")),
                format!("policy {policy}: every pipeline names its owner (`owner` is missing)"),
            ),
            (
                "/transform/image".to_string(),
                after(spec, &format!("{q}image{q}: ")),
                format!("policy {policy}: images come from registry.example.com"),
            ),
            (
                format!("/{parallelism}/constant"),
                after(spec, &format!("{q}constant{q}: ")),
                format!("policy {policy}: at most 4 workers"),
            ),
            (
                "/tolerations/0/operator".to_string(),
                after(spec, &format!("{q}operator{q}: ")),
                format!("policy {policy}: no blanket tolerations"),
            ),
        ];
        expected.sort_by_key(|e| e.1);
        let got: Vec<_> = findings(&report, path)
            .into_iter()
            .map(|(rule, severity, pointer, line, column, message, help)| {
                assert_eq!((rule.as_str(), severity.as_str()), ("policy", "error"));
                assert!(!help.is_empty(), "{path}: no help for {message}");
                (pointer, (line, column), message)
            })
            .collect();
        assert_eq!(got, expected, "{path}");
    }
}

#[test]
fn findings_go_through_the_human_format_and_respect_rules_and_skip() {
    let sandbox = Sandbox::new();
    let repo = repo_with_policy(&sandbox);
    repo.write("pipelines/edges.yaml", YAML_CAMEL);
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("error[policy]: policy policy/pipelines.schema.json: images come from registry.example.com"),
        "{shown}"
    );
    assert!(shown.contains("--> pipelines/edges.yaml:8:10"), "{shown}");

    // Every output format carries it.
    for format in ["json", "github", "gitlab", "sarif", "junit"] {
        let out = repo.pachhook(&["check", "--format", format, "pipelines"]);
        assert_eq!(code(&out), 1, "{format}: {}", text(&out));
        assert!(
            out.stdout.contains(
                "policy policy/pipelines.schema.json: images come from registry.example.com"
            ),
            "{format}: {}",
            text(&out)
        );
    }

    let out = repo.pachhook_env(
        &["check", "pipelines"],
        &[("PACHHOOK_SKIP", "policy")],
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!text(&out).contains("[policy]"), "{}", text(&out));
    // The summary says what PACHHOOK_SKIP turned off.
    assert!(
        text(&out).contains("(PACHHOOK_SKIP turned off: policy)"),
        "{}",
        text(&out)
    );

    repo.write(
        "pachhook.toml",
        &format!("{CONFIG}\n[rules]\npolicy = \"warning\"\n"),
    );
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("warning[policy]"), "{}", text(&out));

    repo.write(
        "pachhook.toml",
        &format!("{CONFIG}\n[rules]\npolicy = \"off\"\n"),
    );
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!text(&out).contains("policy"), "{}", text(&out));
}

#[test]
fn several_policies_each_with_its_level_and_paths() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(
        "pachhook.toml",
        r#"[[policy]]
schema = "policy/owner.yaml"
level = "warning"

[[policy]]
schema = "policy/prod.json"
paths = ["pipelines/prod/**"]
"#,
    );
    // A policy may be YAML.
    repo.write(
        "policy/owner.yaml",
        "properties:\n  metadata:\n    required: [labels]\n    description: label the owner\n  \
         pod_patch:\n    not: {}\n    title: no pod_patch\nrequired: [metadata]\n\
         description: every pipeline has metadata\n",
    );
    repo.write(
        "policy/prod.json",
        r#"{"properties": {"parallelism_spec": {"required": ["constant"],
            "description": "prod pipelines fix their parallelism"}},
            "required": ["parallelism_spec"]}"#,
    );
    let spec = "{\"pipeline\": {\"name\": \"a\"},\n \"transform\": {\"image\": \"a/b:1\"},\n \
                \"podPatch\": \"[]\",\n \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\"}}}\n";
    repo.write("pipelines/dev/a.json", spec);
    repo.write("pipelines/prod/a.json", &spec.replace("\"a\"", "\"b\""));
    let (status, report) = json_report(&repo, &["pipelines"]);
    assert_eq!(status, 1, "{report}");

    let short = |f: Vec<(String, String, String, u64, u64, String, String)>| {
        f.into_iter()
            .map(|(_, severity, pointer, line, _, message, _)| (severity, pointer, line, message))
            .collect::<Vec<_>>()
    };
    let owner = |pointer: &str, line: u64, what: &str| {
        (
            "warning".to_string(),
            pointer.to_string(),
            line,
            format!("policy policy/owner.yaml: {what}"),
        )
    };
    assert_eq!(
        short(findings(&report, "pipelines/dev/a.json")),
        vec![
            owner("", 1, "every pipeline has metadata (`metadata` is missing)"),
            owner("/podPatch", 3, "no pod_patch"),
        ]
    );
    assert_eq!(
        short(findings(&report, "pipelines/prod/a.json")),
        vec![
            owner("", 1, "every pipeline has metadata (`metadata` is missing)"),
            (
                "error".to_string(),
                String::new(),
                1,
                "policy policy/prod.json: \"parallelism_spec\" is a required property".to_string()
            ),
            owner("/podPatch", 3, "no pod_patch"),
        ]
    );

    // `paths` are relative to the repository root, from whatever directory the files
    // are named.
    let sub = repo.at(repo.dir.join("pipelines/prod"));
    let out = sub.pachhook(&["check", "a.json"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("policy policy/prod.json"),
        "{}",
        text(&out)
    );
    let out = sub.pachhook(&["check", "../dev/a.json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        !text(&out).contains("policy policy/prod.json"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_pre_commit_hook_applies_the_policy_as_staged() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write("pachhook.toml", CONFIG);
    repo.write("policy/pipelines.schema.json", "{}");
    repo.write("pipelines/edges.json", COMPLIANT);
    repo.commit_all("permissive policy");
    repo.install();

    // The commit makes the policy strict and changes a spec that breaks it; the work
    // tree's policy is permissive again, unstaged. The commit is checked as committed.
    repo.write("policy/pipelines.schema.json", POLICY);
    repo.write("pipelines/edges.json", JSON_CAMEL);
    repo.git(&["add", "."]);
    repo.write("policy/pipelines.schema.json", "{}");
    let out = repo.try_git(&["commit", "-m", "strict"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.json:4:")
            && text(&out).contains("images come from registry.example.com"),
        "{}",
        text(&out)
    );

    // The other way round: a permissive policy staged, a strict one in the work tree.
    repo.git(&["add", "."]);
    repo.write("policy/pipelines.schema.json", POLICY);
    let out = repo.try_git(&["commit", "-m", "permissive"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        repo.git(&["status", "--porcelain"]).trim(),
        "M policy/pipelines.schema.json"
    );
}

#[test]
fn a_commit_that_breaks_the_policy_file_alone_is_refused() {
    let repo = Repo::new();
    repo.write("pachhook.toml", CONFIG);
    repo.write("policy/pipelines.schema.json", POLICY);
    repo.write("pipelines/edges.json", COMPLIANT);
    repo.commit_all("policy");
    repo.install();
    repo.write("policy/pipelines.schema.json", "{\"type\": \"objekt\"}\n");
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "break the policy"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("policy/pipelines.schema.json:1:10: not a valid JSON Schema"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_pre_push_hook_applies_the_policy_of_the_pushed_commit() {
    let sandbox = Sandbox::new();
    let remote = sandbox.repo("remote");
    remote.git(&["config", "receive.denyCurrentBranch", "ignore"]);
    let repo = sandbox.repo("repo");
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.write("pachhook.toml", CONFIG);
    repo.write("policy/pipelines.schema.json", POLICY);
    repo.write("pipelines/edges.json", JSON_SNAKE);
    repo.commit_all("strict policy, bad spec");
    // The work tree's policy accepts anything: the pushed commit's is what counts.
    repo.write("policy/pipelines.schema.json", "{}");
    repo.install();
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("error[policy]"), "{}", text(&out));
}

#[test]
fn an_invalid_policy_is_a_configuration_error_at_its_position() {
    let sandbox = Sandbox::new();
    let repo = repo_with_policy(&sandbox);
    repo.write("pipelines/edges.json", COMPLIANT);

    repo.write(
        "policy/pipelines.schema.json",
        "{\n  \"properties\": {\n    \"transform\": {\"type\": \"objekt\"}\n  }\n}\n",
    );
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("policy/pipelines.schema.json:3:27: "),
        "{}",
        text(&out)
    );

    repo.write(
        "policy/pipelines.schema.json",
        "{\n  \"type\": \"object\",\n  \"required\": [\"a\"\n}\n",
    );
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("policy/pipelines.schema.json:4:1: not a JSON or YAML schema"),
        "{}",
        text(&out)
    );

    std::fs::remove_file(repo.dir.join("policy/pipelines.schema.json")).unwrap();
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("pachhook.toml:2:10: ")
            && text(&out).contains("policy/pipelines.schema.json"),
        "{}",
        text(&out)
    );

    repo.write(
        "pachhook.toml",
        "[[policy]]\nschema = \"p.json\"\nlevel = \"fatal\"\n",
    );
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("pachhook.toml:3:"), "{}", text(&out));
}

#[test]
fn a_remote_ref_is_refused_and_a_local_ref_beside_the_policy_works() {
    let sandbox = Sandbox::new();
    let repo = repo_with_policy(&sandbox);
    repo.write("pipelines/edges.json", JSON_SNAKE);

    repo.write(
        "policy/pipelines.schema.json",
        "{\n  \"properties\": {\n    \"transform\": {\"$ref\": \"https://schemas.example.com/transform.json\"}\n  }\n}\n",
    );
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("policy/pipelines.schema.json:3:")
            && shown.contains("https://schemas.example.com/transform.json")
            && shown.contains("remote"),
        "{shown}"
    );

    repo.write(
        "policy/pipelines.schema.json",
        r#"{"properties": {"transform": {"$ref": "common/transform.json#/$defs/transform"}}}"#,
    );
    repo.write(
        "policy/common/transform.json",
        r#"{"$defs": {"transform": {"properties": {"image": {"$ref": "../images.json"}}}}}"#,
    );
    repo.write(
        "policy/images.json",
        r#"{"pattern": "^registry\\.example\\.com/", "description": "company registry only"}"#,
    );
    let (status, report) = json_report(&repo, &["pipelines"]);
    assert_eq!(status, 1, "{report}");
    let found: Vec<_> = findings(&report, "pipelines/edges.json")
        .into_iter()
        .map(|f| (f.2, f.5))
        .collect();
    assert_eq!(
        found,
        vec![(
            "/transform/image".to_string(),
            "policy policy/pipelines.schema.json: company registry only".to_string()
        )]
    );

    // A `$ref` that leaves the repository, or names a file that is not there.
    repo.write(
        "policy/pipelines.schema.json",
        r#"{"properties": {"transform": {"$ref": "../../outside.json"}}}"#,
    );
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("outside.json"), "{}", text(&out));
}

#[test]
fn init_offers_a_starter_policy_that_works_once_named() {
    let repo = Repo::new();
    repo.write(
        "pipelines/edges.json",
        COMPLIANT
            .replace("registry.example.com", "docker.io")
            .as_str(),
    );
    let out = repo.pachhook(&["init", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("policy/pipelines.policy.yaml"),
        "{}",
        text(&out)
    );
    // Written, but off until the team names it.
    let out = repo.pachhook(&["check", "pipelines"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    let config = String::from_utf8(repo.read("pachhook.toml")).unwrap();
    let enabled = config
        .replace("# [[policy]]", "[[policy]]")
        .replace("# schema = ", "schema = ");
    repo.write("pachhook.toml", &enabled);
    let (status, report) = json_report(&repo, &["pipelines"]);
    assert_eq!(status, 1, "{report}");
    let found: Vec<_> = findings(&report, "pipelines/edges.json")
        .into_iter()
        .map(|f| (f.2, f.5))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "/transform/image".to_string(),
                "policy policy/pipelines.policy.yaml: images come from the company registry, registry.example.com".to_string()
            ),
            (
                "/resource_limits".to_string(),
                "policy policy/pipelines.policy.yaml: resource_limits sets memory and cpu (`cpu` is missing)".to_string()
            ),
        ]
    );

    // Running init again keeps the team's policy as it is.
    repo.write("policy/pipelines.policy.yaml", "{}\n");
    let out = repo.pachhook(&["init", "--yes", "--force"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(repo.read("policy/pipelines.policy.yaml"), b"{}\n");
}

#[test]
fn a_commit_or_push_that_changes_the_policy_has_every_spec_checked_against_it() {
    let remote = Repo::new_with(&["--bare"]);
    let repo = Repo::new();
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.write("pachhook.toml", CONFIG);
    repo.write("policy/pipelines.schema.json", "{}");
    repo.write("pipelines/edges.json", JSON_SNAKE);
    repo.write("pipelines/ok.json", COMPLIANT);
    repo.commit_all("permissive policy");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.install();

    // The commit touches no spec: the spec already committed breaks the new policy.
    repo.write("policy/pipelines.schema.json", POLICY);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "strict policy"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.json:4:")
            && text(&out).contains("images come from registry.example.com")
            && !text(&out).contains("pipelines/ok.json"),
        "{}",
        text(&out)
    );

    // Committed past the hook, the push checks every spec at its tip.
    repo.git(&["commit", "-q", "--no-verify", "-m", "strict policy"]);
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.json:4:"),
        "{}",
        text(&out)
    );
}
