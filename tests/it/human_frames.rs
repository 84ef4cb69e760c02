//! The human report as a user reads it, pinned by snapshots: a wide-character line (the
//! caret under the right column), lone-CR line endings (the frame is kept), and a hostile
//! spec whose keys, values and file name try to drive the terminal (OSC 52 clipboard,
//! window title, clear screen, a fake green "ok"): all escaped, nothing but text.

use crate::support::{self, Sandbox, code};

fn human(name: &str, bytes: &[u8]) -> String {
    let sandbox = Sandbox::new();
    let path = sandbox.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = crate::support::isolated(support::PACHHOOK)
        .args(["check", name])
        .current_dir(sandbox.path())
        .env("NO_COLOR", "1")
        .env_remove("PACHHOOK_SKIP")
        .output()
        .expect("run pachhook");
    assert_eq!(code(&out), 1);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 report");
    assert!(
        !stdout.bytes().any(|b| b == 0x1b || b == 0x07 || b == b'\r'),
        "control bytes reach the terminal: {stdout:?}"
    );
    stdout
}

#[test]
fn a_wide_character_line() {
    let spec = "pipeline: {name: edges}\ndescription: 日本語のパイプライン\ntransform: {image: \"team/日本:latest\", cmd: [x]}\ninput: {pfs: {repo: images, glob: /}}\n";
    insta::assert_snapshot!(human("wide.yaml", spec.as_bytes()));
}

#[test]
fn lone_cr_line_endings_keep_the_frame() {
    let spec = "pipeline:\r  name: edges\rtransform:\r  image: team/edges:latest\r  cmd: [x]\rinput: {pfs: {repo: images, glob: /}}\r";
    insta::assert_snapshot!(human("mac.yaml", spec.as_bytes()));
}

#[test]
fn a_hostile_spec_is_escaped() {
    let spec = "pipeline: {name: edges}\n\"\\e]52;c;cm0gLXJmIH4=\\a\\e]0;pwned\\a\": 1\n\"\\e[2J\\e[32mok: no problems found\\e[0m\": 2\ntransform: {image: \"team/edges:\\e[32mlatest\", cmd: [x]}\ninput: {pfs: {repo: images, glob: /}}\n";
    insta::assert_snapshot!(human("evil\u{1b}[2J.yaml", spec.as_bytes()));
}

#[test]
fn lone_cr_line_endings_in_json_keep_the_frame() {
    let spec = "{\r  \"pipeline\": {\"name\": \"e\"},\r  \"transform\": {\"image\": \"a/b:latest\", \"cmd\": [\"x\"]},\r  \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\"}}\r}\r";
    insta::assert_snapshot!(human("mac.json", spec.as_bytes()));
}

