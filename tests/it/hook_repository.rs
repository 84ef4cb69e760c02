//! pachhook as a hook of the hook managers teams use, driven for real (pre-commit, prek
//! and lefthook from PyPI, see `scripts/hook-managers.sh`): the repository's
//! `.pre-commit-hooks.yaml` through `pre-commit try-repo`, the `pachhook` hook built from
//! source by pre-commit and prek as a team's first commit builds it, and the README's
//! lefthook snippet as written there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::hooks_install::path_with_pachhook;
use crate::hooks_managers::managers_bin;
use crate::support::{BAD, GOOD, PACHHOOK, Repo, Run, Sandbox, code, text};
use crate::wheel::assert_built_with_cargo_lock;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run_in(repo: &Repo, program: &str, args: &[&str]) -> Run {
    let mut cmd = repo.command(program);
    cmd.args(args)
        .env(
            "PATH",
            format!("{}:{}", managers_bin().display(), path_with_pachhook()),
        )
        .env("PRE_COMMIT_HOME", repo.home.join("pre-commit-cache"));
    crate::support::run(cmd, std::time::Duration::from_secs(300))
}

/// A user's repository: a good spec, and JSON and YAML files that are not specs.
fn user_repo(sandbox: &Sandbox) -> Repo {
    let repo = sandbox.repo("user");
    repo.write("pipelines/edges.json", GOOD);
    repo.write(
        "package.json",
        "{\"name\": \"web\", \"version\": \"1.0.0\"}\n",
    );
    repo.write(".github/workflows/ci.yml", "on: push\njobs: {}\n");
    repo.commit_all("start");
    repo
}

#[test]
fn pre_commit_runs_the_hooks_of_this_repository() {
    let sandbox = Sandbox::new();
    // The hook repository as pre-commit fetches it: a git repository holding this
    // project's .pre-commit-hooks.yaml.
    let hooks = sandbox.repo("hooks");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    hooks.write(
        ".pre-commit-hooks.yaml",
        &std::fs::read_to_string(manifest).unwrap(),
    );
    hooks.commit_all("hooks");
    let out = run_in(
        &hooks,
        "pre-commit",
        &["validate-manifest", ".pre-commit-hooks.yaml"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));

    let repo = user_repo(&sandbox);
    let hooks_dir = hooks.dir.to_str().unwrap();
    let try_repo = |files: &[&str]| {
        let mut args = vec!["try-repo", hooks_dir, "pachhook-system", "--files"];
        args.extend(files);
        run_in(&repo, "pre-commit", &args)
    };
    let out = try_repo(&[
        "pipelines/edges.json",
        "package.json",
        ".github/workflows/ci.yml",
    ]);
    assert_eq!(code(&out), 0, "non-specs pass through: {}", text(&out));
    assert!(text(&out).contains("Passed"), "{}", text(&out));

    repo.write("pipelines/broken.json", BAD);
    let out = try_repo(&[
        "pipelines/edges.json",
        "pipelines/broken.json",
        "package.json",
    ]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("Failed"), "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/broken.json:4:1"),
        "{}",
        text(&out)
    );
    // Not JSON, YAML or jsonnet: pre-commit does not run the hook on it.
    repo.write("notes.txt", "pipeline: nothing");
    let out = try_repo(&["notes.txt"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("no files to check"), "{}", text(&out));
}

