//! `pachhook status` when a hook manager took the hooks over after `pachhook install`:
//! with the real pre-commit, prek and lefthook, it says what became of pachhook's hook, and
//! the configuration it prints, used as printed, makes the manager run pachhook.

use std::path::PathBuf;

use crate::hooks_install::path_with_pachhook;
use crate::support::{BAD, GOOD, PACHHOOK as PACHHOOK_BIN, Repo, Sandbox, code, text};

/// The directory of the real `pre-commit` and `lefthook` (from PyPI): `PACHHOOK_HOOK_MANAGERS`,
/// else the virtual environment `scripts/hook-managers.sh` makes.
pub(crate) fn managers_bin() -> PathBuf {
    let dir = std::env::var_os("PACHHOOK_HOOK_MANAGERS").map_or_else(
        || PathBuf::from("/var/tmp/pachhook-services/hook-managers/bin"),
        PathBuf::from,
    );
    for tool in ["pre-commit", "prek", "lefthook"] {
        assert!(
            dir.join(tool).is_file(),
            "{tool} is not in {}: install pre-commit and lefthook from PyPI there \
             (scripts/hook-managers.sh), or set PACHHOOK_HOOK_MANAGERS to their directory",
            dir.display()
        );
    }
    dir
}

fn path_env() -> String {
    format!("{}:{}", managers_bin().display(), path_with_pachhook())
}

fn run_env(repo: &Repo, program: &str, args: &[&str]) -> crate::support::Run {
    let mut cmd = repo.command(program);
    cmd.args(args)
        .env("PATH", path_env())
        .env("PRE_COMMIT_HOME", repo.home.join("pre-commit-cache"));
    crate::support::run(cmd, std::time::Duration::from_secs(300))
}

/// The indented block printed after the line that starts with `lead`, unindented.
fn snippet_after(status: &str, lead: &str) -> String {
    let mut lines = status.lines().skip_while(|l| !l.contains(lead)).skip(1);
    let mut out = String::new();
    for line in lines.by_ref() {
        let Some(rest) = line.strip_prefix("    ") else {
            break;
        };
        out.push_str(rest);
        out.push('\n');
    }
    out
}

