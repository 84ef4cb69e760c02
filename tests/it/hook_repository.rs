//! pachhook as a hook of the hook managers teams use, driven for real (pre-commit and
//! lefthook from PyPI, see `scripts/hook-managers.sh`): the repository's
//! `.pre-commit-hooks.yaml` through `pre-commit try-repo`, and the README's lefthook
//! snippet as written there.

use std::path::Path;

use crate::hooks_install::path_with_pachhook;
use crate::hooks_managers::managers_bin;
use crate::support::{BAD, GOOD, Repo, Run, Sandbox, code, text};

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
