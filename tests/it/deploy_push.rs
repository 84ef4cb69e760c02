//! Deploy at push time, the way a developer meets it: `pachhook install`, then
//! `git push` to a remote. The pre-push hook checks, builds from the pushed commit,
//! pushes the SHA-tagged image to the real registry and updates the pipelines through
//! the recording pachctl stand-in, only for the branches the team opted in for.

use std::process::{Command, Output};

use crate::deploy_util::*;

/// `git push` with the test's docker config and pachctl log in the hook's environment.
fn push(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("git");
    command
        .args(["push", "-q", "origin"])
        .args(args)
        .current_dir(repo.path())
        .env("DOCKER_CONFIG", repo.docker_config())
        .env("PACHCTL_LOG", repo.pachctl_log())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("PACHCTL_FAIL_ON")
        .env_remove("PACHHOOK_SKIP");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("git push runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A repository with two managed pipelines, the hooks installed, and a bare remote.
fn setup(extra_config: &str) -> (Repo, tempfile::TempDir, String) {
    let svc = services().expect("checked by the caller");
    let image = format!("{}/{}", svc.registry, unique("pushed"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, extra_config);
    repo.commit_all("edges and montage");
    let remote = tempfile::tempdir().expect("temp dir");
    let out = Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(remote.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    repo.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    let run = repo.pachhook(&["install"], &[]);
    assert_eq!(run.code, Some(0), "{run}");
    (repo, remote, image)
}

fn remote_has(remote: &tempfile::TempDir, branch: &str) -> bool {
    Command::new("git")
        .args([
            "rev-parse",
            "--verify",
            "-q",
            &format!("refs/heads/{branch}"),
        ])
        .current_dir(remote.path())
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn a_push_to_a_deploy_branch_deploys_and_other_pushes_do_not() {
    if services().is_none() {
        return;
    }
    let (repo, remote, image) = setup("");
    let sha = repo.git(&["rev-parse", "HEAD"]);

    // A new deploy branch deploys everything, tagged with the pushed commit's SHA.
    let out = push(&repo, &["main"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let calls = repo.calls();
    let names: Vec<_> = calls
        .iter()
        .map(|c| c.spec["pipeline"]["name"].clone())
        .collect();
    assert_eq!(names, ["edges", "montage"], "{}", text(&out));
    let reference = format!("{image}:{sha}");
    assert!(
        calls
            .iter()
            .all(|c| c.spec["transform"]["image"] == reference.as_str())
    );
    assert!(
        repo.note(&sha).is_some(),
        "the deploy is recorded as a note"
    );
    assert!(remote_has(&remote, "main"), "the push itself went through");

    // A change outside the images and specs deploys nothing.
    repo.write("README.md", "docs\n");
    repo.commit_all("docs");
    let out = push(&repo, &["main"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        repo.calls().len(),
        2,
        "nothing to deploy for a README change: {}",
        text(&out)
    );

    // A branch that is not a deploy branch is checked but not deployed.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("images/edges/message.txt", "feature work\n");
    repo.commit_all("feature");
    let out = push(&repo, &["feature"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        repo.calls().len(),
        2,
        "feature branches do not deploy: {}",
        text(&out)
    );
}

#[test]
fn a_failed_deploy_refuses_the_push_unless_the_team_says_warn() {
    if services().is_none() {
        return;
    }
    let (repo, remote, _image) = setup("");
    let out = push(&repo, &["main"], &[("PACHCTL_FAIL_ON", "edges")]);
    assert!(
        !out.status.success(),
        "the push must be refused: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("the cluster refused the update"),
        "pachctl's stderr is shown: {}",
        text(&out)
    );
    assert!(
        !remote_has(&remote, "main"),
        "the remote must not get the refused push"
    );

    let (repo, remote, _image) = setup("on_failure = \"warn\"");
    let out = push(&repo, &["main"], &[("PACHCTL_FAIL_ON", "edges")]);
    assert!(
        out.status.success(),
        "on_failure = \"warn\" lets the push go on: {}",
        text(&out)
    );
    assert!(remote_has(&remote, "main"));
}

#[test]
fn error_findings_refuse_the_push_before_anything_is_built() {
    if services().is_none() {
        return;
    }
    let (repo, remote, _image) = setup("");
    repo.write("pipelines/c_bad.json", r#"{"pipeline": {"name": "bad"}, "transform": {"image": "team/bad:latest"}, "input": {"pfs": {"repo": "images", "glob": "/"}}}"#);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "bad spec"]);
    let out = push(&repo, &["main"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    assert!(repo.calls().is_empty(), "no pipeline may be updated");
    assert!(!remote_has(&remote, "main"));
}
