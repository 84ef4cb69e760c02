//! `[[template]]` instances: `check` renders each instance of a jsonnet template and
//! checks its specs with every rule; findings land on the template's literal, or on the
//! instance in pachhook.toml, naming the instance. The pre-commit hook does the same for
//! a staged template.

use serde_json::Value;

use crate::support::{Repo, Sandbox, code, text};

const TEMPLATE: &str = "// Edges, one pipeline per suffix.
function(suffix, src, parallelism='2')
  {
    pipeline: { name: 'edges-' + suffix },
    transform: {
      image: 'team/edges:latest',
      cmd: ['python3', '/edges.py'],
    },
    parallelism_spec: { constant: std.parseInt(parallelism) },
    [if src != 'none' then 'input']: { pfs: { repo: src, glob: '/*' } },
  }
";

const CONFIG: &str = "[[template]]
path = \"pipelines/edges.jsonnet\"
args = { suffix = \"a\", src = \"images\" }

[[template]]
path = \"pipelines/edges.jsonnet\"
args = { suffix = \"b\", src = \"none\" }
";

/// `(path, rule, severity, line, column, message)` of every finding.
fn findings(report: &Value) -> Vec<(String, String, String, u64, u64, String)> {
    let mut out = Vec::new();
    for file in report["files"].as_array().expect("files") {
        for f in file["findings"].as_array().expect("findings") {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            out.push((
                file["path"].as_str().unwrap_or_default().to_string(),
                s("rule"),
                s("severity"),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                s("message"),
            ));
        }
    }
    out
}

fn check_json(repo: &Repo) -> (i32, Value) {
    let run = repo.pachhook(&["check", "--format", "json"]);
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    (run.code.unwrap_or(-1), report)
}

#[test]
fn each_instance_is_rendered_and_checked_with_every_rule() {
    let repo = Repo::new();
    repo.write("pachhook.toml", CONFIG);
    repo.write("pipelines/edges.jsonnet", TEMPLATE);
    let (code, report) = check_json(&repo);
    let found = findings(&report);
    let at: Vec<_> = found
        .iter()
        .map(|f| (f.0.as_str(), f.1.as_str(), f.3, f.4))
        .collect();
    assert_eq!(
        at,
        [
            // No input in the `b` rendering: nothing in the template to point at, so
            // the instance in pachhook.toml.
            ("pachhook.toml", "missing-field", 6, 8),
            // The literal in the template, once per instance.
            ("pipelines/edges.jsonnet", "floating-tag", 6, 14),
            ("pipelines/edges.jsonnet", "floating-tag", 6, 14),
        ],
        "{found:#?}"
    );
    assert!(found[0].5.contains("pachhook.toml:6"), "{}", found[0].5);
    assert!(
        found[1]
            .5
            .contains("pachhook.toml:2 (src=\"images\", suffix=\"a\")"),
        "{}",
        found[1].5
    );
    assert!(
        found[2]
            .5
            .contains("pachhook.toml:6 (src=\"none\", suffix=\"b\")"),
        "{}",
        found[2].5
    );
    assert_eq!(code, 1);
    // Both renderings' specs are listed under the template.
    let file = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "pipelines/edges.jsonnet")
        .expect("the template's report");
    let names: Vec<_> = file["specs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, ["edges-a", "edges-b"]);
}

#[test]
fn an_instance_that_does_not_render_is_an_error_at_the_template() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        "[[template]]\npath = \"pipelines/edges.jsonnet\"\nargs = { suffix = \"a\", src = \"r\", parallelism = \"many\" }\n",
    );
    repo.write("pipelines/edges.jsonnet", TEMPLATE);
    let (code, report) = check_json(&repo);
    let found = findings(&report);
    // The other instance-free findings cannot exist: nothing rendered.
    assert_eq!(found.len(), 1, "{found:#?}");
    let error = found
        .iter()
        .find(|f| f.1 == "template-error")
        .expect("a template-error");
    assert_eq!((error.0.as_str(), error.3), ("pipelines/edges.jsonnet", 9));
    assert!(error.5.contains("parallelism=\"many\""), "{}", error.5);
    assert_eq!(code, 1);
}

#[test]
fn a_template_without_an_instance_is_read_for_syntax_and_warned_about() {
    let repo = Repo::new();
    repo.write("pipelines/edges.jsonnet", TEMPLATE);
    repo.write(
        "pipelines/broken.jsonnet",
        "function(x) { pipeline: { name: x }",
    );
    // Some other jsonnet (a dashboard) is not a pipeline template.
    repo.write("dash/board.jsonnet", "{ panels: [] }");
    let (code, report) = check_json(&repo);
    let found = findings(&report);
    let at: Vec<_> = found
        .iter()
        .map(|f| (f.0.as_str(), f.1.as_str(), f.2.as_str()))
        .collect();
    assert_eq!(
        at,
        [
            ("pipelines/broken.jsonnet", "template-error", "error"),
            ("pipelines/edges.jsonnet", "unchecked-template", "warning"),
        ]
    );
    assert!(
        found[1]
            .5
            .contains("only the syntax of this template was checked"),
        "{}",
        found[1].5
    );
    assert_eq!(code, 1);
}

