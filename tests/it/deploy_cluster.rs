//! The cluster a deploy reaches and what it runs there, through the recording model of
//! a cluster (tests/it/support/pachctl): the branch→cluster mapping checked by ID before
//! anything is built, provenance annotations, never backwards, earlier failures carried
//! forward, removed specs named and pruned, and the note that records it all.

use std::path::PathBuf;

use crate::support::*;

const PROD: &str = "11111111-1111-4111-8111-111111111111";
const STAGING: &str = "22222222-2222-4222-8222-222222222222";

/// The model cluster's directory (beside the pachctl log).
fn cluster_dir(repo: &Repo) -> PathBuf {
    repo.pachctl_log().with_file_name("cluster")
}

/// Gives the model cluster `id` when reached through `context` (or by default).
fn set_cluster_id(repo: &Repo, context: Option<&str>, id: &str) {
    let dir = cluster_dir(repo);
    let path = match context {
        Some(c) => dir.join("ids").join(c),
        None => dir.join("id"),
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("{id}\n")).unwrap();
}

/// The spec the model cluster runs for `default/<name>`.
fn running(repo: &Repo, name: &str) -> Option<serde_json::Value> {
    let text =
        std::fs::read_to_string(cluster_dir(repo).join(format!("pipelines/default/{name}.json")))
            .ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

fn names(repo: &Repo) -> Vec<String> {
    repo.calls()
        .iter()
        .map(|c| {
            let verb = c.argv.split_whitespace().next().unwrap_or("").to_string();
            match c.spec["pipeline"]["name"].as_str() {
                Some(name) => format!("{verb} {name}"),
                None => format!("{verb} {}", c.argv.split_whitespace().nth(2).unwrap_or("")),
            }
        })
        .collect()
}

#[test]
fn branches_map_to_clusters_by_id_checked_before_building() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = managed_repo(
        &svc.registry,
        "clusters",
        &format!("clusters = {{ main = \"{PROD}\", \"staging*\" = \"{STAGING}\" }}"),
    );
    let sha = repo.commit_all("edges");
    // test-cluster (the team file's context) reaches the staging cluster: main stops.
    set_cluster_id(&repo, Some("test-cluster"), STAGING);
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr.contains(PROD) && run.stderr.contains(STAGING),
        "names both clusters: {run}"
    );
    assert!(run.stderr.contains("before building anything"), "{run}");
    assert!(repo.calls().is_empty());
    assert_eq!(
        manifest_digest(&svc.registry, image.split_once('/').unwrap().1, &sha, None),
        None,
        "nothing was built or pushed"
    );

    // This machine reaches production through its own context (the local file).
    set_cluster_id(&repo, Some("prod-east"), PROD);
    repo.write(".git/info/exclude", "pachhook.local.toml\n");
    repo.write(
        "pachhook.local.toml",
        &format!("[deploy]\ncontexts = {{ \"{PROD}\" = \"prod-east\" }}\n"),
    );
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let calls = repo.calls();
    assert!(
        !calls.is_empty() && calls.iter().all(|c| c.context == "prod-east"),
        "{calls:?}"
    );
    let note = repo.note(&sha).unwrap();
    assert_eq!(note["cluster"], PROD);
    assert_eq!(note["pachctl_context"], "prod-east");
}

#[test]
fn each_spec_carries_its_provenance_and_the_cluster_never_goes_backwards() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "provenance", "");
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://user:secret@git.example.com/team/vision.git",
    ]);
    let first = repo.commit_all("edges");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let annotations = running(&repo, "edges").unwrap()["metadata"]["annotations"].clone();
    assert_eq!(annotations["pachhook.commit"], first.as_str());
    assert_eq!(
        annotations["pachhook.repository"], "https://git.example.com/team/vision.git",
        "the repository, its credentials left out"
    );

    // A teammate deploys a newer commit from another branch.
    repo.git(&["checkout", "-q", "-b", "teammate"]);
    repo.write("images/edges/message.txt", "teammate\n");
    let newer = repo.commit_all("teammate's change");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("images/edges/message.txt", "mine\n");
    let mine = repo.commit_all("my change");
    let before = repo.calls().len();
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr.contains(&newer) && run.stderr.contains("does not contain"),
        "names what the cluster runs: {run}"
    );
    assert!(run.stderr.contains("--force"), "{run}");
    assert_eq!(repo.calls().len(), before, "nothing replaced");

    let run = repo.pachhook(&["deploy", "--force"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(
        running(&repo, "edges").unwrap()["metadata"]["annotations"]["pachhook.commit"],
        mine.as_str()
    );
}

#[test]
fn a_failed_deploy_is_carried_forward_by_the_next() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "carry", "");
    // The repository is known by its deploy remote's URL.
    repo.with_origin();
    repo.commit_all("edges");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    // The image changes; its deploy fails on edges (montage never attempted).
    repo.write("images/edges/message.txt", "fix\n");
    let fix = repo.commit_all("fix");
    let run = repo.pachhook_env(&["deploy"], &[("PACHCTL_FAIL_ON", "edges")], None);
    assert_eq!(run.code, Some(3), "{run}");
    // A README change alone still brings both pipelines to the fix's image.
    repo.write("README.md", "docs\n");
    let docs = repo.commit_all("docs");
    let calls_before = repo.calls().len();
    let stdin = format!("refs/heads/main {docs} refs/heads/main {fix}\n");
    let run = repo.pachhook_env(&["run", "pre-push", "origin"], &[], Some(&stdin));
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stderr.contains("ready to deploy"), "{run}");
    let run = repo.accept("main", &fix, &docs, &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let later: Vec<String> = names(&repo)[calls_before..].to_vec();
    assert_eq!(later, ["update edges", "update montage"], "{run}");
    for name in ["edges", "montage"] {
        assert!(
            running(&repo, name).unwrap()["transform"]["image"]
                .as_str()
                .unwrap()
                .ends_with(&docs),
            "{name}"
        );
    }
}

