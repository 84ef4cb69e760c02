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

/// A repository with a template that does not render before any line (a missing
/// argument: the finding has no position in the file), and a spec in `specs/`.
fn repository_with_unrenderable_template() -> support::Repo {
    let repo = support::Repo::new();
    repo.write(
        "p.jsonnet",
        "function(src)\n{pipeline: {name: 'a'}, transform: {image: 'a:1'}, input: {pfs: {repo: src, glob: '/'}}}\n",
    );
    repo.write(
        "pachhook.toml",
        "[[template]]\npath = \"p.jsonnet\"\nargs = {}\n",
    );
    repo.write("specs/broken.json", support::BAD);
    repo
}

/// SARIF Multitool's `validate` with GitHub's rules and SARIF's own on `sarif`: the
/// messages of its errors and warnings.
fn multitool_complaints(sandbox: &Sandbox, name: &str, sarif: &str) -> Vec<String> {
    let input = sandbox.path().join(format!("{name}.sarif"));
    std::fs::write(&input, sarif).unwrap();
    let log = sandbox.path().join(format!("{name}.validation.sarif"));
    let out = std::process::Command::new(support::sarif_multitool())
        .args([
            "validate",
            "--rule-kind",
            "Gh;Sarif",
            "--log",
            "ForceOverwrite",
            "-o",
        ])
        .arg(&log)
        .arg(&input)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("run SARIF Multitool");
    let log: Value = serde_json::from_slice(&std::fs::read(&log).unwrap_or_else(|e| {
        panic!("no validation log ({e}):\n{}", text(&out));
    }))
    .expect("validation log is JSON");
    log["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["level"] != "note" && r["level"] != "none")
        .map(|r| format!("{}: {}", r["ruleId"], r["message"]))
        .collect()
}

#[test]
fn sarif_passes_github_code_scanning_rules_in_sarif_multitool() {
    let sandbox = Sandbox::new();
    // The oracle can fail: the rules without help are what GitHub refuses (GH2012).
    let mut bare: Value = serde_json::from_str(&report("sarif")).unwrap();
    for rule in bare["runs"][0]["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap()
    {
        let rule = rule.as_object_mut().unwrap();
        rule.remove("help");
        rule.remove("fullDescription");
    }
    let complaints = multitool_complaints(&sandbox, "bare", &bare.to_string());
    assert!(
        complaints.iter().any(|c| c.contains("GH2012")),
        "{complaints:#?}"
    );

    // The fixtures, and a template-error with no position (line 0 before).
    let complaints = multitool_complaints(&sandbox, "fixtures", &report("sarif"));
    assert!(complaints.is_empty(), "{complaints:#?}");
    let repo = repository_with_unrenderable_template();
    let out = repo.pachhook(&["check", "--format", "sarif"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stdout.contains("template-error"), "{out}");
    let complaints = multitool_complaints(&sandbox, "template", &out.stdout);
    assert!(complaints.is_empty(), "{complaints:#?}");

    // Each rule's help is `pachhook explain`'s text.
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let floating = rules.iter().find(|r| r["id"] == "floating-tag").unwrap();
    let explain = repo.pachhook(&["explain", "floating-tag"]);
    let why = floating["help"]["text"].as_str().unwrap();
    assert!(explain.stdout.contains(why), "{why}\n---\n{explain}");
    assert!(
        floating["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("```")
    );
    assert!(floating["fullDescription"]["text"].as_str().unwrap().len() > 40);
}

#[test]
fn sarif_fingerprints_are_stable_across_runs_and_moved_lines() {
    let sandbox = Sandbox::new();
    let spec = |name: &str| {
        format!(
            "- pipeline: {{name: {name}}}\n  transform: {{image: \"team/x:latest\"}}\n  input: {{pfs: {{repo: r, glob: /}}}}\n"
        )
    };
    let path = sandbox.path().join("specs.yaml");
    let fingerprints = || -> Vec<(Value, Value)> {
        let out = check(&["--format", "sarif", path.to_str().unwrap()]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"].clone(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
                )
            })
            .collect()
    };
    std::fs::write(&path, format!("{}{}", spec("a"), spec("b"))).unwrap();
    let first = fingerprints();
    assert_eq!(first.len(), 2);
    assert_ne!(first[0].0, first[1].0, "two findings, two fingerprints");
    assert_eq!(fingerprints(), first, "the same on a second run");
    // Lines added above: the findings move, their fingerprints do not.
    std::fs::write(
        &path,
        format!("# moved\n# down\n{}{}", spec("a"), spec("b")),
    )
    .unwrap();
    let moved = fingerprints();
    for ((print, line), (before, old_line)) in moved.iter().zip(&first) {
        assert_eq!(print, before);
        assert_ne!(line, old_line);
        assert!(print["primaryLocationLineHash"].is_string());
    }
}

#[test]
fn no_position_is_below_one_in_any_format() {
    let repo = repository_with_unrenderable_template();
    for format in ["github", "sarif", "gitlab", "junit", "json", "human"] {
        let out = repo.pachhook(&["check", "--format", format]);
        assert_eq!(out.code, Some(1), "{out}");
        assert!(out.stdout.contains("template-error"), "{format}: {out}");
        let zero = [
            "line=0",
            "col=0",
            "\"startLine\": 0",
            "\"startColumn\": 0",
            "\"begin\": 0",
            "\"line\": 0",
            "\"column\": 0",
            ":0:0",
            "jsonnet:0",
        ];
        for bad in zero {
            assert!(!out.stdout.contains(bad), "{format} has {bad}:\n{out}");
        }
    }
}

/// The path of each finding's file in a report of each format.
fn reported_paths(format: &str, report: &str) -> Vec<String> {
    match format {
        "github" => report
            .lines()
            .filter_map(|l| {
                l.split_once(" file=")?
                    .1
                    .split_once(",line=")
                    .map(|(p, _)| p.to_string())
            })
            .collect(),
        "sarif" => {
            let doc: Value = serde_json::from_str(report).unwrap();
            doc["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let at = &r["locations"][0]["physicalLocation"]["artifactLocation"];
                    assert_eq!(at["uriBaseId"], "%SRCROOT%");
                    at["uri"].as_str().unwrap().to_string()
                })
                .collect()
        }
        "gitlab" => {
            let doc: Value = serde_json::from_str(report).unwrap();
            doc.as_array()
                .unwrap()
                .iter()
                .map(|i| i["location"]["path"].as_str().unwrap().to_string())
                .collect()
        }
        "json" => {
            let doc: Value = serde_json::from_str(report).unwrap();
            doc["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect()
        }
        "junit" => report
            .lines()
            .filter(|l| l.contains(": error[") || l.contains(": warning["))
            .map(|l| {
                let l = match l.trim_start().starts_with('<') {
                    true => l.split_once('>').unwrap().1,
                    false => l,
                };
                l.split(':').next().unwrap().to_string()
            })
            .collect(),
        _ => unreachable!(),
    }
}

#[test]
fn ci_reports_name_files_from_the_repository_root_whatever_the_working_directory() {
    let repo = support::Repo::new();
    repo.write("specs/broken.json", support::BAD);
    repo.write("other/x.txt", "");
    let specs = repo.at(repo.path().join("specs"));
    let other = repo.at(repo.path().join("other"));
    let absolute = repo.path().join("specs/broken.json");
    for format in ["github", "sarif", "gitlab", "junit", "json"] {
        for (at, named) in [
            (&specs, "."),
            (&specs, "./broken.json"),
            (&other, "../specs"),
            (&repo, "specs/../specs/broken.json"),
            (&other, absolute.to_str().unwrap()),
        ] {
            let out = at.pachhook(&["check", "--format", format, named]);
            assert_eq!(out.code, Some(1), "{out}");
            let paths = reported_paths(format, &out.stdout);
            assert!(!paths.is_empty(), "{format} {named}: {out}");
            for path in paths {
                assert_eq!(path, "specs/broken.json", "{format} {named}:\n{out}");
            }
        }
    }
    // The terminal keeps the path as typed.
    let out = specs.pachhook(&["check", "./broken.json"]);
    assert!(out.stdout.contains("--> ./broken.json:"), "{out}");
}

#[test]
fn a_name_that_is_not_utf8_has_one_spelling_each_consumer_maps_back_to_the_file() {
    use std::os::unix::ffi::OsStrExt;
    let repo = support::Repo::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.json");
    std::fs::write(repo.path().join(name), support::BAD).unwrap();
    for (format, want) in [
        ("github", "caf\\351.json"),
        ("gitlab", "caf\\351.json"),
        ("json", "caf\\351.json"),
        ("junit", "caf\\351.json"),
        ("sarif", "caf%E9.json"),
    ] {
        let out = repo.pachhook(&["check", "--format", format]);
        assert_eq!(out.code, Some(1), "{out}");
        let paths = reported_paths(format, &out.stdout);
        assert!(!paths.is_empty(), "{format}: {out}");
        for path in paths {
            assert_eq!(path, want, "{format}:\n{out}");
        }
    }
    // git writes the same escape for the byte in its quoted paths.
    let status = repo.git(&["-c", "core.quotepath=true", "ls-files", "--others"]);
    assert_eq!(status.trim(), "\"caf\\351.json\"");
}

#[test]
fn github_ends_with_a_notice_when_github_shows_only_some_annotations() {
    let sandbox = Sandbox::new();
    // 12 specs with a floating tag (errors) and no image... 12 errors, 0 warnings.
    let specs: String = (0..12)
        .map(|i| {
            format!(
                "- pipeline: {{name: p{i}}}\n  transform: {{image: \"team/x:latest\"}}\n  input: {{pfs: {{repo: r, glob: /}}}}\n"
            )
        })
        .collect();
    let path = sandbox.path().join("many.yaml");
    std::fs::write(&path, &specs).unwrap();
    let out = check(&["--format", "github", path.to_str().unwrap()]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 13, "{stdout}");
    let last = lines[12];
    assert!(
        last.starts_with("::notice title=pachhook::12 errors and 0 warnings"),
        "{last}"
    );
    assert!(last.contains("first 10 errors and 10 warnings"), "{last}");
    assert!(last.contains("log"), "{last}");
    // Within the limits, no notice.
    std::fs::write(&path, specs.lines().take(30).collect::<Vec<_>>().join("\n")).unwrap();
    let out = check(&["--format", "github", path.to_str().unwrap()]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 10, "{stdout}");
    assert!(!stdout.contains("::notice"), "{stdout}");
}

#[test]
fn json_report() {
    // The contract scripts read: `version`, `summary`, `skipped`, each spec's `line`, and
    // `spec: null` for a finding about the whole file (the parse error).
    let out = check(&["--format", "json", FIXTURES]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn json_report_names_the_rules_pachhook_skip_turned_off() {
    let out = support::isolated(support::PACHHOOK)
        .args(["check", "--format", "json", FIXTURES])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PACHHOOK_SKIP", "invalid-value,missing-image")
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["skipped"],
        serde_json::json!(["invalid-value", "missing-image"])
    );
    let rules: Vec<&Value> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap())
        .map(|f| &f["rule"])
        .collect();
    assert!(!rules.contains(&&Value::from("invalid-value")), "{rules:?}");
    let clean: Value = serde_json::from_str(&report("json")).unwrap();
    assert_eq!(clean["skipped"], serde_json::json!([]));
}
