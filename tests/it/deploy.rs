//! `pachhook deploy` end to end: a real git repository, the real binary, a real Docker
//! engine and registry (scripts/services.sh), and the recording pachctl stand-in.

use crate::support::*;

#[test]
fn deploys_the_commit_tree_upstream_first_and_records_a_note() {
    let Some(svc) = services() else { return };
    let (repo, image, name) = managed_repo(&svc.registry, "edges", "");
    let sha = repo.commit_all("edges and montage");
    // Uncommitted and untracked edits must not reach the image.
    repo.write("images/edges/message.txt", "uncommitted edit\n");
    repo.write("images/edges/untracked.txt", "untracked\n");
    repo.git(&["add", "images/edges/untracked.txt"]);
    let status_before = repo.git(&["status", "--porcelain"]);

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");

    let reference = format!("{image}:{sha}");
    let digest = manifest_digest(&svc.registry, &name, &sha, None)
        .unwrap_or_else(|| panic!("the registry has no {reference}\n{run}"));
    assert_eq!(
        file_in_pulled_image(&reference, "/message.txt").as_deref(),
        Some("committed\n"),
        "the image must hold the committed file, not the working tree's"
    );

    let calls = repo.calls();
    let names: Vec<_> = calls
        .iter()
        .map(|c| c.spec["pipeline"]["name"].clone())
        .collect();
    assert_eq!(names, ["edges", "montage"], "upstream first: {calls:?}");
    for call in &calls {
        assert_eq!(call.argv, "update pipeline -f - --project default");
        assert_eq!(call.context, "test-cluster");
        assert_eq!(call.spec["transform"]["image"], reference.as_str());
    }
    // Everything else as written.
    assert_eq!(calls[0].spec["transform"]["env"]["MODE"], "fast");
    assert_eq!(calls[0].spec["parallelism_spec"]["constant"], 2);
    assert_eq!(calls[1].spec["description"], "reads the output of edges");

    let note = repo.note("HEAD").expect("a note under refs/notes/pachhook");
    assert_eq!(note["commit"], sha.as_str());
    assert_eq!(note["images"][0]["reference"], reference.as_str());
    assert_eq!(note["images"][0]["digest"], digest.as_str());
    let noted: Vec<_> = note["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["project"].clone(), p["name"].clone(), p["status"].clone()))
        .collect();
    assert_eq!(
        noted,
        [
            ("default".into(), "edges".into(), "updated".into()),
            ("default".into(), "montage".into(), "updated".into())
        ]
    );
    assert_eq!(note["version"], 2);
    assert_eq!(note["outcome"], "deployed");

    // The working tree and the index are as the user left them.
    assert_eq!(repo.git(&["status", "--porcelain"]), status_before);
    assert!(run.stdout.contains("deployed"), "{run}");
    assert!(
        run.stdout.contains(&digest),
        "the summary shows the digest: {run}"
    );
}

#[test]
fn a_second_deploy_of_the_same_commit_skips_build_and_push() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "again", "");
    repo.write("images/edges/message.txt", "again\n");
    let sha = repo.commit_all("first");

    let first = repo.pachhook(&["deploy"]);
    assert_eq!(first.code, Some(0), "{first}");
    let second = repo.pachhook(&["deploy", &sha]);
    assert_eq!(second.code, Some(0), "{second}");
    assert!(
        second.stderr.contains("already in the registry"),
        "{second}"
    );
    assert!(
        !second.stderr.contains("building"),
        "no build the second time: {second}"
    );
    assert!(
        second.elapsed.as_secs_f64() < 5.0,
        "a re-deploy took {:?}",
        second.elapsed
    );
    assert_eq!(repo.calls().len(), 4, "pipelines are updated both times");
}

#[test]
fn dry_run_shows_the_work_and_changes_nothing() {
    let Some(svc) = services() else { return };
    let (repo, image, name) = managed_repo(&svc.registry, "dry", "");
    let sha = repo.commit_all("dry");

    let run = repo.pachhook(&["deploy", "--dry-run"]);
    assert_eq!(run.code, Some(0), "{run}");
    let reference = format!("{image}:{sha}");
    assert!(
        run.stdout.contains(&format!("would build {reference}")),
        "{run}"
    );
    assert!(
        run.stdout.contains(&format!("\"image\": \"{reference}\"")),
        "the rendered spec is shown: {run}"
    );
    let at = |pipeline: &str| {
        run.stdout
            .find(&format!("pipeline {pipeline}"))
            .unwrap_or_else(|| panic!("{pipeline} is not shown: {run}"))
    };
    assert!(
        at("default/edges") < at("default/montage"),
        "upstream first: {run}"
    );
    assert_eq!(
        manifest_digest(&svc.registry, &name, &sha, None),
        None,
        "nothing pushed"
    );
    assert!(
        !docker(&["image", "inspect", &reference]).status.success(),
        "nothing built"
    );
    assert!(repo.calls().is_empty(), "pachctl not called");
    assert!(!repo.pachctl_log().exists());
    assert_eq!(repo.note("HEAD"), None, "no note");
}

#[test]
fn pin_digest_names_the_pushed_digest() {
    let Some(svc) = services() else { return };
    let name = unique("pin");
    let image = format!("{}/{name}", svc.registry);
    let repo = Repo::new();
    two_pipelines(
        &repo,
        &image,
        "pin = \"digest\"\nreprocess = true\nproject = \"vision\"",
    );
    let sha = repo.commit_all("pin");

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let digest = manifest_digest(&svc.registry, &name, &sha, None).expect("pushed");
    let calls = repo.calls();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(
            call.spec["transform"]["image"],
            format!("{image}@{digest}").as_str()
        );
        assert_eq!(
            call.argv,
            "update pipeline -f - --reprocess --project vision"
        );
    }
}

#[test]
fn dockerignore_in_the_context_is_honoured() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = managed_repo(&svc.registry, "ignore", "");
    repo.write("images/edges/Dockerfile", "FROM scratch\nCOPY . /ctx/\n");
    repo.write(
        "images/edges/.dockerignore",
        "# test patterns\n*.secret\n!keep.secret\nbuild/\n**/*.tmp\nDockerfile\n",
    );
    repo.write("images/edges/drop.secret", "no\n");
    repo.write("images/edges/keep.secret", "kept\n");
    repo.write("images/edges/build/out.o", "no\n");
    repo.write("images/edges/src/deep/x.tmp", "no\n");
    repo.write("images/edges/src/deep/main.txt", "main\n");
    let sha = repo.commit_all("ignore");

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let reference = format!("{image}:{sha}");
    assert_eq!(
        file_in_image(&reference, "/ctx/keep.secret").as_deref(),
        Some("kept\n")
    );
    assert_eq!(
        file_in_image(&reference, "/ctx/src/deep/main.txt").as_deref(),
        Some("main\n")
    );
    assert_eq!(
        file_in_image(&reference, "/ctx/drop.secret"),
        None,
        "*.secret excluded"
    );
    assert_eq!(
        file_in_image(&reference, "/ctx/build/out.o"),
        None,
        "build/ excluded"
    );
    assert_eq!(
        file_in_image(&reference, "/ctx/src/deep/x.tmp"),
        None,
        "**/*.tmp excluded"
    );
    // The Dockerfile was needed for the build although .dockerignore names it.
    assert!(file_in_image(&reference, "/ctx/.dockerignore").is_some());
}
