//! `pachhook init`: the file it writes, from what it finds and from the flags.

use crate::support::{GOOD, Sandbox, code, text};
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
