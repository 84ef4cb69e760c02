//! A deploy ships exactly the commit it names: its `[[build]]` and `[deploy]` come from
//! the `pachhook.toml` of that commit, never from the working tree or the branch that is
//! checked out; `pachhook.local.toml` only says how this machine reaches the cluster.

use std::os::unix::fs::PermissionsExt;

use crate::support::*;

/// A repository whose image copies `<MODE>.txt` (a build argument) to `/mode.txt`, with
/// `build_args = { MODE = "<mode>" }` in `pachhook.toml`: (repository, image, name).
fn mode_repo(registry: &str, name: &str, mode: &str) -> (Repo, String, String) {
    let (repo, image, name) = managed_repo(registry, name, "");
    repo.write(
        "images/edges/Dockerfile",
        "FROM scratch\nARG MODE\nCOPY ${MODE}.txt /mode.txt\n",
    );
    repo.write("images/edges/prod.txt", "prod\n");
    repo.write("images/edges/debug.txt", "debug\n");
    set_mode(&repo, mode);
    (repo, image, name)
}

/// Rewrites the `[[build]]` block of `pachhook.toml` with `build_args.MODE = mode`.
fn set_mode(repo: &Repo, mode: &str) {
    let path = repo.path().join("pachhook.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("build_args") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with("context = \"images/edges\"") {
            out.push_str(&format!("build_args = {{ MODE = \"{mode}\" }}\n"));
        }
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn build_settings_come_from_the_commit_not_the_working_tree() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = mode_repo(&svc.registry, "settings", "prod");
    let sha = repo.commit_all("prod build");
    // An uncommitted edit of the settings must not reach the image tagged with the SHA.
    set_mode(&repo, "debug");

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(
        file_in_pulled_image(&format!("{image}:{sha}"), "/mode.txt").as_deref(),
        Some("prod\n"),
        "the committed build_args, not the working tree's: {run}"
    );
}

#[test]
fn deploying_another_commit_uses_that_commits_settings() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = mode_repo(&svc.registry, "otherrev", "prod");
    let release = repo.commit_all("prod build");
    repo.git(&["branch", "release"]);
    set_mode(&repo, "debug");
    repo.write("pachhook.toml", &{
        let text = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
        text.replace("context = \"test-cluster\"", "context = \"dev-cluster\"")
    });
    repo.commit_all("debug build on main");

    // main (debug) is checked out; the release commit deploys with its own settings.
    let run = repo.pachhook(&["deploy", "release"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(
        file_in_pulled_image(&format!("{image}:{release}"), "/mode.txt").as_deref(),
        Some("prod\n"),
        "{run}"
    );
    let calls = repo.calls();
    assert!(!calls.is_empty(), "{run}");
    assert!(
        calls.iter().all(|c| c.context == "test-cluster"),
        "[deploy] of the deployed commit: {calls:?}"
    );
}

#[test]
fn the_local_file_says_only_how_this_machine_reaches_the_cluster() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = managed_repo(&svc.registry, "localfile", "");
    repo.write(".gitignore", "pachhook.local.toml\n");
    let sha = repo.commit_all("edges");

    repo.write(
        "pachhook.local.toml",
        "[deploy]\ncontext = \"my-cluster\"\non_failure = \"warn\"\n",
    );
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let calls = repo.calls();
    assert!(
        !calls.is_empty() && calls.iter().all(|c| c.context == "my-cluster"),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .all(|c| c.spec["transform"]["image"] == format!("{image}:{sha}").as_str())
    );

    // What goes into an image or a spec is the commit's alone.
    for (text, key) in [
        ("[deploy]\npin = \"digest\"\n", "[deploy] pin"),
        ("[deploy]\nproject = \"other\"\n", "[deploy] project"),
        (
            "[[build]]\nimage = \"127.0.0.1:5000/x\"\ncontext = \"images/edges\"\n",
            "[[build]]",
        ),
    ] {
        repo.write("pachhook.local.toml", text);
        let run = repo.pachhook(&["deploy"]);
        assert_eq!(run.code, Some(2), "{text}: {run}");
        assert!(
            run.stderr.contains("pachhook.local.toml:") && run.stderr.contains(key),
            "names the file, line and key: {run}"
        );
        assert!(
            run.stderr.contains("commit"),
            "says why (the deployed commit's pachhook.toml decides): {run}"
        );
    }
}

