//! Each object is judged by its own settings (issue 20, cause 1): a commit by the
//! `pachhook.toml` it stages, a push by the pushed commit's, `check` by the work tree's.
//! `pachhook.local.toml` is one developer's, per clone (every linked worktree reads the
//! one at the top of the main worktree), and applies only untracked: a tracked one is
//! refused in every command.

use crate::support::{GOOD, Sandbox, code, text};

/// A spec whose image floats on `:stable`.
fn stable_spec() -> String {
    GOOD.replace("opencv:1.0.0", "opencv:stable")
}

const FORBID_STABLE: &str = "[images]\nfloating_tags = [\"latest\", \"stable\"]\n";
const ALLOW_ALL: &str = "[images]\nfloating_tags = []\n";

#[test]
fn a_commit_is_judged_by_the_config_it_stages_not_the_work_trees() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    // Staged: `:stable` floats. In the work tree (not staged): nothing floats.
    repo.write("pachhook.toml", FORBID_STABLE);
    repo.git(&["add", "pachhook.toml"]);
    repo.write("pachhook.toml", ALLOW_ALL);
    repo.write("edges.json", &stable_spec());
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "-q", "-m", "x"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));

    // The other way round (`git add -p` of the relaxing half): the staged config rules.
    repo.write("pachhook.toml", ALLOW_ALL);
    repo.git(&["add", "pachhook.toml"]);
    repo.write("pachhook.toml", FORBID_STABLE);
    let out = repo.try_git(&["commit", "-q", "-m", "x"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    // `check --staged` is the hook's selection, with the hook's settings.
    repo.write("edges.json", &stable_spec().replace("edges", "edges2"));
    repo.git(&["add", "edges.json"]);
    let out = repo.pachhook(&["check", "--staged"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // `check` judges the work tree: its pachhook.toml forbids `:stable`.
    let out = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
}

#[test]
fn a_push_is_judged_by_the_pushed_commits_config() {
    let sandbox = Sandbox::new();
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = sandbox.repo("repo");
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.install();
    repo.write("pachhook.toml", FORBID_STABLE);
    repo.write("edges.json", &stable_spec());
    repo.commit_all("forbids stable, uses it");
    // The work tree relaxes the rule, uncommitted: the push still sends a commit its own
    // settings refuse.
    repo.write("pachhook.toml", ALLOW_ALL);
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    // And the other way round: the pushed commit allows it, the work tree does not.
    repo.write("pachhook.toml", ALLOW_ALL);
    repo.commit_all("allow");
    repo.write("pachhook.toml", FORBID_STABLE);
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn a_tracked_local_file_is_refused_in_every_command() {
    let sandbox = Sandbox::new();
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = sandbox.repo("repo");
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.install();
    repo.write("pachhook.local.toml", "[rules]\nfloating-tag = \"off\"\n");
    repo.write("edges.json", &GOOD.replace("opencv:1.0.0", "opencv:latest"));
    repo.commit_all("a committed local file");
    let check = |out: &crate::support::Run, what: &str| {
        assert_eq!(code(out), 2, "{what}: {}", text(out));
        assert!(
            text(out).contains("pachhook.local.toml")
                && text(out).contains("tracked by git")
                && text(out).contains("git rm --cached pachhook.local.toml"),
            "{what}: {}",
            text(out)
        );
    };
    check(&repo.pachhook(&["check", "--all"]), "check --all");
    check(&repo.pachhook(&["check", "edges.json"]), "check <file>");
    check(&repo.pachhook(&["check", "--staged"]), "check --staged");
    check(&repo.pachhook(&["run", "pre-commit"]), "pre-commit");
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("tracked by git"), "{}", text(&out));
    // Untracked (and ignored), it applies.
    repo.git(&["rm", "-q", "--cached", "pachhook.local.toml"]);
    repo.write(".gitignore", "pachhook.local.toml\n");
    let out = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn every_linked_worktree_reads_the_clones_one_local_file() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write("edges.json", &GOOD.replace("opencv:1.0.0", "opencv:latest"));
    repo.commit_all("latest");
    repo.write("pachhook.local.toml", "[rules]\nfloating-tag = \"off\"\n");
    let linked = sandbox.path().join("linked");
    repo.git(&["worktree", "add", "-q", linked.to_str().unwrap()]);
    let linked = repo.at(&linked);
    // The main worktree's local file applies in the linked one.
    let out = linked.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // From a subdirectory too, and in the hook.
    std::fs::create_dir(linked.dir.join("sub")).unwrap();
    linked.write(
        "other.json",
        &GOOD
            .replace("opencv:1.0.0", "opencv:latest")
            .replace("\"edges\"", "\"other\""),
    );
    linked.git(&["add", "other.json"]);
    let out = linked
        .at(linked.dir.join("sub"))
        .pachhook(&["run", "pre-commit"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // A file at the linked worktree's own top is not the clone's: it does not apply.
    std::fs::remove_file(repo.dir.join("pachhook.local.toml")).unwrap();
    linked.write("pachhook.local.toml", "[rules]\nfloating-tag = \"off\"\n");
    let out = linked.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
}
