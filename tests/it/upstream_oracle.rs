//! Cross-check against Pachyderm's own published schema, used as an oracle from
//! `$PACHHOOK_CORPUS/../pachyderm/upstream-schema` (never copied into the project).
//!
//! The upstream schema differs from what pachctl accepts in known ways (its README):
//! camelCase keys only, integers only as numbers, `$schema` rejected. The test removes
//! those differences from each instance before asking the oracle, then requires that
//! pachhook's schema verdict and the oracle's agree, on every real 2.x spec and on
//! mutations of them that break the schema.

use std::path::{Path, PathBuf};

use pachhook::check::{self, Options, Rule};
use pachhook::source::Source;
use serde_json::{Map, Value, json};

/// Rules that correspond to what a JSON schema can say.
const SCHEMA_RULES: &[Rule] = &[
    Rule::UnknownField,
    Rule::InvalidValue,
    Rule::RemovedField,
    Rule::UnavailableField,
];

/// Map fields: their keys are user data, never renamed.
const MAP_FIELDS: &[&str] = &[
    "env",
    "node_selector",
    "nodeSelector",
    "annotations",
    "labels",
];

/// Integer fields that pachctl also accepts as decimal strings.
const INT_FIELDS: &[&str] = &[
    "constant",
    "number",
    "datumTries",
    "sizeBytes",
    "perWorker",
    "commits",
    "tolerationSeconds",
    "internalPort",
    "externalPort",
];

fn shared() -> Option<PathBuf> {
    crate::support::corpus().map(|dir| dir.join(".."))
}

fn oracle(shared: &Path) -> jsonschema::Validator {
    let path = shared.join("pachyderm/upstream-schema/CreatePipelineRequest-2.12.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&path).expect("upstream schema"))
        .expect("schema JSON");
    jsonschema::draft4::new(&schema).expect("upstream schema compiles")
}

/// The instance as the upstream schema wants it: camelCase keys, `$schema` gone,
/// decimal-string integers as numbers.
fn upstream_form(value: &Value, in_map_field: bool) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                if key == "$schema" && !in_map_field {
                    continue;
                }
                let name = if in_map_field {
                    key.clone()
                } else {
                    camel(key)
                };
                let mut v = upstream_form(v, !in_map_field && MAP_FIELDS.contains(&key.as_str()));
                if !in_map_field
                    && INT_FIELDS.contains(&name.as_str())
                    && let Some(n) = v.as_str().and_then(|s| s.parse::<i64>().ok())
                {
                    v = json!(n);
                }
                out.insert(name, v);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| upstream_form(v, false)).collect())
        }
        other => other.clone(),
    }
}

fn camel(key: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// pachhook's schema verdict: the schema-like findings on one spec.
fn our_schema_findings(name: &str, spec: &Value) -> Vec<String> {
    let source = Source::new(name, serde_json::to_vec_pretty(spec).unwrap());
    let report = check::check(vec![source], &Options::default());
    report.files[0]
        .findings
        .iter()
        .filter(|f| SCHEMA_RULES.contains(&f.rule))
        .map(|f| format!("{} {} {}", f.rule, f.pointer, f.message))
        .collect()
}

fn corpus_specs(shared: &Path) -> Vec<(String, Value)> {
    let mut specs = Vec::new();
    for dir in [
        "corpus/pachyderm-2.x-examples",
        "corpus/pachyderm-2.x-internal",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(shared.join(dir))
            .expect("corpus dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        paths.sort();
        for path in paths
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            let Ok(value) = serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap()) else {
                continue;
            };
            let items = match value {
                Value::Array(items) => items,
                other => vec![other],
            };
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            specs.extend(
                items
                    .into_iter()
                    .filter(|v| v.get("pipeline").is_some())
                    .map(|v| (name.clone(), v)),
            );
        }
    }
    specs
}

type Mutation = (&'static str, fn(&mut Value) -> bool);

/// Schema-breaking changes, each applied to every corpus spec it fits.
fn mutations() -> Vec<Mutation> {
    vec![
        ("unknown top-level key", |s| {
            s.as_object_mut()
                .unwrap()
                .insert("parallelismSpecc".into(), json!({}))
                .is_none()
        }),
        ("cmd is a string", |s| {
            match s.pointer_mut("/transform/cmd") {
                Some(cmd) => {
                    *cmd = json!("python3 main.py");
                    true
                }
                None => false,
            }
        }),
        ("unknown transform key", |s| {
            match s.pointer_mut("/transform") {
                Some(Value::Object(t)) => t
                    .insert("imagePullPolicy".into(), json!("Always"))
                    .is_none(),
                _ => false,
            }
        }),
        ("datum_tries is not a number", |s| {
            s.as_object_mut()
                .unwrap()
                .insert("datumTries".into(), json!("many"))
                .is_none()
        }),
        ("lazy is a string", |s| match s.pointer_mut("/input/pfs") {
            Some(Value::Object(p)) => p.insert("lazy".into(), json!("yes")).is_none(),
            _ => false,
        }),
        ("pipeline is a string", |s| {
            s["pipeline"] = json!("edges");
            true
        }),
        ("toleration operator unknown", |s| {
            s.as_object_mut().unwrap().insert(
                "tolerations".into(),
                json!([{"key": "gpu", "operator": "SOMETIMES"}]),
            );
            true
        }),
    ]
}

#[test]
fn schema_verdicts_agree_with_pachyderms_schema() {
    let Some(shared) = shared() else { return };
    let oracle = oracle(&shared);
    let specs = corpus_specs(&shared);
    assert!(
        specs.len() > 50,
        "expected the corpus's specs, found {}",
        specs.len()
    );
    let mut disagreements = Vec::new();
    let mut mutated = 0;
    for (name, spec) in &specs {
        let upstream_ok = oracle.is_valid(&upstream_form(spec, false));
        let ours = our_schema_findings(name, spec);
        if upstream_ok != ours.is_empty() {
            disagreements.push(format!(
                "{name}: upstream valid={upstream_ok}, pachhook {ours:?}"
            ));
        }
        if !upstream_ok {
            continue;
        }
        for (what, mutate) in mutations() {
            let mut m = spec.clone();
            if !mutate(&mut m) {
                continue;
            }
            mutated += 1;
            let upstream_ok = oracle.is_valid(&upstream_form(&m, false));
            let ours = our_schema_findings(name, &m);
            if upstream_ok != ours.is_empty() {
                disagreements.push(format!(
                    "{name} ({what}): upstream valid={upstream_ok}, pachhook {ours:?}"
                ));
            }
        }
    }
    assert!(mutated > 100, "too few mutations applied: {mutated}");
    assert!(
        disagreements.is_empty(),
        "pachhook and the upstream schema disagree:\n{}",
        disagreements.join("\n")
    );
}
