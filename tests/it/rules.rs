//! The server, image and across-files rules as a user meets them: `pachhook check FILE
//! --format json` on small spec files, one per case, and on Pachyderm's own examples.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::check_json;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(name)
}

/// Runs `pachhook check <paths> --format json` in `dir`; returns the exit code and the
/// parsed report.
fn check_in(dir: &Path, paths: &[PathBuf]) -> (i32, Value) {
    check_json(dir, paths)
}

/// Checks fixtures from an empty temporary directory, so no repository configuration
/// applies: the zero-config run.
fn check(paths: &[PathBuf]) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    check_in(dir.path(), paths)
}

/// `(rule, severity, pointer, line, column)` of every finding in every file.
type Row = (String, String, String, u64, u64);

fn rows(report: &Value) -> Vec<Row> {
    let mut rows = Vec::new();
    for file in report["files"].as_array().expect("files") {
        for f in file["findings"].as_array().expect("findings") {
            rows.push((
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["pointer"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
            ));
        }
    }
    rows
}

fn error(rule: &str, pointer: &str, line: u64, column: u64) -> Row {
    (rule.into(), "error".into(), pointer.into(), line, column)
}

/// Asserts the findings of one fixture checked alone, and the exit code that follows.
fn assert_case(name: &str, expected: &[Row]) {
    let (code, report) = check(&[fixture(name)]);
    assert_eq!(rows(&report), expected, "{name}");
    let errors = expected.iter().any(|r| r.1 == "error");
    assert_eq!(code, i32::from(errors), "{name}: exit code");
    for file in report["files"].as_array().into_iter().flatten() {
        for f in file["findings"].as_array().into_iter().flatten() {
            for key in ["message", "help"] {
                let text = f[key].as_str().unwrap_or_default();
                assert!(text.len() > 10, "{name}: {key} should say something: {f}");
            }
        }
    }
}

#[test]
fn a_spec_that_follows_every_rule_is_clean() {
    assert_case("valid.json", &[]);
    assert_case("image-digest.json", &[]);
}

#[test]
fn names() {
    assert_case(
        "invalid-name.json",
        &[error("invalid-name", "/pipeline/name", 2, 24)],
    );
    assert_case(
        "kube-name-too-long.json",
        &[error("invalid-name", "/pipeline/name", 4, 13)],
    );
    let (_, report) = check(&[fixture("kube-name-too-long.json")]);
    let message = report["files"][0]["findings"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("computer-vision-research-edge-detection-with-gaussian-blur-v2-v99"),
        "{message}"
    );
}

#[test]
fn required_fields() {
    assert_case(
        "missing-transform.json",
        &[error("missing-field", "", 1, 1)],
    );
    assert_case("missing-input.json", &[error("missing-field", "", 1, 1)]);
    assert_case(
        "spout-with-input.json",
        &[error("invalid-input", "/input", 5, 3)],
    );
}

#[test]
fn input_kinds() {
    assert_case(
        "no-input-set.json",
        &[error("invalid-input", "/input/cross/1", 7, 7)],
    );
    assert_case(
        "two-kinds.json",
        &[error("invalid-input", "/input/cron", 6, 5)],
    );
}

#[test]
fn pfs_inputs() {
    assert_case(
        "pfs-no-glob-commit.json",
        &[
            error("invalid-input", "/input/pfs", 5, 5),
            error("invalid-input", "/input/pfs/commit", 7, 7),
        ],
    );
    assert_case(
        "s3-rules.json",
        &[
            error("invalid-input", "/input/join/0/pfs/glob", 6, 42),
            error("invalid-input", "/input/join/0/pfs/s3", 6, 65),
            error("invalid-input", "/input/join/0/pfs/lazy", 6, 77),
        ],
    );
}

#[test]
fn input_names() {
    assert_case(
        "duplicate-input-name.json",
        &[error("invalid-input", "/input/cross/1/pfs/name", 7, 41)],
    );
    assert_case(
        "reserved-input-names.json",
        &[
            error("invalid-input", "/input/cross/0/pfs/repo", 6, 24),
            error("invalid-input", "/input/cross/1/pfs/name", 7, 39),
        ],
    );
}

#[test]
fn cron_inputs() {
    assert_case(
        "cron-rules.json",
        &[
            error("invalid-value", "/input/cross/0/cron/spec", 6, 41),
            error("invalid-input", "/input/cross/1/cron", 7, 8),
        ],
    );
}

#[test]
fn refused_fields_and_values() {
    assert_case(
        "refused-fields.json",
        &[
            error("invalid-value", "/tf_job", 5, 3),
            error("invalid-value", "/s3_out", 6, 3),
            error("invalid-value", "/autoscaling", 7, 3),
            error("invalid-value", "/reprocess_spec", 8, 21),
        ],
    );
    assert_case(
        "service-rules.json",
        &[
            error("invalid-value", "/service/type", 5, 70),
            error("invalid-value", "/parallelism_spec/constant", 6, 36),
        ],
    );
    assert_case(
        "pod-json.json",
        &[
            error("invalid-value", "/pod_spec", 5, 15),
            error("invalid-value", "/pod_patch", 6, 16),
        ],
    );
}

#[test]
fn images() {
    assert_case(
        "image-latest.json",
        &[error("floating-tag", "/transform/image", 4, 14)],
    );
    // pachctl's own test sees a `:` and is satisfied; the port is not a tag.
    assert_case(
        "image-registry-port.json",
        &[error("floating-tag", "/transform/image", 5, 14)],
    );
    assert_case(
        "image-invalid.json",
        &[error("invalid-image", "/transform/image", 3, 26)],
    );
    assert_case(
        "image-missing.json",
        &[(
            "missing-image".into(),
            "warning".into(),
            "/transform".into(),
            3,
            3,
        )],
    );
}

/// `(path, rule, severity, spec, pointer, line, column, message)` of every finding.
type Located = (
    String,
    String,
    String,
    Option<u64>,
    String,
    u64,
    u64,
    String,
);

fn located(report: &Value) -> Vec<Located> {
    let mut found = Vec::new();
    for file in report["files"].as_array().expect("files") {
        for f in file["findings"].as_array().expect("findings") {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            found.push((
                file["path"].as_str().unwrap_or_default().to_string(),
                text("rule"),
                text("severity"),
                f["spec"].as_u64(),
                text("pointer"),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                text("message"),
            ));
        }
    }
    found
}

/// A git repository in a temporary directory with these files.
fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let git = crate::support::isolated("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .expect("git runs");
    assert!(git.success());
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

#[test]
fn the_same_pipeline_in_two_files_warns_where_nothing_deploys() {
    let (code, report) = check(&[fixture("duplicate-b.json"), fixture("duplicate-a.json")]);
    let found = located(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    let (path, rule, severity, spec, pointer, line, column, message) = &found[0];
    assert!(path.ends_with("duplicate-b.json"), "{path}");
    assert_eq!(
        (
            rule.as_str(),
            severity.as_str(),
            *spec,
            pointer.as_str(),
            *line,
            *column
        ),
        (
            "duplicate-pipeline",
            "warning",
            Some(1),
            "/pipeline/name",
            8,
            26
        )
    );
    assert!(message.contains("duplicate-a.json:2"), "{message}");
    assert_eq!(code, 0, "a warning does not fail the check");
}

#[test]
fn the_same_pipeline_in_two_files_is_an_error_where_the_repository_deploys() {
    let a = std::fs::read_to_string(fixture("duplicate-a.json")).expect("fixture");
    let b = std::fs::read_to_string(fixture("duplicate-b.json")).expect("fixture");
    let paths = [PathBuf::from("a.json"), PathBuf::from("b.json")];
    for config in [
        "[deploy]\nenabled = true\n",
        // `team/edges` is built by deploy: the spec is managed.
        "[[build]]\nimage = \"team/edges\"\ncontext = \".\"\n",
        "[[build]]\nimage = \"team/other\"\ncontext = \".\"\npipelines = [\"edges\"]\n",
    ] {
        let dir = repo_with(&[("pachhook.toml", config), ("a.json", &a), ("b.json", &b)]);
        let (code, report) = check_in(dir.path(), &paths);
        let found = located(&report);
        assert_eq!(found.len(), 1, "{config}: {found:?}");
        assert_eq!(
            (found[0].1.as_str(), found[0].2.as_str()),
            ("duplicate-pipeline", "error")
        );
        assert!(found[0].7.contains("deployed"), "{}", found[0].7);
        assert_eq!(code, 1, "{config}");
    }
    // A `[[build]]` that manages neither definition changes nothing.
    let dir = repo_with(&[
        (
            "pachhook.toml",
            "[[build]]\nimage = \"team/other\"\ncontext = \".\"\n",
        ),
        ("a.json", &a),
        ("b.json", &b),
    ]);
    let (code, report) = check_in(dir.path(), &paths);
    assert_eq!(located(&report)[0].2, "warning");
    assert_eq!(code, 0);
}

#[test]
fn the_same_pipeline_twice_in_one_file_is_an_error() {
    let dir = repo_with(&[(
        "two.yaml",
        "pipeline: {name: edges}\ntransform: {image: team/edges:v1}\ninput: {pfs: {repo: images, glob: /}}\n---\npipeline:\n  name: edges\ntransform: {image: team/edges:v2}\ninput: {pfs: {repo: images, glob: /}}\n",
    )]);
    let (code, report) = check_in(dir.path(), &[PathBuf::from("two.yaml")]);
    let found = located(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    let (_, rule, severity, spec, pointer, line, column, message) = &found[0];
    assert_eq!(
        (
            rule.as_str(),
            severity.as_str(),
            *spec,
            pointer.as_str(),
            *line,
            *column
        ),
        (
            "duplicate-pipeline",
            "error",
            Some(1),
            "/pipeline/name",
            6,
            9
        )
    );
    assert!(message.contains("at line 1 of this file"), "{message}");
    assert_eq!(code, 1);
}

/// A spec with `cmd` written twice (lines 3 and 5) and a repeated env var (6 and 7).
const REPEATED: &str = "pipeline: {name: edges}\ntransform:\n  cmd: [python, old.py]\n  image: team/edges:v1\n  cmd: [python, new.py]\n  env: {MODE: slow,\n        MODE: fast}\ninput: {pfs: {repo: images, glob: /}}\n";

#[test]
fn duplicate_keys_warn_from_2_8_and_name_the_value_pachctl_uses() {
    let dir = repo_with(&[("edges.yaml", REPEATED)]);
    let path = [PathBuf::from("edges.yaml")];
    for release in ["2.8", "2.12"] {
        let (code, report) = check_in_release(dir.path(), &path, release);
        let found = located(&report);
        let at: Vec<_> = found
            .iter()
            .map(|f| (f.1.as_str(), f.2.as_str(), f.4.as_str(), f.5, f.6))
            .collect();
        assert_eq!(
            at,
            [
                ("duplicate-key", "warning", "/transform/cmd", 5, 3),
                ("duplicate-key", "warning", "/transform/env/MODE", 7, 9),
            ],
            "{release}"
        );
        let message = &found[0].7;
        assert!(message.contains("at 3:3 and 5:3"), "{message}");
        assert!(
            message.contains(&format!("pachctl {release} uses the last value")),
            "{message}"
        );
        assert_eq!(code, 0, "{release}");
    }
    // The spec deploys with the last value.
    let dir = repo_with(&[(
        "edges.json",
        "{\"pipeline\": {\"name\": \"edges\"}, \"transform\": {\"image\": \"a/b:1\", \"image\": \"a/b:latest\"}, \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\"}}}",
    )]);
    let (_, report) = check_in(dir.path(), &[PathBuf::from("edges.json")]);
    let rules: Vec<_> = located(&report).into_iter().map(|f| (f.1, f.6)).collect();
    assert_eq!(
        rules,
        [
            ("duplicate-key".to_string(), 65),
            ("floating-tag".to_string(), 74)
        ]
    );
}

#[test]
fn duplicate_keys_are_a_parse_error_before_2_8() {
    let dir = repo_with(&[("edges.yaml", REPEATED)]);
    for release in ["2.0", "2.7"] {
        let (code, report) = check_in_release(dir.path(), &[PathBuf::from("edges.yaml")], release);
        let found = located(&report);
        let at: Vec<_> = found
            .iter()
            .map(|f| (f.1.as_str(), f.2.as_str(), f.5, f.6))
            .collect();
        assert_eq!(
            at,
            [
                ("parse-error", "error", 5, 3),
                ("parse-error", "error", 7, 9)
            ],
            "{release}"
        );
        let message = &found[0].7;
        assert!(message.contains("first written at 3:3"), "{message}");
        assert!(
            message.contains(&format!("pachctl {release} refuses")),
            "{message}"
        );
        assert_eq!(code, 1);
    }
}

fn check_in_release(dir: &Path, paths: &[PathBuf], release: &str) -> (i32, Value) {
    let flag = ["--pachyderm", release].map(PathBuf::from);
    check_json(dir, paths.iter().chain(&flag))
}

#[test]
fn dry_run_in_a_spec_is_reported_as_what_pachctl_does_with_it() {
    let spec = |key: &str, value: &str| {
        format!(
            "{{\"pipeline\": {{\"name\": \"{value}\"}},\n \"{key}\": {value},\n \"transform\": {{\"image\": \"a/b:1\"}},\n \"input\": {{\"pfs\": {{\"repo\": \"r\", \"glob\": \"/\"}}}}}}"
        )
    };
    let dir = repo_with(&[
        ("true.json", &spec("dry_run", "true")),
        ("false.json", &spec("dryRun", "false")),
    ]);
    let paths = [PathBuf::from("false.json"), PathBuf::from("true.json")];
    let (code, report) = check_in(dir.path(), &paths);
    let found = located(&report);
    let at: Vec<_> = found
        .iter()
        .map(|f| (f.1.as_str(), f.2.as_str(), f.4.as_str(), f.5, f.6))
        .collect();
    assert_eq!(
        at,
        [
            ("dry-run-field", "error", "/dryRun", 2, 2),
            ("dry-run-field", "error", "/dry_run", 2, 2),
        ]
    );
    assert!(
        found[0].7.contains("with `--reprocess` off"),
        "{}",
        found[0].7
    );
    assert!(
        found[1]
            .7
            .contains("reads `dry_run` as `--reprocess`: the update is real"),
        "{}",
        found[1].7
    );
    assert!(
        found[1].7.contains("reprocessing every datum"),
        "{}",
        found[1].7
    );
    assert_eq!(code, 1);
    // 2.7 has the field and ignores it; before 2.7 it is no field at all.
    let (_, report) = check_in_release(dir.path(), &paths[1..], "2.7");
    let found = located(&report);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].7.contains("pachd 2.7 ignores `dry_run`"),
        "{}",
        found[0].7
    );
    let (_, report) = check_in_release(dir.path(), &paths[1..], "2.6");
    let rules: Vec<_> = located(&report).into_iter().map(|f| f.1).collect();
    assert_eq!(rules, ["unavailable-field"]);
}

#[test]
fn reprocess_on_deploy_warns_for_cron_inputs() {
    let cron = "pipeline: {name: tick}\ntransform: {image: a/b:1}\ninput:\n  cross:\n  - pfs: {repo: r, glob: /}\n  - cron: {name: t, spec: \"@every 60s\"}\n";
    let plain =
        "pipeline: {name: plain}\ntransform: {image: a/b:1}\ninput: {pfs: {repo: r, glob: /}}\n";
    let paths = [PathBuf::from("cron.yaml"), PathBuf::from("plain.yaml")];
    let deploying = "[deploy]\nenabled = true\nreprocess = true\n";
    let dir = repo_with(&[
        ("pachhook.toml", deploying),
        ("cron.yaml", cron),
        ("plain.yaml", plain),
    ]);
    let (code, report) = check_in(dir.path(), &paths);
    let found = located(&report);
    let at: Vec<_> = found
        .iter()
        .map(|f| {
            (
                f.0.as_str(),
                f.1.as_str(),
                f.2.as_str(),
                f.4.as_str(),
                f.5,
                f.6,
            )
        })
        .collect();
    assert_eq!(
        at,
        [(
            "cron.yaml",
            "cron-reprocess",
            "warning",
            "/input/cross/1/cron",
            6,
            5
        )]
    );
    assert!(
        found[0].7.contains("replays every past tick"),
        "{}",
        found[0].7
    );
    assert_eq!(code, 0);
    // Not deploying, or not reprocessing: nothing to say.
    for config in ["[deploy]\nreprocess = true\n", "[deploy]\nenabled = true\n"] {
        let dir = repo_with(&[("pachhook.toml", config), ("cron.yaml", cron)]);
        let (_, report) = check_in(dir.path(), &paths[..1]);
        assert_eq!(located(&report), [], "{config}");
    }
}

/// A repository whose pachhook.toml configures the image rules.
#[test]
fn configured_floating_tags_digests_and_managed_images() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let git = crate::support::isolated("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status()
        .expect("git runs");
    assert!(git.success());
    let write = |name: &str, text: &str| std::fs::write(root.join(name), text).expect("write");
    let spec = |name: &str, image: &str| {
        format!(
            "{{\"pipeline\": {{\"name\": \"{name}\"}},\n \"transform\": {{\"image\": \"{image}\"}},\n \"input\": {{\"pfs\": {{\"repo\": \"r\", \"glob\": \"/\"}}}}}}\n"
        )
    };
    write(
        "pachhook.toml",
        "[images]\nfloating_tags = [\"latest\", \"dev\"]\n\n[[build]]\nimage = \"registry.example.com/team/edges\"\ncontext = \"edges\"\n",
    );
    write(
        "managed.json",
        &spec("edges", "registry.example.com/team/edges"),
    );
    write(
        "managed-latest.json",
        &spec("edges2", "registry.example.com/team/edges:latest"),
    );
    write("dev.json", &spec("tool", "team/tool:dev"));
    write("pinned.json", &spec("tool2", "team/tool:1.4"));
    let names = [
        "managed.json",
        "managed-latest.json",
        "dev.json",
        "pinned.json",
    ];
    let paths: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
    let floating = |report: &Value| -> Vec<String> {
        let mut found = Vec::new();
        for file in report["files"].as_array().into_iter().flatten() {
            for f in file["findings"].as_array().into_iter().flatten() {
                assert_eq!(f["rule"], "floating-tag", "{f}");
                found.push(file["path"].as_str().unwrap_or_default().to_string());
            }
        }
        found.sort();
        found
    };
    let (code, report) = check_in(root, &paths);
    assert_eq!(floating(&report), ["dev.json"]);
    assert_eq!(code, 1);

    write("pachhook.local.toml", "[images]\nrequire_digest = true\n");
    let (_, report) = check_in(root, &paths);
    assert_eq!(floating(&report), ["dev.json", "pinned.json"]);
}