#[test]
fn a_broken_pachhook_toml_in_the_commit_is_reported_at_the_commit() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "brokenteam", "");
    repo.write("pachhook.toml", "[deploy]\nenabled = \"yes\"\n");
    let sha = repo.commit_all("broken settings");
    // A fixed working tree does not hide the commit's error.
    repo.write("pachhook.toml", "[deploy]\nenabled = true\n");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr
            .contains(&format!("{}:pachhook.toml:2:", &sha[..12])),
        "the commit's file, line: {run}"
    );
}

/// The `[[build]]` block of `pachhook.toml` with its `build_args` replaced.
fn with_mode(repo: &Repo, mode: &str) -> String {
    set_mode(repo, mode);
    repo.commit_all(&format!("{mode} build"))
}

/// git's pre-push input for `main` from `old` to `new`, the hook's run, then (when it
/// let the push go on) the remote's acceptance of each ref: both runs, as one.
fn pre_push(repo: &Repo, lines: &[(&str, &str, &str)], env: &[(&str, &str)]) -> Run {
    repo.with_origin();
    let zero = "0".repeat(40);
    let stdin: String = lines
        .iter()
        .map(|(branch, old, new)| {
            let old = if old.is_empty() { zero.as_str() } else { old };
            format!("refs/heads/{branch} {new} refs/heads/{branch} {old}\n")
        })
        .collect();
    let mut run = repo.pachhook_env(&["run", "pre-push", "origin"], env, Some(&stdin));
    if run.code == Some(0) {
        for (branch, old, new) in lines {
            let accepted = repo.accept(branch, old, new, env);
            run.stdout.push_str(&accepted.stdout);
            run.stderr.push_str(&accepted.stderr);
            run.code = accepted.code;
        }
    }
    run
}

#[test]
fn a_change_of_the_build_settings_alone_rebuilds_and_updates() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = mode_repo(&svc.registry, "settingschange", "prod");
    let first = repo.commit_all("prod build");
    let second = with_mode(&repo, "debug");

    let run = pre_push(&repo, &[("main", &first, &second)], &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        !run.stderr.contains("nothing to deploy"),
        "a [[build]] change is a change: {run}"
    );
    assert_eq!(
        file_in_pulled_image(&format!("{image}:{second}"), "/mode.txt").as_deref(),
        Some("debug\n"),
        "{run}"
    );
    let names: Vec<_> = repo
        .calls()
        .iter()
        .map(|c| c.spec["pipeline"]["name"].clone())
        .collect();
    assert_eq!(names, ["edges", "montage"], "its pipelines are updated");

    // An edit elsewhere in pachhook.toml changes no image.
    repo.write(
        "pachhook.toml",
        &format!(
            "# a comment\n{}",
            std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap()
        ),
    );
    let third = repo.commit_all("comment only");
    let run = pre_push(&repo, &[("main", &second, &third)], &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stderr.contains("nothing to deploy"), "{run}");
}

#[test]
fn two_builds_of_one_image_are_a_configuration_error() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        "[[build]]\nimage = \"docker.io/team/stages\"\ncontext = \"img\"\ntarget = \"one\"\npipelines = [\"p\"]\n\n[[build]]\nimage = \"team/stages\"\ncontext = \"img\"\ntarget = \"two\"\npipelines = [\"q\"]\n",
    );
    repo.write(
        "img/Dockerfile",
        "FROM scratch AS one\nFROM scratch AS two\n",
    );
    repo.commit_all("two targets, one image");
    for args in [&["check", "--all"][..], &["deploy", "--dry-run"][..]] {
        let run = repo.pachhook(args);
        assert_eq!(run.code, Some(2), "{args:?}: {run}");
        assert!(
            run.stderr.contains("pachhook.toml:8:") && run.stderr.contains("pachhook.toml:2"),
            "both blocks, file:line: {run}"
        );
        assert!(run.stderr.contains("team/stages"), "{run}");
    }
}

