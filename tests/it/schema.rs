//! The spec description as a user meets it: `pachhook check FILE --format json` on small
//! fixtures (one case each, under tests/fixtures/schema/), and on the real specs of the
//! corpus named by PACHHOOK_CORPUS.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::check_json;

/// A finding as the JSON report shows it: rule, pointer, line, column.
type Seen = (String, String, u64, u64);

struct Run {
    code: i32,
    report: Value,
}

impl Run {
    fn findings(&self) -> Vec<&Value> {
        self.report["files"]
            .as_array()
            .expect("files")
            .iter()
            .flat_map(|f| f["findings"].as_array().expect("findings"))
            .collect()
    }

    fn seen(&self) -> Vec<Seen> {
        self.findings()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().expect("rule").to_string(),
                    f["pointer"].as_str().expect("pointer").to_string(),
                    f["line"].as_u64().expect("line"),
                    f["column"].as_u64().expect("column"),
                )
            })
            .collect()
    }

    /// The help of each finding, in order.
    fn helps(&self) -> Vec<&str> {
        self.findings()
            .iter()
            .map(|f| f["help"].as_str().unwrap_or_default())
            .collect()
    }

    /// The one finding of the run, after checking it is the expected one.
    fn only(&self, rule: &str, pointer: &str, line: u64, column: u64) -> &Value {
        let seen = self.seen();
        assert_eq!(
            seen,
            [(rule.to_string(), pointer.to_string(), line, column)],
            "{:#}",
            self.report
        );
        self.findings()[0]
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schema")
        .join(name)
}

/// Runs `pachhook check --format json` outside any repository, so no pachhook.toml
/// changes the defaults.
fn check(paths: &[PathBuf], extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let extra = extra.iter().map(PathBuf::from);
    let (code, report) = check_json(dir.path(), paths.iter().cloned().chain(extra));
    Run { code, report }
}

fn check_fixture(name: &str, extra: &[&str]) -> Run {
    check(&[fixture(name)], extra)
}

fn seen(rule: &str, pointer: &str, line: u64, column: u64) -> Seen {
    (rule.to_string(), pointer.to_string(), line, column)
}

#[test]
fn valid_specs_in_either_spelling_pass() {
    for name in [
        "snake.json",
        "camel.json",
        "string-integers.json",
        "schema-keys.json",
        "env-keys.json",
    ] {
        let run = check_fixture(name, &[]);
        assert_eq!(run.seen(), [], "{name}: {:#}", run.report);
        assert_eq!(run.code, 0, "{name}");
        assert_eq!(run.report["summary"]["specs"], 1, "{name}");
    }
}

#[test]
fn values_of_map_fields_must_be_strings() {
    let run = check_fixture("env-not-string.json", &[]);
    assert_eq!(
        run.seen(),
        [
            seen("invalid-value", "/transform/env/PORT", 6, 15),
            seen("invalid-value", "/transform/env/DEBUG", 7, 16),
        ]
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.findings()[0]["help"], "quote it: \"8080\"");
}

#[test]
fn unknown_fields_suggest_the_snake_case_name() {
    let run = check_fixture("did-you-mean-snake.json", &[]);
    assert_eq!(
        run.seen(),
        [
            seen("unknown-field", "/transform/imagee", 3, 44),
            seen("unknown-field", "/paralelism_spec", 4, 3),
            seen("unknown-field", "/input/pfs/gloob", 5, 47),
        ]
    );
    assert_eq!(
        run.helps(),
        [
            "did you mean `image`?",
            "did you mean `parallelism_spec`?",
            "did you mean `glob`?"
        ]
    );
    assert_eq!(
        run.findings()[1]["message"],
        "`paralelism_spec` is not a field of the spec"
    );
}

#[test]
fn unknown_fields_suggest_the_camel_case_name_in_a_camel_case_spec() {
    let run = check_fixture("did-you-mean-camel.json", &[]);
    assert_eq!(
        run.seen(),
        [
            seen("unknown-field", "/transform/imagePullSecret", 3, 44),
            seen("unknown-field", "/datumtries", 5, 3),
            seen("unknown-field", "/input/pfs/emptyfiles", 6, 47),
        ]
    );
    assert_eq!(
        run.helps(),
        [
            "did you mean `imagePullSecrets`?",
            "did you mean `datumTries`?",
            "did you mean `emptyFiles`?"
        ]
    );
}

