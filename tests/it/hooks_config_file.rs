//! Configuration files a cloned repository can turn into traps: a link to `/dev/zero`, a
//! FIFO, a huge or non-UTF-8 file. Each is refused at once, naming the file (and the
//! position, when there is one), and a hook's error says how to get past it once.

use std::time::Duration;

use crate::support::{self, GOOD, Repo, Run, Sandbox, code, run, text};

/// The longest any of these commands may take: they must not wait on the file at all.
const LIMIT: Duration = Duration::from_secs(30);

/// `program args` in the repository, failing the test if it outlives `LIMIT`.
fn within(repo: &Repo, program: &str, args: &[&str]) -> Run {
    let mut cmd = repo.command(program);
    cmd.args(args);
    run(cmd, LIMIT)
}

fn pachhook_path() -> &'static str {
    support::PACHHOOK
}

/// A repository with the hooks installed and a good spec staged.
fn staged(sandbox: &Sandbox) -> Repo {
    let repo = sandbox.repo("repo");
    repo.install();
    repo.write("edges.json", GOOD);
    repo.git(&["add", "edges.json"]);
    repo
}

fn mkfifo(path: &std::path::Path) {
    let status = crate::support::isolated("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_a_device_link_or_a_directory_is_refused_without_waiting() {
    for name in ["pachhook.toml", "pachhook.local.toml"] {
        for kind in ["fifo", "/dev/zero", "link to a file", "directory"] {
            let sandbox = Sandbox::new();
            let repo = staged(&sandbox);
            let path = repo.dir.join(name);
            let expected = match kind {
                "fifo" => {
                    mkfifo(&path);
                    "is a FIFO"
                }
                "/dev/zero" => {
                    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
                    "is a symbolic link"
                }
                "link to a file" => {
                    repo.write("shared.toml", "[images]\nrequire_digest = false\n");
                    std::os::unix::fs::symlink("shared.toml", &path).unwrap();
                    "is a symbolic link"
                }
                _ => {
                    std::fs::create_dir(&path).unwrap();
                    "is a directory"
                }
            };
            let shown = format!("{name}: {expected}");

            let out = within(&repo, pachhook_path(), &["check", "--all"]);
            assert_eq!(code(&out), 2, "{name} {kind}: {}", text(&out));
            assert!(text(&out).contains(&shown), "{name} {kind}: {}", text(&out));
            assert!(
                text(&out).contains("replace it with the file itself"),
                "{}",
                text(&out)
            );

            if name == "pachhook.toml" {
                // A commit is judged by the pachhook.toml it stages: the work tree's is
                // not read (nor waited on). A staged link is refused like a committed one.
                if kind == "link to a file" || kind == "/dev/zero" {
                    repo.git(&["add", name]);
                    let out = within(&repo, "git", &["commit", "-q", "-m", "x"]);
                    assert_eq!(code(&out), 1, "{name} {kind}: {}", text(&out));
                    assert!(
                        text(&out).contains("`pachhook.toml` in the index is a symbolic link"),
                        "{name} {kind}: {}",
                        text(&out)
                    );
                } else {
                    let out = within(&repo, "git", &["commit", "-q", "-m", "x"]);
                    assert_eq!(code(&out), 0, "{name} {kind}: {}", text(&out));
                }
                continue;
            }
            let out = within(&repo, "git", &["commit", "-q", "-m", "x"]);
            assert_eq!(code(&out), 1, "{name} {kind}: {}", text(&out));
            assert!(text(&out).contains(&shown), "{name} {kind}: {}", text(&out));
            assert!(
                text(&out).contains("`git commit --no-verify`, or `PACHHOOK=0 git commit`"),
                "{}",
                text(&out)
            );
            // The way past it works, and also without waiting on the file.
            let out = within(
                &repo,
                "env",
                &["PACHHOOK=0", "git", "commit", "-q", "-m", "x"],
            );
            assert_eq!(code(&out), 0, "{name} {kind}: {}", text(&out));
        }
    }
}

#[test]
fn a_non_utf8_file_is_an_error_at_its_line_and_column() {
    let sandbox = Sandbox::new();
    let repo = staged(&sandbox);
    std::fs::write(
        repo.dir.join("pachhook.toml"),
        b"[specs]\npaths = [\"a\xffb.json\"]\n",
    )
    .unwrap();
    let out = within(&repo, pachhook_path(), &["check", "--all"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("pachhook.toml:2:12: not UTF-8 (byte \\xff)"),
        "{}",
        text(&out)
    );
    // A commit is judged by the staged file.
    repo.git(&["add", "pachhook.toml"]);
    let out = within(&repo, "git", &["commit", "-q", "-m", "x"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("pachhook.toml:2:12:"), "{}", text(&out));
    assert!(text(&out).contains("--no-verify"), "{}", text(&out));
}

#[test]
fn a_file_over_one_mebibyte_is_refused_and_one_of_it_is_read() {
    let sandbox = Sandbox::new();
    let repo = staged(&sandbox);
    let line = format!("#{}\n", "x".repeat(1022));
    let mebibyte = line.repeat(1024);
    assert_eq!(mebibyte.len(), 1 << 20);
    repo.write("pachhook.toml", &mebibyte);
    let out = within(&repo, pachhook_path(), &["check", "--all"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    repo.write("pachhook.toml", &format!("{mebibyte}\n"));
    let out = within(&repo, pachhook_path(), &["check", "--all"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("pachhook.toml: larger than 1024 KiB"),
        "{}",
        text(&out)
    );
}

#[test]
fn every_config_error_in_a_hook_ends_with_the_way_past_it() {
    let sandbox = Sandbox::new();
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = staged(&sandbox);
    repo.git(&["remote", "add", "origin", remote.dir.to_str().unwrap()]);
    repo.git(&["commit", "-q", "-m", "good"]);
    repo.write("pachhook.toml", "[rules]\nno-such-rule = \"off\"\n");
    // Staged, it judges the commit; committed (unchecked), it judges the push.
    repo.git(&["add", "pachhook.toml"]);

    let out = repo.try_git(&["commit", "-q", "--allow-empty", "-m", "x"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let stderr = &out.stderr;
    assert!(
        stderr.contains("pachhook.toml:2:1: [rules]: unknown rule"),
        "{stderr}"
    );
    assert!(
        stderr.trim_end().ends_with(
            "to commit once without pachhook: `git commit --no-verify`, or `PACHHOOK=0 git commit`"
        ),
        "{stderr}"
    );

    repo.git(&["commit", "-q", "--no-verify", "-m", "bad config"]);
    let out = repo.try_git(&["push", "-q", "origin", "main"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    let stderr = &out.stderr;
    assert!(stderr.contains("pachhook.toml:2:1:"), "{stderr}");
    assert!(
        stderr.contains(
            "to push once without pachhook: `git push --no-verify`, or `PACHHOOK=0 git push`"
        ),
        "{stderr}"
    );
    let out = repo.git_env(
        &["push", "-q", "origin", "main"],
        &[("PACHHOOK", "0")],
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
}