#[test]
fn a_build_image_is_parsed_where_it_is_written() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        "[[build]]\nimage = \"registry.example.com/Team/edges\"\ncontext = \"img\"\n",
    );
    repo.commit_all("uppercase");
    let run = repo.pachhook(&["check", "--all"]);
    assert_eq!(run.code, Some(2), "{run}");
    // The column of the offending character: `T` of `Team`.
    assert!(run.stderr.contains("pachhook.toml:2:31:"), "{run}");

    // Credentials in a reference are never echoed.
    repo.write(
        "pachhook.toml",
        "[[build]]\nimage = \"bob:s3cret@registry.example.com/edges\"\ncontext = \"img\"\n",
    );
    let run = repo.pachhook(&["check", "--all"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(!run.all().contains("s3cret"), "{run}");
    assert!(
        run.stderr.contains("`***@registry.example.com/edges`"),
        "the reference is shown, its userinfo redacted: {run}"
    );
}

/// `docker.io/team/edges` in `[[build]]`, `team/edges` in the spec: one image. The spec
/// reaches pachctl with the commit's tag, not untagged (which means `latest`).
#[test]
fn one_image_in_two_spellings_gets_the_commit_tag() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        &format!(
            "[[build]]\nimage = \"docker.io/team/edges\"\ncontext = \"img\"\n\n[deploy]\npachctl = \"{}\"\n",
            pachctl()
        ),
    );
    repo.write("img/Dockerfile", "FROM scratch\n");
    repo.write(
        "edges.json",
        r#"{"pipeline": {"name": "edges"}, "transform": {"image": "team/edges", "cmd": ["/e"]}, "input": {"pfs": {"repo": "in", "glob": "/"}}}"#,
    );
    let sha = repo.commit_all("two spellings");
    let check = repo.pachhook(&["check", "--all"]);
    assert_eq!(check.code, Some(0), "managed, no floating-tag: {check}");
    let run = repo.pachhook(&["deploy", "--dry-run"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stdout
            .contains(&format!("\"image\": \"docker.io/team/edges:{sha}\"")),
        "the spec names the commit's tag: {run}"
    );
}

#[test]
fn a_hung_pachctl_is_killed_after_pachctl_timeout() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "hung", "pachctl_timeout = \"2s\"");
    repo.commit_all("hung cluster");
    let run = repo.pachhook_env(&["deploy"], &[("PACHCTL_SLEEP", "60")], None);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.elapsed < std::time::Duration::from_secs(40),
        "bounded: {:?}\n{run}",
        run.elapsed
    );
    assert!(
        run.stderr
            .contains("pachctl timed out after 2s updating default/edges"),
        "{run}"
    );
    assert!(
        run.stderr.contains("updating pipeline default/edges"),
        "says which pipeline before the call: {run}"
    );
    assert_eq!(repo.calls().len(), 1, "no further pipeline");
    let note = repo.note("HEAD").expect("recorded");
    assert_eq!(note["pipelines"][0]["status"], "failed");
    assert_eq!(note["pipelines"][1]["status"], "not attempted");
    // pachctl ran in a process group of its own, and nothing of it outlives the
    // timeout: not the stand-in, not the `sleep` it started.
    let mut log = repo.pachctl_log().into_os_string();
    log.push(".pgid");
    let pgid: i32 = std::fs::read_to_string(&log)
        .expect("the stand-in recorded its process group")
        .trim()
        .parse()
        .unwrap();
    let ours = std::fs::read_to_string("/proc/self/stat").unwrap();
    assert_ne!(
        Some(pgid),
        stat_pgid(&ours).map(|(_, g)| g),
        "a group of its own"
    );
    // SIGKILL is delivered at once; a killed process is gone (or a zombie) moments later.
    let living = || -> Vec<String> {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
            .filter(|stat| stat_pgid(stat).is_some_and(|(state, g)| g == pgid && state != 'Z'))
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !living().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        living(),
        Vec::<String>::new(),
        "processes of pachctl's group {pgid} outlived the timeout"
    );
}

