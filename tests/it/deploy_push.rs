//! Deploy at push time, the way a developer meets it: `pachhook install`, then
//! `git push` to a remote. The pre-push hook checks, builds from the pushed commit,
//! pushes the SHA-tagged image to the real registry and updates the pipelines through
//! the recording pachctl stand-in, only for the branches the team opted in for.

use crate::support::*;

/// `git push` to `origin`; the hook sees the test's docker config and pachctl log.
fn push(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut push = vec!["push", "-q", "origin"];
    push.extend_from_slice(args);
    repo.git_env(&push, env, None)
}

/// A repository with two managed pipelines, the hooks installed, and a bare remote.
fn setup(extra_config: &str) -> (Repo, Repo, String) {
    let svc = services().expect("checked by the caller");
    let image = format!("{}/{}", svc.registry, unique("pushed"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, extra_config);
    repo.commit_all("edges and montage");
    let remote = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    let run = repo.pachhook(&["install"]);
    assert_eq!(run.code, Some(0), "{run}");
    (repo, remote, image)
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
    assert!(out.code == Some(0), "{}", text(&out));
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
    assert!(remote.has_branch("main"), "the push itself went through");

    // A change outside the images and specs deploys nothing.
    repo.write("README.md", "docs\n");
    repo.commit_all("docs");
    let out = push(&repo, &["main"], &[]);
    assert!(out.code == Some(0), "{}", text(&out));
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
    assert!(out.code == Some(0), "{}", text(&out));
    assert_eq!(
        repo.calls().len(),
        2,
        "feature branches do not deploy: {}",
        text(&out)
    );
}

#[test]
fn a_failed_build_refuses_the_push_unless_the_team_says_warn() {
    if services().is_none() {
        return;
    }
    let broken = |repo: &Repo| {
        repo.write(
            "images/edges/Dockerfile",
            "FROM scratch\nCOPY missing.txt /missing.txt\n",
        );
        repo.commit_all("broken image");
    };
    let (repo, remote, _image) = setup("");
    broken(&repo);
    let out = push(&repo, &["main"], &[]);
    assert!(
        out.code != Some(0),
        "the push must be refused: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("pachhook: error: deploy of "),
        "the error is printed the way every pachhook error is: {}",
        text(&out)
    );
    assert!(
        !remote.has_branch("main"),
        "the remote must not get the refused push"
    );
    assert!(repo.calls().is_empty());

    let (repo, remote, _image) = setup("on_failure = \"warn\"");
    broken(&repo);
    let out = push(&repo, &["main"], &[]);
    assert!(
        out.code == Some(0),
        "on_failure = \"warn\" lets the push go on: {}",
        text(&out)
    );
    assert!(remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "nothing was prepared to deploy");
}

/// pachctl runs after the remote accepted: its failure cannot refuse the push any more;
/// it is shown, recorded in the note, and says how to retry.
#[test]
fn a_failed_update_after_acceptance_is_shown_and_recorded() {
    if services().is_none() {
        return;
    }
    let (repo, remote, _image) = setup("");
    let sha = repo.git(&["rev-parse", "HEAD"]);
    let out = push(&repo, &["main"], &[("PACHCTL_FAIL_ON", "edges")]);
    assert_eq!(out.code, Some(0), "the remote accepted: {}", text(&out));
    assert!(remote.has_branch("main"));
    assert!(
        text(&out).contains("the cluster refused the update"),
        "pachctl's stderr is shown: {}",
        text(&out)
    );
    assert!(
        text(&out).contains(&format!("retry: pachhook deploy {sha}")),
        "{}",
        text(&out)
    );
    let note = repo.note(&sha).expect("the failed deploy is recorded");
    assert_eq!(note["outcome"], "failed", "{note}");
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
    assert_eq!(out.code, Some(1), "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    assert!(repo.calls().is_empty(), "no pipeline may be updated");
    assert!(!remote.has_branch("main"));
}
