//! `pachhook init`: the file it writes, from what it finds and from the flags.

use std::time::Duration;

use crate::support::{GOOD, PACHHOOK, Sandbox, code, run, run_with, text};
use pachhook::config::Config;

#[test]
fn init_proposes_specs_and_builds_and_writes_a_loadable_file() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write("pipelines/edges.json", GOOD);
    repo.write(
        "pipelines/more/montage.json",
        &GOOD.replace("edges", "montage"),
    );
    repo.write("package.json", "{\"name\": \"not a spec\"}");
    repo.write("edges/Dockerfile", "FROM python:3.12\n");
    let sub = repo.at(repo.dir.join("edges"));
    let out = sub.pachhook(&["init"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let written = String::from_utf8(repo.read("pachhook.toml")).unwrap();
    assert!(
        written.contains(r#"paths = ["pipelines/*.json", "pipelines/more/*.json"]"#),
        "{written}"
    );
    // Without a terminal the image is a guess: proposed, commented out.
    assert!(
        written.contains(
            "# [[build]]\n# image = \"registry.example.com/edges\"\n# context = \"edges\""
        ),
        "{written}"
    );
    let config = Config::load(&repo.dir).unwrap();
    assert_eq!(
        config.spec_paths,
        vec!["pipelines/*.json", "pipelines/more/*.json"]
    );
    assert!(config.builds.is_empty());

    // The hooks accept it: a commit of the good specs passes with this configuration.
    repo.install();
    repo.git(&["add", "."]);
    let out = repo.try_git(&["commit", "-m", "init"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn init_takes_flags_and_never_overwrites_without_force() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let out = repo.pachhook(&[
        "init",
        "--yes",
        "--pachyderm",
        "2.7.3",
        "--specs",
        "specs/**/*.yaml",
        "--specs",
        "*.json",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let config = Config::load(&repo.dir).unwrap();
    assert_eq!(config.spec_paths, vec!["specs/**/*.yaml", "*.json"]);
    assert_eq!(
        config.release.map(|r| r.to_string()),
        Some("2.7".to_string())
    );

    let before = repo.read("pachhook.toml");
    let out = repo.pachhook(&["init", "--yes"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert_eq!(repo.read("pachhook.toml"), before);

    let out = repo.pachhook(&["init", "--yes", "--force"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let config = Config::load(&repo.dir).unwrap();
    assert!(config.spec_paths.is_empty());

    let out = repo.pachhook(&["init", "--yes", "--force", "--pachyderm", "1.13"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = repo.pachhook(&["init", "--yes", "--force", "--specs", "a/[b"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("a/[b"), "{}", text(&out));
}

fn spec_with_image(name: &str, image: &str) -> String {
    GOOD.replace("edges", name)
        .replace("pachyderm/opencv:1.0.0", image)
}

#[test]
fn init_never_writes_through_a_link_nor_outside_the_repository() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let outside = sandbox.path().join("outside.toml");
    std::os::unix::fs::symlink(&outside, repo.dir.join("pachhook.toml")).unwrap();
    for args in [&["init", "--yes"][..], &["init", "--yes", "--force"][..]] {
        let out = repo.pachhook(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
        assert!(text(&out).contains("is a symbolic link"), "{}", text(&out));
        assert!(
            !outside.exists(),
            "{args:?}: wrote through the dangling link"
        );
    }
    // A link to an existing file: its target is never overwritten, even with --force.
    std::fs::write(&outside, "# theirs\n").unwrap();
    let out = repo.pachhook(&["init", "--yes", "--force"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "# theirs\n");
    assert!(
        std::fs::symlink_metadata(repo.dir.join("pachhook.toml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // A FIFO is refused at once, not opened.
    std::fs::remove_file(repo.dir.join("pachhook.toml")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(repo.dir.join("pachhook.toml"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let mut cmd = repo.command(PACHHOOK);
    cmd.args(["init", "--yes", "--force"]);
    let out = run(cmd, Duration::from_secs(30));
    assert_eq!(code(&out), 2, "{}", text(&out));
    // --force replaces a regular file whole, through a rename: no temporary file left.
    std::fs::remove_file(repo.dir.join("pachhook.toml")).unwrap();
    repo.write("pachhook.toml", "# old\n");
    let out = repo.pachhook(&["init", "--yes", "--force"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        String::from_utf8(repo.read("pachhook.toml"))
            .unwrap()
            .contains("[pachyderm]")
    );
    assert!(!repo.dir.join(".pachhook.toml.pachhook-tmp").exists());

    // A `policy` directory that is a link out of the repository: the starter policy is
    // not written through it.
    let elsewhere = sandbox.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let other = sandbox.repo("other");
    std::os::unix::fs::symlink(&elsewhere, other.dir.join("policy")).unwrap();
    let out = other.pachhook(&["init", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("no starter policy written"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("not a directory of the repository"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn init_ignores_the_local_file_once_and_leaves_a_linked_gitignore_alone() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(".gitignore", "target/");
    let out = repo.pachhook(&["init", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("added pachhook.local.toml"),
        "{}",
        text(&out)
    );
    assert_eq!(repo.read(".gitignore"), b"target/\npachhook.local.toml\n");
    repo.write("pachhook.local.toml", "");
    assert_eq!(
        repo.git(&["status", "--porcelain", "pachhook.local.toml"]),
        ""
    );
    let out = repo.pachhook(&["init", "--yes", "--force"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(repo.read(".gitignore"), b"target/\npachhook.local.toml\n");

    // Already ignored by a pattern: nothing added. A linked .gitignore: left alone.
    let other = sandbox.repo("other");
    other.write(".gitignore", "*.local.toml\n");
    let out = other.pachhook(&["init", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(other.read(".gitignore"), b"*.local.toml\n");
    let third = sandbox.repo("third");
    let shared = sandbox.path().join("shared-ignore");
    std::fs::write(&shared, "x\n").unwrap();
    std::os::unix::fs::symlink(&shared, third.dir.join(".gitignore")).unwrap();
    let out = third.pachhook(&["init", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("add pachhook.local.toml to .gitignore yourself")
            && text(&out).contains("not a regular file (a link?): left as it is"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&shared).unwrap(), "x\n");
}

#[test]
fn init_proposes_the_specs_images_and_globs_for_every_extension() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(
        "pipelines/edges.json",
        &spec_with_image("edges", "registry.corp/vision/edges:1.0"),
    );
    repo.write("pipelines/montage.yaml", &spec_with_image("montage", "registry.corp/vision/montage@sha256:0000000000000000000000000000000000000000000000000000000000000000"));
    repo.write(
        "pipelines/other.yml",
        &spec_with_image("other", "python:3.12"),
    );
    repo.write("edges/Dockerfile", "FROM python:3.12\n");
    repo.write("montage/Dockerfile", "FROM python:3.12\n");
    repo.write("tools/Dockerfile", "FROM python:3.12\n");
    let out = repo.pachhook(&["init", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let written = String::from_utf8(repo.read("pachhook.toml")).unwrap();
    assert!(
        written.contains(r#"paths = ["pipelines/*.json", "pipelines/*.yaml", "pipelines/*.yml"]"#),
        "{written}"
    );
    assert!(
        written.contains("# image = \"registry.corp/vision/edges\"\n# context = \"edges\""),
        "{written}"
    );
    assert!(
        written.contains("# image = \"registry.corp/vision/montage\"\n# context = \"montage\""),
        "{written}"
    );
    assert!(
        written.contains("# image = \"registry.example.com/tools\"\n# context = \"tools\""),
        "{written}"
    );
}

/// On a terminal each yes/no answer takes its Enter: `n⏎` answers one question, not two.
#[test]
fn init_prompts_on_a_terminal_consume_their_enter() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(
        "pipelines/edges.json",
        &spec_with_image("edges", "registry.corp/vision/edges:1.0"),
    );
    repo.write("edges/Dockerfile", "FROM python:3.12\n");
    // release ⏎, "only these globs?" n⏎, "build edges?" y⏎, image: default ⏎.
    let mut cmd = repo.command("script");
    cmd.args(["-q", "-e", "-c", &format!("'{PACHHOOK}' init"), "/dev/null"])
        .env("TERM", "xterm");
    let out = run_with(cmd, Some("2.12\rn\ry\r\r"), Duration::from_secs(60));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let written = String::from_utf8(repo.read("pachhook.toml")).unwrap();
    assert!(
        written.contains("# paths = "),
        "the globs were declined: {written}"
    );
    assert!(
        written
            .contains("\n[[build]]\nimage = \"registry.corp/vision/edges\"\ncontext = \"edges\""),
        "the build was accepted with the proposed image: {written}"
    );
}

#[test]
fn check_all_warns_about_a_build_no_spec_uses() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(
        "pipelines/edges.json",
        &spec_with_image("edges", "registry.corp/vision/edges:1.0"),
    );
    repo.write(
        "pachhook.toml",
        "[[build]]\nimage = \"registry.corp/vision/edges\"\ncontext = \"edges\"\n\n\
         [[build]]\nimage = \"registry.example.com/tools\"\ncontext = \"tools\"\n",
    );
    let out = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 0, "a warning: {}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("pachhook.toml:6:1"), "{shown}");
    assert!(shown.contains("unused-build"), "{shown}");
    assert!(
        shown.contains("[[build]] image `registry.example.com/tools` is used by no spec"),
        "{shown}"
    );
    assert!(
        !shown.contains("registry.corp/vision/edges` is used by no spec"),
        "{shown}"
    );
    // A level from [rules] applies; the hooks, which see only changed files, never judge.
    repo.write(
        "pachhook.toml",
        "[rules]\nunused-build = \"error\"\n\n[[build]]\nimage = \"registry.example.com/tools\"\ncontext = \"tools\"\n",
    );
    let out = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    repo.install();
    repo.git(&["add", "pipelines/edges.json"]);
    let out = repo.try_git(&["commit", "-q", "-m", "spec"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!text(&out).contains("unused-build"), "{}", text(&out));
}
