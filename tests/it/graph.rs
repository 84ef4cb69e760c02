//! `pachhook graph` and the graph rules, as a user drives them: real multi-stage examples
//! of the corpus (`$PACHHOOK_CORPUS`: opencv's fan-in, joins, group, a cron input,
//! projects), each format given to its real reader (Graphviz's `dot`, Mermaid's own
//! parser, both installed by scripts/graphviz.sh and scripts/mermaid.sh and named by
//! scripts/test.sh), the JSON against its contract, `--from-ref` in a real repository,
//! and `pipeline-cycle` / `unknown-input` at their exact positions in check and the hooks.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, Repo, code, text};

/// A tool the tests need, from the variable scripts/test.sh sets (`PACHHOOK_DOT`,
/// `PACHHOOK_MERMAID`); missing, the test fails unless skipped on purpose
/// (`PACHHOOK_TEST_SKIP=graph-oracles`, `support::needs`).
fn oracle(var: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(path) => Some(PathBuf::from(path)),
        None => support::missing(
            "graph-oracles",
            &format!("{var} is not set"),
            "run the tests with scripts/test.sh, which installs Graphviz and Mermaid and sets it",
        ),
    }
}

/// The corpus's multi-stage examples, copied into the repository under `specs/`.
const EXAMPLES: &[&str] = &[
    "pachyderm-2.x-examples/examples__opencv__edges.pipeline.json",
    "pachyderm-2.x-examples/examples__opencv__montage.pipeline.json",
    "pachyderm-2.x-examples/examples__joins__pipelines__inner__inner_join.pipeline.json",
    "pachyderm-2.x-examples/examples__joins__pipelines__inner__reduce_inner.pipeline.json",
    "pachyderm-2.x-examples/examples__group__pipelines__lab__lab_group_by_hospital.pipeline.json",
    "pachyderm-2.x-examples/examples__group__pipelines__lab__reduce_group_by_hospital.pipeline.json",
    "pachyderm-2.x-examples/examples__db__query.pipeline.json",
    "pachyderm-2.x-examples/examples__spouts__spout101__pipelines__spout.pipeline.json",
    "pachyderm-2.x-examples/examples__spouts__spout101__pipelines__processor.pipeline.json",
    "pachyderm-2.x-internal/console__test-dags__multi-project__B1_edge.pipeline.pipeline.json",
    "pachyderm-2.x-internal/console__test-dags__multi-project__B2_edge.pipeline.json",
    "pachyderm-2.x-internal/console__test-dags__multi-project__B3_edge.pipeline.json",
];

/// A repository holding the corpus examples, or `None` when the corpus is skipped on
/// purpose.
fn corpus_repo() -> Option<Repo> {
    let corpus = support::corpus()?;
    let repo = Repo::new();
    for example in EXAMPLES {
        let name = Path::new(example).file_name().unwrap().to_str().unwrap();
        let short = name.trim_start_matches("examples__").replace("__", "-");
        let text = std::fs::read_to_string(corpus.join(example)).expect("corpus file");
        repo.write(&format!("specs/{short}"), &text);
    }
    repo.commit_all("examples");
    Some(repo)
}

fn graph(repo: &Repo, args: &[&str]) -> String {
    let mut all = vec!["graph"];
    all.extend(args);
    let out = repo.pachhook(&all);
    assert_eq!(code(&out), 0, "{out}");
    out.stdout
}

#[test]
fn corpus_examples_as_json_follow_the_contract() {
    let Some(repo) = corpus_repo() else { return };
    let json = graph(&repo, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    // The contract: these keys, in this order, these kinds, sorted.
    assert_eq!(doc["version"], 1);
    let at = |key: &str| json.find(&format!("\"{key}\":")).unwrap();
    assert!(
        at("version") < at("nodes") && at("nodes") < at("edges"),
        "{json}"
    );
    let nodes = doc["nodes"].as_array().unwrap();
    let ids: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    for node in nodes {
        let mut keys: Vec<&String> = node.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["file", "id", "kind", "line", "state"]);
        match node["kind"].as_str().unwrap() {
            "pipeline" => assert!(node["file"].is_string() && node["line"].is_u64()),
            "repo" => assert!(node["file"].is_null() && node["line"].is_null()),
            other => panic!("kind {other}"),
        }
    }
    // Fan-in (montage reads edges and images), a join, a group, projects on inputs.
    let edges = doc["edges"].as_array().unwrap();
    let has = |from: &str, to: &str| edges.iter().any(|e| e["from"] == from && e["to"] == to);
    assert!(has("default/edges", "default/montage") && has("default/images", "default/montage"));
    assert!(has("Multi-Project-B2/B1_edge", "default/B2_edge"));
    assert!(has("default/labresults", "default/group_by_hospital"));
    assert!(
        has("default/purchases", "default/inner_join")
            && has("default/stores", "default/inner_join")
    );
    insta::assert_snapshot!(json);
}

