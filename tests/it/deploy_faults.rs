//! The faults of a deploy. The rule they all check: no pipeline is ever updated to an
//! image the registry does not have, so every fault before the updates leaves pachctl
//! uncalled; each says in one line what failed and how to retry, and exits 3.

use std::os::unix::fs::PermissionsExt;

use crate::support::*;

const FAILED: Option<i32> = Some(3);

fn docker_config_with_auths(repo: &Repo, registry: &str, user: &str, password: &str) {
    let auth = base64(format!("{user}:{password}").as_bytes());
    std::fs::write(
        repo.docker_config().join("config.json"),
        format!(r#"{{"auths": {{"{registry}": {{"auth": "{auth}"}}}}}}"#),
    )
    .expect("docker config");
}

#[test]
fn auth_registry_with_a_credential_helper() {
    let Some(svc) = services() else { return };
    let (repo, _, name) = managed_repo(&svc.auth_registry, "auth", "");
    let sha = repo.commit_all("auth");

    // A credential helper answers from its standard input, as docker-credential-* do,
    // and logs its arguments so the test can see no secret was passed there.
    let bin = repo.aux.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-pachhooktest");
    let argv_log = repo.aux.path().join("helper-argv.log");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nread server\n[ \"$server\" = '{}' ] || exit 1\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{}\",\"Secret\":\"{}\"}}' \"$server\"\n",
            argv_log.display(),
            svc.auth_registry,
            svc.user,
            svc.password
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        repo.docker_config().join("config.json"),
        format!(
            r#"{{"credHelpers": {{"{}": "pachhooktest"}}}}"#,
            svc.auth_registry
        ),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), test_path());

    let run = repo.pachhook_env(&["deploy"], &[("PATH", &path)], None);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        manifest_digest(
            &svc.auth_registry,
            &name,
            &sha,
            Some((&svc.user, &svc.password))
        )
        .is_some(),
        "pushed to the authenticated registry"
    );
    assert_eq!(repo.calls().len(), 2);
    let argv = std::fs::read_to_string(&argv_log).unwrap();
    assert!(argv.lines().all(|l| l == "get"), "helper argv: {argv}");
    assert!(
        !run.all().contains(&svc.password),
        "the secret never shows: {run}"
    );
}

#[test]
fn auth_registry_with_auths_in_docker_config() {
    let Some(svc) = services() else { return };
    let (repo, _, name) = managed_repo(&svc.auth_registry, "auths", "");
    let sha = repo.commit_all("auths");
    docker_config_with_auths(
        &repo,
        &format!("http://{}", svc.auth_registry),
        &svc.user,
        &svc.password,
    );

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        manifest_digest(
            &svc.auth_registry,
            &name,
            &sha,
            Some((&svc.user, &svc.password))
        )
        .is_some()
    );
    assert!(!run.all().contains(&svc.password), "{run}");
}

#[test]
fn wrong_password_is_refused_before_anything_is_updated() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.auth_registry, "refused", "");
    repo.commit_all("refused");
    let wrong = "not-the-password-4711";
    docker_config_with_auths(&repo, &svc.auth_registry, &svc.user, wrong);

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, FAILED, "{run}");
    assert!(run.stderr.contains("refused the credentials"), "{run}");
    assert!(
        run.stderr.contains("docker login"),
        "says how to fix it: {run}"
    );
    assert!(!run.all().contains(wrong), "credentials never shown: {run}");
    assert!(
        !run.all()
            .contains(&base64(format!("{}:{wrong}", svc.user).as_bytes()))
    );
    assert!(repo.calls().is_empty(), "pachctl not called");
    assert_eq!(repo.note("HEAD"), None);

    // Without any credentials the registry refuses too, and says where they are looked up.
    std::fs::remove_file(repo.docker_config().join("config.json")).unwrap();
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, FAILED, "{run}");
    assert!(run.stderr.contains("no credentials for"), "{run}");
}

#[test]
fn a_build_failure_shows_the_dockerfile_error_and_updates_nothing() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "broken", "");
    repo.write(
        "images/edges/Dockerfile",
        "FROM scratch\nCOPY does-not-exist.txt /x\n",
    );
    repo.commit_all("broken");

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, FAILED, "{run}");
    let last = run.stderr.lines().last().unwrap_or("");
    assert!(
        last.contains("building") && last.contains("failed"),
        "{run}"
    );
    assert!(
        last.contains("does-not-exist.txt"),
        "the engine's own message: {run}"
    );
    assert!(last.contains("no pipeline was updated"), "{run}");
    assert!(repo.calls().is_empty(), "pachctl not called");

    repo.write("images/edges/Dockerfile", "FROM scratch\nFLY away\n");
    repo.commit_all("unknown instruction");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, FAILED, "{run}");
    assert!(
        run.stderr.to_lowercase().contains("unknown instruction"),
        "{run}"
    );
    assert!(repo.calls().is_empty());
}

#[test]
fn a_registry_that_is_down_stops_the_deploy() {
    let Some(_svc) = services() else { return };
    // Nothing listens on this port.
    let image = format!("127.0.0.1:5049/{}", unique("down"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, "");
    let sha = repo.commit_all("down");

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, FAILED, "{run}");
    let last = run.stderr.lines().last().unwrap_or("");
    assert!(
        last.contains("registry 127.0.0.1:5049 is not answering"),
        "{run}"
    );
    assert!(
        last.contains(&format!("retry: pachhook deploy {sha}")),
        "{run}"
    );
    assert!(
        !run.stderr.contains("building"),
        "asked the registry before building: {run}"
    );
    assert!(repo.calls().is_empty(), "pachctl not called");
}

