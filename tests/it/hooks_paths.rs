//! Every path pachhook compares or writes through is resolved first (issue 20, cause 2):
//! paths in pachhook.toml as git names them (`./x` is `x`, `..` refused), and
//! `GIT_INDEX_FILE` relative to the top of the work tree, as git takes it.

use crate::support::{GOOD, Repo, Sandbox, code, text};

const TEMPLATE: &str = "function(suffix)
  {
    pipeline: { name: 'edges-' + suffix },
    description: 'Edges.',
    transform: { image: 'team/edges:latest', cmd: ['python3', '/edges.py'] },
    input: { pfs: { repo: 'images', glob: '/*' } },
  }
";

/// The team's policy: every pipeline names its owner in its metadata.
const POLICY: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "required": ["metadata"]
}"#;

#[test]
fn dot_slash_paths_in_the_config_name_the_files_git_names() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        "[specs]\npaths = [\"./pipelines/*.json\", \"./pipelines/*.jsonnet\"]\n\n\
         [[template]]\npath = \"./pipelines//edges.jsonnet\"\nargs = { suffix = \"a\" }\n\n\
         [[policy]]\nschema = \"./policy.json\"\npaths = [\"./pipelines/**\"]\n",
    );
    repo.write("policy.json", POLICY);
    repo.write("pipelines/edges.jsonnet", TEMPLATE);
    repo.write("pipelines/plain.json", GOOD);
    let out = repo.pachhook(&["check"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    // The template rendered (its floating tag found) and the policy applied.
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/plain.json") && text(&out).contains("metadata"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("unchecked-template"), "{}", text(&out));
}

#[test]
fn config_paths_that_leave_the_repository_are_refused() {
    for config in [
        "[[template]]\npath = \"../x.jsonnet\"\n",
        "[[template]]\npath = \"a/../../x.jsonnet\"\n",
        "[[policy]]\nschema = \"../policy.json\"\n",
        "[[policy]]\nschema = \"p.json\"\npaths = [\"../**\"]\n",
        "[specs]\npaths = [\"pipelines/../../*.json\"]\n",
    ] {
        let repo = Repo::new();
        repo.write("p.json", "{}");
        repo.write("pachhook.toml", config);
        let out = repo.pachhook(&["check"]);
        assert_eq!(code(&out), 2, "{config}\n{}", text(&out));
        assert!(
            text(&out).contains("leaves the repository"),
            "{config}\n{}",
            text(&out)
        );
    }
}

#[test]
fn a_relative_index_file_is_relative_to_the_top_of_the_work_tree() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    std::fs::create_dir_all(repo.dir.join("pipelines")).unwrap();
    repo.write(
        "pipelines/edges.json",
        &GOOD.replace("opencv:1.0.0", "opencv:latest"),
    );
    repo.git(&["add", "."]);
    let sub = repo.at(repo.dir.join("pipelines"));
    // As inside a hook that `cd`s: git's relative `.git/index` still names the index.
    let out = sub.pachhook_env(
        &["check", "--staged"],
        &[("GIT_INDEX_FILE", ".git/index")],
        None,
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    // A named index that does not exist is an error, not an empty index.
    let out = sub.pachhook_env(
        &["check", "--staged"],
        &[("GIT_INDEX_FILE", ".git/no-such-index")],
        None,
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("GIT_INDEX_FILE") && text(&out).contains("does not exist"),
        "{}",
        text(&out)
    );
}

const TEAM_HOOK: &str = "#!/bin/sh\necho \"team hook ran\" >&2\n";

fn write_exec(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `.git/hooks` of a repository replaced by a link to `target`.
fn link_hooks(repo: &Repo, target: &std::path::Path) {
    let hooks = repo.dir.join(".git/hooks");
    std::fs::remove_dir_all(&hooks).unwrap();
    std::os::unix::fs::symlink(target, &hooks).unwrap();
}

/// A hooks directory other repositories share through a link: install in A must not
/// disable B's hook, uninstall in B must not delete what is there. Both are refused,
/// saying why, and nothing in the shared directory changes.
#[test]
fn a_hooks_directory_shared_through_a_link_is_left_alone() {
    let sandbox = Sandbox::new();
    let shared = sandbox.path().join("shared-hooks");
    write_exec(&shared.join("pre-commit"), TEAM_HOOK);
    let a = sandbox.repo("a");
    let b = sandbox.repo("b");
    link_hooks(&a, &shared);
    link_hooks(&b, &shared);
    let before = std::fs::read_dir(&shared).unwrap().count();
    for (repo, command) in [(&a, "install"), (&b, "uninstall"), (&a, "uninstall")] {
        let out = repo.pachhook(&[command]);
        assert_eq!(code(&out), 2, "{command}: {}", text(&out));
        assert!(
            text(&out).contains("symbolic link") && text(&out).contains("other repositories"),
            "{command}: {}",
            text(&out)
        );
        assert_eq!(
            std::fs::read_to_string(shared.join("pre-commit")).unwrap(),
            TEAM_HOOK
        );
        assert_eq!(std::fs::read_dir(&shared).unwrap().count(), before);
        assert!(
            !sandbox
                .path()
                .join("shared-hooks.pachhook-previous")
                .exists()
        );
    }
    // B's hook still runs.
    b.write("x.txt", "x");
    b.git(&["add", "x.txt"]);
    let out = b.try_git(&["commit", "-q", "-m", "x"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("team hook ran"), "{}", text(&out));
    // `status` says so too.
    let out = a.pachhook(&["status"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("other repositories"), "{}", text(&out));
}

/// The committed-directory test is made on resolved paths: a link to a directory of the
/// work tree, or a `core.hooksPath` that leaves and re-enters the repository, names the
/// team's committed hooks, which install never overwrites.
#[test]
fn a_committed_hooks_directory_is_recognised_however_it_is_named() {
    for how in ["link", "hooksPath"] {
        let sandbox = Sandbox::new();
        let repo = sandbox.repo("repo");
        write_exec(&repo.dir.join("githooks/pre-commit"), TEAM_HOOK);
        repo.commit_all("team hooks");
        match how {
            "link" => link_hooks(&repo, std::path::Path::new("../githooks")),
            _ => {
                repo.git(&["config", "core.hooksPath", "../repo/githooks"]);
            }
        }
        let out = repo.pachhook(&["install"]);
        assert_eq!(code(&out), 2, "{how}: {}", text(&out));
        assert!(
            text(&out).contains("the team's own hook"),
            "{how}: {}",
            text(&out)
        );
        assert_eq!(
            std::fs::read_to_string(repo.dir.join("githooks/pre-commit")).unwrap(),
            TEAM_HOOK,
            "{how}"
        );
        assert!(
            !repo.dir.join("githooks.pachhook-previous").exists(),
            "{how}"
        );
        // The pre-push hook it writes there is the portable one, to be committed.
        let out = repo.pachhook(&["install", "--hook", "pre-push"]);
        assert_eq!(code(&out), 0, "{how}: {}", text(&out));
        let push = std::fs::read_to_string(repo.dir.join("githooks/pre-push")).unwrap();
        assert!(push.contains("installed=''"), "{how}: {push}");
    }
}

/// The hook scripts are immune to the caller's shell: with `CDPATH` exported, the
/// chained hook still runs (and refuses the commit).
#[test]
fn the_hook_scripts_ignore_cdpath_and_ifs() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks = repo.hooks_dir();
    write_exec(
        &hooks.join("pre-commit"),
        "#!/bin/sh\necho \"chained hook refuses\" >&2\nexit 1\n",
    );
    repo.install();
    repo.write("x.txt", "x");
    repo.git(&["add", "x.txt"]);
    for env in [("CDPATH", ".:/tmp"), ("IFS", "/")] {
        let out = repo.git_env(&["commit", "-q", "-m", "x"], &[env], None);
        assert_eq!(code(&out), 1, "{env:?}: {}", text(&out));
        assert!(
            text(&out).contains("chained hook refuses"),
            "{env:?}: {}",
            text(&out)
        );
    }
}

/// A bare repository used with a work tree (`git --work-tree`): its hooks run, and
/// check what is staged.
#[test]
fn a_bare_repository_with_a_work_tree_is_checked() {
    let sandbox = Sandbox::new();
    let bare = sandbox.repo_with("r.git", &["--bare"]);
    let tree = sandbox.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    let git = |args: &[&str]| {
        let mut c = bare.command("git");
        c.arg("--git-dir")
            .arg(&bare.dir)
            .arg("--work-tree")
            .arg(&tree)
            .args(args);
        crate::support::run(c, std::time::Duration::from_secs(60))
    };
    let out = bare.pachhook(&["install"]);
    assert_eq!(code(&out), 2, "a bare repository alone: {}", text(&out));
    std::fs::write(
        tree.join("edges.json"),
        GOOD.replace("opencv:1.0.0", "opencv:latest"),
    )
    .unwrap();
    assert_eq!(code(&git(&["add", "edges.json"])), 0);
    let mut c = bare.command(crate::support::PACHHOOK);
    c.arg("install")
        .env("GIT_DIR", &bare.dir)
        .env("GIT_WORK_TREE", &tree);
    let out = crate::support::run(c, std::time::Duration::from_secs(60));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = git(&["commit", "-q", "-m", "x"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
}

/// A policy whose path holds a space (or `#`) is read like any other.
#[test]
fn a_policy_path_with_a_space_is_a_policy() {
    let repo = Repo::new();
    for dir in ["team policy", "team#1"] {
        repo.write(&format!("{dir}/pipelines.json"), POLICY);
        repo.write(
            "pachhook.toml",
            &format!("[[policy]]\nschema = \"{dir}/pipelines.json\"\n"),
        );
        repo.write("edges.json", GOOD);
        let out = repo.pachhook(&["check"]);
        assert_eq!(code(&out), 1, "{dir}: {}", text(&out));
        assert!(text(&out).contains("metadata"), "{dir}: {}", text(&out));
        assert!(
            !text(&out).contains("not a valid JSON Schema"),
            "{dir}: {}",
            text(&out)
        );
    }
}