#[test]
fn unknown_fields_without_a_close_name_say_what_to_do() {
    let run = check_fixture("unknown-no-suggestion.json", &[]);
    assert_eq!(
        run.seen(),
        [
            seen("unknown-field", "/image", 4, 3),
            seen("unknown-field", "/owner", 5, 3),
        ]
    );
    let findings = run.findings();
    assert_eq!(
        findings[0]["help"],
        "`image` is a field of `transform`: move it there"
    );
    assert!(
        findings[1]["help"]
            .as_str()
            .is_some_and(|h| h.starts_with("remove it")),
        "{:#}",
        findings[1]
    );
}

#[test]
fn pachyderm_1_fields_are_removed_fields_with_their_replacement() {
    let run = check_fixture("removed-snake.json", &[]);
    assert_eq!(
        run.seen(),
        [
            seen("removed-field", "/transform/build", 3, 44),
            seen("removed-field", "/parallelism_spec/coefficient", 4, 24),
            seen("removed-field", "/enable_stats", 5, 3),
            seen("removed-field", "/standby", 6, 3),
            seen("removed-field", "/cache_size", 7, 3),
            seen("removed-field", "/max_queue_size", 8, 3),
            seen("removed-field", "/chunk_spec", 9, 3),
            seen("removed-field", "/hashtree_spec", 10, 3),
            seen("removed-field", "/input/atom", 11, 13),
        ]
    );
    let findings = run.findings();
    let message = |i: usize| findings[i]["message"].as_str().unwrap_or_default();
    assert!(
        message(1).ends_with("2.x uses `constant`"),
        "{}",
        message(1)
    );
    assert!(
        message(3).ends_with("2.x uses `autoscaling`"),
        "{}",
        message(3)
    );
    assert!(message(8).ends_with("2.x uses `pfs`"), "{}", message(8));
    let build_help = findings[0]["help"].as_str().unwrap_or_default();
    assert!(build_help.contains("pachhook deploy"), "{build_help}");
    for f in &findings {
        assert!(!f["help"].as_str().unwrap_or_default().is_empty(), "{f:#}");
    }
}

#[test]
fn pachyderm_1_fields_are_recognized_in_camel_case() {
    let run = check_fixture("removed-camel.json", &[]);
    assert_eq!(
        run.seen(),
        [
            seen("removed-field", "/enableStats", 4, 3),
            seen("removed-field", "/cacheSize", 5, 3),
            seen("removed-field", "/maxQueueSize", 6, 3),
            seen("removed-field", "/chunkSpec", 7, 3),
            seen("removed-field", "/hashtreeSpec", 8, 3),
            seen("removed-field", "/spout/overwrite", 9, 13),
            seen("removed-field", "/spout/marker", 9, 32),
            // A separate mistake, found by the server rules: a spout takes no input.
            seen("invalid-input", "/input", 10, 3),
            seen("removed-field", "/input/git", 10, 13),
        ]
    );
}

#[test]
fn a_field_newer_than_the_target_release_is_unavailable() {
    let run = check_fixture("too-new.json", &["--pachyderm", "2.5"]);
    let f = run.only("unavailable-field", "/maximum_expected_uptime", 4, 3);
    assert_eq!(
        f["message"],
        "`maximum_expected_uptime` needs Pachyderm 2.9; this check targets 2.5 ([pachyderm] version / --pachyderm)"
    );
    assert_eq!(run.code, 1);
    for release in ["2.9", "2.12", "v2.12.0-rc.3"] {
        let run = check_fixture("too-new.json", &["--pachyderm", release]);
        assert_eq!(run.seen(), [], "{release}");
    }
    assert_eq!(check_fixture("too-new.json", &[]).seen(), []);
}

#[test]
fn details_json_is_only_for_2_7() {
    let run = check_fixture("details-json.json", &[]);
    let f = run.only("unavailable-field", "/detailsJson", 4, 3);
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("only in Pachyderm 2.7")),
        "{f:#}"
    );
    let run = check_fixture("details-json.json", &["--pachyderm", "2.7"]);
    assert_eq!(run.seen(), []);
}

