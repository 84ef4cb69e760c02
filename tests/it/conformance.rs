//! Conformance over real specs from Pachyderm's repository (`$PACHHOOK_CORPUS`, see
//! ../shared/corpus/README.md), driving the binary the way a user or CI does:
//! `pachhook check --format json DIR`.
//!
//! Expectations are computed from the raw files here, independently of pachhook's own
//! parsers, so the test cannot agree with the code by construction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{check_json, corpus, scratch};

/// Runs `pachhook check --format json` on a directory; returns the exit code and report.
fn check_dir(dir: &Path) -> (i32, Value) {
    check_json(scratch(), [dir])
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// rule id -> file names with that finding.
fn findings_by_rule(report: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_rule: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in report["files"].as_array().unwrap() {
        for f in file["findings"].as_array().unwrap() {
            by_rule
                .entry(f["rule"].as_str().unwrap().into())
                .or_default()
                .insert(file_name(file["path"].as_str().unwrap()));
        }
    }
    by_rule
}

/// The images named in a file's raw text: `"image": "x"` in JSON, `image: x` in YAML.
fn raw_images(text: &str) -> Vec<String> {
    let mut images = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches("- ");
        let rest = line
            .strip_prefix("\"image\"")
            .or_else(|| line.strip_prefix("image"));
        if let Some(rest) = rest.and_then(|r| r.trim_start().strip_prefix(':')) {
            let value = rest
                .trim()
                .trim_end_matches(',')
                .trim_matches(|c| c == '"' || c == '\'');
            images.push(value.to_string());
        }
    }
    images
}

/// An image floats when it has no digest and its tag (after the last `/`) is absent or
/// `latest`.
fn floats(image: &str) -> bool {
    // A template placeholder such as `$PIPELINE_DOCKER_IMAGE` is no reference at all:
    // that is `invalid-image`, not a floating tag.
    let reference = |c: char| c.is_ascii_alphanumeric() || "./:@_-".contains(c);
    if image.contains('@') || !image.chars().all(reference) {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

/// The pipeline names in a file's raw text: `"pipeline": {"name": "x"` in JSON,
/// `pipeline:` then `name: x` in YAML. (No spec in the corpus sets `pipeline.project`.)
fn raw_pipeline_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\"pipeline\"") {
        rest = &rest[i + "\"pipeline\"".len()..];
        let object = rest.trim_start().strip_prefix(':').map(str::trim_start);
        if let Some(object) = object.and_then(|o| o.strip_prefix('{')) {
            let name = object
                .trim_start()
                .strip_prefix("\"name\"")
                .and_then(|r| r.trim_start().strip_prefix(':'));
            if let Some(value) = name.and_then(|r| r.trim_start().strip_prefix('"')) {
                names.extend(value.split('"').next().map(str::to_string));
            }
        }
    }
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line.trim_start_matches("- ") == "pipeline:"
            && let Some(name) = lines.next().and_then(|l| l.strip_prefix("name:"))
        {
            names.push(
                name.trim()
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_string(),
            );
        }
    }
    names
}

/// The spec files of a corpus folder, sorted; each folder holds at least 20, so a
/// loop over an empty or misplaced folder fails instead of passing.
fn spec_files(dir: &Path) -> Vec<PathBuf> {
    crate::support::corpus_files(dir, 20)
}

/// rule's findings per file name, for one rule.
fn count_by_file(report: &Value, rule: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for file in report["files"].as_array().unwrap() {
        let n = file["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .count();
        if n > 0 {
            counts.insert(file_name(file["path"].as_str().unwrap()), n);
        }
    }
    counts
}

/// How many keys of a JSON text repeat a key earlier in the same object, counted by a
/// serde visitor (serde_json's own `Value` would silently keep the last).
fn repeated_keys(text: &str) -> Result<usize, serde_json::Error> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    struct Count<'a>(&'a mut usize);
    impl<'de> DeserializeSeed<'de> for Count<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Count<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Count(&mut *self.0))?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut keys = BTreeSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !keys.insert(key) {
                    *self.0 += 1;
                }
                map.next_value_seed(Count(&mut *self.0))?;
            }
            Ok(())
        }
    }
    let mut n = 0;
    let mut de = serde_json::Deserializer::from_str(text);
    Count(&mut n).deserialize(&mut de)?;
    de.end()?;
    Ok(n)
}

