//! `pachhook install`, `uninstall` and `status` in real repositories: where the hooks go,
//! what happens to a hook that was there, and hooks that outlive their binary.

use std::os::unix::fs::PermissionsExt;

use crate::support::{BAD, GOOD, PACHHOOK, Repo, Sandbox, code, output_of_copied, text};

const THEIRS: &str = "#!/bin/sh\n# the team's own hook\necho \"their hook ran: $*\" >&2\n[ ! -e \"$(git rev-parse --show-toplevel)/block\" ]\n";

#[test]
fn install_writes_both_hooks_and_twice_changes_nothing() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    let hooks = repo.hooks_dir();
    let first: Vec<Vec<u8>> = ["pre-commit", "pre-push"]
        .iter()
        .map(|h| std::fs::read(hooks.join(h)).unwrap())
        .collect();
    for (name, bytes) in ["pre-commit", "pre-push"].iter().zip(&first) {
        let text = String::from_utf8_lossy(bytes);
        assert!(text.starts_with("#!/bin/sh\n"), "{name}: {text}");
        assert!(text.contains("# pachhook-managed-hook"), "{name}");
        let mode = std::fs::metadata(hooks.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{name} is not executable");
    }
    let out = repo.pachhook(&["install"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("installed and current"),
        "{}",
        text(&out)
    );
    let second: Vec<Vec<u8>> = ["pre-commit", "pre-push"]
        .iter()
        .map(|h| std::fs::read(hooks.join(h)).unwrap())
        .collect();
    assert_eq!(first, second);
    let names: Vec<String> = std::fs::read_dir(&hooks)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".sample"))
        .collect();
    assert_eq!(names.len(), 3, "no backup of our own hook: {names:?}");

    let out = repo.pachhook(&["status"]);
    assert_eq!(code(&out), 0);
    let shown = text(&out);
    assert!(shown.contains("pre-commit: installed, current"), "{shown}");
    assert!(shown.contains("pre-push: installed, current"), "{shown}");

    let out = repo.pachhook(&["uninstall", "--hook", "pre-push"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!hooks.join("pre-push").exists());
    assert!(hooks.join("pre-commit").exists());
    let shown = text(&repo.pachhook(&["status"]));
    assert!(shown.contains("pre-push: not installed"), "{shown}");
}

#[test]
fn an_existing_hook_runs_first_and_is_restored_byte_for_byte() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks = repo.hooks_dir();
    std::fs::create_dir_all(&hooks).unwrap();
    let theirs = hooks.join("pre-commit");
    std::fs::write(&theirs, THEIRS).unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o750)).unwrap();

    let out = repo.pachhook(&["install", "--hook", "pre-commit"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("runs first"), "{}", text(&out));
    assert!(!hooks.join("pre-push").exists(), "--hook installs one hook");
    // Installing again keeps one chain: ours never becomes its own previous hook.
    repo.install();
    repo.install();
    let kept = hooks.with_file_name("hooks.pachhook-previous/pre-commit");
    let previous = std::fs::read(&kept).unwrap();
    assert_eq!(previous, THEIRS.as_bytes());
    let shown = text(&repo.pachhook(&["status"]));
    assert!(shown.contains("runs first: "), "{shown}");

    // Theirs runs, and its failure stops the commit before pachhook is asked.
    repo.write("edges.json", GOOD);
    repo.write("block", "");
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "-m", "blocked"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("their hook ran"), "{}", text(&out));
    std::fs::remove_file(repo.dir.join("block")).unwrap();
    // Both run: theirs passes, ours refuses a bad spec.
    repo.write("edges.json", BAD);
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("their hook ran"), "{}", text(&out));
    assert!(text(&out).contains("parse-error"), "{}", text(&out));

    let out = repo.pachhook(&["uninstall"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(std::fs::read(&theirs).unwrap(), THEIRS.as_bytes());
    let mode = std::fs::metadata(&theirs).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o750);
    assert!(!kept.exists());
    assert!(!hooks.with_file_name("hooks.pachhook-previous").exists());
    assert!(!hooks.join("pre-push").exists());
}