/// A partial deploy is recorded: the first pipeline runs the new image, and the note
/// says so, with the second `failed` (its error) and the rest `not attempted`.
#[test]
fn a_failing_pachctl_shows_its_stderr_and_the_note_records_each_pipeline() {
    let Some(svc) = services() else { return };
    let (repo, image, _) = managed_repo(&svc.registry, "pachctl", "");
    repo.write(
        "pipelines/c_third.json",
        &format!(
            r#"{{"pipeline": {{"name": "third"}}, "transform": {{"image": "{image}", "cmd": ["/t"]}}, "input": {{"pfs": {{"repo": "montage", "glob": "/"}}}}}}"#
        ),
    );
    let sha = repo.commit_all("pachctl fails");

    let run = repo.pachhook_env(&["deploy"], &[("PACHCTL_FAIL_ON", "montage")], None);
    assert_eq!(run.code, FAILED, "{run}");
    assert!(
        run.stderr.contains("the cluster refused the update"),
        "pachctl's stderr: {run}"
    );
    let last = run.stderr.lines().last().unwrap_or("");
    assert!(
        last.contains("pachctl failed on pipeline default/montage"),
        "{run}"
    );
    assert!(last.contains("already updated: default/edges"), "{run}");
    assert_eq!(repo.calls().len(), 2, "third is not attempted");

    let note = repo.note("HEAD").expect("a partial deploy is recorded");
    assert_eq!(note["commit"], sha.as_str());
    assert_eq!(note["outcome"], "failed");
    assert!(
        note["error"]
            .as_str()
            .unwrap_or("")
            .contains("default/montage"),
        "{note}"
    );
    assert!(
        note["images"][0]["digest"]
            .as_str()
            .unwrap_or("")
            .starts_with("sha256:")
    );
    let statuses: Vec<_> = note["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("edges".to_string(), "updated".to_string()),
            ("montage".to_string(), "failed".to_string()),
            ("third".to_string(), "not attempted".to_string()),
        ]
    );
    assert!(
        note["pipelines"][1]["error"]
            .as_str()
            .unwrap_or("")
            .contains("the cluster refused the update"),
        "{note}"
    );
    assert!(
        run.stdout.contains(&sha),
        "the summary names the full SHA: {run}"
    );
}

#[test]
fn a_missing_pachctl_is_named() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "nopachctl", "");
    let image_name = |repo: &Repo| {
        let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
        let line = toml
            .lines()
            .find(|l| l.starts_with("image = "))
            .unwrap()
            .to_string();
        let image = line
            .trim_start_matches("image = ")
            .trim_matches('"')
            .to_string();
        image.split_once('/').unwrap().1.to_string()
    };
    let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
    repo.write(
        "pachhook.toml",
        &toml.replace(
            "pachctl = \"pachctl\"",
            "pachctl = \"pachctl-not-installed\"",
        ),
    );
    repo.commit_all("no pachctl");

    let sha = repo.git(&["rev-parse", "HEAD"]);
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, FAILED, "{run}");
    assert!(
        run.stderr.contains("`pachctl-not-installed` not found"),
        "{run}"
    );
    assert!(run.stderr.contains("before building anything"), "{run}");
    assert!(run.stderr.contains("no pipeline was updated"), "{run}");
    // Found before anything is built or pushed.
    assert!(
        !run.stderr.lines().any(|l| l.starts_with("building")),
        "{run}"
    );
    let name = image_name(&repo);
    assert_eq!(manifest_digest(&svc.registry, &name, &sha, None), None);
    assert_eq!(repo.note("HEAD"), None);
}

#[test]
fn ctrl_c_during_the_build_stops_before_any_update() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "interrupt", "");
    // Enough context that the build is still running when the signal comes.
    let big: String = (0..400_000).map(|i| format!("{i:015}\n")).collect();
    repo.write("images/edges/big.txt", &big);
    repo.write(
        "images/edges/Dockerfile",
        "FROM scratch\nCOPY big.txt /big1\nCOPY big.txt /big2\nCOPY big.txt /big3\nCOPY message.txt /message.txt\n",
    );
    repo.commit_all("interrupt");

    let mut child = repo
        .command(BIN)
        .arg("deploy")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut seen = String::new();
        let mut lines = std::io::BufReader::new(stderr).lines();
        let mut sent = false;
        while let Some(Ok(line)) = lines.next() {
            if !sent && line.starts_with("building") {
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
    assert_eq!(status.code(), FAILED, "{stderr}");
    assert!(
        stderr.contains("interrupted (Ctrl-C, SIGTERM or SIGHUP)"),
        "{stderr}"
    );
    assert!(repo.calls().is_empty(), "pachctl not called");
}

#[test]
fn a_docker_engine_that_does_not_answer_stops_the_deploy() {
    // Needs no Docker: the engine is pointed at a socket nobody listens on.
    let repo = Repo::new();
    two_pipelines(&repo, "127.0.0.1:5000/pachhook-test/nodocker", "");
    repo.commit_all("no docker");
    let socket = repo.aux.path().join("no-docker.sock");
    let host = format!("unix://{}", socket.display());

    let run = repo.pachhook_env(&["deploy"], &[("DOCKER_HOST", &host)], None);
    assert_eq!(run.code, FAILED, "{run}");
    let last = run.stderr.lines().last().unwrap_or("");
    assert!(last.contains("the Docker engine is not answering"), "{run}");
    assert!(last.contains("retry: pachhook deploy"), "{run}");
    assert!(repo.calls().is_empty());
}
