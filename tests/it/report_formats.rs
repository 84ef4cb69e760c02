//! The report formats CI systems read (`check --format github|sarif|gitlab|junit`) and
//! `--output`, through the binary, on the fixtures in `tests/fixtures/report/`: a clean
//! file, a file pachctl cannot read, and two specs with an error and a warning.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{self, Sandbox, code, text};
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/report/";

fn check(args: &[&str]) -> Output {
    crate::support::isolated(support::PACHHOOK)
        .arg("check")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("PACHHOOK_SKIP")
        .output()
        .expect("run pachhook")
}

fn report(format: &str) -> String {
    let out = check(&["--format", format, FIXTURES]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    String::from_utf8(out.stdout).expect("UTF-8 report")
}

#[test]
fn github_workflow_commands() {
    insta::assert_snapshot!(report("github"));
}

#[test]
fn sarif_report() {
    // The rules of the driver that results refer to, not every rule: a new rule does not
    // change this snapshot (sarif_is_valid_sarif_2_1_0 checks the rest).
    let mut doc: Value = serde_json::from_str(&report("sarif")).unwrap();
    let run = &mut doc["runs"][0];
    let used: Vec<Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].clone())
        .collect();
    let driver = &mut run["tool"]["driver"];
    driver["rules"]
        .as_array_mut()
        .unwrap()
        .retain(|r| used.contains(&r["id"]));
    driver["version"] = Value::from("[version]");
    for result in run["results"].as_array_mut().unwrap() {
        result["ruleIndex"] = Value::from("[index]");
    }
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn gitlab_code_quality() {
    insta::assert_snapshot!(report("gitlab"));
}

#[test]
fn junit_report() {
    insta::assert_snapshot!(report("junit"));
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let Some(path) = support::sarif_schema() else {
        return;
    };
    let schema: Value = serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .expect("schema JSON");
    let validator = jsonschema::draft4::new(&schema).expect("SARIF schema compiles");
    // The fixtures, a clean run, and names that need escaping in a URI.
    let sandbox = Sandbox::new();
    let odd = sandbox.path().join("my specs #1");
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("é.json"), support::BAD).unwrap();
    let clean = format!("{FIXTURES}clean.json");
    for args in [
        vec![FIXTURES],
        vec![clean.as_str()],
        vec![odd.to_str().unwrap()],
    ] {
        let mut all = vec!["--format", "sarif"];
        all.extend(args);
        let out = check(&all);
        let doc: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{all:?}: invalid SARIF: {errors:#?}");
    }
    // Every result names a rule the driver describes, with a help URI into the README.
    let doc: Value = serde_json::from_str(&report("sarif")).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for result in doc["runs"][0]["results"].as_array().unwrap() {
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(
            rules[index]["helpUri"]
                .as_str()
                .unwrap()
                .ends_with("#rules")
        );
    }
}

#[test]
fn github_commands_cannot_be_broken_out_of() {
    // A file name with the separators of a command's properties, and a key with a line
    // break and a `%` quoted in the message.
    let sandbox = Sandbox::new();
    let path = sandbox.path().join("a,b:c%.json");
    std::fs::write(
        &path,
        r#"{"pipeline": {"name": "x"}, "transform": {"image": "a/b:1"},
            "input": {"pfs": {"repo": "r", "glob": "/"}}, "bad\nkey%0A::error::": 1}"#,
    )
    .unwrap();
    let out = check(&["--format", "github", path.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one command per finding: {stdout}");
    let line = lines[0];
    assert!(line.starts_with("::error file="), "{line}");
    assert!(line.contains("a%2Cb%3Ac%25.json,line=2,"), "{line}");
    let (_, message) = line.split_once(",title=unknown-field::").expect(line);
    assert!(!message.contains('\r'), "{message}");
    assert!(message.contains("%250A"), "`%` escaped: {message}");
}

#[test]
fn output_never_writes_through_a_link_planted_at_its_temporary_file() {
    // A cloned repository may hold a link where the report's temporary file goes; the
    // report must replace the link, never write into what it points at.
    let sandbox = Sandbox::new();
    let victim = sandbox.path().join("victim");
    std::fs::write(&victim, "mine").unwrap();
    let file = sandbox.path().join("report.sarif");
    std::os::unix::fs::symlink(&victim, crate_temp_path(&file)).unwrap();
    let out = check(&[
        "--format",
        "sarif",
        "--output",
        file.to_str().unwrap(),
        FIXTURES,
    ]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), report("sarif"));
}

/// The temporary name `atomic_write` uses beside a file: `.<name>.pachhook-tmp`.
fn crate_temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap().to_str().unwrap();
    path.with_file_name(format!(".{name}.pachhook-tmp"))
}

#[test]
fn output_writes_the_format_to_a_file_and_the_human_report_to_the_terminal() {
    let sandbox = Sandbox::new();
    let file = sandbox.path().join("gl-code-quality.json");
    std::fs::write(&file, "the previous report").unwrap();
    let out = check(&[
        "--format",
        "gitlab",
        "--output",
        file.to_str().unwrap(),
        FIXTURES,
    ]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("error[invalid-value]"), "{stdout}");
    assert!(stdout.contains("found: 2 errors, 1 warning"), "{stdout}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, report("gitlab"));
    // Only the report is left: the temporary file was renamed over it.
    let names: Vec<_> = std::fs::read_dir(sandbox.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["gl-code-quality.json"]);

    // A file that cannot be written is an operation failure, and says where.
    let nowhere = sandbox.path().join("missing/dir/report.xml");
    let out = check(&[
        "--format",
        "junit",
        "-o",
        nowhere.to_str().unwrap(),
        FIXTURES,
    ]);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains("missing/dir/report.xml"),
        "{}",
        text(&out)
    );
}

#[test]
fn files_are_reported_by_path_whatever_order_they_are_named_in() {
    let specs = format!("{FIXTURES}specs.yaml");
    let broken = format!("{FIXTURES}broken.json");
    let clean = format!("{FIXTURES}clean.json");
    let out = check(&["--format", "json", &specs, &clean, &broken]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [broken.as_str(), clean.as_str(), specs.as_str()]);
}

#[test]
fn gitlab_fingerprints_are_unique_and_survive_moved_lines() {
    let sandbox = Sandbox::new();
    // Two images with the same floating tag in one spec list: same rule, same message
    // text, different specs; and a finding repeated exactly in a second document.
    let spec = |name: &str| {
        format!(
            "- pipeline: {{name: {name}}}\n  transform: {{image: \"team/x:latest\"}}\n  input: {{pfs: {{repo: r, glob: /}}}}\n"
        )
    };
    let path = sandbox.path().join("specs.yaml");
    std::fs::write(&path, format!("{}{}", spec("a"), spec("b"))).unwrap();
    let fingerprints = || -> Vec<String> {
        let out = check(&["--format", "gitlab", path.to_str().unwrap()]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc.as_array()
            .unwrap()
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let before = fingerprints();
    assert_eq!(before.len(), 2);
    assert_ne!(before[0], before[1]);
    assert_eq!(fingerprints(), before, "stable from run to run");
    // Lines added above move the findings, not their fingerprints.
    std::fs::write(&path, format!("# moved\n\n{}{}", spec("a"), spec("b"))).unwrap();
    assert_eq!(fingerprints(), before);
}
