//! The hooks during a merge and a rebase, and the push ranges deploy will use.

use crate::support::{BAD, GOOD, Repo, Sandbox, code, text};
use pachhook::hooks::pre_push;

/// `main` and `topic` both change `edges.json`, so merging or rebasing stops on a conflict.
fn diverged(sandbox: &Sandbox) -> Repo {
    let repo = sandbox.repo("repo");
    repo.write("edges.json", GOOD);
    repo.commit_all("start");
    repo.git(&["switch", "-q", "-c", "topic"]);
    repo.write(
        "edges.json",
        &GOOD.replace("edges in images", "edges, topic"),
    );
    repo.commit_all("topic");
    repo.git(&["switch", "-q", "main"]);
    repo.write(
        "edges.json",
        &GOOD.replace("edges in images", "edges, main"),
    );
    repo.commit_all("main");
    repo.install();
    repo
}

#[test]
fn a_merge_commit_runs_the_hook() {
    let sandbox = Sandbox::new();
    let repo = diverged(&sandbox);
    assert_ne!(
        code(&repo.try_git(&["merge", "topic"])),
        0,
        "a conflict was expected"
    );
    repo.write("edges.json", BAD);
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "--no-edit"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("edges.json:"), "{}", text(&out));
    repo.write("edges.json", GOOD);
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "--no-edit"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        repo.git(&["rev-list", "--count", "--merges", "HEAD"])
            .trim(),
        "1"
    );
}

/// git's sequencer commits picks (and `rebase --continue`) without the pre-commit hook;
/// a commit made by hand while a rebase is stopped runs it, like any other.
#[test]
fn a_commit_during_a_rebase_runs_the_hook() {
    let sandbox = Sandbox::new();
    let repo = diverged(&sandbox);
    repo.git(&["switch", "-q", "topic"]);
    assert_ne!(
        code(&repo.try_git(&["rebase", "main"])),
        0,
        "a conflict was expected"
    );
    repo.write("edges.json", BAD);
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "--no-edit"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("edges.json:"), "{}", text(&out));
    repo.write("edges.json", GOOD);
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "--no-edit"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = repo.try_git(&["rebase", "--continue"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        repo.git(&["log", "--format=%s"]).trim(),
        "topic\nmain\nstart"
    );
}

#[test]
fn one_walk_finds_what_all_pushed_refs_send() {
    let sandbox = Sandbox::new();
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = sandbox.repo("repo");
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.write("a.json", GOOD);
    repo.commit_all("one");
    repo.git(&["push", "-q", "origin", "main"]);
    let one = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.write("b.txt", "b");
    repo.commit_all("two");
    let two = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.git(&["switch", "-q", "-c", "new"]);
    repo.write("c.txt", "c");
    repo.commit_all("three");
    let three = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let zeros = "0".repeat(40);
    let stdin = format!(
        "refs/heads/main {two} refs/heads/main {one}\n\
         refs/heads/new {three} refs/heads/new {zeros}\n\
         (delete) {zeros} refs/heads/gone {one}\n"
    );
    let opened = pachhook::repo::Repo::open(&repo.dir).unwrap();
    let push = pre_push::pushed(&opened, "origin", &stdin).unwrap();
    let refs: Vec<&str> = push.updates.iter().map(|u| u.remote_ref.as_str()).collect();
    assert_eq!(refs, ["refs/heads/main", "refs/heads/new"]);
    // One walk for both refs: what origin lacks is `two` and `three`, each once.
    let mut commits: Vec<String> = push.commits.iter().map(|c| c.to_string()).collect();
    commits.sort();
    let mut expected = vec![three.clone(), two.clone()];
    expected.sort();
    assert_eq!(commits, expected);
    assert_eq!(push.updates[0].remote_oid.map(|o| o.to_string()), Some(one));
    assert_eq!(push.updates[1].remote_oid, None);
}