fn expect_2x(dir: &Path, allowed: &[(&str, &[&str])]) {
    let (code, report) = check_dir(dir);
    let by_rule = findings_by_rule(&report);
    let specs = report["summary"]["specs"].as_u64().unwrap_or(0);
    assert!(
        specs >= 20,
        "only {specs} specs checked in {}",
        dir.display()
    );

    // Every spec parses.
    assert_eq!(
        by_rule.get("parse-error"),
        None,
        "parse errors in real 2.x specs"
    );

    // Floating images are reported exactly where the files have them. A pipeline name
    // already defined earlier (in path order) is a duplicate: an error when the earlier
    // definition is in the same file, a warning across files (nothing here deploys).
    let mut expected = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut same_file = false;
    for path in spec_files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("\"pipeline\"") || text.contains("pipeline:") {
            let name = file_name(&path.to_string_lossy());
            if raw_images(&text).iter().any(|i| floats(i)) {
                expected.insert(name.clone());
            }
            let mut here = BTreeSet::new();
            for pipeline in raw_pipeline_names(&text) {
                let severity = if here.contains(&pipeline) {
                    "error"
                } else {
                    "warning"
                };
                same_file |= severity == "error";
                here.insert(pipeline.clone());
                if !seen.insert(pipeline) {
                    duplicates.insert((name.clone(), severity.to_string()));
                }
            }
        }
    }
    let reported: BTreeSet<(String, String)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|file| {
            let name = file_name(file["path"].as_str().unwrap());
            file["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["rule"] == "duplicate-pipeline")
                .map(move |f| (name.clone(), f["severity"].as_str().unwrap().to_string()))
        })
        .collect();
    assert_eq!(
        reported, duplicates,
        "duplicate-pipeline findings differ from the files' names"
    );
    let reported = by_rule.get("floating-tag").cloned().unwrap_or_default();
    assert_eq!(
        reported, expected,
        "floating-tag findings differ from the files' images"
    );
    assert_eq!(code, i32::from(!expected.is_empty() || same_file));

    // Keys repeated in a mapping, counted in the raw JSON files; the corpus's YAML files
    // are read by pachhook only, so they must have none either way.
    let mut repeated = BTreeMap::new();
    for path in spec_files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = file_name(&path.to_string_lossy());
        if let Ok(n @ 1..) = repeated_keys(&text) {
            repeated.insert(name, n);
        }
    }
    assert_eq!(
        count_by_file(&report, "duplicate-key"),
        repeated,
        "duplicate-key findings differ from the files' repeated keys"
    );

    // Templates: no `[[template]]` gives them arguments here, so each jsonnet file that
    // mentions `pipeline` is read for syntax and warned about, nothing else.
    let templates: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonnet"))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("pipeline"))
        .map(|p| file_name(&p.to_string_lossy()))
        .collect();
    assert_eq!(
        by_rule
            .get("unchecked-template")
            .cloned()
            .unwrap_or_default(),
        templates,
        "unchecked-template findings differ from the folder's templates"
    );

    // No other error rule fires except where a spec really breaks a rule (listed).
    for (rule, files) in &by_rule {
        if [
            "floating-tag",
            "missing-image",
            "duplicate-pipeline",
            "duplicate-key",
            "unchecked-template",
        ]
        .contains(&rule.as_str())
        {
            continue;
        }
        let allowed: BTreeSet<String> = allowed
            .iter()
            .find(|(r, _)| r == rule)
            .map(|(_, f)| f.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(files, &allowed, "unexpected `{rule}` findings");
    }
}

#[test]
fn pachyderm_2x_examples_conform() {
    let Some(corpus) = corpus() else { return };
    // Each of these really breaks a pachd rule: `run/config` is a template with
    // `$PIPELINE_NAME` and `$PIPELINE_DOCKER_IMAGE` placeholders where a name and an
    // image belong, and `redshift`'s pfs input has no glob.
    let config = &["examples__run__config__pipeline.pipeline.json"][..];
    expect_2x(
        &corpus.join("pachyderm-2.x-examples"),
        &[
            ("invalid-name", config),
            ("invalid-image", config),
            (
                "invalid-input",
                &["examples__redshift__pipeline.pipeline.json"],
            ),
        ],
    );
}

#[test]
fn pachyderm_2x_internal_specs_conform() {
    let Some(corpus) = corpus() else { return };
    // This folder gathers fixtures of unrelated test suites (console fixtures, test DAGs,
    // CI workloads) that reuse pipeline names: checked as one set, those really are
    // duplicates, and pachhook must say so (`expect_2x` finds them in the raw files).
    expect_2x(&corpus.join("pachyderm-2.x-internal"), &[]);
}