#[test]
fn status_explains_pre_commit_migration_mode_and_its_snippet_works() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    let out = run_env(&repo, "pre-commit", &["install"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("migration mode"), "{}", text(&out));
    repo.write("edges.json", GOOD);
    repo.git(&["add", "edges.json"]);
    let out = run_env(&repo, "git", &["commit", "-q", "-m", "x"]);
    assert_ne!(
        code(&out),
        0,
        "pre-commit fails without its configuration: {}",
        text(&out)
    );

    let status = text(&run_env(&repo, PACHHOOK_BIN, &["status"]));
    assert!(status.contains("written by pre-commit"), "{status}");
    assert!(status.contains("pre-commit.legacy"), "{status}");
    assert!(status.contains("\"migration mode\""), "{status}");
    let config = snippet_after(&status, "add pachhook to .pre-commit-config.yaml");
    assert!(config.starts_with("repos:\n"), "{status}");
    repo.write(".pre-commit-config.yaml", &config);
    repo.git(&["add", ".pre-commit-config.yaml"]);
    let out = run_env(&repo, "pre-commit", &["install", "-f"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!repo.hooks_dir().join("pre-commit.legacy").exists());

    repo.write("edges.json", BAD);
    repo.git(&["add", "edges.json"]);
    let out = run_env(&repo, "git", &["commit", "-q", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("edges.json:"),
        "pachhook ran: {}",
        text(&out)
    );
    repo.write("edges.json", GOOD);
    repo.git(&["add", "edges.json"]);
    let out = run_env(&repo, "git", &["commit", "-q", "-m", "good"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn status_explains_lefthook_and_its_snippets_work_for_commit_and_push() {
    let sandbox = Sandbox::new();
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = sandbox.repo("repo");
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.install();
    repo.write(
        "lefthook.yml",
        "pre-commit:\n  commands:\n    hello:\n      run: echo hello\n",
    );
    let out = run_env(&repo, "lefthook", &["install"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    let status = text(&run_env(&repo, PACHHOOK_BIN, &["status"]));
    assert!(status.contains("written by lefthook"), "{status}");
    assert!(
        status.contains("pre-commit.old: lefthook never runs it"),
        "{status}"
    );
    let pre_commit = snippet_after(&status, "add pachhook to lefthook.yml");
    assert!(pre_commit.starts_with("pre-commit:\n"), "{status}");
    // lefthook has the pre-commit hook only; pachhook's pre-push hook still stands.
    assert!(status.contains("pre-push: installed, current"), "{status}");
    let pre_push = "pre-push:\n  commands:\n    pachhook:\n      run: pachhook run pre-push {1} {2}\n      use_stdin: true\n";
    // The pre-push snippet status prints once lefthook owns pre-push too.
    repo.write("lefthook.yml", &format!("{pre_commit}{pre_push}"));
    std::fs::remove_file(repo.hooks_dir().join("pre-push")).unwrap();
    let out = run_env(&repo, "lefthook", &["install"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let status = text(&run_env(&repo, PACHHOOK_BIN, &["status"]));
    let (_, push_part) = status.split_once("\npre-push:").expect("a pre-push line");
    assert!(push_part.contains("written by lefthook"), "{status}");
    // lefthook.yml runs pachhook for both hooks now: status says so, and prints no
    // snippet to add.
    assert!(
        push_part.contains("lefthook's hook, which runs pachhook (configured in lefthook.yml)"),
        "{status}"
    );
    assert!(!status.contains("to combine them"), "{status}");

    repo.write("edges.json", BAD);
    repo.git(&["add", "edges.json"]);
    let out = run_env(&repo, "git", &["commit", "-q", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("edges.json:"),
        "pachhook ran: {}",
        text(&out)
    );
    repo.git(&["commit", "-q", "--no-verify", "-m", "bad, unchecked"]);
    let out = run_env(&repo, "git", &["push", "-q", "origin", "main"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("edges.json:"),
        "pachhook's pre-push ran: {}",
        text(&out)
    );
    assert!(!remote.has_branch("main"));
}

#[test]
fn status_says_how_to_run_pachhook_from_husky() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    // What husky 9 leaves: hooks in .husky/_ (git-ignored), each sourcing `h`.
    repo.write(".husky/_/.gitignore", "*\n");
    repo.write(".husky/_/h", "#!/usr/bin/env sh\nn=$(basename \"$0\")\n");
    repo.write(
        ".husky/_/pre-commit",
        "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n",
    );
    repo.git(&["config", "core.hooksPath", ".husky/_"]);
    let status = text(&repo.pachhook(&["status"]));
    assert!(status.contains("written by husky"), "{status}");
    assert!(
        status.contains("add `pachhook run pre-commit \"$@\"` to .husky/pre-commit"),
        "{status}"
    );
}

/// `install` after a hook manager: it does not chain behind the manager's hook (the
/// manager would move it aside at its next install) but says how to add pachhook to
/// the manager's configuration; once that is done, `install` and `status` say the
/// manager runs pachhook. With the real pre-commit, prek and lefthook.
#[test]
fn install_after_a_manager_points_to_its_configuration_and_status_sees_pachhook_there() {
    let pre_commit_config = "repos:\n  - repo: local\n    hooks:\n      - id: pachhook\n        name: pachhook\n        entry: pachhook run pre-commit\n        language: system\n        pass_filenames: false\n        always_run: true\n";
    for (tool, config_file, config) in [
        ("pre-commit", ".pre-commit-config.yaml", pre_commit_config),
        ("prek", ".pre-commit-config.yaml", pre_commit_config),
        (
            "lefthook",
            "lefthook.yml",
            "pre-commit:\n  commands:\n    pachhook:\n      run: pachhook run pre-commit\n",
        ),
        // The README's lefthook configuration.
        (
            "lefthook",
            "lefthook.yml",
            "pre-commit:\n  commands:\n    pachhook:\n      glob: \"*.{json,yaml,yml,jsonnet}\"\n      run: pachhook check --only-specs {staged_files}\n",
        ),
    ] {
        let sandbox = Sandbox::new();
        let repo = sandbox.repo("repo");
        if tool == "lefthook" {
            repo.write(
                config_file,
                "pre-commit:\n  commands:\n    hello:\n      run: echo hello\n",
            );
        } else {
            repo.write(config_file, "repos: []\n");
        }
        let out = run_env(&repo, tool, &["install"]);
        assert_eq!(code(&out), 0, "{tool}: {}", text(&out));
        let hook = repo.hooks_dir().join("pre-commit");
        let theirs = std::fs::read(&hook).unwrap();

        let out = run_env(&repo, PACHHOOK_BIN, &["install"]);
        assert_eq!(code(&out), 0, "{tool}: {}", text(&out));
        assert!(
            text(&out).contains("pre-commit: not installed:") && text(&out).contains("owns it"),
            "{tool}: {}",
            text(&out)
        );
        assert!(text(&out).contains(config_file), "{tool}: {}", text(&out));
        assert_eq!(std::fs::read(&hook).unwrap(), theirs, "{tool}: left alone");
        assert!(
            !repo.hooks_dir().join("hooks.pachhook-previous").exists()
                && !repo
                    .hooks_dir()
                    .with_file_name("hooks.pachhook-previous/pre-commit")
                    .exists(),
            "{tool}: not chained"
        );
        let status = text(&run_env(&repo, PACHHOOK_BIN, &["status"]));
        assert!(
            status.contains("which does not run pachhook"),
            "{tool}: {status}"
        );

        // Configured in the manager: install has nothing to do, status says so.
        repo.write(config_file, config);
        let out = run_env(&repo, PACHHOOK_BIN, &["install"]);
        assert_eq!(code(&out), 0, "{tool}: {}", text(&out));
        assert!(
            text(&out).contains("owns it and runs pachhook"),
            "{tool}: {}",
            text(&out)
        );
        let status = text(&run_env(&repo, PACHHOOK_BIN, &["status"]));
        let line = status
            .lines()
            .find(|l| l.starts_with("pre-commit:"))
            .unwrap_or_default();
        assert!(line.contains("which runs pachhook"), "{tool}: {status}");
        assert!(!status.contains("to combine them"), "{tool}: {status}");
        // And the manager does run it.
        if tool == "lefthook" {
            let out = run_env(&repo, "lefthook", &["install"]);
            assert_eq!(code(&out), 0, "{tool}: {}", text(&out));
        }
        repo.write("edges.json", BAD);
        repo.git(&["add", "."]);
        let out = run_env(&repo, "git", &["commit", "-q", "-m", "bad"]);
        assert_ne!(code(&out), 0, "{tool}: {}", text(&out));
        assert!(text(&out).contains("edges.json:"), "{tool}: {}", text(&out));
    }
}

#[test]
fn lefthook_2_checks_what_is_staged_of_a_partially_staged_spec() {
    // The README's lefthook snippet reads `{staged_files}` from the work tree: lefthook
    // 2.x hides the unstaged part of a partially staged file while pre-commit runs, so
    // pachhook sees what is committed, and the unstaged part comes back afterwards.
    let repo = Repo::new();
    repo.write(
        "lefthook.yml",
        "pre-commit:\n  commands:\n    pachhook:\n      glob: \"*.{json,yaml,yml,jsonnet}\"\n      run: pachhook check --only-specs {staged_files}\n",
    );
    repo.write("p.json", crate::support::GOOD);
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init", "--no-verify"]);
    let out = run_env(&repo, "lefthook", &["install"]);
    assert_eq!(out.code, Some(0), "{out}");
    let version = run_env(&repo, "lefthook", &["version"]);
    assert!(version.stdout.starts_with("2."), "{version}");
    // Staged: a floating tag. Left in the work tree: the good spec.
    let bad = crate::support::GOOD.replace("opencv:1.0.0", "opencv:latest");
    assert_ne!(bad, crate::support::GOOD, "the fixture names the image");
    repo.write("p.json", &bad);
    repo.git(&["add", "p.json"]);
    repo.write("p.json", crate::support::GOOD);
    let mut commit = repo.command("git");
    commit
        .args(["commit", "-qm", "floating"])
        .env("PATH", path_env());
    let out = crate::support::run(commit, std::time::Duration::from_secs(120));
    assert_ne!(
        out.code,
        Some(0),
        "the staged floating tag is refused:\n{out}"
    );
    assert!(out.all().contains("floating-tag"), "{out}");
    assert_eq!(
        String::from_utf8(repo.read("p.json")).unwrap(),
        crate::support::GOOD
    );
}