#[test]
fn corpus_examples_as_dot_are_accepted_by_graphviz() {
    let Some(repo) = corpus_repo() else { return };
    let Some(dot) = oracle("PACHHOOK_DOT") else {
        return;
    };
    let text = graph(&repo, &["--format", "dot"]);
    let file = repo.path().join("graph.dot");
    std::fs::write(&file, &text).unwrap();
    let out = Command::new(dot)
        .args(["-Tsvg", "-o"])
        .arg(repo.path().join("graph.svg"))
        .arg(&file)
        .output()
        .expect("run dot");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "dot refused:\n{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(repo.path().join("graph.svg")).unwrap();
    // Every pipeline and repository is drawn, the cron input on its pipeline.
    for label in ["default/montage", "default/images", "cron: tick", "spout"] {
        assert!(svg.contains(label), "{label} missing from the SVG");
    }
}

/// Runs Mermaid's parser on `text`: its diagram type, or its error.
fn mermaid_parse(repo: &Repo, text: &str) -> Option<Result<String, String>> {
    let script = oracle("PACHHOOK_MERMAID")?;
    let file = repo.path().join("graph.mmd");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("node")
        .arg(script)
        .arg(&file)
        .output()
        .expect("run node");
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Some(if out.status.success() {
        Ok(said)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[test]
fn corpus_examples_as_mermaid_parse_as_a_flowchart() {
    let Some(repo) = corpus_repo() else { return };
    let text = graph(&repo, &[]);
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    if let Some(parsed) = mermaid_parse(&repo, &text) {
        assert_eq!(parsed, Ok("flowchart-v2".to_string()), "{text}");
        // The oracle refuses what is not Mermaid.
        assert!(
            mermaid_parse(&repo, "flowchart LR\n  n0[\"a\n")
                .unwrap()
                .is_err()
        );
    }
    insta::assert_snapshot!(text);
}

const EDGES: &str = r#"{"pipeline": {"name": "edges"}, "transform": {"image": "team/edges:1", "cmd": ["x"]},
 "input": {"pfs": {"repo": "images", "glob": "/*"}}}
"#;
const MONTAGE: &str = r#"{"pipeline": {"name": "montage"}, "transform": {"image": "team/montage:1", "cmd": ["x"]},
 "input": {"cross": [{"pfs": {"repo": "edges", "glob": "/"}}, {"pfs": {"repo": "images", "glob": "/"}}]}}
"#;
const REPORT: &str = r#"{"pipeline": {"name": "report"}, "transform": {"image": "team/report:1", "cmd": ["x"]},
 "input": {"pfs": {"repo": "montage", "glob": "/"}}}
"#;
const OTHER: &str = r#"{"pipeline": {"name": "other"}, "transform": {"image": "team/other:1", "cmd": ["x"]},
 "input": {"pfs": {"repo": "images", "glob": "/"}}}
"#;