/// Every rule as a user reads it, in one repository that makes each one fire: the rule
/// fixtures, and a `pachhook.toml` that deploys with `reprocess` (cron-reprocess), builds
/// an image no spec names (unused-build), has a policy and a template instance. The test
/// first checks that every rule `pachhook rules` lists is in the report, so a new rule
/// needs a case here.
#[test]
fn every_rule_as_a_user_reads_it() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("r");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for dir in ["rules", "schema"] {
        for entry in std::fs::read_dir(fixtures.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap();
            repo.write(
                &format!("{dir}/{name}"),
                &std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
    repo.write("extra/broken.json", "{\"pipeline\": {\"name\": \"b\"},");
    repo.write(
        "extra/dry-run.json",
        r#"{"pipeline": {"name": "d"}, "dry_run": true, "transform": {"image": "a/b:1", "cmd": ["x"]}, "input": {"pfs": {"repo": "r", "glob": "/"}}}"#,
    );
    repo.write(
        "extra/repeated.yaml",
        "pipeline: {name: k}\ntransform: {image: a/b:1, cmd: [x]}\ninput: {pfs: {repo: r, glob: /}}\ninput: {pfs: {repo: s, glob: /}}\n",
    );
    repo.write(
        "extra/policed.json",
        r#"{"pipeline": {"name": "pol"}, "transform": {"image": "a/b:1", "cmd": ["x"]}, "input": {"pfs": {"repo": "r", "glob": "/"}}}"#,
    );
    // pipeline-cycle (ca and cb read each other) and unknown-input (`[graph] sources`).
    repo.write(
        "extra/cycle.yaml",
        "pipeline: {name: ca}\ntransform: {image: a/b:1, cmd: [x]}\ninput: {pfs: {repo: cb, glob: /}}\n---\npipeline: {name: cb}\ntransform: {image: a/b:1, cmd: [x]}\ninput: {pfs: {repo: ca, glob: /}}\n",
    );
    repo.write(
        "extra/typo.json",
        r#"{"pipeline": {"name": "t"}, "transform": {"image": "a/b:1", "cmd": ["x"]}, "input": {"pfs": {"repo": "uca", "glob": "/"}}}"#,
    );
    repo.write(
        "policy.json",
        r#"{"required": ["description"], "description": "every pipeline says what it does"}"#,
    );
    repo.write(
        "templates/broken.jsonnet",
        "function() error 'no such input'\n",
    );
    repo.write(
        "templates/uncovered.jsonnet",
        "function(n) { pipeline: { name: n } }\n",
    );
    repo.write(
        "pachhook.toml",
        r#"[deploy]
enabled = true
reprocess = true

[[build]]
image = "registry.example.com/team/unused"
context = "."

[[policy]]
schema = "policy.json"
paths = ["extra/policed.json"]

[[template]]
path = "templates/broken.jsonnet"

[graph]
sources = ["[!u]*"]
"#,
    );
    repo.git(&["add", "-A"]);

    let run = |format: &str| {
        crate::support::isolated(support::PACHHOOK)
            .args(["check", "--all", "--format", format])
            .current_dir(repo.path())
            .env("NO_COLOR", "1")
            .env_remove("PACHHOOK_SKIP")
            .output()
            .expect("run pachhook")
    };
    let json: serde_json::Value = serde_json::from_slice(&run("json").stdout).expect("JSON");
    let found: std::collections::BTreeSet<String> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    let rules = crate::support::isolated(support::PACHHOOK)
        .arg("rules")
        .output()
        .unwrap();
    let listed: Vec<String> = String::from_utf8(rules.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let missing: Vec<&String> = listed.iter().filter(|r| !found.contains(*r)).collect();
    assert!(missing.is_empty(), "rules with no case here: {missing:?}");
    // Each finding's own words stay short (the long story is `pachhook explain`), for
    // the rules that need configuration too.
    let long: std::collections::BTreeSet<String> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .flat_map(|f| ["message", "help"].map(|k| f[k].as_str().unwrap_or("").to_string()))
        .filter(|text| crate::cli::shown_length(text) > 100)
        .collect();
    assert!(long.is_empty(), "over 100 characters: {long:#?}");

    let out = run("human");
    assert_eq!(code(&out), 1);
    insta::assert_snapshot!(String::from_utf8(out.stdout).expect("UTF-8 report"));
}

/// A file with more findings than a terminal should scroll through shows the first 25
/// frames, then counts the rest; the JSON report keeps them all.
#[test]
fn a_file_shows_25_frames_then_counts_the_rest() {
    let fields: String = (0..30)
        .map(|i| format!("  \"bogus_{i:02}\": 1,\n"))
        .collect();
    let spec = format!(
        "{{\n{fields}  \"pipeline\": {{\"name\": \"edges\"}},\n  \"transform\": {{\"image\": \"team/edges:1.0\"}},\n  \"input\": {{\"pfs\": {{\"repo\": \"images\", \"glob\": \"/*\"}}}}\n}}\n"
    );
    let out = human("many.json", spec.as_bytes());
    assert_eq!(out.matches("error[unknown-field]").count(), 25, "{out}");
    assert!(out.contains("bogus_24"), "{out}");
    assert!(!out.contains("bogus_25"), "{out}");
    assert!(out.contains("… and 5 more findings"), "{out}");
    assert!(out.contains("found: 30 errors, 0 warnings"), "{out}");

    let sandbox = Sandbox::new();
    std::fs::write(sandbox.path().join("many.json"), &spec).unwrap();
    let (code, report) = support::check_json(sandbox.path(), ["many.json"]);
    assert_eq!(code, 1);
    assert_eq!(report["files"][0]["findings"].as_array().unwrap().len(), 30);
}
