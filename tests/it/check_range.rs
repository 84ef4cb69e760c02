//! `check --from-ref A --to-ref B`, the pull-request job: the spec files the range
//! changes (from the merge base, as the pull request shows them), read from B's tree
//! with B's settings, whatever the work tree holds.

use serde_json::Value;

use crate::support::{BAD, GOOD, Repo, code};

const FLOATING: &str = r#"{"pipeline": {"name": "edges"}, "transform": {"image": "team/edges:latest"},
  "input": {"pfs": {"repo": "images", "glob": "/*"}}}
"#;

/// `check --format json <args>`: the exit code, every file checked, and the files with
/// findings; so that "nothing found" and "nothing checked" are told apart.
fn check_range(repo: &Repo, args: &[&str]) -> (i32, Vec<String>, Vec<String>) {
    let mut all = vec!["check", "--format", "json"];
    all.extend(args);
    let out = repo.pachhook(&all);
    let report: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("no JSON report ({e}): {out}"));
    let files = report["files"].as_array().unwrap();
    let path = |f: &Value| f["path"].as_str().unwrap().to_string();
    let checked = files.iter().map(path).collect();
    let paths = files
        .iter()
        .filter(|f| !f["findings"].as_array().unwrap().is_empty())
        .map(path)
        .collect();
    (code(&out), checked, paths)
}

#[test]
fn checks_what_the_range_changed_as_it_is_at_its_end() {
    let repo = Repo::new();
    repo.write("pipelines/edges.json", GOOD);
    repo.write("pipelines/legacy.json", BAD); // broken before the branch: not its problem
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("pipelines/edges.json", FLOATING);
    repo.write(
        "pipelines/new.yaml",
        "pipeline: {name: new}\ntransform: {image: a/b:1}\ninput: {pfs: {repo: r, glob: /}}\n",
    );
    repo.commit_all("feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("pipelines/other.json", BAD); // main moved on: not in the pull request
    repo.commit_all("main moves on");
    // The work tree is main's: the range is read from its commits.
    let (status, checked, found) =
        check_range(&repo, &["--from-ref", "main", "--to-ref", "feature"]);
    assert_eq!(
        (status, checked, found),
        (
            1,
            vec![
                "pipelines/edges.json".to_string(),
                "pipelines/new.yaml".to_string()
            ],
            vec!["pipelines/edges.json".to_string()]
        )
    );

    // A range that changes only good specs passes; an empty range checks nothing.
    repo.git(&["checkout", "-q", "-b", "fix", "feature"]);
    repo.write("pipelines/edges.json", GOOD);
    repo.commit_all("fix");
    let (status, checked, found) =
        check_range(&repo, &["--from-ref", "feature", "--to-ref", "fix"]);
    assert_eq!(
        (status, checked, found),
        (0, vec!["pipelines/edges.json".to_string()], vec![]),
        "the fixed spec is checked, and passes"
    );
    let (status, checked, found) = check_range(&repo, &["--from-ref", "HEAD"]);
    assert_eq!(
        (status, checked, found),
        (0, vec![], vec![]),
        "--to-ref defaults to HEAD: an empty range"
    );
}

#[test]
fn the_settings_are_those_of_the_ranges_end() {
    let repo = Repo::new();
    repo.write("README", "x");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("edges.json", FLOATING);
    repo.write("pachhook.toml", "[rules]\nfloating-tag = \"off\"\n");
    repo.commit_all("feature");
    repo.git(&["checkout", "-q", "main"]);
    let (status, checked, found) =
        check_range(&repo, &["--from-ref", "main", "--to-ref", "feature"]);
    assert_eq!(
        (status, checked, found),
        (0, vec!["edges.json".to_string()], vec![]),
        "feature's pachhook.toml applies to the spec it checks"
    );
}

#[test]
fn a_revision_that_names_no_commit_is_a_usage_error() {
    let repo = Repo::new();
    repo.write("edges.json", GOOD);
    repo.commit_all("base");
    let out = repo.pachhook(&["check", "--from-ref", "origin/nope"]);
    assert_eq!(code(&out), 2, "{out}");
    assert!(
        out.stderr.contains("`origin/nope` does not name a commit"),
        "{out}"
    );
    let out = repo.pachhook(&["check", "--to-ref", "HEAD"]);
    assert_eq!(code(&out), 2, "--to-ref needs --from-ref: {out}");
    let out = repo.pachhook(&["check", "--from-ref", "HEAD", "edges.json"]);
    assert_eq!(code(&out), 2, "not with paths: {out}");
}
