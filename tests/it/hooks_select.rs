//! One spec selection for the work tree, the index and pushed commits: `check --all`, the
//! pre-commit hook and the pre-push hook agree on which files are specs (hidden files
//! in, submodules out), paths are bytes from end to end, the `[specs] paths` globs follow
//! gitignore's conventions and a spec outside them is named, and tags are peeled.

use std::time::Duration;

use crate::support::{BAD, GOOD, Repo, Sandbox, code, text};

/// A spec with a floating tag: an error in the default configuration.
fn floating(name: &str) -> String {
    GOOD.replace("edges", name)
        .replace("pachyderm/opencv:1.0.0", "pachyderm/opencv:latest")
}

/// A repository with hooks installed, a bare `origin`, and `main` pushed with a good spec.
fn pushed_repo(sandbox: &Sandbox) -> (Repo, Repo) {
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = sandbox.repo("repo");
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.install();
    repo.write("pipelines/edges.json", GOOD);
    repo.commit_all("good");
    let out = repo.try_git(&["push", "-q", "-u", "origin", "main"]);
    assert_eq!(code(&out), 0, "{out}");
    (repo, remote)
}

#[test]
fn check_all_and_the_hooks_agree_on_hidden_files_and_submodules() {
    let sandbox = Sandbox::new();
    // A nested repository committed as a submodule (a gitlink), holding a bad spec.
    let sub = sandbox.repo("repo/vendor/sub");
    sub.write("pipelines/broken.json", BAD);
    sub.commit_all("sub");
    let repo = sandbox.repo("repo");
    repo.install();
    repo.write(".pipelines/edges.json", &floating("hidden"));
    repo.git(&["add", ".pipelines", "vendor/sub"]);

    let all = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&all), 1, "{all}");
    assert!(all.stdout.contains(".pipelines/edges.json:"), "{all}");
    assert!(!all.stdout.contains("broken.json"), "{all}");

    let commit = repo.try_git(&["commit", "-m", "hidden"]);
    assert_eq!(code(&commit), 1, "{commit}");
    assert!(text(&commit).contains(".pipelines/edges.json:"), "{commit}");
    assert!(!text(&commit).contains("broken.json"), "{commit}");
}

#[test]
fn globs_follow_gitignore_conventions_and_a_spec_outside_them_is_named() {
    let sandbox = Sandbox::new();
    let (repo, _remote) = pushed_repo(&sandbox);
    repo.write(
        "pachhook.toml",
        "[specs]\npaths = [\"pipelines/*.json\", \"pipelines/*.yaml\"]\n",
    );
    repo.commit_all("config");
    // `*` stays in one directory: `pipelines/deep/` is outside the globs.
    repo.write(
        "pipelines/other.yml",
        "pipeline: {name: other}\ntransform: {image: team/other:latest}\ninput: {pfs: {repo: a, glob: /}}\n",
    );
    repo.write("pipelines/deep/nested.json", &floating("nested"));
    repo.write("package.json", "{\"name\": \"not a spec\"}");
    repo.git(&["add", "."]);
    let commit = repo.try_git(&["commit", "-m", "outside"]);
    assert_eq!(code(&commit), 0, "{commit}");
    let warning = "`pipelines/deep/nested.json`, `pipelines/other.yml` hold pipeline specs but \
                   match no [specs] paths glob (`pipelines/*.json`, `pipelines/*.yaml`), so \
                   pachhook does not check them";
    assert!(text(&commit).contains(warning), "{commit}");
    // `package.json` holds no spec: not named.
    assert!(!commit.stderr.contains("package.json"), "{commit}");

    let all = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&all), 0, "{all}");
    assert!(text(&all).contains(warning), "{all}");

    let push = repo.try_git(&["push", "origin", "main"]);
    assert_eq!(code(&push), 0, "{push}");
    assert!(text(&push).contains(warning), "{push}");
}