/// The state and process group of a `/proc/<pid>/stat` line (after the command name,
/// which may hold spaces: state, ppid, pgrp).
fn stat_pgid(stat: &str) -> Option<(char, i32)> {
    let mut fields = stat.rsplit_once(") ")?.1.split(' ');
    let state = fields.next()?.chars().next()?;
    let pgid = fields.nth(1)?.parse().ok()?;
    Some((state, pgid))
}

#[test]
fn ctrl_c_while_updating_lets_the_call_finish_and_stops() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "ctrlc", "");
    repo.commit_all("interrupt the updates");

    let mut child = repo
        .command(BIN)
        .arg("deploy")
        .env("PACHCTL_SLEEP", "3")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut seen = String::new();
        let mut sent = false;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if !sent && line.starts_with("updating pipeline") {
                std::thread::sleep(std::time::Duration::from_millis(500));
                let _ = std::process::Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status();
                sent = true;
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        (child.wait().unwrap(), seen)
    });
    let (status, stderr) = reader.join().unwrap();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("updated pipeline default/edges"),
        "the call finished: {stderr}"
    );
    assert!(
        stderr.contains("interrupted (Ctrl-C, SIGTERM or SIGHUP) while updating"),
        "{stderr}"
    );
    assert_eq!(repo.calls().len(), 1, "no further pipeline: {stderr}");
    let note = repo.note("HEAD").expect("recorded");
    assert_eq!(note["pipelines"][0]["status"], "updated");
    assert_eq!(note["pipelines"][1]["status"], "not attempted");
}

#[test]
fn pipelines_are_identified_by_project_and_name() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = managed_repo(&svc.registry, "projects", "");
    for project in ["p1", "p2"] {
        repo.write(
            &format!("pipelines/dup_{project}.json"),
            &format!(
                r#"{{"pipeline": {{"name": "dup", "project": {{"name": "{project}"}}}}, "transform": {{"image": "{image}", "cmd": ["/d"]}}, "input": {{"pfs": {{"repo": "in", "glob": "/"}}}}}}"#
            ),
        );
    }
    repo.commit_all("dup in two projects");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let calls: Vec<_> = repo
        .calls()
        .iter()
        .map(|c| (c.spec["pipeline"]["name"].clone(), c.argv.clone()))
        .collect();
    assert!(
        calls.contains(&("dup".into(), "update pipeline -f - --project p1".into())),
        "{calls:?}"
    );
    assert!(
        calls.contains(&("dup".into(), "update pipeline -f - --project p2".into())),
        "{calls:?}"
    );
    let note = repo.note("HEAD").expect("recorded");
    let noted: Vec<_> = note["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                p["project"].as_str().unwrap(),
                p["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        noted.contains(&"p1/dup".to_string()) && noted.contains(&"p2/dup".to_string()),
        "{noted:?}"
    );
}

