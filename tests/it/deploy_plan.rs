//! The parts of a deploy that need no Docker: what a pushed range deploys (the library
//! API the pre-push hook calls), the build context archive taken from a commit, and the
//! command's answers to bad input (findings, configuration errors).

use std::os::unix::ffi::OsStrExt;

use crate::support::*;
use pachhook::config::Config;
use pachhook::deploy::{Changes, context, plan};
use pachhook::error::ExitStatus;
use pachhook::repo::tree::CommitTree;

fn plan_for(repo: &Repo, old: Option<&str>, new: &str) -> plan::Plan {
    let opened = pachhook::repo::Repo::open(repo.path()).unwrap();
    let new = git2::Oid::from_str(new).unwrap();
    let config = Config::for_commit(&opened, new).unwrap();
    let old = old.map(|o| git2::Oid::from_str(o).unwrap());
    let changes = Changes::between(&opened, old, new).unwrap();
    let tree = opened.git.find_commit(new).unwrap().tree().unwrap();
    let specs = plan::check_commit(&opened, new, &tree, &config).unwrap();
    plan::decide(&config, &specs, &changes, &new.to_string()).unwrap()
}

fn names(plan: &plan::Plan) -> (Vec<String>, Vec<String>) {
    (
        plan.images.iter().map(|i| i.build.repository()).collect(),
        plan.pipelines.iter().map(|p| p.name.clone()).collect(),
    )
}

#[test]
fn the_pushed_range_decides_what_is_deployed() {
    let repo = Repo::new();
    let image = "registry.example.com/vision/edges";
    two_pipelines(&repo, image, "");
    repo.write(
        "pipelines/c_plain.json",
        r#"{"pipeline": {"name": "plain"}, "transform": {"image": "ubuntu:22.04", "cmd": ["true"]}, "input": {"pfs": {"repo": "montage", "glob": "/"}}}"#,
    );
    let first = repo.commit_all("first");

    // A new branch deploys everything, upstream first.
    let all = plan_for(&repo, None, &first);
    assert_eq!(
        names(&all),
        (
            vec![image.to_string()],
            vec!["edges".into(), "montage".into(), "plain".into()]
        )
    );
    assert_eq!(all.images[0].reference, format!("{image}:{first}"));

    // A change outside every context and spec deploys nothing.
    repo.write("README.md", "docs\n");
    let docs = repo.commit_all("docs");
    assert_eq!(
        names(&plan_for(&repo, Some(&first), &docs)),
        (vec![], vec![])
    );

    // A change in the image context rebuilds it and updates the pipelines it serves.
    repo.write("images/edges/message.txt", "new\n");
    let code = repo.commit_all("code");
    assert_eq!(
        names(&plan_for(&repo, Some(&docs), &code)),
        (
            vec![image.to_string()],
            vec!["edges".into(), "montage".into()]
        )
    );

    // A changed unmanaged spec is updated as written, with no build.
    repo.write(
        "pipelines/c_plain.json",
        r#"{"pipeline": {"name": "plain"}, "transform": {"image": "ubuntu:24.04", "cmd": ["true"]}, "input": {"pfs": {"repo": "montage", "glob": "/"}}}"#,
    );
    let plain = repo.commit_all("plain");
    assert_eq!(
        names(&plan_for(&repo, Some(&code), &plain)),
        (vec![], vec!["plain".into()])
    );

    // A changed managed spec needs its image at this commit.
    let text = std::fs::read_to_string(repo.path().join("pipelines/a_montage.json")).unwrap();
    repo.write(
        "pipelines/a_montage.json",
        &text.replace("/montage", "/montage2"),
    );
    let spec = repo.commit_all("montage spec");
    assert_eq!(
        names(&plan_for(&repo, Some(&plain), &spec)),
        (vec![image.to_string()], vec!["montage".into()])
    );
}