/// The 1.x-only fields FACTS.md lists, by the key names they appear under.
const ONE_X_FIELDS: &[&str] = &[
    "enable_stats",
    "standby",
    "cache_size",
    "max_queue_size",
    "chunk_spec",
    "hashtree_spec",
    "build",
    "git",
    "overwrite",
    "marker",
    "coefficient",
    "atom",
    "strategy",
];

fn collect_1x_pointers(value: &Value, pointer: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let p = format!("{pointer}/{key}");
                // `overwrite` is also a 2.x cron field: only the spout's is 1.x-only.
                let spout_only = key == "overwrite" && !pointer.ends_with("/spout");
                if ONE_X_FIELDS.contains(&key.as_str()) && !spout_only {
                    out.insert(p.clone());
                }
                if key != "env" {
                    collect_1x_pointers(v, &p, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_1x_pointers(v, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn pachyderm_1_13_fields_are_reported_with_their_replacement() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("pachyderm-1.13-examples");
    let (code, report) = check_dir(&dir);
    assert_eq!(code, 1);
    let by_rule = findings_by_rule(&report);
    // Nothing else in these specs is outside the 2.x field set.
    for rule in ["unknown-field", "invalid-value", "unavailable-field"] {
        assert_eq!(by_rule.get(rule), None, "unexpected `{rule}` findings");
    }
    let mut checked = 0;
    for path in spec_files(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let name = file_name(&path.to_string_lossy());
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(raw) = serde_json::from_str::<Value>(&text) else {
            // Not one JSON document and no `---` separating several: pachctl 2.x cannot
            // read it either (concatenated objects, a missing comma).
            if !text.contains("\n---") {
                let broken = by_rule
                    .get("parse-error")
                    .is_some_and(|f| f.contains(&name));
                assert!(
                    broken,
                    "{name} is not readable JSON: expected a parse-error"
                );
            }
            continue;
        };
        let mut expected = BTreeSet::new();
        collect_1x_pointers(&raw, "", &mut expected);
        let file = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| file_name(f["path"].as_str().unwrap()) == name);
        let reported: BTreeSet<String> = file
            .map(|f| {
                f["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|x| x["rule"] == "removed-field")
                    .map(|x| x["pointer"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(reported, expected, "{name}: 1.x fields reported");
        checked += expected.len();
        if let Some(file) = file {
            for f in file["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["rule"] == "removed-field")
            {
                let pointer = f["pointer"].as_str().unwrap();
                let help = f["help"].as_str().unwrap();
                if pointer.ends_with("/atom") {
                    assert!(
                        help.contains("pfs"),
                        "{name} {pointer}: help should name pfs: {help}"
                    );
                }
                if pointer.ends_with("/standby") {
                    assert!(
                        help.contains("autoscaling"),
                        "{name} {pointer}: help should name autoscaling: {help}"
                    );
                }
            }
        }
    }
    // The 1.13 examples use `standby`, `spout.overwrite` and `spout.marker`.
    assert!(
        checked >= 5,
        "expected the 1.x fields of the 1.13 examples, found {checked}"
    );
}

/// The JSON specs of the 2.x corpus that are one object with a top-level `transform`:
/// (file name, text).
fn json_specs_with_transform(corpus: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for folder in ["pachyderm-2.x-examples", "pachyderm-2.x-internal"] {
        for path in spec_files(&corpus.join(folder)) {
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(Value::Object(spec)) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if spec.contains_key("pipeline")
                && spec.contains_key("transform")
                && text.trim_start().starts_with('{')
            {
                found.push((file_name(&path.to_string_lossy()), text));
            }
        }
    }
    assert!(found.len() > 20, "too few JSON specs: {}", found.len());
    found
}

/// Each spec with `insert` put right after its opening `{`, in a temporary directory.
fn mutated(specs: &[(String, String)], insert: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in specs {
        let at = text.find('{').unwrap() + 1;
        let text = format!("{}{insert}{}", &text[..at], &text[at..]);
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn check_release(dir: &Path, release: &str) -> Value {
    let args = [dir.as_os_str(), "--pachyderm".as_ref(), release.as_ref()];
    check_json(scratch(), args).1
}

/// (file, rule, pointer, line) of every finding but `rule`.
fn findings_except(report: &Value, rule: &str) -> BTreeSet<(String, String, String, u64)> {
    let mut found = BTreeSet::new();
    for file in report["files"].as_array().unwrap() {
        let name = file_name(file["path"].as_str().unwrap());
        for f in file["findings"].as_array().unwrap() {
            if f["rule"] != rule {
                found.insert((
                    name.clone(),
                    f["rule"].as_str().unwrap().to_string(),
                    f["pointer"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                ));
            }
        }
    }
    found
}

/// A real spec with a first `transform` that a later one repeats: from 2.8 pachctl uses
/// the later one, so everything but one `duplicate-key` warning is as for the original
/// (the shadowed `0` would be an `invalid-value`); before 2.8 the file is refused.
#[test]
fn repeated_keys_in_real_specs_follow_the_release() {
    let Some(corpus) = corpus() else { return };
    let specs = json_specs_with_transform(&corpus);
    let original = mutated(&specs, "");
    let repeated = mutated(&specs, "\"transform\": 0, ");
    let expected = findings_except(&check_release(original.path(), "2.12"), "");
    let report = check_release(repeated.path(), "2.12");
    assert_eq!(findings_except(&report, "duplicate-key"), expected);
    let every: BTreeMap<String, usize> = specs.iter().map(|(n, _)| (n.clone(), 1)).collect();
    assert_eq!(count_by_file(&report, "duplicate-key"), every);
    for file in report["files"].as_array().unwrap() {
        for f in file["findings"].as_array().unwrap() {
            if f["rule"] == "duplicate-key" {
                assert_eq!(f["severity"], "warning");
                assert_eq!(f["pointer"], "/transform");
                let message = f["message"].as_str().unwrap();
                assert!(message.contains("at 1:2 and "), "{message}");
                assert!(message.contains("uses the last value"), "{message}");
            }
        }
    }
    let report = check_release(repeated.path(), "2.7");
    assert_eq!(count_by_file(&report, "duplicate-key"), BTreeMap::new());
    assert_eq!(count_by_file(&report, "parse-error"), every);
}

/// `dry_run` added to every real spec: one `dry-run-field` error each, and nothing else
/// changes.
#[test]
fn dry_run_in_real_specs_is_reported() {
    let Some(corpus) = corpus() else { return };
    let specs = json_specs_with_transform(&corpus);
    let original = mutated(&specs, "");
    let expected = findings_except(&check_release(original.path(), "2.12"), "");
    for key in ["dry_run", "dryRun"] {
        let dir = mutated(&specs, &format!("\"{key}\": true, "));
        let report = check_release(dir.path(), "2.12");
        assert_eq!(findings_except(&report, "dry-run-field"), expected);
        let every: BTreeMap<String, usize> = specs.iter().map(|(n, _)| (n.clone(), 1)).collect();
        assert_eq!(count_by_file(&report, "dry-run-field"), every, "{key}");
    }
}

/// Whether a JSON input tree has a cron input.
fn has_cron(input: &Value) -> bool {
    let Value::Object(map) = input else {
        return false;
    };
    map.iter().any(|(k, v)| match k.as_str() {
        "cron" => !v.is_null(),
        "cross" | "union" | "join" | "group" => v.as_array().into_iter().flatten().any(has_cron),
        _ => false,
    })
}

/// With `[deploy] enabled` and `reprocess`, exactly the specs with a cron input warn.
#[test]
fn reprocess_warns_on_the_real_cron_pipelines() {
    let Some(corpus) = corpus() else { return };
    let repo = tempfile::tempdir().unwrap();
    let git = crate::support::isolated("git")
        .args(["init", "-q"])
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(git.success());
    std::fs::write(
        repo.path().join("pachhook.toml"),
        "[deploy]\nenabled = true\nreprocess = true\n",
    )
    .unwrap();
    let mut crons = 0;
    for folder in ["pachyderm-2.x-examples", "pachyderm-2.x-internal"] {
        let dir = corpus.join(folder);
        let mut expected = BTreeMap::new();
        for path in spec_files(&dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            let specs = match serde_json::from_str::<Value>(&text) {
                Ok(Value::Array(items)) => items,
                Ok(spec) => vec![spec],
                // YAML: a line `cron:` inside the input.
                Err(_) => {
                    let n = text
                        .lines()
                        .filter(|l| l.trim().trim_start_matches("- ").starts_with("cron:"))
                        .count();
                    if n > 0 {
                        expected.insert(file_name(&path.to_string_lossy()), n);
                    }
                    continue;
                }
            };
            let n = specs.iter().filter(|s| has_cron(&s["input"])).count();
            if n > 0 && specs.iter().any(|s| s.get("pipeline").is_some()) {
                expected.insert(file_name(&path.to_string_lossy()), n);
            }
        }
        let (_, report) = check_json(repo.path(), [&dir]);
        assert_eq!(
            count_by_file(&report, "cron-reprocess"),
            expected,
            "{folder}"
        );
        crons += expected.len();
    }
    assert!(crons >= 3, "the corpus has cron pipelines: {crons}");
}