#[test]
fn the_pre_commit_hook_checks_a_staged_template() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    repo.write("pachhook.toml", CONFIG);
    repo.write("pipelines/edges.jsonnet", TEMPLATE);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "template"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.jsonnet:6:14"),
        "{}",
        text(&out)
    );
    let fixed = TEMPLATE
        .replace("team/edges:latest", "team/edges:1.0")
        .replace("[if src != 'none' then 'input']", "input");
    repo.write("pipelines/edges.jsonnet", &fixed);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "template"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn a_commit_that_changes_an_instance_checks_its_template() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    let good = TEMPLATE
        .replace("team/edges:latest", "team/edges:1.0")
        .replace("[if src != 'none' then 'input']", "input");
    repo.write("pipelines/edges.jsonnet", &good);
    repo.write(
        "pachhook.toml",
        "[[template]]\npath = \"pipelines/edges.jsonnet\"\nargs = { suffix = \"a\", src = \"images\" }\n",
    );
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "good"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Only pachhook.toml changes: an argument the template cannot use.
    repo.write(
        "pachhook.toml",
        "[[template]]\npath = \"pipelines/edges.jsonnet\"\nargs = { suffix = \"a\", src = \"images\", parallelism = \"two\" }\n",
    );
    repo.git(&["add", "pachhook.toml"]);
    let out = repo.try_git(&["commit", "-m", "bad args"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("template-error"), "{}", text(&out));
    assert!(text(&out).contains("parallelism=\"two\""), "{}", text(&out));
}

#[test]
fn a_template_named_from_a_subdirectory_finds_its_instances() {
    let repo = Repo::new();
    repo.write("pachhook.toml", CONFIG);
    repo.write("pipelines/edges.jsonnet", TEMPLATE);
    let run = repo.at(repo.path().join("pipelines")).pachhook(&[
        "check",
        "--format",
        "json",
        "edges.jsonnet",
    ]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    let rules: Vec<String> = findings(&report).into_iter().map(|f| f.1).collect();
    assert_eq!(
        rules,
        ["floating-tag", "floating-tag", "missing-field"],
        "{run}"
    );
}

#[test]
fn a_push_that_changes_an_instance_checks_its_template() {
    let sandbox = Sandbox::new();
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = sandbox.repo("repo");
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.install();
    let good = TEMPLATE
        .replace("team/edges:latest", "team/edges:1.0")
        .replace("[if src != 'none' then 'input']", "input");
    repo.write("pipelines/edges.jsonnet", &good);
    repo.write(
        "pachhook.toml",
        "[[template]]\npath = \"pipelines/edges.jsonnet\"\nargs = { suffix = \"a\", src = \"images\" }\n",
    );
    repo.commit_all("good");
    let out = repo.try_git(&["push", "-q", "-u", "origin", "main"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Only pachhook.toml changes, committed past the pre-commit hook.
    repo.write(
        "pachhook.toml",
        "[[template]]\npath = \"pipelines/edges.jsonnet\"\nargs = { suffix = \"a\", src = \"images\", parallelism = \"two\" }\n",
    );
    repo.git(&["add", "pachhook.toml"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "bad args"]);
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("template-error"), "{}", text(&out));
}

/// Limits are bounds (issue 20, cause 4): a template that grows without end is stopped
/// by the memory bound of its own process, with a finding, and the check goes on (no
/// SIGABRT of pachhook); a template that loops is stopped at the time bound, and the
/// instances render at once, not one after another.
#[test]
fn a_template_that_eats_memory_or_time_is_stopped_and_reported() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        "[[template]]\npath = \"hog.jsonnet\"\nargs = { n = \"1\" }\n\n\
         [[template]]\npath = \"good.jsonnet\"\nargs = { n = \"1\" }\n",
    );
    // Doubles a string until memory runs out.
    repo.write(
        "hog.jsonnet",
        "function(n) local grow(s, i) = if i == 0 then s else grow(s + s, i - 1);\n\
         { pipeline: { name: 'hog' }, x: std.length(grow('xxxxxxxxxxxxxxxx', 40)) }\n",
    );
    repo.write(
        "good.jsonnet",
        &TEMPLATE.replace(
            "function(suffix, src, parallelism='2')",
            "function(n, suffix='a', src='images', parallelism='2')",
        ),
    );
    let start = std::time::Instant::now();
    let out = repo.pachhook(&["check"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("needs more than 1024 MiB"),
        "{}",
        text(&out)
    );
    // The other template was still checked.
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    assert!(start.elapsed() < std::time::Duration::from_secs(30));

    // Four instances of a template that never ends: stopped at the time bound (10 s),
    // together, in much less than four times 10 s.
    let mut config = String::new();
    for i in 0..4 {
        config.push_str(&format!(
            "[[template]]\npath = \"loop.jsonnet\"\nargs = {{ n = \"{i}\" }}\n\n"
        ));
    }
    repo.write("pachhook.toml", &config);
    std::fs::remove_file(repo.dir.join("hog.jsonnet")).unwrap();
    std::fs::remove_file(repo.dir.join("good.jsonnet")).unwrap();
    repo.write(
        "loop.jsonnet",
        "function(n) local f(i) = if i < 0 then i else f(i + 1) tailstrict;\n\
         { pipeline: { name: 'loop' + n }, x: f(0) }\n",
    );
    let start = std::time::Instant::now();
    let out = repo.pachhook(&["check"]);
    let took = start.elapsed();
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(
        text(&out)
            .matches("did not finish within 10 seconds")
            .count(),
        4,
        "{}",
        text(&out)
    );
    assert!(took < std::time::Duration::from_secs(28), "{took:?}");
}
