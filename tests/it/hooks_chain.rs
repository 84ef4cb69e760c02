//! What `install` and `uninstall` do to hooks a user wrote: at no instant is their hook
//! off, a chained hook still sees its name and the files beside it, edits and links
//! survive, and a hooks directory the team commits gets portable hooks or a refusal.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::hooks_install::path_with_pachhook;
use crate::support::{BAD, GOOD, PACHHOOK, Repo, Sandbox, code, text};

/// A hook that dispatches on its own name, as husky 4 does, and sources a file beside it
/// and checks one two levels up, as husky 9 does: all three must hold when chained.
const DISPATCHING: &str = r#"#!/bin/sh
# the team's own hook
hook_name=$(basename "$0")
. "$(dirname "$0")/lib.sh" || exit 1
[ -f "$(dirname "$(dirname "$0")")/HEAD" ] || { echo "their hook: no HEAD two levels up" >&2; exit 1; }
case "$hook_name" in
  pre-commit) their_check ;;
  *) echo "their hook: unknown name $hook_name" >&2; exit 0 ;;
esac
"#;

const LIB: &str = r#"their_check() {
  echo "their hook ran as $hook_name" >&2
  [ ! -e "$(git rev-parse --show-toplevel)/block" ]
}
"#;

fn write_exec(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A repository whose `.git/hooks/pre-commit` is `DISPATCHING` with `lib.sh` beside it,
/// and a good spec staged.
fn with_their_hook(sandbox: &Sandbox) -> (Repo, PathBuf) {
    let repo = sandbox.repo("repo");
    let hooks = repo.hooks_dir();
    write_exec(&hooks.join("pre-commit"), DISPATCHING);
    std::fs::write(hooks.join("lib.sh"), LIB).unwrap();
    repo.write("edges.json", GOOD);
    repo.git(&["add", "edges.json"]);
    (repo, hooks)
}

/// Their hook runs, as itself, and refuses the commit while `block` exists.
fn assert_theirs_refuses(repo: &Repo, when: &str) {
    repo.write("block", "");
    let out = repo.try_git(&["commit", "-q", "-m", "x"]);
    assert_eq!(code(&out), 1, "{when}: {}", text(&out));
    assert!(
        text(&out).contains("their hook ran as pre-commit"),
        "{when}: {}",
        text(&out)
    );
    std::fs::remove_file(repo.dir.join("block")).unwrap();
}

fn kept(hooks: &Path) -> PathBuf {
    hooks.with_file_name("hooks.pachhook-previous/pre-commit")
}

#[test]
fn a_chained_hook_sees_its_own_name_and_the_files_beside_it() {
    let sandbox = Sandbox::new();
    let (repo, hooks) = with_their_hook(&sandbox);
    assert_theirs_refuses(&repo, "before install");
    repo.install();
    assert!(
        std::fs::read_to_string(hooks.join("pre-commit"))
            .unwrap()
            .contains("pachhook-managed-hook")
    );
    assert_theirs_refuses(&repo, "chained");
    // Theirs passes, ours refuses a bad spec: both ran.
    repo.write("edges.json", BAD);
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "-q", "-m", "bad"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("their hook ran as pre-commit"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("edges.json:"), "{}", text(&out));

    let out = repo.pachhook(&["uninstall"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        DISPATCHING
    );
    assert!(
        !kept(&hooks).parent().unwrap().exists(),
        "the directory of previous hooks is gone"
    );
    assert_eq!(std::fs::read_to_string(hooks.join("lib.sh")).unwrap(), LIB);
}

/// The states `install` passes through, one step at a time: in each, their hook runs,
/// and a later `install` finishes the job.
#[test]
fn at_every_step_of_install_their_hook_runs() {
    for step in ["kept beside", "and a half-written hook", "write fails"] {
        let sandbox = Sandbox::new();
        let (repo, hooks) = with_their_hook(&sandbox);
        // Step 1: theirs linked into the directory of previous hooks (ours not written).
        let previous = kept(&hooks);
        std::fs::create_dir_all(previous.parent().unwrap()).unwrap();
        std::fs::hard_link(hooks.join("pre-commit"), &previous).unwrap();
        std::os::unix::fs::symlink("../hooks/lib.sh", previous.with_file_name("lib.sh")).unwrap();
        let tmp = hooks.join(".pre-commit.pachhook-tmp");
        match step {
            // Step 2: ours half written to its temporary file when the disk filled.
            "and a half-written hook" => std::fs::write(&tmp, "#!/bin/sh\n# pachhook-man").unwrap(),
            // Something in the way at the temporary name earlier versions used (each
            // run now writes its own, unique temporary file): it does not stop install.
            "write fails" => std::fs::create_dir(&tmp).unwrap(),
            _ => {}
        }
        assert_theirs_refuses(&repo, step);

        let out = repo.pachhook(&["install", "--hook", "pre-commit"]);
        assert_eq!(code(&out), 0, "{step}: {}", text(&out));
        if step == "write fails" {
            // Not ours to remove: a directory stays.
            assert!(tmp.is_dir(), "{step}");
            std::fs::remove_dir(&tmp).unwrap();
        }
        assert!(!tmp.exists(), "{step}: no temporary file left");
        let left: Vec<_> = std::fs::read_dir(&hooks)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".pachhook-tmp"))
            .collect();
        assert!(left.is_empty(), "{step}: temporary files left: {left:?}");
        assert_eq!(std::fs::read_to_string(&previous).unwrap(), DISPATCHING);
        assert!(
            std::fs::read_to_string(hooks.join("pre-commit"))
                .unwrap()
                .contains("pachhook-managed-hook")
        );
        assert_theirs_refuses(&repo, &format!("{step}, then installed"));
    }
}

