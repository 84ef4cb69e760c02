//! The server, image and across-files rules as a user meets them: `pachhook check FILE
//! --format json` on small spec files, one per case, and on Pachyderm's own examples.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(name)
}

/// Runs `pachhook check <paths> --format json` in `dir`; returns the exit code and the
/// parsed report.
fn check_in(dir: &Path, paths: &[PathBuf]) -> (i32, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_pachhook"))
        .arg("check")
        .args(paths)
        .args(["--format", "json"])
        .current_dir(dir)
        .env_remove("PACHHOOK_SKIP")
        .output()
        .expect("pachhook runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
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
    assert_eq!(code, if errors { 1 } else { 0 }, "{name}: exit code");
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

#[test]
fn the_same_pipeline_in_two_files() {
    let (code, report) = check(&[fixture("duplicate-b.json"), fixture("duplicate-a.json")]);
    assert_eq!(code, 1);
    let files = report["files"].as_array().expect("files");
    let mut reported = Vec::new();
    for file in files {
        for f in file["findings"].as_array().expect("findings") {
            reported.push((
                file["path"].as_str().unwrap_or_default().to_string(),
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["spec"].as_u64(),
                f["pointer"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    assert_eq!(reported.len(), 1, "{reported:?}");
    let (path, rule, spec, pointer, line, column, message) = &reported[0];
    assert!(path.ends_with("duplicate-b.json"), "{path}");
    assert_eq!(
        (rule.as_str(), *spec, pointer.as_str(), *line, *column),
        ("duplicate-pipeline", Some(1), "/pipeline/name", 8, 26)
    );
    assert!(message.contains("duplicate-a.json:2"), "{message}");
}

/// A repository whose pachhook.toml configures the image rules.
#[test]
fn configured_floating_tags_digests_and_managed_images() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let git = Command::new("git")
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
