//! Every wait of a deploy ends, and ends recorded: a registry that accepts and never
//! answers, a pachctl that exits but leaves a child holding its output or prints
//! without end, SIGTERM and SIGHUP (a cancelled CI job, a closed terminal).

use std::os::unix::fs::PermissionsExt;

use crate::support::*;

/// A pachctl wrapper in the repository's aux directory, around the stand-in, named by
/// the local file (which may name any path): `body` runs after the stand-in did.
fn wrapped_pachctl(repo: &Repo, body: &str) {
    let path = repo.aux.path().join("pachctl-wrapper");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n'{}' \"$@\"\nstatus=$?\n{body}\nexit $status\n",
            pachctl_dir().join("pachctl").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.write(".git/info/exclude", "pachhook.local.toml\n");
    repo.write(
        "pachhook.local.toml",
        &format!("[deploy]\npachctl = \"{}\"\n", path.display()),
    );
}

#[test]
fn a_registry_that_accepts_and_never_answers_is_bounded() {
    if services().is_none() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Accepts every connection and never says a word.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let (repo, _, _) = managed_repo(&addr, "silent", "registry_timeout = \"2s\"");
    repo.commit_all("silent registry");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr
            .contains(&format!("the registry {addr} is not answering")),
        "{run}"
    );
    assert!(run.stderr.contains("registry_timeout"), "{run}");
    assert!(
        run.elapsed < std::time::Duration::from_secs(30),
        "{:?}",
        run.elapsed
    );
    assert!(repo.calls().is_empty());
}

#[test]
fn pachctl_is_judged_by_its_exit_status_and_its_output_is_bounded() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "holder", "");
    let sha = repo.commit_all("edges");
    // Each update exits 0 but leaves a child holding its output, after 100,000 lines.
    wrapped_pachctl(
        &repo,
        "if [ \"$1\" = update ]; then\n  seq 1 100000\n  sleep 60 &\nfi",
    );
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.elapsed < std::time::Duration::from_secs(40),
        "not held by the child: {:?}",
        run.elapsed
    );
    assert_eq!(repo.note(&sha).unwrap()["outcome"], "deployed");
    assert!(
        run.all().contains("100000"),
        "the last lines are shown: {run}"
    );
    assert!(
        !run.all().lines().any(|l| l.trim_end().ends_with("| 50000")),
        "not every line: {run}"
    );
}

fn stop_while_updating(signal: &str) {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "signal", "");
    repo.commit_all("stopped");
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
    let pid = child.id().to_string();
    let signal = signal.to_string();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut seen = String::new();
        let mut sent = false;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if !sent && line.starts_with("updating pipeline") {
                std::thread::sleep(std::time::Duration::from_millis(500));
                let _ = std::process::Command::new("kill")
                    .args([format!("-{signal}").as_str(), &pid])
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
        "the call under way finished: {stderr}"
    );
    assert_eq!(repo.calls().len(), 1, "no further pipeline: {stderr}");
    let note = repo.note("HEAD").expect("recorded");
    assert_eq!(note["pipelines"][0]["status"], "updated");
    assert_eq!(note["pipelines"][1]["status"], "not attempted");
}

#[test]
fn sigterm_is_handled_like_ctrl_c() {
    stop_while_updating("TERM");
}

#[test]
fn sighup_is_handled_like_ctrl_c() {
    stop_while_updating("HUP");
}

#[test]
fn a_note_that_cannot_be_written_fails_naming_the_command() {
    let Some(svc) = services() else { return };
    let (repo, _, _) = managed_repo(&svc.registry, "nonote", "");
    let sha = repo.commit_all("edges");
    // Another git holds the notes ref.
    repo.write(".git/refs/notes/pachhook.lock", "");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(run.stderr.contains("not recorded"), "{run}");
    let command = run
        .stderr
        .split('`')
        .find(|s| s.starts_with("git notes --ref pachhook add"))
        .unwrap_or_else(|| panic!("names the command: {run}"))
        .to_string();
    std::fs::remove_file(repo.path().join(".git/refs/notes/pachhook.lock")).unwrap();
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    repo.git(&args);
    assert_eq!(repo.note(&sha).unwrap()["outcome"], "deployed");
}

/// 200 MB printed by pachctl: memory stays bounded (GNU time's peak resident size).
#[test]
fn pachctl_output_does_not_grow_memory() {
    let Some(svc) = services() else { return };
    assert!(
        std::path::Path::new("/usr/bin/time").exists(),
        "GNU time is installed by scripts/services.sh"
    );
    let (repo, _, _) = managed_repo(&svc.registry, "loud", "");
    repo.commit_all("edges");
    wrapped_pachctl(
        &repo,
        "if [ \"$1\" = update ]; then\n  head -c 200000000 /dev/zero | tr '\\0' 'x'\n  echo\n  echo last line\nfi",
    );
    let mut command = repo.command("/usr/bin/time");
    command.args(["-f", "peak=%M", BIN, "deploy"]);
    let run = run(command, std::time::Duration::from_secs(300));
    assert_eq!(
        run.code,
        Some(0),
        "{}",
        run.stderr.lines().last().unwrap_or("")
    );
    let peak: u64 = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak="))
        .and_then(|k| k.trim().parse().ok())
        .expect("GNU time reports the peak");
    assert!(peak < 100 * 1024, "peak {peak} KiB");
    assert!(run.stderr.contains("last line"), "the last lines are shown");
    assert!(
        run.stderr.lines().all(|l| l.len() < 2000),
        "a long line is cut"
    );
}