#[test]
fn an_existing_pre_push_hook_gets_the_same_stdin() {
    let sandbox = Sandbox::new();
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = sandbox.repo("repo");
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    let hooks = repo.hooks_dir();
    std::fs::create_dir_all(&hooks).unwrap();
    let log = sandbox.path().join("their-stdin");
    let theirs = format!("#!/bin/sh\ncat > '{}'\n", log.display());
    std::fs::write(hooks.join("pre-push"), &theirs).unwrap();
    std::fs::set_permissions(
        hooks.join("pre-push"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    repo.install();
    repo.write("edges.json", GOOD);
    repo.commit_all("good");
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let head = repo.git(&["rev-parse", "HEAD"]);
    let seen = std::fs::read_to_string(&log).unwrap();
    let zeros = "0".repeat(40);
    assert_eq!(
        seen,
        format!("refs/heads/main {} refs/heads/main {zeros}\n", head.trim())
    );
}

#[test]
fn core_hooks_path_relative_and_absolute() {
    let sandbox = Sandbox::new();
    let abs_dir = sandbox.path().join("shared hooks");
    for (name, value) in [
        ("rel", ".githooks".to_string()),
        ("abs", abs_dir.display().to_string()),
    ] {
        let repo = sandbox.repo(name);
        repo.git(&["config", "core.hooksPath", &value]);
        let sub = repo.at(repo.dir.join("deep/sub"));
        std::fs::create_dir_all(&sub.dir).unwrap();
        let out = sub.pachhook(&["install"]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        let dir = if name == "rel" {
            repo.dir.join(".githooks")
        } else {
            abs_dir.clone()
        };
        assert!(
            dir.join("pre-commit").is_file(),
            "{name}: not in {}",
            dir.display()
        );
        assert!(!repo.dir.join(".git/hooks/pre-commit").exists());
        repo.write("edges.json", BAD);
        repo.git(&["add", "edges.json"]);
        // The hooks of a directory of the work tree run `pachhook` from PATH.
        let out = repo.git_env(
            &["commit", "-m", "bad"],
            &[("PATH", &path_with_pachhook())],
            None,
        );
        assert_eq!(code(&out), 1, "{name}: {}", text(&out));
        assert!(text(&out).contains("edges.json:"), "{name}: {}", text(&out));
        let out = repo.pachhook(&["status"]);
        assert!(
            text(&out).contains(&dir.display().to_string()),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn a_linked_worktree_shares_the_hooks() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write("README.md", "x\n");
    repo.commit_all("start");
    let wt_dir = sandbox.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        wt_dir.to_str().unwrap(),
    ]);
    let wt = repo.at(&wt_dir);
    wt.install();
    assert!(
        repo.dir.join(".git/hooks/pre-commit").is_file(),
        "hooks go to the common dir"
    );
    wt.write("edges.json", BAD);
    wt.git(&["add", "edges.json"]);
    let out = wt.try_git(&["commit", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("edges.json:"), "{}", text(&out));
    wt.write("edges.json", GOOD);
    wt.git(&["add", "edges.json"]);
    let out = wt.try_git(&["commit", "-m", "good"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // The main work tree's index is not the linked one's.
    repo.write("main.json", BAD);
    repo.git(&["add", "main.json"]);
    let out = repo.try_git(&["commit", "-m", "bad in main"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("main.json:"), "{}", text(&out));
}

#[test]
fn spaces_quotes_and_unicode_in_paths() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("dépôt it's here");
    // The binary itself under such a path, so the hook must quote it.
    let bin_dir = sandbox.path().join("bin dir ü'x");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let exe = bin_dir.join("pachhook");
    std::fs::copy(PACHHOOK, &exe).unwrap();
    let out = output_of_copied(
        crate::support::isolated(&exe)
            .arg("install")
            .current_dir(&repo.dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &repo.home),
    );
    assert!(out.status.success(), "{}", text(&out));
    repo.write("pipelines/ünï côdé/my edges.json", BAD);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/ünï côdé/my edges.json:"),
        "{}",
        text(&out)
    );
    repo.write("pipelines/ünï côdé/my edges.json", GOOD);
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "good"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn a_missing_binary_fails_in_one_line_unless_allowed() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let exe = sandbox.path().join("moved-away/pachhook");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::copy(PACHHOOK, &exe).unwrap();
    let out = output_of_copied(
        crate::support::isolated(&exe)
            .arg("install")
            .current_dir(&repo.dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1"),
    );
    assert!(out.status.success(), "{}", text(&out));
    std::fs::remove_file(&exe).unwrap();
    repo.write("edges.json", GOOD);
    repo.git(&["add", "."]);
    // PATH without pachhook (git itself stays reachable).
    let path = "/usr/local/bin:/usr/bin:/bin";
    let out = repo.git_env(&["commit", "-q", "-m", "x"], &[("PATH", path)], None);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let stderr = &out.stderr;
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("pachhook: not found at"), "{stderr}");
    assert!(stderr.contains("PACHHOOK_MISSING=allow"), "{stderr}");
    let out = repo.git_env(
        &["commit", "-q", "-m", "x"],
        &[("PATH", path), ("PACHHOOK_MISSING", "allow")],
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn bare_repositories_and_no_repository_are_usage_errors() {
    let sandbox = Sandbox::new();
    let bare = sandbox.repo_with("bare.git", &["--bare"]);
    let out = bare.pachhook(&["install"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("bare repository"), "{}", text(&out));
    let nowhere = bare.at(sandbox.path());
    let out = nowhere.pachhook_env(
        &["install"],
        &[("GIT_CEILING_DIRECTORIES", sandbox.path().to_str().unwrap())],
        None,
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("not in a git repository"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_foreign_hook_is_left_alone_by_uninstall() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks = repo.hooks_dir();
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-commit"), THEIRS).unwrap();
    let out = repo.pachhook(&["status"]);
    assert!(
        text(&out).contains("pre-commit: another hook"),
        "{}",
        text(&out)
    );
    let out = repo.pachhook(&["uninstall"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        std::fs::read(hooks.join("pre-commit")).unwrap(),
        THEIRS.as_bytes()
    );
}

/// `PATH` with the directory of the pachhook under test first.
pub fn path_with_pachhook() -> String {
    let dir = std::path::Path::new(PACHHOOK).parent().unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A hook is installed, current AND runnable: one git would skip (mode 0644) or cannot
/// run (a FIFO in its place) is reported by `status`, never "current", and `install`
/// repairs it; a FIFO is never opened (nothing waits on it).
#[test]
fn a_hook_git_cannot_run_is_reported_and_repaired() {
    let limit = std::time::Duration::from_secs(20);
    for case in ["mode 0644", "fifo"] {
        let repo = Repo::new();
        repo.install();
        let hook = repo.hooks_dir().join("pre-commit");
        match case {
            "mode 0644" => {
                std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o644)).unwrap()
            }
            _ => {
                std::fs::remove_file(&hook).unwrap();
                let ok = crate::support::isolated("mkfifo")
                    .arg(&hook)
                    .status()
                    .unwrap();
                assert!(ok.success());
            }
        }
        let mut status = repo.command(PACHHOOK);
        status.arg("status");
        let out = crate::support::run(status, limit);
        assert_eq!(code(&out), 0, "{case}: {}", text(&out));
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with("pre-commit:"))
            .unwrap_or_default()
            .to_string();
        assert!(line.contains("NOT RUNNABLE"), "{case}: {}", text(&out));
        assert!(!line.contains("current"), "{case}: {line}");
        let mut install = repo.command(PACHHOOK);
        install.arg("install");
        let out = crate::support::run(install, limit);
        assert_eq!(code(&out), 0, "{case}: {}", text(&out));
        assert!(
            text(&out).contains("repaired pre-commit"),
            "{case}: {}",
            text(&out)
        );
        let meta = std::fs::symlink_metadata(&hook).unwrap();
        assert!(
            meta.is_file() && meta.permissions().mode() & 0o111 == 0o111,
            "{case}"
        );
        let out = repo.pachhook(&["status"]);
        assert!(
            out.stdout.contains("pre-commit: installed, current"),
            "{case}: {}",
            text(&out)
        );
        // A FIFO is never opened by uninstall either.
        if case == "fifo" {
            std::fs::remove_file(&hook).unwrap();
            let ok = crate::support::isolated("mkfifo")
                .arg(&hook)
                .status()
                .unwrap();
            assert!(ok.success());
            let mut uninstall = repo.command(PACHHOOK);
            uninstall.arg("uninstall");
            let out = crate::support::run(uninstall, limit);
            assert_eq!(code(&out), 0, "{case}: {}", text(&out));
            assert!(
                text(&out).contains("not pachhook's"),
                "{case}: {}",
                text(&out)
            );
        }
    }
}

/// Installs at once never share a temporary file: after many racing installs the hooks
/// are current and executable, and no temporary file is left.
#[test]
fn concurrent_installs_leave_runnable_current_hooks() {
    let repo = Repo::new();
    for _round in 0..5 {
        let children: Vec<_> = (0..8)
            .map(|_| {
                let mut c = repo.command(PACHHOOK);
                c.args(["install", "--force"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                c.spawn().unwrap()
            })
            .collect();
        for mut child in children {
            child.wait().unwrap();
        }
        let hooks = repo.hooks_dir();
        for name in ["pre-commit", "pre-push"] {
            let meta = std::fs::metadata(hooks.join(name)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o755, "{name}");
        }
        let out = repo.pachhook(&["status"]);
        assert!(
            out.stdout.contains("pre-commit: installed, current")
                && out.stdout.contains("pre-push: installed, current"),
            "{}",
            text(&out)
        );
        let left: Vec<_> = std::fs::read_dir(&hooks)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("pachhook-tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
