//! Files read as data that are not regular files: a FIFO or a device (a committed link
//! to `/dev/zero`) named to `check` or `render`. Reading one never ends, so each is
//! refused by its type, at once, naming the file.

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
