//! `pachhook schema`: the JSON Schema editors use agrees with `check` on the corpus of
//! real Pachyderm specs (`$PACHHOOK_CORPUS`): it accepts every spec that `check` finds
//! free of schema findings, and rejects every spec with a field `check` refuses (unknown,
//! 1.x, not in the release) and every corpus spec given an unknown field. Validated with
//! the `jsonschema` crate as draft-07, the dialect the YAML language server reads.

use std::collections::BTreeMap;
use std::path::Path;

use pachhook::spec::{Node, Value as V};
use serde_json::{Value, json};

use crate::support::{Repo, code, corpus, text};

/// Rules whose findings a JSON schema can express; `check` has more (server rules).
const SCHEMA_RULES: &[&str] = &[
    "unknown-field",
    "removed-field",
    "unavailable-field",
    "invalid-value",
];
/// Findings the schema must reject for.
const FIELD_RULES: &[&str] = &["unknown-field", "removed-field", "unavailable-field"];

fn schema(release: &str) -> jsonschema::Validator {
    let out = crate::support::isolated(crate::support::PACHHOOK)
        .args(["schema", "--pachyderm", release])
        .output()
        .expect("run pachhook");
    assert_eq!(code(&out), 0, "{}", text(&out));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    jsonschema::draft7::new(&schema).expect("the schema compiles as draft-07")
}

/// A spec as an editor's language server sees it: the keys as written.
fn as_written(node: &Node) -> Value {
    match &node.value {
        V::Null => Value::Null,
        V::Bool(b) => json!(b),
        V::Number { text, .. } => serde_json::from_str(text).unwrap_or(json!(text)),
        V::String(s) => json!(s),
        V::Seq(items) => Value::Array(items.iter().map(as_written).collect()),
        V::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.written.clone(), as_written(&e.value)))
                .collect(),
        ),
    }
}

/// Each spec of a file, in the order `check` numbers them (documents, list elements).
fn specs_of(path: &Path) -> Vec<Value> {
    let docs = pachhook::spec::read::read(&std::fs::read(path).unwrap()).expect("readable");
    docs.iter()
        .flat_map(|doc| match as_written(doc) {
            Value::Array(items) => items,
            other => vec![other],
        })
        .collect()
}

