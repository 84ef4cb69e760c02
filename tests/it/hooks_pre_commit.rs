//! The pre-commit hook in real repositories: which content it checks (the staged one),
//! that it changes nothing, and how it can be bypassed.

use crate::support::{BAD, GOOD, Sandbox, code, text};

#[test]
fn a_bad_spec_is_refused_and_a_good_one_accepted() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    repo.write("pipelines/edges.json", BAD);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/edges.json:"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("parse-error"), "{}", text(&out));
    assert!(repo.try_git(&["rev-parse", "HEAD"]).code != Some(0));

    repo.write("pipelines/edges.json", GOOD);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "good"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(repo.git(&["log", "--format=%s"]).trim(), "good");
}

#[test]
fn files_that_are_not_specs_do_not_block() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    repo.write("package.json", "{ not json at all");
    repo.write("notes.txt", "hello");
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "other files"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(repo.git(&["log", "--format=%s"]), "other files");
    // The hook that let them through is live: a broken spec beside them is refused.
    repo.write("edges.json", BAD);
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "-m", "a broken spec"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("edges.json"), "{}", text(&out));
}

#[test]
fn only_changed_specs_are_checked() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    // A bad spec already committed (bypassing the hook) does not block unrelated commits.
    repo.write("old.json", BAD);
    repo.commit_all("old");
    repo.install();
    repo.write("README.md", "docs");
    repo.git(&["add", "README.md"]);
    let out = repo.try_git(&["commit", "-m", "docs"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "docs");
    // The same bad spec, once the commit changes it, is checked and refused.
    repo.write("old.json", &format!("{BAD}\n"));
    repo.git(&["add", "old.json"]);
    let out = repo.try_git(&["commit", "-m", "touch the old spec"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("old.json"), "{}", text(&out));
}

/// Partial staging: the hook checks what will be committed, and leaves the working tree
/// and the index byte for byte as they were.
#[test]
fn partially_staged_files_are_checked_as_staged() {
    for (staged, unstaged, expected) in [(GOOD, BAD, 0), (BAD, GOOD, 1)] {
        let sandbox = Sandbox::new();
        let repo = sandbox.repo("repo");
        repo.write("README.md", "start\n");
        repo.commit_all("start");
        repo.install();
        repo.write("edges.json", staged);
        repo.git(&["add", "edges.json"]);
        repo.write("edges.json", unstaged);
        let before = (
            repo.git(&["diff"]),
            repo.git(&["diff", "--cached"]),
            repo.read("edges.json"),
            repo.read(".git/index"),
        );
        let out = repo.pachhook(&["run", "pre-commit"]);
        assert_eq!(code(&out), expected, "{}", text(&out));
        let after = (
            repo.git(&["diff"]),
            repo.git(&["diff", "--cached"]),
            repo.read("edges.json"),
            repo.read(".git/index"),
        );
        assert!(
            before == after,
            "the hook changed the working tree or the index"
        );
        let out = repo.try_git(&["commit", "-m", "partial"]);
        assert_eq!(code(&out), expected, "{}", text(&out));
        assert_eq!(repo.read("edges.json"), unstaged.as_bytes());
    }
}

/// `git commit -a` and `git commit <path>` build a temporary index (GIT_INDEX_FILE).
#[test]
fn commit_all_and_commit_paths_use_the_temporary_index() {
    for args in [
        &["commit", "-a", "-m", "edit"][..],
        &["commit", "-m", "edit", "edges.json"],
    ] {
        let sandbox = Sandbox::new();
        let repo = sandbox.repo("repo");
        repo.write("edges.json", GOOD);
        repo.commit_all("start");
        repo.install();
        repo.write("edges.json", BAD);
        let out = repo.try_git(args);
        assert_eq!(code(&out), 1, "{args:?} was not refused: {}", text(&out));
        assert!(text(&out).contains("edges.json:"), "{}", text(&out));
        // Fixed in the working tree only: the same commands now pass.
        repo.write("edges.json", &GOOD.replace("edges in images", "edges"));
        let out = repo.try_git(args);
        assert_eq!(code(&out), 0, "{args:?}: {}", text(&out));
    }
}

#[test]
fn pachhook_0_and_pachhook_skip_and_no_verify() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    repo.write("edges.json", BAD);
    repo.git(&["add", "."]);
    let refused = repo.try_git(&["commit", "-m", "bad"]);
    assert_eq!(code(&refused), 1, "{}", text(&refused));

    let out = repo.pachhook_env(
        &["run", "pre-commit"],
        &[("PACHHOOK_SKIP", "parse-error")],
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = repo.pachhook_env(
        &["run", "pre-commit"],
        &[("PACHHOOK_SKIP", "no-such-rule")],
        None,
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no-such-rule"), "{}", text(&out));

    let out = repo.pachhook_env(&["run", "pre-commit"], &[("PACHHOOK", "0")], None);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = repo.git_env(&["commit", "-m", "off"], &[("PACHHOOK", "0")], None);
    assert_eq!(code(&out), 0, "{}", text(&out));

    repo.write("edges.json", &format!("{BAD}\n"));
    repo.git(&["add", "."]);
    let out = repo.git_env(
        &["commit", "-m", "skip"],
        &[("PACHHOOK_SKIP", "parse-error")],
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    repo.write("edges.json", &format!("{BAD}\n\n"));
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "--no-verify", "-m", "no verify"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn a_config_error_blocks_with_file_line_and_key() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    repo.write(
        "pachhook.toml",
        "[specs]\npaths = [\"*.json\"]\n\n[images]\nfloating_tag = [\"dev\"]\n",
    );
    repo.write("edges.json", GOOD);
    repo.git(&["add", "."]);
    // git reports any failing pre-commit as its own exit 1; the hook's own code is 2.
    let out = repo.try_git(&["commit", "-m", "config"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("pachhook.toml:5:"), "{shown}");
    assert!(shown.contains("floating_tag"), "{shown}");
    assert!(repo.try_git(&["rev-parse", "HEAD"]).code != Some(0));
    let out = repo.pachhook(&["run", "pre-commit"]);
    assert_eq!(code(&out), 2, "{}", text(&out));

    repo.write("pachhook.toml", "[images]\nrequire_digest = \"yes\"\n");
    repo.git(&["add", "pachhook.toml"]);
    let out = repo.pachhook(&["run", "pre-commit"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("pachhook.toml:2:"), "{}", text(&out));

    // A local override is checked the same way.
    repo.write("pachhook.toml", "");
    repo.git(&["add", "pachhook.toml"]);
    repo.write("pachhook.local.toml", "[pachyderm]\nversion = \"one\"\n");
    let out = repo.pachhook(&["run", "pre-commit"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("pachhook.local.toml:2:"),
        "{}",
        text(&out)
    );
}

#[test]
fn spec_globs_choose_the_files() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    repo.write(
        "pachhook.toml",
        "[specs]\npaths = [\"pipelines/**/*.json\"]\n",
    );
    // Outside the globs: not checked, even though it is broken.
    repo.write("other/edges.json", BAD);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "outside"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Inside: checked.
    repo.write("pipelines/a/edges.json", BAD);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "inside"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/a/edges.json:"),
        "{}",
        text(&out)
    );
}

#[test]
fn check_staged_reads_the_index() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write("edges.json", BAD);
    repo.git(&["add", "."]);
    repo.write("edges.json", GOOD);
    let sub = repo.at(repo.dir.join("sub"));
    std::fs::create_dir_all(&sub.dir).unwrap();
    let out = sub.pachhook(&["check", "--staged"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("edges.json:"), "{}", text(&out));
    let out = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

/// The hook reads the index file itself: every version git writes, `git add -N`
/// entries (not part of the commit), and a split index.
#[test]
fn index_versions_intent_to_add_and_split_index() {
    for setup in [
        &["config", "index.version", "2"][..],
        &["config", "index.version", "3"],
        &["config", "index.version", "4"],
        &["config", "core.splitIndex", "true"],
    ] {
        let sandbox = Sandbox::new();
        let repo = sandbox.repo("repo");
        repo.git(setup);
        for i in 0..30 {
            repo.write(&format!("dir{}/long/path/name/file{i}.json", i % 3), GOOD);
        }
        repo.commit_all("start");
        repo.install();
        repo.write("dir1/long/path/name/new one.json", BAD);
        repo.write("dir2/intent.json", BAD);
        repo.git(&["add", "dir1"]);
        repo.git(&["add", "-N", "dir2/intent.json"]);
        repo.git(&[
            "update-index",
            "--index-version",
            &setup[2].replace("true", "2"),
        ]);
        let out = repo.try_git(&["commit", "-m", "bad"]);
        assert_eq!(code(&out), 1, "{setup:?}: {}", text(&out));
        let shown = text(&out);
        assert!(
            shown.contains("dir1/long/path/name/new one.json:"),
            "{setup:?}: {shown}"
        );
        assert!(!shown.contains("intent.json"), "{setup:?}: {shown}");
        assert!(shown.contains("1 file"), "{setup:?}: {shown}");
        repo.write("dir1/long/path/name/new one.json", GOOD);
        repo.git(&["add", "dir1"]);
        let out = repo.try_git(&["commit", "-m", "good"]);
        assert_eq!(code(&out), 0, "{setup:?}: {}", text(&out));
    }
}

/// `git merge` makes its merge commit without the pre-commit hook; `install` writes a
/// pre-merge-commit hook, which checks what the merge makes anew (an automatic merge of
/// two edits of a spec), and not what a parent already holds.
#[test]
fn a_merge_commit_is_checked_by_the_pre_merge_commit_hook() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    assert!(repo.hooks_dir().join("pre-merge-commit").is_file());
    repo.write("edges.json", GOOD);
    repo.commit_all("base");
    repo.git(&["switch", "-q", "-c", "feature"]);
    repo.write("edges.json", &GOOD.replace("opencv:1.0.0", "opencv:latest"));
    repo.write("feature.txt", "x\n");
    repo.commit_all("a floating tag, unchecked");
    repo.git(&["switch", "-q", "main"]);
    repo.write(
        "edges.json",
        &GOOD.replace("finds edges in images", "finds the edges in images"),
    );
    repo.commit_all("main edits the description");
    // The automatic merge of both edits is a spec neither parent holds: checked.
    let out = repo.try_git(&["merge", "-q", "--no-edit", "feature"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("edges.json"), "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    assert_eq!(repo.git(&["rev-list", "--count", "--merges", "HEAD"]), "0");
    repo.git(&["merge", "--abort"]);
    // A merge that takes a file as a parent has it is not blamed for it.
    repo.git(&["switch", "-q", "-c", "other", "main~1"]);
    repo.write("other.txt", "x\n");
    repo.commit_all("other");
    let out = repo.try_git(&["merge", "-q", "--no-edit", "feature"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = repo.pachhook(&["status"]);
    assert!(
        out.stdout.contains("pre-merge-commit: installed, current"),
        "{}",
        text(&out)
    );
}