#[test]
fn confirm_without_a_terminal_does_not_deploy() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "confirm", "confirm = true");
    let sha = repo.commit_all("confirm");
    // `setsid`: no controlling terminal, as in a GUI client or a script.
    let run = repo.pachhook_setsid(&["deploy"], None);
    assert_eq!(run.code, Some(3), "{run}");
    let last = run.stderr.lines().last().unwrap_or("");
    assert!(last.contains("no terminal"), "says why: {run}");
    assert!(
        last.contains(&format!("pachhook deploy {sha}")),
        "what to run: {run}"
    );
    assert!(repo.calls().is_empty());

    // From the hook, the push follows on_failure.
    repo.with_origin();
    let run = repo.pachhook_setsid(
        &["run", "pre-push", "origin"],
        Some(&format!(
            "refs/heads/main {sha} refs/heads/main {}\n",
            "0".repeat(40)
        )),
    );
    assert_eq!(run.code, Some(3), "block refuses the push: {run}");
    repo.write("pachhook.local.toml", "[deploy]\non_failure = \"warn\"\n");
    let run = repo.pachhook_setsid(
        &["run", "pre-push", "origin"],
        Some(&format!(
            "refs/heads/main {sha} refs/heads/main {}\n",
            "0".repeat(40)
        )),
    );
    assert_eq!(run.code, Some(0), "warn lets it go on: {run}");
    assert!(run.stderr.contains("no terminal"), "{run}");
    assert!(repo.calls().is_empty());
}

#[test]
fn a_push_of_two_deploy_branches_at_different_commits_deploys_neither() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(
        &svc.registry,
        "twobranches",
        "branches = [\"main\", \"release\"]",
    );
    let first = repo.commit_all("first");
    repo.write("images/edges/message.txt", "second\n");
    let second = repo.commit_all("second");
    let run = pre_push(
        &repo,
        &[("release", "", &first), ("main", "", &second)],
        &[],
    );
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("push them one at a time"), "{run}");
    assert!(repo.calls().is_empty());
    // The same commit on two branches is one deploy.
    let run = pre_push(
        &repo,
        &[("release", "", &second), ("main", "", &second)],
        &[],
    );
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(repo.calls().len(), 2, "{run}");
}

#[test]
fn a_credential_helper_answering_garbage_is_named() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.auth_registry, "garbage", "");
    repo.commit_all("garbage helper");
    let bin = repo.aux.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-garbage");
    std::fs::write(&helper, "#!/bin/sh\necho 'this is not JSON'\n").unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        repo.docker_config().join("config.json"),
        format!(
            r#"{{"credHelpers": {{"{}": "garbage"}}}}"#,
            svc.auth_registry
        ),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), test_path());
    let run = repo.pachhook_env(&["deploy"], &[("PATH", &path)], None);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(run.stderr.contains("docker-credential-garbage"), "{run}");
    assert!(!run.stderr.contains("fix pachhook.toml"), "{run}");
    assert!(repo.calls().is_empty());
}

#[test]
fn a_docker_host_with_userinfo_is_never_echoed() {
    let repo = Repo::new();
    two_pipelines(&repo, "127.0.0.1:5000/pachhook-test/userinfo", "");
    repo.commit_all("userinfo");
    let run = repo.pachhook_env(
        &["deploy"],
        &[("DOCKER_HOST", "tcp://bob:s3cret@127.0.0.1:1")],
        None,
    );
    assert_eq!(run.code, Some(3), "{run}");
    assert!(!run.all().contains("s3cret"), "{run}");
    assert!(
        run.all().contains("***@127.0.0.1:1"),
        "the engine's address is shown, its userinfo redacted: {run}"
    );
}

/// Without a terminal, a wait that passes 10 s is a line, not silence.
#[test]
fn a_long_wait_without_a_terminal_prints_a_line() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "slow", "");
    repo.commit_all("slow cluster");
    let run = repo.pachhook_env(&["deploy"], &[("PACHCTL_SLEEP", "12")], None);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stderr
            .contains("still updating pipeline default/edges (1/2): pachctl update pipeline (1"),
        "{run}"
    );
}