/// The fenced block that follows the README line containing `after`.
fn readme_block(after: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let rest = &readme[readme.find(after).expect(after)..];
    let start = rest.find("```").unwrap();
    let body = &rest[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn the_readmes_lefthook_snippet_checks_staged_specs() {
    let sandbox = Sandbox::new();
    let repo = user_repo(&sandbox);
    let snippet = readme_block("lefthook, in `lefthook.yml`:");
    assert!(snippet.contains("{staged_files}"), "{snippet}");
    repo.write("lefthook.yml", &snippet);
    let out = run_in(&repo, "lefthook", &["install"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    repo.write("pipelines/broken.json", BAD);
    repo.write(
        "package.json",
        "{\"name\": \"web\", \"version\": \"1.0.1\"}\n",
    );
    repo.git(&["add", "-A"]);
    let out = run_in(&repo, "git", &["commit", "-q", "-m", "broken"]);
    assert_ne!(
        code(&out),
        0,
        "the broken spec stops the commit: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("pipelines/broken.json"),
        "{}",
        text(&out)
    );

    repo.git(&["rm", "-q", "--cached", "pipelines/broken.json"]);
    let out = run_in(&repo, "git", &["commit", "-q", "-m", "version"]);
    assert_eq!(code(&out), 0, "package.json alone passes: {}", text(&out));
}

#[test]
fn only_specs_follows_the_specs_paths_globs() {
    let sandbox = Sandbox::new();
    let repo = user_repo(&sandbox);
    repo.write("pachhook.toml", "[specs]\npaths = [\"pipelines/*.json\"]\n");
    repo.write("pipelines/broken.json", BAD);
    repo.write("examples/broken.json", BAD);
    // Matched by the glob: checked whatever it holds; outside it: not checked.
    let out = repo.pachhook(&[
        "check",
        "--only-specs",
        "examples/broken.json",
        "package.json",
    ]);
    assert_eq!(code(&out), 0, "{out}");
    let out = repo.pachhook(&["check", "--only-specs", "pipelines/broken.json"]);
    assert_eq!(code(&out), 1, "{out}");
    let out = repo.pachhook(&["check", "--only-specs"]);
    assert_eq!(code(&out), 2, "--only-specs needs files: {out}");
}

/// This project's tracked files as they are in the work tree (uncommitted edits
/// included), committed in a new repository: the hook repository a team's
/// `.pre-commit-config.yaml` names, with this project's own `.pre-commit-hooks.yaml`,
/// `pyproject.toml`, Cargo.toml and Cargo.lock. `edit` changes the copy before the
/// commit. Returns the repository and its commit.
fn project_copy(sandbox: &Sandbox, name: &str, edit: impl FnOnce(&Path)) -> (Repo, String) {
    let mut ls = crate::support::isolated("git");
    ls.args(["ls-files", "-z"]).current_dir(ROOT);
    let out = crate::support::run(ls, Duration::from_secs(60));
    assert_eq!(code(&out), 0, "{out}");
    let repo = sandbox.repo(name);
    let mut copied = 0;
    for file in out.stdout.split('\0').filter(|f| !f.is_empty()) {
        let from = Path::new(ROOT).join(file);
        // Tracked, but deleted in the work tree.
        if !from.is_file() {
            continue;
        }
        let to = repo.dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
        copied += 1;
    }
    assert!(copied > 100, "{copied} files tracked in {ROOT}");
    edit(&repo.dir);
    let commit = repo.commit_all("pachhook");
    (repo, commit)
}

/// The target directory of the hooks' builds from source: cargo's cache of the
/// compiled crates between runs on one machine, beside the test build's (whose
/// `debug/pachhook` the other tests run, so it is never written here). The builds use
/// the `dev` profile (as `wheel.rs` does), passed to maturin by pip or uv through
/// `MATURIN_PEP517_ARGS`: the same path from `.pre-commit-config.yaml` to cargo, the
/// same `--locked` and crate versions as a developer's release build, at a dev build's
/// cost, and seconds when the crates are already compiled (incremental, so the fresh
/// clone each manager makes does not rebuild pachhook from nothing). The release
/// build a team's first commit costs is in the README.
fn hook_build_dir() -> PathBuf {
    Path::new(PACHHOOK)
        .ancestors()
        .nth(2)
        .expect("the target directory")
        .join("hook-build")
}

/// The machine's cargo and rustup homes, where a developer's Rust toolchain is (the
/// tests' commands have a HOME of their own).
fn toolchain_homes() -> (PathBuf, PathBuf) {
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
    let dir = |var: &str, default: &str| {
        std::env::var_os(var).map_or_else(|| home.join(default), PathBuf::from)
    };
    (dir("CARGO_HOME", ".cargo"), dir("RUSTUP_HOME", ".rustup"))
}

/// A command as a developer of a team runs it, whose hook manager builds the
/// `pachhook` hook: the hook managers and the Rust toolchain on PATH, and no pachhook
/// (the hook must run the one it built); the managers' stores in the test's home, so
/// each test installs the hook anew: a clone, a virtual environment, pip (or uv) building
/// the wheel with maturin from PyPI. None of the variables `cargo test` sets.
fn developer(repo: &Repo, program: &str, args: &[&str]) -> Run {
    let (cargo_home, rustup_home) = toolchain_homes();
    let mut path = vec![managers_bin(), cargo_home.join("bin")];
    path.extend(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .filter(|dir| !dir.join("pachhook").exists()),
    );
    let mut cmd = repo.command(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CARGO") {
            cmd.env_remove(name);
        }
    }
    cmd.args(args)
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("CARGO_TARGET_DIR", hook_build_dir())
        .env("MATURIN_PEP517_ARGS", "--profile dev")
        .env("PRE_COMMIT_HOME", store(repo, "pre-commit"))
        .env("PREK_HOME", store(repo, "prek"));
    // A build from source on two busy cores, from nothing: minutes.
    let out = crate::support::run(cmd, Duration::from_secs(2400));
    eprintln!("{program} {}: {:.1?}", args.join(" "), out.elapsed);
    out
}

/// Where `manager` keeps the hook repositories it installed.
fn store(repo: &Repo, manager: &str) -> PathBuf {
    repo.home.join(format!("{manager}-store"))
}

/// The README's `.pre-commit-config.yaml`, naming `hooks` at `commit` instead of the
/// project's GitHub repository at a release.
fn readme_config(hooks: &Repo, commit: &str) -> String {
    let config = readme_block("for pre-commit and prek alike:");
    for part in [
        "repo: https://github.com/pachhook/pachhook",
        "rev: v0.1.0",
        "- id: pachhook ",
    ] {
        assert!(config.contains(part), "{part} in {config}");
    }
    config
        .replace(
            "https://github.com/pachhook/pachhook",
            hooks.dir.to_str().unwrap(),
        )
        .replace("v0.1.0", commit)
}

/// Files named `name` under `dir`, at any depth.
fn find(dir: &Path, name: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            find(&path, name, found);
        } else if kind.is_file() && entry.file_name() == name {
            found.push(path);
        }
    }
}

/// A team's first commits with the README's configuration: `manager install`, a commit
/// with a broken spec staged (refused, with pachhook's finding), then without it
/// (passes). The hook is the one `manager` built from source: the wheel installed in its
/// store holds an SBOM of the crates compiled, each at Cargo.lock's version.
fn team_commits_with(manager: &str) {
    assert!(
        managers_bin().join(manager).is_file(),
        "{manager} is not installed: scripts/hook-managers.sh installs it"
    );
    let sandbox = Sandbox::new();
    let (hooks, commit) = project_copy(&sandbox, "hooks", |_| {});
    let repo = sandbox.repo("team");
    repo.write(".pre-commit-config.yaml", &readme_config(&hooks, &commit));
    repo.write("pipelines/edges.json", GOOD);
    repo.write("pipelines/broken.json", BAD);
    repo.write(
        "package.json",
        "{\"name\": \"web\", \"version\": \"1.0.0\"}\n",
    );
    let out = developer(&repo, manager, &["install"]);
    assert_eq!(code(&out), 0, "{manager} install: {out}");

    repo.git(&["add", "-A"]);
    let out = developer(&repo, "git", &["commit", "-q", "-m", "pipelines"]);
    assert_ne!(code(&out), 0, "the broken spec stops the commit: {out}");
    assert!(text(&out).contains("Failed"), "{out}");
    assert!(text(&out).contains("pipelines/broken.json:4:1"), "{out}");
    assert!(
        repo.try_git(&["rev-parse", "-q", "--verify", "HEAD"]).code != Some(0),
        "no commit was made"
    );

    repo.git(&["rm", "-q", "--cached", "pipelines/broken.json"]);
    let out = developer(&repo, "git", &["commit", "-q", "-m", "pipelines"]);
    assert_eq!(code(&out), 0, "the good spec passes: {out}");
    let line = text(&out)
        .lines()
        .find(|l| l.starts_with("pachhook (Pachyderm pipeline specs)"))
        .map(str::to_string);
    assert!(
        line.as_deref().is_some_and(|l| l.ends_with("Passed")),
        "{line:?} in {out}"
    );
    assert_eq!(
        repo.git(&["ls-tree", "--name-only", "-r", "HEAD", "pipelines"]),
        "pipelines/edges.json"
    );

    // Which versions were built: the SBOM maturin wrote into the installed wheel's
    // .dist-info, in the manager's store.
    let mut sboms = Vec::new();
    find(
        &store(&repo, manager),
        "pachhook.cyclonedx.json",
        &mut sboms,
    );
    // The installed one (uv also keeps the unpacked wheel in its cache).
    sboms.retain(|p| p.components().any(|c| c.as_os_str() == "site-packages"));
    assert_eq!(
        sboms.len(),
        1,
        "one pachhook installed by {manager}: {sboms:?}"
    );
    let dist_info = format!("pachhook-{}.dist-info", env!("CARGO_PKG_VERSION"));
    assert!(
        sboms[0]
            .parent()
            .and_then(Path::parent)
            .is_some_and(|d| d.ends_with(&dist_info)),
        "{}",
        sboms[0].display()
    );
    let sbom = serde_json::from_str(&std::fs::read_to_string(&sboms[0]).unwrap()).unwrap();
    assert_built_with_cargo_lock(&sbom);
    let built: Vec<String> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            ["clap", "git2", "libgit2-sys", "serde_json"].contains(&c["name"].as_str().unwrap())
        })
        .map(|c| {
            format!(
                "{} {}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect();
    eprintln!(
        "{manager} built {} crates at Cargo.lock's versions ({})",
        sbom["components"].as_array().unwrap().len(),
        built.join(", ")
    );
}

/// `manager try-repo` of a copy of this project whose Cargo.lock does not match
/// Cargo.toml: installing the hook stops (cargo's `--locked`) instead of resolving
/// newer versions. Fails fast: cargo resolves before it compiles.
fn a_stale_lock_stops_the_install_with(manager: &str) {
    let sandbox = Sandbox::new();
    let (hooks, _) = project_copy(&sandbox, "hooks", |dir| {
        let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
        let stale = lock.replacen("name = \"strsim\"", "name = \"strsim-renamed\"", 1);
        assert_ne!(stale, lock);
        std::fs::write(dir.join("Cargo.lock"), stale).unwrap();
    });
    let repo = sandbox.repo("team");
    repo.write("pipelines/edges.json", GOOD);
    repo.commit_all("start");
    let out = developer(
        &repo,
        manager,
        &[
            "try-repo",
            hooks.dir.to_str().unwrap(),
            "pachhook",
            "--files",
            "pipelines/edges.json",
        ],
    );
    assert_ne!(code(&out), 0, "{out}");
    assert!(text(&out).contains("--locked"), "{out}");
}

/// One build at a time in `hook_build_dir()`: cargo locks it while it compiles, but
/// maturin then moves the binary out of it, and a second build's maturin would find
/// it gone.
fn one_build_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn pre_commit_builds_the_pachhook_hook_from_cargo_lock() {
    let _build = one_build_at_a_time();
    a_stale_lock_stops_the_install_with("pre-commit");
    team_commits_with("pre-commit");
}

#[test]
fn prek_builds_the_pachhook_hook_from_cargo_lock() {
    let _build = one_build_at_a_time();
    a_stale_lock_stops_the_install_with("prek");
    team_commits_with("prek");
}