/// `check --format json` on a directory: for each file, the rules found per spec index.
fn findings(dir: &Path, release: &str) -> BTreeMap<String, BTreeMap<u64, Vec<String>>> {
    let out = crate::support::isolated(crate::support::PACHHOOK)
        .args(["check", "--format", "json", "--pachyderm", release])
        .arg(dir)
        .env_remove("PACHHOOK_SKIP")
        .output()
        .expect("run pachhook");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let mut files = BTreeMap::new();
    for file in report["files"].as_array().unwrap() {
        let findings = file["findings"].as_array().unwrap();
        // A jsonnet template is no document an editor validates against the schema.
        let template = file["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(".jsonnet"));
        if template || findings.iter().any(|f| f["rule"] == "parse-error") {
            continue; // not a document an editor could validate either
        }
        let mut by_spec: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for spec in file["specs"].as_array().unwrap() {
            by_spec.insert(spec["index"].as_u64().unwrap(), Vec::new());
        }
        for f in findings {
            if let Some(i) = f["spec"].as_u64() {
                by_spec
                    .entry(i)
                    .or_default()
                    .push(f["rule"].as_str().unwrap().to_string());
            }
        }
        files.insert(file["path"].as_str().unwrap().to_string(), by_spec);
    }
    files
}

#[test]
fn the_schema_agrees_with_check_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    let dirs = [
        "pachyderm-2.x-examples",
        "pachyderm-2.x-internal",
        "pachyderm-1.13-examples",
    ];
    let (mut accepted, mut rejected, mut mutated) = (0, 0, 0);
    let mut wrong = Vec::new();
    for release in ["2.12", "2.0"] {
        let validator = schema(release);
        for dir in dirs {
            for (path, by_spec) in findings(&corpus.join(dir), release) {
                let specs = specs_of(Path::new(&path));
                assert_eq!(specs.len(), by_spec.len(), "{path}: spec count");
                for (i, spec) in specs.iter().enumerate() {
                    let rules = &by_spec[&(i as u64)];
                    let valid = validator.is_valid(spec);
                    if !rules.iter().any(|r| SCHEMA_RULES.contains(&r.as_str())) {
                        accepted += 1;
                        if !valid {
                            let errors: Vec<String> =
                                validator.iter_errors(spec).map(|e| e.to_string()).collect();
                            wrong.push(format!("{release} {path}#{i}: rejected: {errors:?}"));
                        }
                        // The same spec with a key that is no field: rejected.
                        for pointer in ["", "/transform", "/input/pfs"] {
                            let mut spec = spec.clone();
                            if let Some(Value::Object(map)) = spec.pointer_mut(pointer) {
                                map.insert("imagePullPolicy".into(), json!("Always"));
                                mutated += 1;
                                if validator.is_valid(&spec) {
                                    wrong.push(format!(
                                        "{release} {path}#{i}: accepted an unknown key at {pointer:?}"
                                    ));
                                }
                            }
                        }
                    } else if rules.iter().any(|r| FIELD_RULES.contains(&r.as_str())) {
                        rejected += 1;
                        if valid {
                            wrong.push(format!("{release} {path}#{i}: accepted despite {rules:?}"));
                        }
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // The corpus exercises both sides.
    assert!(
        accepted > 100 && rejected > 10 && mutated > 200,
        "{accepted} {rejected} {mutated}"
    );
    eprintln!(
        "schema: {accepted} specs accepted, {rejected} rejected, {mutated} mutations rejected"
    );
}

#[test]
fn the_schema_reads_specs_as_pachctl_does() {
    let validator = schema("2.12");
    let good = [
        // Both spellings, integers as strings, durations, enums by name and number,
        // pod_spec as a JSON string, null fields, `$schema`, a list of specs.
        json!({"$schema": "https://example.com/s.json", "pipeline": {"name": "a"},
               "parallelism_spec": {"constant": "4"}, "datumTimeout": "1.5s",
               "transform": {"image": "a:1", "cmd": ["x"], "env": {"A": "1"}},
               "input": {"pfs": {"repo": "r", "glob": "/*"}},
               "tolerations": [{"operator": "EXISTS", "effect": 2, "tolerationSeconds": 30}],
               "pod_spec": "{\"nodeSelector\": {}}", "salt": null}),
        json!([{"pipeline": {"name": "a"}}, {"pipeline": {"name": "b"}}]),
        json!({"pipeline": {"name": "a"}, "maximum_expected_uptime": "60s",
               "input": {"cron": {"name": "t", "spec": "@daily", "start": "2024-01-31T08:00:00Z"}}}),
    ];
    for spec in &good {
        let errors: Vec<String> = validator.iter_errors(spec).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{spec}: {errors:?}");
    }
    let bad = [
        json!({"pipeline": {"name": "a"}, "datumTimeout": "5m"}),
        json!({"pipeline": {"name": "a"}, "enable_stats": true}),
        json!({"pipeline": {"name": "a"}, "parallelism_spec": {"constant": -1}}),
        json!({"pipeline": {"name": "a"}, "parallelism_spec": {"constant": "four"}}),
        json!({"pipeline": {"name": "a"}, "tolerations": [{"operator": "Exists"}]}),
        json!({"pipeline": {"name": "a"}, "pod_spec": {"nodeSelector": {}}}),
        json!({"pipeline": {"name": "a"}, "transform": {"env": {"A": 1}}}),
        json!({"pipeline": {"name": "a"}, "input": {"cron": {"start": "yesterday"}}}),
    ];
    for spec in &bad {
        assert!(!validator.is_valid(spec), "accepted {spec}");
    }
    // The release's fields only.
    let old = schema("2.8");
    let uptime = json!({"pipeline": {"name": "a"}, "maximumExpectedUptime": "60s"});
    assert!(!old.is_valid(&uptime));
    assert!(validator.is_valid(&uptime));
}

#[test]
fn the_default_release_is_the_repositorys() {
    let repo = Repo::new();
    repo.write("pachhook.toml", "[pachyderm]\nversion = \"2.8\"\n");
    let out = repo.pachhook(&["schema"]);
    assert_eq!(code(&out), 0, "{out}");
    assert!(
        out.stdout
            .contains("\"title\": \"Pachyderm 2.8 pipeline spec\"")
    );
    assert!(!out.stdout.contains("maximum_expected_uptime"));
    let out = repo.pachhook(&["schema", "--pachyderm", "3.0"]);
    assert_eq!(code(&out), 2, "{out}");
    assert!(out.stderr.contains("--pachyderm"), "{out}");
}

#[test]
fn one_field_in_both_spellings_is_refused_by_the_schema() {
    let validator = schema("2.12");
    let both = json!({"pipeline": {"name": "a"}, "parallelism_spec": {"constant": 1},
                      "parallelismSpec": {"constant": 2}});
    assert!(!validator.is_valid(&both));
    let nested = json!({"pipeline": {"name": "a"},
                        "transform": {"image": "a:1", "err_cmd": ["x"], "errCmd": ["y"]}});
    assert!(!validator.is_valid(&nested));
    // Either spelling alone, and different fields in different spellings, pass.
    for one in [
        json!({"pipeline": {"name": "a"}, "parallelismSpec": {"constant": 2}}),
        json!({"pipeline": {"name": "a"}, "parallelism_spec": {"constant": 2}, "datumTimeout": "1s"}),
    ] {
        assert!(validator.is_valid(&one), "{one}");
    }
    // pachctl agrees: check refuses the first.
    let repo = Repo::new();
    repo.write("p.json", &both.to_string());
    let out = repo.pachhook(&["check", "p.json"]);
    assert_eq!(out.code, Some(1), "{out}");
}

#[test]
fn every_field_says_what_it_does_in_every_release() {
    for release in ["2.0", "2.5", "2.12"] {
        let out = crate::support::isolated(crate::support::PACHHOOK)
            .args(["schema", "--pachyderm", release])
            .output()
            .unwrap();
        let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
        for (name, definition) in schema["definitions"].as_object().unwrap() {
            let Some(properties) = definition["properties"].as_object() else {
                continue;
            };
            for (key, property) in properties {
                let description = property["description"].as_str().unwrap_or_default();
                assert!(
                    description.len() > 8,
                    "{release} {name}.{key}: {description:?}"
                );
                // What it does, not where it comes from.
                assert!(
                    !description.contains("pps.") && !description.contains("pfs."),
                    "{release} {name}.{key}: {description}"
                );
            }
        }
    }
}

/// The YAML language server (from npm, `scripts/consumers.sh`) driven over LSP stdio as
/// an editor drives it: what it reports for `file`, hovers and completions.
fn yaml_language_server(
    dir: &Path,
    file: &str,
    settings: Value,
    hover: Value,
    complete: Value,
) -> Value {
    let request = json!({
        "server": ["node", crate::support::consumers().join("node_modules/yaml-language-server/bin/yaml-language-server"), "--stdio"],
        "root": dir,
        "file": dir.join(file),
        "languageId": "yaml",
        "settings": {"yaml": settings},
        "hover": hover,
        "complete": complete,
    });
    let path = dir.join(format!("{file}.lsp.json"));
    std::fs::write(&path, request.to_string()).unwrap();
    let mut node = std::process::Command::new("node");
    node.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/lsp-client.js"
    ))
    .arg(&path);
    let run = crate::support::run(node, std::time::Duration::from_secs(90));
    assert_eq!(run.code, Some(0), "{run}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"))
}

/// The diagnostics as `line: message`, 1-based lines.
fn diagnostics(result: &Value) -> Vec<String> {
    result["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}: {}",
                d["range"]["start"]["line"].as_u64().unwrap() + 1,
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

const TWO_DOCUMENTS: &str = "\
pipeline:
  name: one
transform:
  image: team/one:1
  cmd: [python3]
parallelism_spec: {constant: 1}
parallelismSpec: {constant: 2}
input: {pfs: {repo: r, glob: /}}
---
pipeline:
  name: two
transform:
  image: team/two:1
  nonsense: 1
input: {pfs: {repo: r, glob: /}}
";

#[test]
fn the_readme_editor_setup_validates_every_document_in_the_yaml_language_server() {
    let repo = Repo::new();
    let schema = repo.pachhook(&["schema"]);
    assert_eq!(schema.code, Some(0), "{schema}");
    repo.write(".pachyderm.schema.json", &schema.stdout);
    let dir = repo.path().to_path_buf();
    let schema_uri = format!("file://{}", dir.join(".pachyderm.schema.json").display());

    // The README's settings: every document of every matching file.
    repo.write("pipelines/specs.yaml", TWO_DOCUMENTS);
    let settings = json!({"validate": true, "hover": true, "completion": true,
                          "schemas": {schema_uri.clone(): ["pipelines/*.yaml"]}});
    let result = yaml_language_server(
        &dir,
        "pipelines/specs.yaml",
        settings,
        json!([[2, 3], [10, 4]]),
        json!([[4, 2], [7, 0]]),
    );
    let seen = diagnostics(&result);
    assert_eq!(
        seen,
        [
            "6: Property parallelism_spec is not allowed.",
            "7: Property parallelismSpec is not allowed.",
            "14: Property nonsense is not allowed.",
        ],
        "{result}"
    );
    // Hover says what the field does.
    let hover = result["hovers"][0]["contents"]["value"].as_str().unwrap();
    assert!(hover.contains("What each worker runs"), "{hover}");
    assert!(!hover.contains("pps."), "{hover}");
    let name = result["hovers"][1]["contents"]["value"].as_str().unwrap();
    assert!(name.contains("at most 51 characters"), "{name}");
    // Completion (on the `cmd` line of `transform`) offers each field once, in one
    // spelling, and not the ones present.
    let transform: Vec<&str> = result["completions"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        transform.contains(&"err_cmd") && transform.contains(&"working_dir"),
        "{transform:?}"
    );
    assert!(
        !transform.contains(&"errCmd") && !transform.contains(&"image"),
        "{transform:?}"
    );
    let top: Vec<&str> = result["completions"][1]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(top.contains(&"datum_timeout"), "{top:?}");
    assert!(
        !top.iter()
            .any(|l| l.starts_with("parallelism") || l.contains("Timeout")),
        "{top:?}"
    );

    // The modeline: one per document, as the README says; one at the top of the file
    // leaves the second document unchecked.
    let modeline = "# yaml-language-server: $schema=../.pachyderm.schema.json\n";
    let each = TWO_DOCUMENTS.replace("---\n", &format!("---\n{modeline}"));
    repo.write("other/each.yaml", &format!("{modeline}{each}"));
    repo.write("other/top.yaml", &format!("{modeline}{TWO_DOCUMENTS}"));
    let plain = json!({"validate": true, "schemas": {}});
    let each = diagnostics(&yaml_language_server(
        &dir,
        "other/each.yaml",
        plain.clone(),
        json!([]),
        json!([]),
    ));
    assert!(
        each.iter()
            .any(|d| d.ends_with("Property nonsense is not allowed.")),
        "{each:?}"
    );
    let top = diagnostics(&yaml_language_server(
        &dir,
        "other/top.yaml",
        plain,
        json!([]),
        json!([]),
    ));
    assert!(!top.iter().any(|d| d.contains("nonsense")), "{top:?}");
    assert!(top.iter().any(|d| d.contains("parallelismSpec")), "{top:?}");
}

#[test]
fn vs_codes_json_service_refuses_both_spellings_and_shows_what_a_field_does() {
    // A JSON spec with the README's `json.schemas` setup, through VS Code's own JSON
    // language service (npm `vscode-json-languageservice`).
    let repo = Repo::new();
    let schema = repo.pachhook(&["schema"]);
    assert_eq!(schema.code, Some(0), "{schema}");
    repo.write(".pachyderm.schema.json", &schema.stdout);
    repo.write(
        "pipelines/edges.json",
        "{\n  \"pipeline\": {\"name\": \"edges\"},\n  \"transform\": {\"image\": \"team/edges:1\", \"errCmd\": [\"x\"], \"err_cmd\": [\"y\"]},\n  \"parallelism_spec\": {\"constant\": 1},\n  \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\"}},\n  \"\": 0\n}\n",
    );
    let dir = repo.path();
    let request = json!({
        "node_modules": crate::support::consumers().join("node_modules"),
        "schema": dir.join(".pachyderm.schema.json"),
        "file": dir.join("pipelines/edges.json"),
        "hover": [[2, 4], [3, 4]],
        "complete": [[5, 3]],
    });
    let path = dir.join("json-service.json");
    std::fs::write(&path, request.to_string()).unwrap();
    let mut node = std::process::Command::new("node");
    node.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/json-service.js"
    ))
    .arg(&path);
    let run = crate::support::run(node, std::time::Duration::from_secs(60));
    assert_eq!(run.code, Some(0), "{run}");
    let result: Value = serde_json::from_str(&run.stdout).unwrap();
    let seen = diagnostics(&result);
    assert!(
        seen.contains(&"3: Property errCmd is not allowed.".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"3: Property err_cmd is not allowed.".to_string()),
        "{seen:?}"
    );
    let hover = result["hovers"][0]["contents"].to_string();
    assert!(hover.contains("What each worker runs"), "{hover}");
    let hover = result["hovers"][1]["contents"].to_string();
    assert!(hover.contains("How many workers"), "{hover}");
    assert!(!hover.contains("pps."), "{hover}");
    let offered: Vec<&str> = result["completions"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(offered.contains(&"datum_timeout"), "{offered:?}");
    assert!(
        !offered
            .iter()
            .any(|l| l.starts_with("parallelism") || *l == "datumTimeout" || *l == "transform"),
        "{offered:?}"
    );
}
