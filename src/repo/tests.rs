use super::*;

/// A repository in a temporary directory with one commit whose root tree holds
/// `entries` (name, file mode, content).
fn commit_with(entries: &[(&str, i32, &[u8])]) -> (tempfile::TempDir, Repo, Oid) {
    let dir = tempfile::tempdir().unwrap();
    let git = Repository::init(dir.path()).unwrap();
    let tree_id = {
        let mut builder = git.treebuilder(None).unwrap();
        for (name, mode, content) in entries {
            let blob = git.blob(content).unwrap();
            builder.insert(name, blob, *mode).unwrap();
        }
        builder.write().unwrap()
    };
    let commit = {
        let tree = git.find_tree(tree_id).unwrap();
        let who = git2::Signature::now("Test", "test@example.com").unwrap();
        git.commit(None, &who, &who, "settings", &tree, &[])
            .unwrap()
    };
    (dir, Repo::from_git(git), commit)
}

fn usage_message(error: anyhow::Error) -> String {
    let usage = error
        .downcast_ref::<UsageError>()
        .unwrap_or_else(|| panic!("a usage error (exit 2), not {error:#}"));
    usage.0.clone()
}

#[test]
fn a_regular_file_is_read_and_a_missing_one_is_none() {
    let (_dir, repo, commit) = commit_with(&[("pachhook.toml", 0o100644, b"[deploy]\n")]);
    assert_eq!(
        repo.file_at_commit(commit, "pachhook.toml").unwrap(),
        Some(b"[deploy]\n".to_vec())
    );
    assert_eq!(repo.file_at_commit(commit, "policy.toml").unwrap(), None);
    assert_eq!(repo.file_at_commit(commit, "a/b/c.toml").unwrap(), None);
}

#[test]
fn a_symbolic_link_is_refused_not_followed() {
    let (_dir, repo, commit) = commit_with(&[("pachhook.toml", 0o120000, b"/etc/passwd")]);
    let message = usage_message(repo.file_at_commit(commit, "pachhook.toml").unwrap_err());
    assert!(message.contains("`pachhook.toml`"), "{message}");
    assert!(message.contains("is a symbolic link"), "{message}");
}

#[test]
fn a_file_over_the_bound_is_refused_before_it_is_read() {
    let big = vec![b'#'; TREE_FILE_MAX + 1];
    let exact = vec![b'#'; TREE_FILE_MAX];
    let (_dir, repo, commit) = commit_with(&[
        ("big.toml", 0o100644, &big),
        ("exact.toml", 0o100644, &exact),
    ]);
    let message = usage_message(repo.file_at_commit(commit, "big.toml").unwrap_err());
    assert!(
        message.contains(&format!("{} bytes", TREE_FILE_MAX + 1)),
        "{message}"
    );
    assert_eq!(
        repo.file_at_commit(commit, "exact.toml")
            .unwrap()
            .map(|b| b.len()),
        Some(TREE_FILE_MAX)
    );
}

/// The cache-tree the index carries, read against git itself: every directory
/// `staged_trees` reports has the tree `git write-tree --prefix` writes for it, the
/// directories a staged change sits in are not reported, and untouched ones are.
#[test]
fn staged_trees_are_the_trees_git_writes() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_DIR")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    for path in ["a/b/one.json", "a/two.json", "c/three.json", "top.json"] {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, path).unwrap();
    }
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@e",
        "commit",
        "-qm",
        "x",
    ]);
    std::fs::write(dir.path().join("a/two.json"), "changed").unwrap();
    git(&["add", "a/two.json"]);
    let repo = Repo::open(dir.path()).unwrap();
    let trees = repo.staged_trees().unwrap().clone();
    assert!(!trees.contains_key(&b""[..]), "{trees:?}");
    assert!(!trees.contains_key(&b"a"[..]), "{trees:?}");
    for kept in [&b"a/b"[..], b"c"] {
        assert!(trees.contains_key(kept), "{trees:?}");
    }
    for (path, id) in &trees {
        let prefix = format!("--prefix={}/", String::from_utf8_lossy(path));
        assert_eq!(git(&["write-tree", &prefix]), id.to_string(), "{path:?}");
        let head = git(&[
            "rev-parse",
            &format!("HEAD:{}", String::from_utf8_lossy(path)),
        ]);
        assert_eq!(head, id.to_string(), "{path:?} is unchanged since HEAD");
    }
}
