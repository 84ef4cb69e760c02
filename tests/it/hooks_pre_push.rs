//! The pre-push hook against a local bare remote: new branches, several branches at
//! once, deletions, and the ranges `hooks::pre_push::updates` finds.

use crate::support::{BAD, GOOD, Repo, Sandbox, code, text};

/// A repository with hooks installed, a bare `origin`, and `main` pushed with a good spec.
fn pushed_repo(sandbox: &Sandbox, init_args: &[&str]) -> (Repo, Repo) {
    let remote = sandbox.repo_with("remote.git", &[&["--bare"], init_args].concat());
    let repo = sandbox.repo_with("repo", init_args);
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.install();
    repo.write("pipelines/edges.json", GOOD);
    repo.commit_all("good");
    let out = repo.try_git(&["push", "-q", "-u", "origin", "main"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    (repo, remote)
}

#[test]
fn a_new_branch_with_a_bad_spec_is_refused() {
    let sandbox = Sandbox::new();
    let (repo, remote) = pushed_repo(&sandbox, &[]);
    repo.git(&["switch", "-q", "-c", "feature"]);
    repo.write("pipelines/montage.json", BAD);
    repo.commit_all("bad");
    repo.write("README.md", "later commit, no spec\n");
    repo.commit_all("docs");
    let out = repo.try_git(&["push", "-q", "origin", "feature"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/montage.json:"),
        "{}",
        text(&out)
    );
    assert!(!remote.has_branch("feature"));

    // Fixed in a new commit: the tip is what is checked.
    repo.write("pipelines/montage.json", &GOOD.replace("edges", "montage"));
    repo.commit_all("fix");
    let out = repo.try_git(&["push", "-q", "origin", "feature"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn two_branches_at_once_and_a_deletion() {
    let sandbox = Sandbox::new();
    let (repo, remote) = pushed_repo(&sandbox, &[]);
    repo.git(&["branch", "old"]);
    let out = repo.try_git(&["push", "-q", "origin", "old"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    repo.git(&["switch", "-q", "-c", "a"]);
    repo.write("pipelines/a.json", &GOOD.replace("edges", "aaa"));
    repo.commit_all("a");
    repo.git(&["switch", "-q", "-c", "b", "main"]);
    repo.write("pipelines/b.json", BAD);
    repo.commit_all("b");
    let out = repo.try_git(&["push", "-q", "origin", "a", "b", ":old"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    let shown = text(&out);
    // One summary line for the push, not a line per ref.
    assert!(
        shown.contains("checking 2 spec files changed by 2 new commits on 2 pushed refs"),
        "{shown}"
    );
    assert!(shown.contains("pipelines/b.json:"), "{shown}");
    assert!(!shown.contains("pipelines/a.json:"), "{shown}");
    // Nothing was pushed: not a, not b, and old is still there.
    assert!(!remote.has_branch("a"));
    assert!(remote.has_branch("old"));

    let out = repo.try_git(&["push", "-q", "origin", "a", ":old"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(remote.has_branch("a"));
    assert!(!remote.has_branch("old"));
}

#[test]
fn an_update_checks_only_the_range() {
    let sandbox = Sandbox::new();
    let (repo, _remote) = pushed_repo(&sandbox, &[]);
    // A bad spec already on the remote (pushed without checks) is not this push's fault.
    repo.write("pipelines/old.json", BAD);
    repo.commit_all("bad, bypassed");
    let out = repo.git_env(
        &["push", "-q", "origin", "main"],
        &[("PACHHOOK", "0")],
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    repo.write("README.md", "docs\n");
    repo.commit_all("docs");
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // A change to a spec in the range is checked as it is at the tip.
    repo.write("pipelines/edges.json", BAD);
    repo.commit_all("break edges");
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.json:"),
        "{}",
        text(&out)
    );
    assert!(
        !text(&out).contains("pipelines/old.json:"),
        "{}",
        text(&out)
    );
}

#[test]
fn run_pre_push_by_hand_reads_git_lines() {
    let sandbox = Sandbox::new();
    let (repo, _remote) = pushed_repo(&sandbox, &[]);
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.write("pipelines/edges.json", BAD);
    repo.commit_all("bad");
    let tip = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let zeros = "0".repeat(40);
    let lines = format!(
        "refs/heads/main {tip} refs/heads/main {base}\n(delete) {zeros} refs/heads/gone {base}\n"
    );
    let out = repo.pachhook_env(&["run", "pre-push", "origin", "url"], &[], Some(&lines));
    assert_eq!(code(&out), 1, "{}", text(&out));
    let out = repo.pachhook_env(
        &["run", "pre-push", "origin", "url"],
        &[],
        Some(&format!("(delete) {zeros} refs/heads/gone {base}\n")),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = repo.pachhook_env(&["run", "pre-push", "origin"], &[], Some("garbage\n"));
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = repo.pachhook_env(
        &["run", "pre-push", "origin"],
        &[("PACHHOOK", "0")],
        Some(&lines),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn a_sha256_repository_works() {
    let sandbox = Sandbox::new();
    let (repo, remote) = pushed_repo(&sandbox, &["--object-format=sha256"]);
    repo.git(&["push", "-q", "--no-verify", "origin", "main:old"]);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]).trim().len(), 64);
    // pre-commit: the index and HEAD's tree of a SHA-256 repository.
    repo.write("pipelines/edges.json", BAD);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.json:"),
        "{}",
        text(&out)
    );
    let out = repo.try_git(&["commit", "-a", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    // pre-push: 64-hex ids and 64 zeros for a new branch.
    repo.git(&["commit", "-q", "--no-verify", "-m", "bad"]);
    repo.git(&["switch", "-q", "-c", "feature"]);
    let out = repo.try_git(&["push", "-q", "origin", "feature"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.json:"),
        "{}",
        text(&out)
    );
    repo.write("pipelines/edges.json", GOOD);
    repo.commit_all("fix");
    let out = repo.try_git(&["push", "-q", "origin", "feature", ":old"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(remote.has_branch("feature"));
    assert!(!remote.has_branch("old"));
}

/// A push's changes are what the remote does not have: after `git pull` (a merge), a
/// spec the remote already holds, byte for byte, does not refuse a push that changes
/// only notes.txt; a merge that changes the spec itself is still checked.
#[test]
fn a_merge_is_not_blamed_for_the_remotes_content() {
    let sandbox = Sandbox::new();
    let (repo, remote) = pushed_repo(&sandbox, &[]);
    // Someone else pushes a spec the checks refuse (their hooks were skipped).
    let other = sandbox.path().join("other");
    let out = crate::support::isolated("git")
        .args([
            "clone",
            "-q",
            remote.dir.to_str().unwrap(),
            other.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let other = repo.at(&other);
    other.git(&["config", "user.name", "Other"]);
    other.git(&["config", "user.email", "other@example.com"]);
    other.write("pipelines/montage.json", BAD);
    other.commit_all("theirs");
    other.git(&["push", "-q", "--no-verify", "origin", "main"]);
    // We change notes.txt, pull (a merge), and push.
    repo.write("notes.txt", "ours\n");
    repo.commit_all("notes");
    repo.git(&["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"]);
    assert_eq!(
        repo.git(&["rev-list", "--count", "--merges", "HEAD"]),
        "1",
        "a merge was made"
    );
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    // A merge whose result differs from both sides is checked.
    other.git(&["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"]);
    other.write("other.txt", "theirs\n");
    other.commit_all("theirs again");
    other.git(&["push", "-q", "--no-verify", "origin", "main"]);
    repo.write("notes.txt", "ours again\n");
    repo.commit_all("notes again");
    repo.git(&["fetch", "-q", "origin"]);
    repo.git(&["merge", "-q", "--no-commit", "--no-verify", "origin/main"]);
    repo.write("pipelines/edges.json", BAD);
    repo.git(&["add", "pipelines/edges.json"]);
    repo.git(&["commit", "-q", "--no-verify", "--no-edit"]);
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.json"),
        "{}",
        text(&out)
    );
}

/// Smaller members (issue 20, item 9): a branch whose name is not UTF-8, and a refspec
/// whose local side holds spaces (`HEAD@{1 minute ago}:x`), are pushed like any other.
#[test]
fn odd_ref_names_and_refspecs_are_pushed() {
    let sandbox = Sandbox::new();
    let (repo, remote) = pushed_repo(&sandbox, &[]);
    repo.write("notes.txt", "more\n");
    repo.commit_all("notes");
    // A Latin-1 branch name, made with git itself (an argument is bytes).
    let mut git = repo.command("git");
    use std::os::unix::ffi::OsStrExt;
    git.arg("push")
        .arg("-q")
        .arg("origin")
        .arg(std::ffi::OsStr::from_bytes(b"main:refs/heads/caf\xe9"));
    let out = crate::support::run(git, std::time::Duration::from_secs(60));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = repo.try_git(&["push", "-q", "origin", "HEAD@{1 minute ago}:refs/heads/x"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(remote.has_branch("x"));
    // The same line by hand: the local side keeps its spaces.
    let head = repo.git(&["rev-parse", "HEAD"]);
    let zero = "0".repeat(40);
    let out = repo.pachhook_env(
        &["run", "pre-push", "origin"],
        &[],
        Some(&format!(
            "HEAD@{{1 minute ago}} {head} refs/heads/y {zero}\n"
        )),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
}