/// A spec whose name is not UTF-8 (Latin-1 `é`) is refused at commit and at push alike.
#[cfg(unix)]
#[test]
fn a_spec_named_in_latin1_is_refused_at_commit_and_at_push() {
    use std::os::unix::ffi::OsStrExt;
    let sandbox = Sandbox::new();
    let (repo, remote) = pushed_repo(&sandbox);
    let name = std::ffi::OsStr::from_bytes(b"pipelines/caf\xe9.json");
    std::fs::write(repo.dir.join(name), BAD).unwrap();
    repo.git(&["add", "."]);
    let commit = repo.try_git(&["commit", "-m", "latin1"]);
    assert_eq!(code(&commit), 1, "{commit}");
    assert!(
        text(&commit).contains("pipelines/caf\\351.json:"),
        "{commit}"
    );

    repo.git(&["commit", "-q", "--no-verify", "-m", "latin1"]);
    let push = repo.try_git(&["push", "origin", "main"]);
    assert_eq!(code(&push), 1, "{push}");
    assert!(text(&push).contains("pipelines/caf\\351.json:"), "{push}");
    let out = remote.git(&["log", "--format=%s", "-1", "main"]);
    assert_eq!(out.trim(), "good");
}

#[test]
fn tags_are_peeled_and_tags_of_trees_and_blobs_have_nothing_to_check() {
    let sandbox = Sandbox::new();
    let (repo, _remote) = pushed_repo(&sandbox);
    repo.git(&["tag", "-a", "v1", "-m", "release 1"]);
    let blob = repo.git(&["rev-parse", "HEAD:pipelines/edges.json"]);
    repo.git(&["tag", "-a", "a-blob", "-m", "a blob", blob.trim()]);
    repo.git(&["tag", "a-tree", "HEAD^{tree}"]);
    let push = repo.try_git(&["push", "origin", "--tags"]);
    assert_eq!(code(&push), 0, "{push}");

    // A bad spec reachable only from an annotated tag is refused.
    repo.git(&["switch", "-q", "--detach"]);
    repo.write("pipelines/tagged.json", &floating("tagged"));
    repo.commit_all("tagged");
    repo.git(&["tag", "-a", "v2", "-m", "release 2"]);
    let push = repo.try_git(&["push", "origin", "v2"]);
    assert_eq!(code(&push), 1, "{push}");
    assert!(text(&push).contains("pipelines/tagged.json:"), "{push}");
}

/// `git push --mirror` of many commits and tags: one walk, one summary line, and the
/// same content checked once. (scripts/bench-hook.sh times 1,500 of each.)
#[test]
fn a_mirror_push_of_many_tags_is_one_walk_and_one_summary() {
    let sandbox = Sandbox::new();
    let (repo, remote) = pushed_repo(&sandbox);
    let mut stream = String::new();
    let parent = repo.git(&["rev-parse", "HEAD"]);
    for i in 1..=300 {
        let spec = GOOD
            .replace("edges", &format!("p{}", i % 5))
            .replace("in images", &format!("in images, version {i}"));
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter T <t@example.com> {} +0000\ndata 2\nc\n",
            1_700_000_000 + i
        ));
        if i == 1 {
            stream.push_str(&format!("from {}\n", parent.trim()));
        }
        stream.push_str(&format!(
            "M 100644 inline pipelines/p{}.json\ndata {}\n{spec}\n",
            i % 5,
            spec.len()
        ));
        if i % 2 == 0 {
            stream.push_str(&format!(
                "tag v{i}\nfrom :{i}\ntagger T <t@example.com> 1700000000 +0000\ndata 1\nt\n"
            ));
        } else {
            stream.push_str(&format!("reset refs/tags/v{i}\nfrom :{i}\n\n"));
        }
    }
    let out = repo.git_env(&["fast-import", "--quiet"], &[], Some(&stream));
    assert_eq!(code(&out), 0, "{out}");
    repo.git(&["reset", "-q", "--hard", "main"]);

    let push = repo.try_git(&["push", "-q", "--mirror", "origin"]);
    assert_eq!(code(&push), 0, "{push}");
    let shown = text(&push);
    assert_eq!(
        shown.lines().filter(|l| l.starts_with("pachhook:")).count(),
        1,
        "{shown}"
    );
    assert!(
        shown.contains("checking 300 spec files changed by 300 new commits on"),
        "{shown}"
    );
    // Versions of one file held by different tags are not duplicates of each other.
    assert!(!shown.contains("duplicate-pipeline"), "{shown}");
    assert!(shown.contains("ok: 300 specs in 300 files"), "{shown}");
    assert!(push.elapsed < Duration::from_secs(20), "{:?}", push.elapsed);
    assert_eq!(
        remote.git(&["rev-parse", "main"]).trim(),
        repo.git(&["rev-parse", "main"]).trim()
    );
}