#[test]
fn from_ref_marks_what_a_change_reprocesses() {
    let repo = Repo::new();
    for (name, text) in [
        ("edges", EDGES),
        ("montage", MONTAGE),
        ("report", REPORT),
        ("other", OTHER),
    ] {
        repo.write(&format!("pipelines/{name}.json"), text);
    }
    repo.commit_all("first");
    repo.git(&["branch", "base"]);
    // A feature branch changes the edges spec: deploy would update edges, and montage
    // and report reprocess; other does not.
    repo.write("pipelines/edges.json", &EDGES.replace("/*", "/*/*"));
    repo.commit_all("edges: deeper glob");
    let json = graph(&repo, &["--from-ref", "base", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let state = |id: &str| {
        doc["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .map(|n| n["state"].clone())
            .unwrap()
    };
    assert_eq!(state("default/edges"), "changed");
    assert_eq!(state("default/montage"), "downstream");
    assert_eq!(state("default/report"), "downstream");
    assert_eq!(state("default/other"), serde_json::Value::Null);
    assert_eq!(state("default/images"), serde_json::Value::Null);
    // Mermaid and dot style them.
    let mermaid = graph(&repo, &["--from-ref", "base"]);
    insta::assert_snapshot!(mermaid);
    let dot = graph(
        &repo,
        &["--from-ref", "base", "--to-ref", "HEAD", "--format", "dot"],
    );
    assert!(dot.contains("\"default/edges\" [label=\"default/edges\\nchanged\", style=filled"));
    // An image change counts as deploy counts it: a [[build]] context touched.
    repo.git(&["checkout", "-q", "base"]);
    repo.write(
        "pachhook.toml",
        "[[build]]\nimage = \"team/other\"\ncontext = \"other\"\n",
    );
    repo.write(
        "pipelines/other.json",
        &OTHER.replace("team/other:1", "team/other"),
    );
    repo.commit_all("other is built");
    repo.git(&["branch", "-f", "base2"]);
    repo.write("other/main.py", "print('v2')\n");
    repo.commit_all("other: v2");
    let json = graph(&repo, &["--from-ref", "base2", "--format", "json"]);
    assert!(
        json.contains("\"id\": \"default/other\",\n      \"kind\": \"pipeline\",\n      \"file\": \"pipelines/other.json\",\n      \"line\": 1,\n      \"state\": \"changed\""),
        "{json}"
    );
    assert!(!json.contains("\"downstream\""), "{json}");
}

#[test]
fn graph_of_the_bundled_examples_is_the_readme_picture() {
    let out = support::isolated(support::PACHHOOK)
        .args(["graph", "examples"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    let picture = String::from_utf8(out.stdout).unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```mermaid\n{picture}```")),
        "README's picture differs from `pachhook graph examples`:\n{picture}"
    );
}

const A: &str = "{\n  \"pipeline\": {\"name\": \"a\"},\n  \"transform\": {\"image\": \"t/a:1\", \"cmd\": [\"x\"]},\n  \"input\": {\"union\": [\n    {\"pfs\": {\"repo\": \"raw\", \"glob\": \"/\"}},\n    {\"pfs\": {\"repo\": \"c\", \"glob\": \"/\"}}\n  ]}\n}\n";
const B: &str =
    "pipeline: {name: b}\ntransform: {image: t/b:1, cmd: [x]}\ninput:\n  pfs: {repo: a, glob: /}\n";
const C: &str = "pipeline: {name: c}\ntransform: {image: t/c:1, cmd: [x]}\ninput:\n  join:\n    - pfs: {repo: b, glob: \"/(*)\", join_on: \"$1\"}\n    - pfs: {repo: imgaes, glob: \"/(*)\", join_on: \"$1\"}\n";

/// (rule, file, line, column, message) of each finding of a JSON report.
fn findings(json: &str) -> Vec<(String, String, u64, u64, String)> {
    let doc: serde_json::Value = serde_json::from_str(json).expect("JSON report");
    let mut out = Vec::new();
    for file in doc["files"].as_array().unwrap() {
        for f in file["findings"].as_array().unwrap() {
            let rule = f["rule"].as_str().unwrap();
            if rule == "pipeline-cycle" || rule == "unknown-input" {
                out.push((
                    rule.to_string(),
                    file["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                    f["message"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

#[test]
fn cycle_and_unknown_input_at_their_positions() {
    let repo = Repo::new();
    repo.write("p/a.json", A);
    repo.write("p/b.yaml", B);
    repo.write("p/c.yaml", C);
    repo.commit_all("cycle");
    // Without [graph] sources: the cycle only (no list of sources, no false alarm).
    let out = repo.pachhook(&["check", "--format", "json"]);
    assert_eq!(code(&out), 1, "{out}");
    let cycle = |first: &str, rest: &str| format!("pipeline cycle: default/{first} -> {rest}");
    assert_eq!(
        findings(&out.stdout),
        [
            (
                "pipeline-cycle".into(),
                "p/a.json".into(),
                6,
                22,
                cycle("a", "default/b -> default/c -> default/a")
            ),
            (
                "pipeline-cycle".into(),
                "p/b.yaml".into(),
                4,
                15,
                cycle("b", "default/c -> default/a -> default/b")
            ),
            (
                "pipeline-cycle".into(),
                "p/c.yaml".into(),
                5,
                19,
                cycle("c", "default/a -> default/b -> default/c")
            ),
        ]
    );
    // With them: the misspelt repository, at its name, with a suggestion.
    repo.write(
        "pachhook.toml",
        "[graph]\nsources = [\"raw\", \"images\"]\n",
    );
    let out = repo.pachhook(&["check", "--format", "json"]);
    let found = findings(&out.stdout);
    assert!(
        found.contains(&(
            "unknown-input".into(),
            "p/c.yaml".into(),
            6,
            19,
            "input repository `default/imgaes` is written by no pipeline and is not a source"
                .into()
        )),
        "{found:?}"
    );
    assert_eq!(found.len(), 4, "{found:?}");
    let human = repo.pachhook(&["check", "p/c.yaml"]);
    assert!(
        text(&human).contains("did you mean `images`?") || text(&human).contains("imgaes"),
        "{human}"
    );
    // A glob lists a whole family of sources.
    repo.write("pachhook.toml", "[graph]\nsources = [\"raw\", \"img*\"]\n");
    let out = repo.pachhook(&["check", "--format", "json"]);
    assert_eq!(findings(&out.stdout).len(), 3);
    // A bad glob is a configuration error at its line.
    repo.write("pachhook.toml", "[graph]\nsources = [\"raw[\"]\n");
    let out = repo.pachhook(&["check"]);
    assert_eq!(code(&out), 2, "{out}");
    assert!(text(&out).contains("pachhook.toml:2"), "{out}");
}

#[test]
fn the_hooks_see_the_graph_of_the_whole_repository() {
    let repo = Repo::new();
    repo.write("pachhook.toml", "[graph]\nsources = [\"raw\", \"other\"]\n");
    repo.write("p/a.json", &A.replace("\"c\"", "\"other\""));
    repo.write("p/b.yaml", B);
    repo.commit_all("a, b");
    repo.install();
    // The commit changes a and adds c; the cycle runs through b, unchanged.
    repo.write("p/a.json", A);
    repo.write("p/c.yaml", &C.replace("imgaes", "raw"));
    repo.git(&["add", "p/a.json", "p/c.yaml"]);
    let out = repo.try_git(&["commit", "-q", "-m", "c"]);
    assert_ne!(code(&out), 0, "{out}");
    assert!(text(&out).contains("pipeline-cycle"), "{out}");
    // Without the change to a: c reads the output of b, unchanged, which is no unknown
    // input.
    repo.git(&["checkout", "-q", "HEAD", "--", "p/a.json"]);
    let out = repo.try_git(&["commit", "-q", "-m", "c"]);
    assert_eq!(code(&out), 0, "{out}");
    // A misspelt repository is, in both hooks.
    repo.write(
        "p/d.yaml",
        &B.replace("name: b", "name: d")
            .replace("repo: a", "repo: bb"),
    );
    repo.git(&["add", "p/d.yaml"]);
    let out = repo.try_git(&["commit", "-q", "-m", "d"]);
    assert_ne!(code(&out), 0, "{out}");
    assert!(text(&out).contains("unknown-input"), "{out}");
    repo.git(&["commit", "-q", "--no-verify", "-m", "d"]);
    let remote = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    let out = repo.try_git(&["push", "-q", "origin", "HEAD:refs/heads/main"]);
    assert_ne!(code(&out), 0, "{out}");
    assert!(text(&out).contains("unknown-input"), "{out}");
}

#[test]
fn a_rendered_template_writes_a_repository_for_the_hooks() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        "[graph]\nsources = [\"raw\"]\n\n[[template]]\npath = \"t/edges.jsonnet\"\nargs = { name = \"edges\" }\n",
    );
    repo.write(
        "t/edges.jsonnet",
        "function(name) {\n  pipeline: { name: name },\n  transform: { image: 't/e:1', cmd: ['x'] },\n  input: { pfs: { repo: 'raw', glob: '/*' } },\n}\n",
    );
    repo.commit_all("template");
    // The graph draws what the instance renders, at the template.
    let json = graph(&repo, &["--format", "json"]);
    assert!(
        json.contains("\"id\": \"default/edges\",\n      \"kind\": \"pipeline\",\n      \"file\": \"t/edges.jsonnet\",\n      \"line\": 1,"),
        "{json}"
    );
    assert!(json.contains("\"from\": \"default/raw\""), "{json}");
    repo.install();
    // A new spec reads the template's output: no unknown input.
    repo.write("p/b.yaml", &B.replace("repo: a", "repo: edges"));
    repo.git(&["add", "p/b.yaml"]);
    let out = repo.try_git(&["commit", "-q", "-m", "b"]);
    assert_eq!(code(&out), 0, "{out}");
    // One that reads a repository neither the template nor a spec writes is refused.
    repo.write(
        "p/c.yaml",
        &B.replace("name: b", "name: c")
            .replace("repo: a", "repo: edgse"),
    );
    repo.git(&["add", "p/c.yaml"]);
    let out = repo.try_git(&["commit", "-q", "-m", "c"]);
    assert_ne!(code(&out), 0, "{out}");
    assert!(text(&out).contains("did you mean `edges`?"), "{out}");
}

#[test]
fn both_rules_in_every_report_format() {
    let repo = Repo::new();
    repo.write("pachhook.toml", "[graph]\nsources = [\"raw\"]\n");
    repo.write("p/a.json", A);
    repo.write("p/b.yaml", B);
    repo.write("p/c.yaml", C);
    repo.commit_all("cycle");
    for format in ["human", "json", "github", "gitlab", "sarif", "junit"] {
        let out = repo.pachhook(&["check", "--format", format]);
        assert_eq!(code(&out), 1, "{format}: {out}");
        for rule in ["pipeline-cycle", "unknown-input"] {
            assert!(out.stdout.contains(rule), "{format} lacks {rule}: {out}");
        }
    }
    for rule in ["pipeline-cycle", "unknown-input"] {
        let out = repo.pachhook(&["explain", rule]);
        assert_eq!(code(&out), 0, "{out}");
        assert!(out.stdout.starts_with(rule), "{out}");
        let listed = repo.pachhook(&["rules"]);
        assert!(
            listed.stdout.lines().any(|l| l.starts_with(rule)),
            "{listed}"
        );
    }
}

#[test]
fn hostile_names_stay_inside_their_labels() {
    let repo = Repo::new();
    // Names no pachd accepts, but a file can hold: quotes, brackets, pipes, a newline,
    // a backslash and an escape sequence.
    repo.write(
        "p/x.json",
        r#"{"pipeline": {"name": "x\"]; click x evil"}, "transform": {"image": "t/x:1", "cmd": ["x"]},
 "input": {"pfs": {"repo": "r|\"]\n\\\u001b[2Jz", "name": "in\"|put", "glob": "/"}}}
"#,
    );
    repo.commit_all("x");
    for format in ["mermaid", "dot", "json"] {
        let out = repo.pachhook(&["graph", "--format", format]);
        assert_eq!(code(&out), 0, "{out}");
        assert!(!out.stdout.contains('\u{1b}'), "{format}: {:?}", out.stdout);
    }
    let mermaid = graph(&repo, &[]);
    if let Some(parsed) = mermaid_parse(&repo, &mermaid) {
        assert_eq!(parsed, Ok("flowchart-v2".to_string()), "{mermaid}");
    }
    // Three statements: two nodes and the edge, nothing smuggled in.
    assert_eq!(mermaid.lines().count(), 4, "{mermaid}");
    if let Some(dot) = oracle("PACHHOOK_DOT") {
        let text = graph(&repo, &["--format", "dot"]);
        let out = Command::new(dot)
            .arg("-Tplain")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child.stdin.take().unwrap().write_all(text.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{text}");
        let plain = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            plain.lines().filter(|l| l.starts_with("node ")).count(),
            2,
            "{plain}"
        );
        assert_eq!(
            plain.lines().filter(|l| l.starts_with("edge ")).count(),
            1,
            "{plain}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&graph(&repo, &["--format", "json"])).unwrap();
    assert_eq!(json["edges"][0]["input"], "in\"|put");
    assert_eq!(json["nodes"][0]["id"], "default/r|\"]\n\\\u{1b}[2Jz");
}

#[test]
fn usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::isolated(support::PACHHOOK)
        .arg("graph")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        text(&out).contains("not in a git repository"),
        "{}",
        text(&out)
    );
    let repo = Repo::new();
    repo.write("p/b.yaml", B);
    repo.commit_all("b");
    let out = repo.pachhook(&["graph", "--from-ref", "nope"]);
    assert_eq!(code(&out), 2, "{out}");
    assert!(
        text(&out).contains("`nope` does not name a commit"),
        "{out}"
    );
    let out = repo.pachhook(&["graph", "--format", "png"]);
    assert_eq!(code(&out), 2, "{out}");
}