/// `install` and `uninstall` killed at any instant: their hook is there, or ours is
/// there with theirs kept.
#[test]
fn killed_at_any_instant_their_hook_is_never_off() {
    let sandbox = Sandbox::new();
    let (repo, hooks) = with_their_hook(&sandbox);
    for round in 0..40u64 {
        let verb = if round % 2 == 0 {
            "install"
        } else {
            "uninstall"
        };
        let mut cmd = repo.command(PACHHOOK);
        cmd.args([verb, "--hook", "pre-commit"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_micros(100 * (round / 2 % 20)));
        let _ = child.kill();
        let _ = child.wait();
        let at_hook = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();
        let theirs_kept = std::fs::read_to_string(kept(&hooks)).ok();
        assert!(
            at_hook == DISPATCHING
                || (at_hook.contains("pachhook-managed-hook")
                    && theirs_kept.as_deref() == Some(DISPATCHING)),
            "round {round} ({verb}): hook {at_hook:?}, kept {theirs_kept:?}"
        );
    }
    // Whatever state the kills left, install then uninstall end where they should.
    repo.install();
    assert_theirs_refuses(&repo, "installed after the kills");
    let out = repo.pachhook(&["uninstall"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        DISPATCHING
    );
}

#[test]
fn an_edited_hook_is_modified_and_kept_unless_forced_then_copied() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.install();
    let hook = repo.hooks_dir().join("pre-commit");
    let edited = format!(
        "{}echo 'my own line' >&2\n",
        std::fs::read_to_string(&hook).unwrap().replace("exec ", "")
    );
    std::fs::write(&hook, &edited).unwrap();

    let out = repo.pachhook(&["status"]);
    assert!(
        text(&out).contains("pre-commit: installed, modified"),
        "{}",
        text(&out)
    );
    for verb in ["install", "uninstall"] {
        let out = repo.pachhook(&[verb, "--hook", "pre-commit"]);
        assert_eq!(code(&out), 2, "{verb}: {}", text(&out));
        assert!(text(&out).contains("was edited"), "{}", text(&out));
        assert!(
            text(&out).contains(&format!("pachhook {verb} --force")),
            "{}",
            text(&out)
        );
        assert_eq!(std::fs::read_to_string(&hook).unwrap(), edited, "{verb}");
    }
    // `uninstall` of both hooks leaves the edited one and removes the other.
    let out = repo.pachhook(&["uninstall", "--hook", "pre-push"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    let out = repo.pachhook(&["install", "--force", "--hook", "pre-commit"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let copy = hook.with_file_name("pre-commit.pachhook-edited");
    assert!(
        text(&out).contains("pre-commit.pachhook-edited"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), edited);
    assert!(text(&repo.pachhook(&["status"])).contains("pre-commit: installed, current"));

    std::fs::write(&hook, &edited).unwrap();
    let out = repo.pachhook(&["uninstall", "--force"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!hook.exists());
    let second = hook.with_file_name("pre-commit.pachhook-edited.2");
    assert_eq!(std::fs::read_to_string(&second).unwrap(), edited);
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        edited,
        "the first copy stays"
    );
}

#[test]
fn a_symlinked_hook_is_chained_and_restored_as_the_same_link() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let script = repo.dir.join("scripts/hook.sh");
    write_exec(
        &script,
        "#!/bin/sh\necho \"shared script ran as $(basename \"$0\")\" >&2\n[ ! -e block ]\n",
    );
    let hooks = repo.hooks_dir();
    std::fs::create_dir_all(&hooks).unwrap();
    let link = hooks.join("pre-commit");
    std::os::unix::fs::symlink("../../scripts/hook.sh", &link).unwrap();
    let script_before = std::fs::read(&script).unwrap();

    repo.install();
    assert!(
        !std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read(&script).unwrap(),
        script_before,
        "the link's target is untouched"
    );
    let out = repo.pachhook(&["status"]);
    assert!(text(&out).contains("runs first: "), "{}", text(&out));
    repo.write("edges.json", GOOD);
    repo.write("block", "");
    repo.git(&["add", "edges.json"]);
    let out = repo.try_git(&["commit", "-q", "-m", "x"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("shared script ran as pre-commit"),
        "{}",
        text(&out)
    );

    let out = repo.pachhook(&["uninstall"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("../../scripts/hook.sh")
    );
    assert_eq!(std::fs::read(&script).unwrap(), script_before);
}

#[test]
fn a_hooks_directory_of_the_work_tree_gets_portable_hooks_or_a_refusal() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let out = repo.pachhook(&["install"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("meant to be committed"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("git add .githooks/pre-commit .githooks/pre-push"),
        "{}",
        text(&out)
    );
    for name in ["pre-commit", "pre-push"] {
        let hook = String::from_utf8(repo.read(&format!(".githooks/{name}"))).unwrap();
        assert!(hook.contains("installed=''\n"), "{hook}");
        let exe_dir = Path::new(PACHHOOK).parent().unwrap().to_str().unwrap();
        assert!(!hook.contains(exe_dir), "no path of this machine: {hook}");
    }
    repo.commit_all("hooks");
    // Another developer's clone, with pachhook on PATH: the committed hook works there.
    let clone_dir = sandbox.path().join("clone");
    repo.git(&[
        "clone",
        "-q",
        repo.dir.to_str().unwrap(),
        clone_dir.to_str().unwrap(),
    ]);
    let clone = repo.at(&clone_dir);
    clone.git(&["config", "core.hooksPath", ".githooks"]);
    clone.git(&["config", "user.name", "Other"]);
    clone.git(&["config", "user.email", "other@example.com"]);
    clone.write("edges.json", BAD);
    clone.git(&["add", "edges.json"]);
    let out = clone.git_env(
        &["commit", "-q", "-m", "bad"],
        &[("PATH", &path_with_pachhook())],
        None,
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("edges.json:"), "{}", text(&out));
    // Installing there again changes no committed file.
    let out = clone.pachhook(&["install"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(clone.git(&["status", "--porcelain", ".githooks"]), "");

    // A committed hook of the team's own is not replaced: the way to call pachhook.
    let repo = sandbox.repo("team");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    write_exec(&repo.dir.join(".githooks/pre-commit"), DISPATCHING);
    repo.commit_all("team hook");
    let out = repo.pachhook(&["install"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("pachhook run pre-commit \"$@\" || exit $?"),
        "{}",
        text(&out)
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "", "nothing changed");
}

#[test]
fn a_pachhook_0_1_install_moves_to_the_new_layout() {
    let sandbox = Sandbox::new();
    let (repo, hooks) = with_their_hook(&sandbox);
    // What pachhook 0.1 left: theirs renamed, its template (no checksum) in place.
    std::fs::rename(
        hooks.join("pre-commit"),
        hooks.join("pre-commit.pachhook-previous"),
    )
    .unwrap();
    let legacy = include_str!("../../hooks/legacy/pre-commit")
        .replace("@PACHHOOK@", &format!("'{PACHHOOK}'"));
    write_exec(&hooks.join("pre-commit"), &legacy);
    let out = repo.pachhook(&["status"]);
    assert!(
        text(&out).contains("pre-commit: installed, outdated"),
        "{}",
        text(&out)
    );

    let out = repo.pachhook(&["install", "--hook", "pre-commit"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!hooks.join("pre-commit.pachhook-previous").exists());
    assert_eq!(std::fs::read_to_string(kept(&hooks)).unwrap(), DISPATCHING);
    assert_theirs_refuses(&repo, "migrated");
}

#[test]
fn a_git_ignored_hooks_directory_in_the_work_tree_chains_without_untracked_files() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(".gitignore", "/hooks/\n");
    repo.git(&["config", "core.hooksPath", "hooks"]);
    write_exec(&repo.dir.join("hooks/pre-commit"), DISPATCHING);
    std::fs::write(repo.dir.join("hooks/lib.sh"), LIB).unwrap();
    std::fs::write(repo.dir.join("HEAD"), "").unwrap();
    repo.commit_all("start");
    let out = repo.pachhook(&["install"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("runs first"), "{}", text(&out));
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "",
        "nothing new for git"
    );
    repo.write("edges.json", GOOD);
    repo.git(&["add", "edges.json"]);
    assert_theirs_refuses(&repo, "chained in the work tree");
    let out = repo.pachhook(&["uninstall"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!repo.dir.join("hooks.pachhook-previous").exists());
    assert_eq!(
        std::fs::read_to_string(repo.dir.join("hooks/pre-commit")).unwrap(),
        DISPATCHING
    );
}