/// Progress labels name the image by its last component and the short SHA, so a label
/// and its bar fit an 80-column terminal; the summary and the note have the full SHA.
#[test]
fn progress_labels_fit_80_columns() {
    let Some(svc) = services() else { return };
    let name = format!("{}/{}", unique("a-rather-long-team-name"), "x".repeat(40));
    let image = format!("{}/{name}", svc.registry);
    let repo = Repo::new();
    two_pipelines(&repo, &image, "");
    let sha = repo.commit_all("long names");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let labels: Vec<&str> = run
        .stderr
        .lines()
        .map(str::trim_start)
        .filter(|l| {
            ["building ", "built ", "pushing "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    assert!(labels.len() >= 3, "{run}");
    for label in labels {
        assert!(label.chars().count() <= 80, "{label}");
        assert!(
            label.contains(&sha[..12]) && !label.contains(&sha),
            "{label}"
        );
    }
    assert!(run.stdout.contains(&format!("{image}:{sha}")), "{run}");
}

/// The pre-push hook on a terminal (a pty from `script`), answering `confirm` with
/// `keys` once the question is shown: (exit code, what the terminal showed).
fn pre_push_on_a_terminal(repo: &Repo, sha: &str, keys: &str) -> (i32, String) {
    use std::io::{Read, Write};
    let hook = format!(
        "printf 'refs/heads/main {sha} refs/heads/main {}\\n' | {PACHHOOK} run pre-push origin; echo EXIT=$?",
        "0".repeat(40)
    );
    let mut child = repo
        .command("script")
        .env("SHELL", "/bin/sh")
        .args(["-qec", &hook, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("script runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let shown = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let shown = shown.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shown
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let start = std::time::Instant::now();
    while !shown.lock().unwrap().contains("push without deploying") {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "no question: {}",
            shown.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    stdin.write_all(keys.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    assert!(status.success(), "script: {status:?}");
    let shown = shown.lock().unwrap().clone();
    let code = shown
        .rsplit("EXIT=")
        .next()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(-1);
    (code, shown)
}

#[test]
fn confirm_on_a_terminal_offers_deploy_refuse_or_push_without_deploying() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "ask", "confirm = true");
    let sha = repo.commit_all("ask");
    repo.with_origin();
    const DOWN: &str = "\x1b[B";
    const UP: &str = "\x1b[A";

    // The default answer refuses the push.
    let (code, shown) = pre_push_on_a_terminal(&repo, &sha, "\r");
    assert_eq!(code, 3, "{shown}");
    assert!(shown.contains("the push is refused"), "{shown}");
    assert!(repo.calls().is_empty());

    let (code, shown) = pre_push_on_a_terminal(&repo, &sha, &format!("{DOWN}\r"));
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("not deploying"), "{shown}");
    assert!(repo.calls().is_empty());
    assert_eq!(repo.note("HEAD"), None);

    let (code, shown) = pre_push_on_a_terminal(&repo, &sha, &format!("{UP}\r"));
    assert_eq!(code, 0, "{shown}");
    assert!(
        repo.calls().is_empty(),
        "nothing before the remote accepts: {shown}"
    );
    let run = repo.accept("main", "", &sha, &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(repo.calls().len(), 2, "{run}");
}

/// A credential helper that never answers holds nothing up for long: after 30 s the
/// deploy stops, naming it, before anything is built.
#[test]
fn a_hung_credential_helper_is_bounded_and_named() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.auth_registry, "hunghelper", "");
    repo.commit_all("hung helper");
    let bin = repo.aux.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-hung");
    std::fs::write(&helper, "#!/bin/sh\nsleep 600\n").unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        repo.docker_config().join("config.json"),
        format!(r#"{{"credHelpers": {{"{}": "hung"}}}}"#, svc.auth_registry),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), test_path());
    let run = repo.pachhook_env(&["deploy"], &[("PATH", &path)], None);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.elapsed < std::time::Duration::from_secs(60),
        "{:?}",
        run.elapsed
    );
    assert!(
        run.stderr
            .contains("the credential helper `docker-credential-hung` did not answer within 30s"),
        "{run}"
    );
    assert!(repo.calls().is_empty());
}