#[test]
fn values_of_the_wrong_type_are_invalid_values() {
    let run = check_fixture("invalid-values.json", &[]);
    assert_eq!(
        run.seen(),
        [
            seen("invalid-value", "/transform/cmd", 5, 12),
            seen("invalid-value", "/transform/debug", 6, 14),
            seen("invalid-value", "/transform/accept_return_code/1", 7, 31),
            seen("invalid-value", "/parallelism_spec/constant", 9, 36),
            seen("invalid-value", "/resource_limits/cpu", 10, 30),
            seen("invalid-value", "/datum_timeout", 11, 20),
            seen("invalid-value", "/job_timeout", 12, 18),
            seen("invalid-value", "/tolerations/0/operator", 13, 32),
            seen("invalid-value", "/tolerations/0/effect", 13, 52),
            seen("invalid-value", "/input/cron/start", 14, 65),
            seen("invalid-value", "/service/internal_port", 15, 32),
            seen("invalid-value", "/metadata/labels", 16, 26),
        ]
    );
    let findings = run.findings();
    let text = |i: usize, key: &str| findings[i][key].as_str().unwrap_or_default().to_string();
    assert_eq!(
        text(3, "message"),
        "`parallelism_spec.constant` must be an integer (uint64), found 1.5"
    );
    assert_eq!(
        text(5, "help"),
        "write \"60s\": durations are seconds with an `s` suffix"
    );
    assert_eq!(
        text(7, "help"),
        "write `EXISTS`: enum names are case-sensitive"
    );
    assert!(
        text(8, "message").contains("ALL_EFFECTS, NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE")
    );
    assert!(text(10, "message").contains("out of range for int32"));
}

#[test]
fn pipeline_and_its_name_are_required() {
    let run = check_fixture("missing-pipeline.json", &[]);
    run.only("missing-field", "", 1, 1);
    let run = check_fixture("missing-name.json", &[]);
    let f = run.only("missing-field", "/pipeline", 2, 3);
    assert_eq!(f["message"], "`pipeline` has no `name`");
}

#[test]
fn one_field_in_both_spellings_is_refused() {
    let run = check_fixture("both-spellings.json", &[]);
    run.only("parse-error", "/parallelismSpec", 5, 3);
}

/// 1.x fields as real repositories still carry them.
const REAL_1X: &str = "\
pipeline: {name: legacy}
transform: {image: team/legacy:1}
scale_down_threshold: 600s
resourceSpec: {memory: 1G}
batch: true
inputs:
  - repo: {name: images}
    method: map
    runEmpty: false
---
pipeline: {name: joined}
transform: {image: team/j:1}
input:
  join:
    - pfs: {repo: a, glob: \"/(*)\", join_on: \"$1\", join_type: outer, method: map, run_empty: true}
    - pfs: {repo: b, glob: \"/(*)\", join_on: \"$1\"}
";

#[test]
fn pachyderm_1_fields_real_specs_still_carry_get_their_2x_replacement() {
    // From real repositories: `scale_down_threshold` (the 1.x way to scale down),
    // `resource_spec` (the 1.4 name of `resource_requests`), the pre-`input` `inputs`
    // list with `method`/`runEmpty`, `batch`, and join inputs written with `join_type`.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("legacy.yaml");
    std::fs::write(&path, REAL_1X).unwrap();
    let run = check(&[path], &[]);
    let removed: Vec<(String, String)> = run
        .findings()
        .iter()
        .filter(|f| f["rule"] == "removed-field")
        .map(|f| {
            (
                f["pointer"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let pointers: Vec<&str> = removed.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/scale_down_threshold",
            "/resourceSpec",
            "/batch",
            "/inputs",
            "/input/join/0/pfs/join_type",
            "/input/join/0/pfs/method",
            "/input/join/0/pfs/run_empty",
        ],
        "{:#}",
        run.report
    );
    let uses = |pointer: &str, replacement: &str| {
        let (_, message) = removed.iter().find(|(p, _)| p == pointer).unwrap();
        assert!(
            message.ends_with(&format!("2.x uses `{replacement}`")),
            "{pointer}: {message}"
        );
    };
    uses("/scale_down_threshold", "autoscaling");
    uses("/resourceSpec", "resourceRequests");
    uses("/inputs", "input");
    uses("/input/join/0/pfs/join_type", "outer_join");
    // None of them is a bare unknown-field.
    assert!(
        !run.findings().iter().any(|f| f["rule"] == "unknown-field"),
        "{:#}",
        run.report
    );
}

#[test]
fn a_secret_for_an_environment_variable_needs_its_key() {
    // pachd (2.3 and later, `validateSecret`): "secret S has env_var set but is missing
    // key". A mounted secret needs none.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.yaml");
    std::fs::write(
        &path,
        "pipeline: {name: s}\ntransform:\n  image: team/s:1\n  secrets:\n    \
         - {name: creds, env_var: TOKEN}\n    - {name: ok, env_var: TOKEN2, key: token}\n    \
         - {name: files, mount_path: /secrets}\ninput: {pfs: {repo: r, glob: /}}\n",
    )
    .unwrap();
    let run = check(&[path], &[]);
    assert_eq!(run.code, 1);
    let finding = run.only("missing-field", "/transform/secrets/0", 5, 7);
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("`creds`") && message.contains("`key`"),
        "{message}"
    );
}