#[test]
fn removed_specs_are_named_and_pruned_upstream_last() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "removed", "");
    repo.commit_all("edges and montage");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    // Both specs go; a new one comes.
    std::fs::remove_file(repo.path().join("pipelines/a_montage.json")).unwrap();
    std::fs::remove_file(repo.path().join("pipelines/b_edges.json")).unwrap();
    repo.write(
        "pipelines/c_blur.json",
        r#"{"pipeline": {"name": "blur"}, "transform": {"image": "team/blur:1.0", "cmd": ["/blur"]}, "input": {"pfs": {"repo": "images", "glob": "/*"}}}"#,
    );
    let sha = repo.commit_all("blur replaces them");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    for gone in ["default/edges", "default/montage"] {
        assert!(
            run.stderr.contains(&format!("{gone} runs on the cluster")),
            "{gone} named: {run}"
        );
    }
    assert!(running(&repo, "edges").is_some(), "left running by default");
    let note = repo.note(&sha).unwrap();
    let removed: Vec<_> = note["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["deleted"].clone(),
            )
        })
        .collect();
    assert_eq!(
        removed,
        [
            ("montage".to_string(), false.into()),
            ("edges".to_string(), false.into())
        ],
        "downstream first"
    );

    let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
    repo.write("pachhook.toml", &format!("{toml}prune = true\n"));
    let pruned = repo.commit_all("prune");
    let before = repo.calls().len();
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let after: Vec<String> = names(&repo)[before..].to_vec();
    assert_eq!(
        after
            .iter()
            .filter(|c| c.starts_with("delete"))
            .collect::<Vec<_>>(),
        ["delete montage", "delete edges"],
        "montage reads edges: deleted first, upstream last: {after:?}"
    );
    assert!(running(&repo, "edges").is_none() && running(&repo, "montage").is_none());
    assert!(running(&repo, "blur").is_some());
    let note = repo.note(&pruned).unwrap();
    assert!(
        note["removed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["deleted"] == true),
        "{note}"
    );
}

