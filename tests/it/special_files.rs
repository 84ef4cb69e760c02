//! Files read as data that are not regular files: a FIFO or a device (a committed link
//! to `/dev/zero`) named to `check` or `render`. Reading one never ends, so each is
//! refused by its type, at once, naming the file. And configuration files reached
//! through a linked directory, which would leave the repository.

use std::time::Duration;

use crate::support::{GOOD, PACHHOOK, Repo, run};

/// `pachhook <args>` in the repository, failing the test after 20 s instead of hanging.
fn pachhook(repo: &Repo, args: &[&str]) -> crate::support::Run {
    let mut command = repo.command(PACHHOOK);
    command.args(args);
    run(command, Duration::from_secs(20))
}

fn special_files(repo: &Repo, ext: &str) -> Vec<String> {
    let fifo = format!("fifo.{ext}");
    let status = std::process::Command::new("mkfifo")
        .arg(repo.path().join(&fifo))
        .status()
        .unwrap();
    assert!(status.success());
    let zero = format!("zero.{ext}");
    std::os::unix::fs::symlink("/dev/zero", repo.path().join(&zero)).unwrap();
    vec![fifo, zero]
}

#[test]
fn check_refuses_a_fifo_or_device_named_on_the_command_line_and_checks_the_rest() {
    let repo = Repo::new();
    repo.write("good.json", GOOD);
    for name in special_files(&repo, "json") {
        let out = pachhook(&repo, &["check", &name, "good.json"]);
        assert_eq!(out.code, Some(1), "{name}\n{out}");
        assert!(out.stdout.contains(&name), "{out}");
        assert!(out.stdout.contains("not a regular file"), "{out}");
        assert!(out.stdout.contains("in 2 files"), "{out}");
    }
}

#[test]
fn render_refuses_a_fifo_or_device() {
    let repo = Repo::new();
    for name in special_files(&repo, "jsonnet") {
        let out = pachhook(&repo, &["render", &name]);
        assert_eq!(out.code, Some(3), "{name}\n{out}");
        assert!(out.stderr.contains(&name), "{out}");
        assert!(out.stderr.contains("not a regular file"), "{out}");
    }
}

#[test]
fn a_policy_or_its_ref_through_a_linked_directory_is_refused() {
    let repo = Repo::new();
    repo.write("good.json", GOOD);
    // a schema outside the repository that every spec meets, and a link to its directory
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("any.json"), "{}").unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("linked")).unwrap();
    std::fs::create_dir(repo.path().join("policy")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("policy/linked")).unwrap();
    repo.write("policy/ref.json", r#"{"$ref": "linked/any.json"}"#);
    for schema in ["linked/any.json", "policy/ref.json"] {
        repo.write(
            "pachhook.toml",
            &format!("[[policy]]\nschema = \"{schema}\"\n"),
        );
        let out = pachhook(&repo, &["check", "--all"]);
        assert_eq!(out.code, Some(2), "{schema}\n{out}");
        assert!(out.stderr.contains("linked"), "{out}");
        assert!(out.stderr.contains("symbolic link"), "{out}");
    }
}

#[test]
fn check_all_refuses_a_template_instance_whose_template_is_not_a_file_of_the_work_tree() {
    let repo = Repo::new();
    repo.write("good.json", GOOD);
    std::fs::create_dir(repo.path().join("t")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(repo.path().join("t/fifo.jsonnet"))
        .status()
        .unwrap();
    assert!(status.success());
    for template in ["t/missing.jsonnet", "t/fifo.jsonnet"] {
        repo.write(
            "pachhook.toml",
            &format!("[[template]]\npath = \"{template}\"\nargs = {{ name = \"x\" }}\n"),
        );
        let out = pachhook(&repo, &["check", "--all"]);
        assert_eq!(out.code, Some(2), "{template}\n{out}");
        assert!(out.stderr.contains("pachhook.toml:2:8"), "{out}");
        assert!(
            out.stderr
                .contains(&format!("`{template}` is not a file in the work tree")),
            "{out}"
        );
    }
}

/// A `git` that hangs on `ls-files`, which pachhook runs to read a split index: the
/// wait is bounded and the program named, instead of holding the commit forever.
#[test]
fn a_hanging_git_ls_files_for_a_split_index_is_bounded() {
    let repo = Repo::new();
    repo.write("good.json", GOOD);
    repo.git(&["config", "core.splitIndex", "true"]);
    repo.git(&["add", "good.json"]);
    repo.git(&["update-index", "--split-index"]);
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let bin = repo.aux.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("git");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\n[ \"$1\" = ls-files ] && exec sleep 600\nexec {} \"$@\"\n",
            real.trim()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut command = repo.command(PACHHOOK);
    command.args(["check", "--staged"]).env("PATH", path);
    let out = run(command, Duration::from_secs(120));
    assert_eq!(out.code, Some(3), "{out}");
    assert!(out.stderr.contains("git ls-files"), "{out}");
    assert!(out.stderr.contains("did not finish within 30 s"), "{out}");
}