#[test]
fn explicit_pipelines_and_dockerfile_outside_the_context() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        r#"
[[build]]
image = "r.example.com/tools"
context = "tools"
dockerfile = "../docker/tools.Dockerfile"
pipelines = ["uses-tools"]
"#,
    );
    repo.write("tools/run.sh", "#!/bin/sh\n");
    repo.write("docker/tools.Dockerfile", "FROM scratch\nCOPY run.sh /\n");
    repo.write(
        "specs/p.json",
        r#"{"pipeline": {"name": "uses-tools"}, "transform": {"image": "somewhere/else:1", "cmd": ["/run.sh"]}, "input": {"pfs": {"repo": "in", "glob": "/"}}}"#,
    );
    let first = repo.commit_all("first");
    repo.write(
        "docker/tools.Dockerfile",
        "FROM scratch\nCOPY run.sh /run.sh\n",
    );
    let second = repo.commit_all("dockerfile only");
    let plan = plan_for(&repo, Some(&first), &second);
    assert_eq!(
        names(&plan),
        (
            vec!["r.example.com/tools".into()],
            vec!["uses-tools".into()]
        ),
        "a Dockerfile outside the context still rebuilds its image"
    );
    assert_eq!(plan.pipelines[0].image, Some(0));

    let git = git2::Repository::open(repo.path()).unwrap();
    let tree = git
        .revparse_single(&second)
        .unwrap()
        .peel_to_tree()
        .unwrap();
    let ctx = context::collect(
        &CommitTree::new(&git, &tree),
        0,
        "tools",
        "../docker/tools.Dockerfile",
    )
    .unwrap();
    assert!(
        ctx.dockerfile.starts_with(".dockerfile."),
        "the docker CLI's name for it: {}",
        ctx.dockerfile
    );
    assert!(ctx.paths().contains(&b"run.sh".as_slice()));
}

/// The archive sent to the engine, read back by the system's tar.
#[test]
fn the_context_archive_keeps_modes_symlinks_and_long_names() {
    let repo = Repo::new();
    let long_dir = "d".repeat(120);
    let long_file = "f".repeat(130);
    repo.write("ctx/Dockerfile", "FROM scratch\n");
    repo.write("ctx/run.sh", "#!/bin/sh\necho hi\n");
    repo.write(&format!("ctx/{long_dir}/{long_file}.txt"), "long\n");
    repo.write("ctx/.dockerignore", "*.log\n");
    repo.write("ctx/debug.log", "ignored\n");
    repo.write("outside.txt", "not in the context\n");
    std::os::unix::fs::symlink("run.sh", repo.path().join("ctx/link")).unwrap();
    std::fs::set_permissions(
        repo.path().join("ctx/run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let sha = repo.commit_all("ctx");
    // Working-tree edits after the commit are not in the archive.
    repo.write("ctx/run.sh", "#!/bin/sh\necho edited\n");
    repo.write("ctx/new.txt", "untracked\n");

    let git = git2::Repository::open(repo.path()).unwrap();
    let tree = git.revparse_single(&sha).unwrap().peel_to_tree().unwrap();
    let ctx = context::collect(
        &CommitTree::new(&git, &tree),
        1_700_000_000,
        "ctx",
        "Dockerfile",
    )
    .unwrap();
    let mut bytes = Vec::new();
    ctx.write(&mut bytes).unwrap();
    let archive = repo.aux.path().join("ctx.tar");
    std::fs::write(&archive, &bytes).unwrap();

    let listing = std::process::Command::new("tar")
        .arg("-tvf")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        listing.status.success(),
        "{}",
        String::from_utf8_lossy(&listing.stderr)
    );
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x") && l.ends_with(" run.sh")),
        "{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with('l') && l.ends_with("link -> run.sh")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("{long_dir}/{long_file}.txt")),
        "{listing}"
    );
    assert!(listing.contains(".dockerignore"));
    assert!(!listing.contains("debug.log"), "{listing}");
    assert!(!listing.contains("outside.txt"));
    assert!(!listing.contains("new.txt"));

    let out = repo.aux.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let extracted = std::process::Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&out)
        .status()
        .unwrap();
    assert!(extracted.success());
    assert_eq!(
        std::fs::read_to_string(out.join("run.sh")).unwrap(),
        "#!/bin/sh\necho hi\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join(&long_dir).join(format!("{long_file}.txt"))).unwrap(),
        "long\n"
    );
}

#[test]
fn error_findings_stop_the_deploy_before_docker() {
    let repo = Repo::new();
    two_pipelines(&repo, "127.0.0.1:5000/pachhook-test/findings", "");
    let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
    repo.write(
        "pachhook.toml",
        &format!("[specs]\npaths = [\"pipelines/*.json\"]\n\n{toml}"),
    );
    repo.write(
        "pipelines/broken.json",
        "{\"pipeline\": {\"name\": \"broken\"},,}\n",
    );
    repo.commit_all("broken spec");

    let run = repo.pachhook_env(
        &["deploy"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
        None,
    );
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr.contains("pipelines/broken.json"),
        "the finding is shown: {run}"
    );
    assert!(run.stderr.contains("error finding"), "{run}");
    assert!(
        !run.stderr.contains("Docker engine"),
        "stopped before Docker: {run}"
    );
    assert!(repo.calls().is_empty());
}