/// The note as a user reads it with `git notes --ref pachhook show`, on a re-deploy
/// (`built: false`), with the volatile fields filtered.
#[test]
fn the_deploy_note() {
    let Some(svc) = services() else { return };
    let (repo, _, name) = managed_repo(&svc.registry, "note", "");
    let sha = repo.commit_all("edges");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    // Gone from the commit, still running: named in the note.
    repo.write("pipelines/c_old.json", r#"{"pipeline": {"name": "old"}, "transform": {"image": "team/old:1.0", "cmd": ["/old"]}, "input": {"pfs": {"repo": "images", "glob": "/*"}}}"#);
    let _with_old = repo.commit_all("old");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    std::fs::remove_file(repo.path().join("pipelines/c_old.json")).unwrap();
    repo.write("images/edges/message.txt", "old is gone\n");
    let sha2 = repo.commit_all("old is gone");
    // Deployed twice: the second finds its image in the registry (`built: false`).
    for _ in 0..2 {
        let run = repo.pachhook(&["deploy"]);
        assert_eq!(run.code, Some(0), "{run}");
    }
    let note = repo.git(&["notes", "--ref", "pachhook", "show", &sha2]);
    insta::with_settings!({filters => vec![
        (sha2.as_str(), "[COMMIT]"),
        (sha.as_str(), "[FIRST]"),
        (name.as_str(), "[IMAGE]"),
        (svc.registry.as_str(), "[REGISTRY]"),
        (r"sha256:[0-9a-f]{64}", "[DIGEST]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
        (r#""commit": "[0-9a-f]{40}""#, r#""commit": "[OTHER]""#),
    ]}, {
        insta::assert_snapshot!(note);
    });
}

#[test]
fn status_cluster_shows_what_runs_where() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = managed_repo(&svc.registry, "status", "");
    let first = repo.commit_all("edges and montage");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    // Someone changes montage by hand; a pipeline of someone else runs beside them.
    let montage = cluster_dir(&repo).join("pipelines/default/montage.json");
    let mut spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&montage).unwrap()).unwrap();
    spec["parallelism_spec"] = serde_json::json!({"constant": 9});
    std::fs::write(&montage, spec.to_string()).unwrap();
    std::fs::write(
        cluster_dir(&repo).join("pipelines/default/stranger.json"),
        r#"{"pipeline": {"name": "stranger"}, "transform": {"image": "other/x:1"}}"#,
    )
    .unwrap();
    // HEAD moves on without a deploy.
    repo.write("README.md", "docs\n");
    let head = repo.commit_all("docs");

    let run = repo.pachhook(&["status", "--cluster", "--format", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let status: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(status["commit"], head.as_str());
    assert_eq!(status["cluster"], "8f14e45f-ceea-467f-a0e6-c0ffee000001");
    let by_name = |name: &str| {
        status["pipelines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap()
    };
    let edges = by_name("edges");
    assert_eq!(edges["commit"], first.as_str());
    assert_eq!(edges["image"], format!("{image}:{first}").as_str());
    assert_eq!(edges["drift"], false);
    assert_eq!(edges["current"], false, "HEAD moved on");
    assert_eq!(by_name("montage")["drift"], true, "changed by hand");
    let unknown: Vec<_> = status["unknown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(unknown, ["stranger"]);

    let run = repo.pachhook(&["status", "--cluster"]);
    assert_eq!(run.code, Some(0), "{run}");
    insta::with_settings!({filters => vec![
        (first.as_str(), "[DEPLOYED]"),
        (&first[..12], "[DEPLOYED]"),
        (&head[..12], "[HEAD]"),
        (image.as_str(), "[IMAGE]"),
    ]}, {
        insta::assert_snapshot!(run.stdout);
    });
    assert!(run.stdout.contains("default/montage"), "{run}");
    assert!(run.stdout.contains("drift"), "{run}");
    assert!(run.stdout.contains("behind HEAD"), "{run}");
    assert!(run.stdout.contains("default/stranger"), "{run}");
    assert!(repo.calls().len() == 2, "status changes nothing");
}

/// A plain `git push` runs the pachctl that `[deploy] pachctl` names: the team's file
/// names a command on PATH only; a developer's local file may name any path.
#[test]
fn the_committed_file_names_pachctl_only_as_a_command() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "pachctlpath", "");
    let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
    repo.write("tools/pachctl", "#!/bin/sh\ntouch ran\n");
    repo.write(
        "pachhook.toml",
        &toml.replace("pachctl = \"pachctl\"", "pachctl = \"tools/pachctl\""),
    );
    repo.commit_all("ships its own pachctl");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("[deploy] pachctl") && run.stderr.contains("only a command"),
        "{run}"
    );
    assert!(!repo.path().join("ran").exists());
    assert!(repo.calls().is_empty());

    // The developer's own file may name a path.
    repo.write("pachhook.toml", &toml);
    repo.write(".git/info/exclude", "pachhook.local.toml\n");
    repo.commit_all("pachctl on PATH");
    repo.write(
        "pachhook.local.toml",
        &format!(
            "[deploy]\npachctl = \"{}\"\n",
            pachctl_dir().join("pachctl").display()
        ),
    );
    let run = repo.pachhook_env(&["deploy"], &[("PATH", "/usr/bin:/bin")], None);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(repo.calls().len(), 2, "{run}");
}

#[test]
fn status_cluster_of_the_wrong_cluster_says_so() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(
        &svc.registry,
        "statuswrong",
        &format!("clusters = {{ main = \"{PROD}\" }}"),
    );
    repo.commit_all("edges");
    set_cluster_id(&repo, Some("test-cluster"), STAGING);
    let run = repo.pachhook(&["status", "--cluster"]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr.contains("cannot tell what the cluster runs")
            && run.stderr.contains(PROD)
            && run.stderr.contains(STAGING),
        "{run}"
    );
    assert!(!run.stderr.contains("pachhook deploy"), "{run}");
}