#[test]
fn deploy_configuration_errors_name_file_and_line() {
    let repo = Repo::new();
    repo.write("pachhook.toml", "[deploy]\nenabled = true\npin = \"sha\"\n");
    repo.commit_all("bad pin");
    let run = repo.pachhook(&["deploy", "--dry-run"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("pachhook.toml:3:"), "{run}");
    assert!(
        run.stderr.contains("tag") && run.stderr.contains("digest"),
        "{run}"
    );

    repo.write(
        "pachhook.toml",
        "[deploy]\nenabled = true\non_failure = \"ignore\"\n",
    );
    repo.commit_all("bad on_failure");
    let run = repo.pachhook(&["deploy", "--dry-run"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("pachhook.toml:3:"), "{run}");

    repo.write(
        "pachhook.toml",
        "[deploy]\nbranches = [\"main\", \"release/[\"]\n",
    );
    repo.commit_all("bad glob");
    let run = repo.pachhook(&["deploy", "--dry-run"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("pachhook.toml:2:"), "{run}");

    repo.write(
        "pachhook.toml",
        "[[build]]\nimage = \"r.example.com/edges:latest\"\ncontext = \"images/edges\"\n",
    );
    repo.commit_all("tagged build image");
    let run = repo.pachhook(&["deploy", "--dry-run"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("pachhook.toml:2:"), "{run}");
    assert!(run.stderr.contains("without a tag"), "{run}");

    // A local file overrides how this machine reaches the cluster, key by key.
    repo.write(
        "pachhook.toml",
        "[deploy]\nenabled = true\nbranches = [\"main\", \"release/*\"]\npin = \"digest\"\ncontext = \"prod\"\npachctl_timeout = \"90s\"\n",
    );
    repo.write("pachhook.local.toml", "[deploy]\ncontext = \"staging\"\n");
    let config = Config::load(repo.path()).unwrap();
    assert_eq!(config.deploy.context.as_deref(), Some("staging"));
    assert_eq!(config.deploy.pin, pachhook::config::Pin::Digest);
    assert_eq!(
        config.deploy.pachctl_timeout,
        std::time::Duration::from_secs(90)
    );
    assert!(config.deploy.deploys_branch("release/2.1"));
    assert!(!config.deploy.deploys_branch("feature/x"));
    // A duration pachhook cannot read is refused where it is written.
    repo.write(
        "pachhook.toml",
        "[deploy]\nenabled = true\npachctl_timeout = \"5 minutes\"\n",
    );
    repo.commit_all("bad timeout");
    let run = repo.pachhook(&["deploy", "--dry-run"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("pachhook.toml:3:") && run.stderr.contains("pachctl_timeout"),
        "{run}"
    );
}

#[test]
fn a_missing_build_context_is_a_configuration_error() {
    let repo = Repo::new();
    two_pipelines(&repo, "127.0.0.1:5000/pachhook-test/nocontext", "");
    let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
    repo.write(
        "pachhook.toml",
        &toml.replace("images/edges", "images/missing"),
    );
    repo.commit_all("missing context");
    let run = repo.pachhook(&["deploy", "--dry-run"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("images/missing"), "{run}");
    assert!(repo.calls().is_empty());
}

/// A change is a change of what the image or the spec would hold, not of paths: the
/// attributes, names that are not UTF-8 and `.dockerignore` count as the deploy would
/// send the context.
#[test]
fn what_the_image_would_hold_decides_a_rebuild() {
    let repo = Repo::new();
    let image = "registry.example.com/vision/edges";
    two_pipelines(&repo, image, "");
    let first = repo.commit_all("first");
    let rebuilt = (
        vec![image.to_string()],
        vec!["edges".to_string(), "montage".to_string()],
    );

    // Only the top `.gitattributes`, outside the context: the context's files now
    // check out with CRLF.
    repo.write(".gitattributes", "*.txt eol=crlf\n");
    let attributes = repo.commit_all("attributes");
    assert_eq!(
        names(&plan_for(&repo, Some(&first), &attributes)),
        rebuilt,
        "an attribute that changes the checkout rebuilds"
    );

    // Only a file whose name is not UTF-8.
    let path = repo
        .path()
        .join(std::ffi::OsStr::from_bytes(b"images/edges/caf\xe9.txt"));
    std::fs::write(path, "latin-1\n").unwrap();
    let latin = repo.commit_all("latin-1 name");
    assert_eq!(names(&plan_for(&repo, Some(&attributes), &latin)), rebuilt);

    // A file `.dockerignore` leaves out changes nothing that is sent.
    repo.write("images/edges/.dockerignore", "*.md\n");
    let ignore = repo.commit_all("dockerignore");
    assert_eq!(names(&plan_for(&repo, Some(&latin), &ignore)), rebuilt);
    repo.write("images/edges/NOTES.md", "not sent\n");
    let notes = repo.commit_all("notes");
    assert_eq!(
        names(&plan_for(&repo, Some(&ignore), &notes)),
        (vec![], vec![]),
        "nothing the engine would get changed"
    );

    // An attribute change that gives no file of the context anything new.
    repo.write(".gitattributes", "*.txt eol=crlf\n*.png binary\n");
    let unrelated = repo.commit_all("unrelated attribute");
    let plan = plan_for(&repo, Some(&notes), &unrelated);
    assert_eq!(names(&plan), (vec![], vec![]));
}

/// A `[[template]]` instance whose `args` change renders another spec: it is updated,
/// though no spec file changed.
#[test]
fn a_template_instance_whose_args_change_is_updated() {
    let repo = Repo::new();
    let config = |b: &str| {
        format!(
            "[deploy]\nenabled = true\npachctl = \"{}\"\n\n[[template]]\npath = \"t/edges.jsonnet\"\nargs = {{ suffix = \"a\" }}\n\n[[template]]\npath = \"t/edges.jsonnet\"\nargs = {{ suffix = \"b\", mode = \"{b}\" }}\n",
            pachctl()
        )
    };
    repo.write("pachhook.toml", &config("fast"));
    repo.write(
        "t/edges.jsonnet",
        "function(suffix, mode='fast') {\n  pipeline: { name: 'edges-' + suffix },\n  transform: { image: 'team/edges:1.0', env: { M: mode } },\n  input: { pfs: { repo: 'images', glob: '/*' } },\n}\n",
    );
    let first = repo.commit_all("template");
    repo.write("pachhook.toml", &config("slow"));
    let second = repo.commit_all("args only");
    assert_eq!(
        names(&plan_for(&repo, Some(&first), &second)),
        (vec![], vec!["edges-b".to_string()])
    );
}

/// The entry point the pre-push hook calls: branch globs and `on_failure`, from the
/// settings of the pushed commit.
#[test]
fn on_push_follows_branches_and_on_failure() {
    let repo = Repo::new();
    two_pipelines(&repo, "127.0.0.1:5000/pachhook-test/onpush", "");
    let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
    repo.write(
        "pachhook.toml",
        &format!("[specs]\npaths = [\"pipelines/*.json\"]\n\n{toml}\nbranches = [\"main\", \"release/*\"]\n"),
    );
    repo.write("pipelines/broken.json", "{\"pipeline\": \"broken\",,}\n");
    let sha = repo.commit_all("broken spec");
    // A remote with a fetch refspec: its acceptance of a push can be seen.
    repo.git(&["remote", "add", "origin", "/nonexistent"]);
    let opened = pachhook::repo::Repo::open(repo.path()).unwrap();
    let new = git2::Oid::from_str(&sha).unwrap();
    let origin = pachhook::deploy::PushTarget {
        remote: "origin",
        can_wait: true,
    };
    let push = |branch: &str| {
        pachhook::deploy::on_push(
            &opened,
            origin,
            &[pachhook::deploy::Pushed {
                branch: branch.into(),
                old: None,
                new,
            }],
        )
        .status
    };
    assert_eq!(push("feature/x"), ExitStatus::Ok, "not a deploy branch");
    assert_eq!(
        push("release/2.1"),
        ExitStatus::Findings,
        "findings refuse the push"
    );

    repo.write("pachhook.local.toml", "[deploy]\non_failure = \"warn\"\n");
    assert_eq!(push("main"), ExitStatus::Ok, "warn lets the push go on");

    // Whether a branch deploys is the pushed commit's to say, not the local file's.
    repo.write("pachhook.local.toml", "[deploy]\nenabled = false\n");
    assert_eq!(push("main"), ExitStatus::Usage, "{:?}", repo.calls());
    std::fs::remove_file(repo.path().join("pachhook.local.toml")).unwrap();
    let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
    repo.write(
        "pachhook.toml",
        &toml.replace("enabled = true", "enabled = false"),
    );
    let disabled = git2::Oid::from_str(&repo.commit_all("disabled")).unwrap();
    assert_eq!(
        pachhook::deploy::on_push(
            &opened,
            origin,
            &[pachhook::deploy::Pushed {
                branch: "main".into(),
                old: None,
                new: disabled,
            }],
        )
        .status,
        ExitStatus::Ok,
        "disabled"
    );
    assert!(repo.calls().is_empty());
}

/// `[deploy] reprocess = true` on a cron pipeline: the deploy warns for the pipeline it
/// updates with `--reprocess` (Pachyderm issue 6218), and still deploys.
#[test]
fn deploy_warns_when_reprocess_replays_a_cron() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        &format!(
            "[deploy]\nenabled = true\nreprocess = true\npachctl = \"{}\"\n",
            pachctl()
        ),
    );
    repo.write(
        "tick.yaml",
        "pipeline: {name: tick}\ntransform: {image: team/tick:1.0}\ninput: {cron: {name: t, spec: \"@hourly\"}}\n",
    );
    repo.write(
        "plain.yaml",
        "pipeline: {name: plain}\ntransform: {image: team/plain:1.0}\ninput: {pfs: {repo: r, glob: /}}\n",
    );
    repo.commit_all("cron");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("replays every past tick"))
        .collect();
    assert_eq!(warnings.len(), 1, "{run}");
    assert!(warnings[0].contains("tick (tick.yaml)"), "{run}");
    let calls = repo.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls.iter().all(|c| c.argv.contains("--reprocess")),
        "{calls:?}"
    );
}

/// A `[[template]]` instance deploys like a spec file: pachctl receives the JSON the
/// instance renders to.
#[test]
fn deploy_sends_what_each_template_instance_renders() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        &format!(
            "[deploy]\nenabled = true\npachctl = \"{}\"\n\n[[template]]\npath = \"t/edges.jsonnet\"\nargs = {{ suffix = \"a\" }}\n\n[[template]]\npath = \"t/edges.jsonnet\"\nargs = {{ suffix = \"b\" }}\n",
            pachctl()
        ),
    );
    repo.write(
        "t/edges.jsonnet",
        "function(suffix) {\n  pipeline: { name: 'edges-' + suffix },\n  transform: { image: 'team/edges:1.0', env: { S: suffix } },\n  input: { pfs: { repo: 'images', glob: '/*' } },\n}\n",
    );
    repo.commit_all("template");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let calls = repo.calls();
    let sent: Vec<(String, String)> = calls
        .iter()
        .map(|c| {
            (
                c.spec["pipeline"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                c.spec["transform"]["env"]["S"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            ("edges-a".to_string(), "a".to_string()),
            ("edges-b".to_string(), "b".to_string())
        ],
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .all(|c| c.argv == "update pipeline -f - --project default"),
        "{calls:?}"
    );
}

/// A `[[template]]` file is a spec file whatever `[specs] paths` says, for deploy as for
/// the checks (`Config::selector`): its instance is deployed with the specs the globs
/// pick.
#[test]
fn deploy_sends_a_template_outside_the_spec_globs() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        &format!(
            "[specs]\npaths = [\"pipelines/*.json\"]\n\n[deploy]\nenabled = true\npachctl = \"{}\"\n\n[[template]]\npath = \"t/edges.jsonnet\"\nargs = {{ suffix = \"a\" }}\n",
            pachctl()
        ),
    );
    repo.write(
        "t/edges.jsonnet",
        "function(suffix) {\n  pipeline: { name: 'edges-' + suffix },\n  transform: { image: 'team/edges:1.0' },\n  input: { pfs: { repo: 'images', glob: '/*' } },\n}\n",
    );
    repo.write(
        "pipelines/montage.json",
        r#"{"pipeline": {"name": "montage"}, "transform": {"image": "team/montage:1.0"}, "input": {"pfs": {"repo": "edges-a", "glob": "/"}}}"#,
    );
    repo.commit_all("template and spec");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let mut sent: Vec<String> = repo
        .calls()
        .iter()
        .map(|c| {
            c.spec["pipeline"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    sent.sort();
    assert_eq!(sent, ["edges-a", "montage"], "{run}");
}
