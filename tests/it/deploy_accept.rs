//! A push deploys only once the remote accepted it: pre-push prepares (checks, builds,
//! pushes images) and the pipelines are updated when git updates the remote-tracking
//! ref of the pushed branch. Real bare remotes: one whose pre-receive hook refuses, a
//! fork, two clones pushing in turn, `--dry-run`, a push by URL.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::support::*;

/// A clone with two managed pipelines, the hooks installed, and `origin`, a bare
/// remote: (clone, remote).
fn setup(extra_config: &str) -> Option<(Repo, Repo)> {
    let svc = services()?;
    let image = format!("{}/{}", svc.registry, unique("accept"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, extra_config);
    repo.commit_all("edges and montage");
    let remote = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    repo.install();
    Some((repo, remote))
}

fn push(repo: &Repo, args: &[&str]) -> Run {
    let mut all = vec!["push"];
    all.extend_from_slice(args);
    repo.git_env(&all, &[], None)
}

fn head(repo: &Repo) -> String {
    repo.git(&["rev-parse", "HEAD"])
}

fn pending(repo: &Repo) -> PathBuf {
    pending_for(repo, "main")
}

fn acceptance_hook(repo: &Repo) -> PathBuf {
    repo.hooks_dir().join("reference-transaction")
}

fn updated(repo: &Repo) -> Vec<String> {
    repo.calls()
        .iter()
        .map(|c| {
            c.spec["pipeline"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

fn write_hook(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn an_accepted_push_deploys_and_leaves_no_hook_behind() {
    let Some((repo, remote)) = setup("") else {
        return;
    };
    let sha = head(&repo);
    assert!(
        !acceptance_hook(&repo).exists(),
        "nothing waits: commits and checkouts run no reference-transaction hook"
    );
    let out = push(&repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    let order = out
        .stderr
        .find("is ready to deploy")
        .zip(out.stderr.find("origin accepted"));
    assert!(
        order.is_some_and(|(ready, accepted)| ready < accepted),
        "prepared before the push, applied after: {out}"
    );
    assert_eq!(repo.note(&sha).unwrap()["outcome"], "deployed");
    assert!(!pending(&repo).exists(), "the record is applied once");
    assert!(
        !acceptance_hook(&repo).exists(),
        "and the hook goes with it"
    );
    // A later commit and fetch do nothing more.
    repo.write("README.md", "docs\n");
    repo.commit_all("docs");
    repo.git(&["fetch", "-q", "origin"]);
    assert_eq!(repo.calls().len(), 2);
}

#[test]
fn a_push_the_remote_refuses_deploys_nothing() {
    let Some((repo, remote)) = setup("") else {
        return;
    };
    let sha = head(&repo);
    let pre_receive = remote.path().join("hooks/pre-receive");
    write_hook(
        &pre_receive,
        "#!/bin/sh\necho 'main is protected' >&2\nexit 1\n",
    );
    let out = push(&repo, &["origin", "main"]);
    assert_ne!(out.code, Some(0), "the remote refuses: {out}");
    assert!(out.stderr.contains("main is protected"), "{out}");
    assert!(repo.calls().is_empty(), "nothing updated: {out}");
    assert!(repo.note(&sha).is_none(), "nothing recorded: {out}");
    assert!(
        out.stderr.contains(&format!("`pachhook deploy {sha}`")),
        "one line says how to deploy: {out}"
    );
    // The record waits unapplied; a fetch that does not bring the commit leaves it so.
    assert!(pending(&repo).exists());
    let status = repo.pachhook(&["status"]);
    assert!(
        status
            .stdout
            .contains(&format!("a deploy waits: {}", &sha[..12])),
        "{status}"
    );
    assert!(!status.stdout.contains("NOT ARMED"), "{status}");
    // An acceptance hook git would skip is named, with what to do.
    let hook = acceptance_hook(&repo);
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o644)).unwrap();
    let status = repo.pachhook(&["status"]);
    assert!(
        status.stdout.contains(&format!(
            "NOT ARMED: the reference-transaction hook is not executable (mode 0644), so git \
             will not run it: after the push, deploy with `pachhook deploy {sha}`"
        )),
        "{status}"
    );
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.git(&["fetch", "-q", "origin"]);
    repo.write("README.md", "docs\n");
    let next = repo.commit_all("docs");
    assert!(repo.calls().is_empty());

    // Once the remote lets it in, the next push deploys its own commit.
    std::fs::remove_file(&pre_receive).unwrap();
    let out = push(&repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    assert!(
        repo.calls().iter().all(|c| c.spec["transform"]["image"]
            .as_str()
            .unwrap()
            .ends_with(&next)),
        "the pushed commit's images"
    );
}

#[test]
fn a_dry_run_a_fork_and_a_push_by_url_deploy_nothing() {
    let Some((repo, remote)) = setup("") else {
        return;
    };
    let sha = head(&repo);

    let out = push(&repo, &["--dry-run", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(!remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "a dry run updates nothing: {out}");
    assert!(
        out.stderr.contains(&format!("`pachhook deploy {sha}`")),
        "{out}"
    );

    // A fork is not the team's remote.
    let fork = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "fork", &fork.path().to_string_lossy()]);
    let out = push(&repo, &["fork", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(fork.has_branch("main"));
    assert!(repo.calls().is_empty(), "a fork never deploys: {out}");
    assert!(
        out.stderr.contains("only pushes to `origin` deploy"),
        "{out}"
    );

    // A push by URL updates no remote-tracking ref: nothing would tell it was accepted.
    let out = push(&repo, &[&remote.path().to_string_lossy(), "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "{out}");
    assert!(repo.note(&sha).is_none());

    // [deploy] remote names the team's remote.
    let toml = std::fs::read_to_string(repo.path().join("pachhook.toml")).unwrap();
    repo.write("pachhook.toml", &format!("{toml}remote = \"fork\"\n"));
    repo.write("images/edges/message.txt", "from the fork\n");
    let sha = repo.commit_all("deploy from the fork");
    let out = push(&repo, &["fork", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    assert!(repo.note(&sha).is_some());
}

#[test]
fn two_clones_pushing_in_turn_never_deploy_the_stale_one() {
    let Some((a, remote)) = setup("") else {
        return;
    };
    let out = push(&a, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    // B clones, then A moves on and deploys.
    let b = Repo::new();
    b.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    b.git(&["fetch", "-q", "origin"]);
    b.git(&["reset", "-q", "--hard", "origin/main"]);
    b.install();
    std::fs::write(b.pachctl_log(), "").unwrap();
    a.write("images/edges/message.txt", "A's fix\n");
    let fixed = a.commit_all("A's fix");
    let out = push(&a, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");

    // B pushes without pulling: refused as not a fast-forward, and not deployed.
    let spec = String::from_utf8(b.read("pipelines/b_edges.json")).unwrap();
    b.write("pipelines/b_edges.json", &spec.replace("fast", "slow"));
    let stale = b.commit_all("B's change");
    let out = push(&b, &["origin", "main"]);
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        b.calls().is_empty(),
        "B's stale commit is not deployed: {out}"
    );
    assert!(
        out.stderr.contains(&format!("`pachhook deploy {stale}`")),
        "{out}"
    );

    // A forced push goes through, but deploys only by hand.
    let out = push(&b, &["-f", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(b.calls().is_empty(), "a forced push does not deploy: {out}");
    assert!(out.stderr.contains("a forced push"), "{out}");

    // After pulling, B's push deploys B's merge.
    b.git(&["fetch", "-q", &a.path().to_string_lossy(), "main"]);
    b.git(&["reset", "-q", "--hard", &fixed]);
    b.git(&["push", "-q", "--no-verify", "-f", "origin", "main"]);
    b.write("README.md", "B\n");
    b.write("images/edges/message.txt", "B on top of A\n");
    let merged = b.commit_all("B on top of A");
    let out = push(&b, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(!b.calls().is_empty(), "{out}");
    assert!(b.note(&merged).is_some());
}

#[test]
fn a_reference_transaction_hook_of_the_user_is_kept_and_chained() {
    let Some((repo, _remote)) = setup("") else {
        return;
    };
    let log = repo.aux.path().join("theirs.log");
    let theirs = format!(
        "#!/bin/sh\necho \"$1 $(cat | wc -l)\" >> '{}'\n",
        log.display()
    );
    let path = acceptance_hook(&repo);
    write_hook(&path, &theirs);
    let out = push(&repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    let seen = std::fs::read_to_string(&log).unwrap();
    assert!(
        seen.lines().any(|l| l.starts_with("committed")),
        "their hook ran while ours was armed: {seen}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        theirs,
        "their hook is back, unchanged"
    );
    assert!(
        !repo
            .hooks_dir()
            .with_file_name("hooks.pachhook-previous")
            .join("reference-transaction")
            .exists()
    );
    // And it still runs on a commit.
    let before = std::fs::read_to_string(&log).unwrap().lines().count();
    repo.write("README.md", "docs\n");
    repo.commit_all("docs");
    assert!(std::fs::read_to_string(&log).unwrap().lines().count() > before);
}

#[test]
fn one_deploy_at_a_time_to_a_cluster() {
    let Some((repo, _remote)) = setup("") else {
        return;
    };
    let sha = head(&repo);
    let first = {
        let mut cmd = repo.command(env!("CARGO_BIN_EXE_pachhook"));
        cmd.args(["deploy", &sha]).env("PACHCTL_SLEEP", "2");
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd.spawn().unwrap()
    };
    // The first holds the lock once its images are in the registry.
    // Named after the cluster's ID, the stand-in's default.
    let lock = repo
        .path()
        .join(".git/pachhook/deploy-8f14e45f-ceea-467f-a0e6-c0ffee000001.lock");
    let start = std::time::Instant::now();
    while !lock.exists() {
        assert!(
            start.elapsed().as_secs() < 60,
            "the first deploy never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = repo.pachhook(&["deploy", &sha]);
    let mut first = first;
    assert!(first.wait().unwrap().success());
    assert_eq!(second.code, Some(0), "{second}");
    assert!(
        second.stderr.contains("waiting for the deploy of"),
        "the second says what it waits on: {second}"
    );
    // The calls did not interleave: each argv/spec pair came in order, 4 in all.
    assert_eq!(updated(&repo), ["edges", "montage", "edges", "montage"]);
    assert!(!lock.exists(), "released");
}

#[test]
fn a_push_from_a_linked_worktree_waits_in_the_clone_and_deploys() {
    let Some((repo, remote)) = setup("") else {
        return;
    };
    let linked = repo.aux.path().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        &linked.to_string_lossy(),
        "-b",
        "work",
    ]);
    let wt = repo.at(&linked);
    wt.write("images/edges/message.txt", "from the worktree\n");
    let sha = wt.commit_all("from the worktree");
    let out = push(&wt, &["-q", "origin", "work:main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    assert_eq!(repo.note(&sha).unwrap()["outcome"], "deployed");
    assert!(!pending(&repo).exists() && !acceptance_hook(&repo).exists());
}

#[test]
fn a_stale_record_expires_without_deploying() {
    let Some((repo, remote)) = setup("") else {
        return;
    };
    let sha = head(&repo);
    // A dry run leaves a record and the hook armed; an hour later the record is stale.
    let out = push(&repo, &["--dry-run", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(pending(&repo).exists() && acceptance_hook(&repo).exists());
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(pending(&repo)).unwrap()).unwrap();
    record["created"] = serde_json::json!(record["created"].as_u64().unwrap() - 2 * 3600);
    std::fs::write(pending(&repo), record.to_string()).unwrap();
    // Even the acceptance it waited for does not apply it any more.
    let out = push(&repo, &["--no-verify", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "{out}");
    assert!(out.stderr.contains("expired"), "{out}");
    assert!(
        out.stderr.contains(&format!("`pachhook deploy {sha}`")),
        "{out}"
    );
    assert!(!pending(&repo).exists() && !acceptance_hook(&repo).exists());
}

#[test]
fn a_second_deploy_waits_a_bounded_time_then_stops() {
    let Some((repo, _remote)) = setup("pachctl_timeout = \"2s\"") else {
        return;
    };
    // A live process (this test) holds the lock of the stand-in's cluster.
    let dir = repo.path().join(".git/pachhook");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join("deploy-8f14e45f-ceea-467f-a0e6-c0ffee000001.lock");
    std::fs::write(
        &lock,
        format!("{} {}\n", std::process::id(), "a".repeat(40)),
    )
    .unwrap();
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr
            .contains("waiting for the deploy of aaaaaaaaaaaa"),
        "{run}"
    );
    assert!(run.stderr.contains("still under way"), "{run}");
    assert!(repo.calls().is_empty());
    assert!(lock.exists(), "another's lock is left alone");
    // A lock whose holder is gone is taken over.
    std::fs::write(&lock, format!("{} {}\n", i32::MAX - 1, "a".repeat(40))).unwrap();
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(!lock.exists());
}

/// The user's reference-transaction hook was there before `pachhook install` chained
/// their pre-commit hook (which links the other hooks beside the kept one): arming keeps
/// the hook itself, never a link back to ours.
#[test]
fn a_reference_transaction_hook_from_before_install_is_kept() {
    let Some(svc) = services() else { return };
    let image = format!("{}/{}", svc.registry, unique("before"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, "");
    repo.commit_all("edges and montage");
    let remote = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    let hooks = repo.hooks_dir();
    let log = repo.aux.path().join("theirs.log");
    let theirs = format!("#!/bin/sh\necho \"$1\" >> '{}'\n", log.display());
    write_hook(&hooks.join("pre-commit"), "#!/bin/sh\nexit 0\n");
    write_hook(&hooks.join("reference-transaction"), &theirs);
    repo.install();
    let out = push(&repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    let path = hooks.join("reference-transaction");
    assert!(
        !std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        theirs,
        "theirs, back"
    );
    assert!(
        std::fs::read_to_string(&log).unwrap().contains("committed"),
        "and it ran meanwhile"
    );
}

/// A hooks directory the team commits cannot get the acceptance hook (hooks never touch
/// the work tree): such a push prepares nothing and says how to deploy.
#[test]
fn a_committed_hooks_directory_deploys_by_hand() {
    let Some(svc) = services() else { return };
    let image = format!("{}/{}", svc.registry, unique("shared"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, "");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.install();
    let sha = repo.commit_all("edges and montage, shared hooks");
    let remote = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    // Portable hooks run `pachhook` from PATH.
    let bin = std::path::Path::new(BIN)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let path = format!("{bin}:{}", test_path());
    let out = repo.git_env(&["push", "origin", "main"], &[("PATH", &path)], None);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "{out}");
    assert!(out.stderr.contains("committed hooks directory"), "{out}");
    assert!(
        out.stderr.contains(&format!("`pachhook deploy {sha}`")),
        "{out}"
    );
    assert!(!repo.path().join(".githooks/reference-transaction").exists());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

/// A hooks directory reached through a link inside the repository (`.git/hooks ->
/// hooks-real`) is the resolved one the installer writes to: the acceptance hook, run by
/// git through the link, finds the hook it replaced beside the resolved directory and
/// runs it, and puts it back once the deploy ran.
#[test]
fn the_acceptance_hook_through_a_linked_hooks_directory_runs_the_hook_it_replaced() {
    let Some(svc) = services() else { return };
    let image = format!("{}/{}", svc.registry, unique("linked"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, "");
    repo.commit_all("edges and montage");
    let remote = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    let git_dir = repo.path().join(".git");
    let real = git_dir.join("hooks-real");
    std::fs::create_dir_all(&real).unwrap();
    let _ = std::fs::remove_dir_all(git_dir.join("hooks"));
    std::os::unix::fs::symlink("hooks-real", git_dir.join("hooks")).unwrap();
    let log = repo.aux.path().join("theirs.log");
    let theirs = format!("#!/bin/sh\necho \"$1\" >> '{}'\n", log.display());
    write_hook(&real.join("reference-transaction"), &theirs);
    repo.install();
    let out = push(&repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("committed"),
        "theirs ran while ours was armed: {out}"
    );
    assert_eq!(
        std::fs::read_to_string(real.join("reference-transaction")).unwrap(),
        theirs,
        "theirs, back"
    );
}

/// A hooks directory shared with other repositories through a link out of this one
/// (pachhook's hook added to it by hand) never gets the acceptance hook, which would run
/// in every repository sharing it: such a push prepares nothing and says how to deploy.
#[test]
fn a_hooks_directory_shared_through_a_link_deploys_by_hand() {
    let Some(svc) = services() else { return };
    let image = format!("{}/{}", svc.registry, unique("linkedout"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, "");
    let sha = repo.commit_all("edges and montage");
    let remote = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    let shared = repo.aux.path().join("shared-hooks");
    std::fs::create_dir_all(&shared).unwrap();
    let git_dir = repo.path().join(".git");
    let _ = std::fs::remove_dir_all(git_dir.join("hooks"));
    std::os::unix::fs::symlink(&shared, git_dir.join("hooks")).unwrap();
    write_hook(
        &shared.join("pre-push"),
        &format!("#!/bin/sh\nexec '{BIN}' run pre-push \"$@\"\n"),
    );
    let out = push(&repo, &["origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "{out}");
    assert!(
        out.stderr.contains("shared with other repositories"),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!("`pachhook deploy {sha}`")),
        "{out}"
    );
    assert!(!shared.join("reference-transaction").exists());
    assert!(!pending(&repo).exists(), "{out}");
}

/// The record waiting for `refs/remotes/origin/<branch>` (named after the ref in hex).
fn pending_for(repo: &Repo, branch: &str) -> PathBuf {
    let hex: String = format!("refs/remotes/origin/{branch}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    repo.path()
        .join(format!(".git/pachhook/pending/{hex}.json"))
}

/// A hooks directory outside the clone's git directory, shared by every clone (a global
/// `core.hooksPath = ~/.githooks`): another clone's fetch would run an acceptance hook
/// armed there, find no record in its own git directory and disarm it. So nothing waits
/// there: the push says to deploy by hand, and the shared directory gets no hook.
#[test]
fn a_hooks_directory_shared_by_clones_deploys_by_hand() {
    let Some(svc) = services() else { return };
    let image = format!("{}/{}", svc.registry, unique("global"));
    let repo = Repo::new();
    two_pipelines(&repo, &image, "");
    let shared = repo.aux.path().join("githooks");
    std::fs::create_dir_all(&shared).unwrap();
    repo.git(&["config", "core.hooksPath", &shared.to_string_lossy()]);
    repo.install();
    let sha = repo.commit_all("edges and montage, global hooks");
    let remote = Repo::new_with(&["--bare"]);
    repo.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
    let bin = std::path::Path::new(BIN)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let path = format!("{bin}:{}", test_path());
    let out = repo.git_env(&["push", "origin", "main"], &[("PATH", &path)], None);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "{out}");
    assert!(
        out.stderr.contains("shared with other repositories"),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!("`pachhook deploy {sha}`")),
        "{out}"
    );
    assert!(
        !shared.join("reference-transaction").exists(),
        "nothing armed in the shared directory"
    );
    assert!(!pending(&repo).exists());
}

/// Pushes of two branches wait side by side (one record per tracking ref): neither
/// overwrites the other, each is applied by its own acceptance, and the hook stays armed
/// until the last is applied.
#[test]
fn records_of_two_branches_wait_side_by_side() {
    let Some((repo, _remote)) = setup("branches = [\"main\", \"release\"]") else {
        return;
    };
    let first = head(&repo);
    let out = push(&repo, &["--dry-run", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    repo.git(&["checkout", "-q", "-b", "release"]);
    repo.write("images/edges/message.txt", "release\n");
    let second = repo.commit_all("release");
    let out = push(&repo, &["--dry-run", "origin", "release"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(pending_for(&repo, "main").exists(), "{out}");
    assert!(pending_for(&repo, "release").exists(), "{out}");

    let out = repo.accept("main", "", &first, &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    assert_eq!(repo.note(&first).unwrap()["outcome"], "deployed");
    assert!(
        acceptance_hook(&repo).exists(),
        "release still waits: the hook stays armed"
    );
    let out = repo.accept("release", "", &second, &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(repo.note(&second).unwrap()["outcome"], "deployed", "{out}");
    assert!(!pending_for(&repo, "release").exists());
    assert!(!acceptance_hook(&repo).exists(), "the last one disarms");
}

/// git ignores the status of a `committed` reference-transaction hook: a user's hook
/// that fails there must not keep the accepted push from deploying.
#[test]
fn a_failing_reference_transaction_hook_of_the_user_does_not_stop_the_deploy() {
    let Some((repo, remote)) = setup("") else {
        return;
    };
    let sha = head(&repo);
    let theirs = "#!/bin/sh\ncat >/dev/null\n[ \"$1\" = committed ] && exit 1\nexit 0\n";
    write_hook(&acceptance_hook(&repo), theirs);
    let out = push(&repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert_eq!(updated(&repo), ["edges", "montage"], "{out}");
    assert_eq!(repo.note(&sha).unwrap()["outcome"], "deployed");
    assert_eq!(
        std::fs::read_to_string(acceptance_hook(&repo)).unwrap(),
        theirs
    );
}

/// A push by a URL that carries a token: the token is in no message.
#[test]
fn a_push_by_url_never_shows_its_token() {
    let Some((repo, remote)) = setup("") else {
        return;
    };
    let url = "https://bob:s3cret-token@git.example.invalid/team.git";
    repo.git(&[
        "config",
        &format!("url.{}.insteadOf", remote.path().display()),
        url,
    ]);
    let out = push(&repo, &[url, "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "{out}");
    assert!(
        out.stderr
            .contains("this push goes to `https://***@git.example.invalid/team.git`"),
        "{out}"
    );
    assert!(!out.stderr.contains("s3cret"), "{out}");
}

/// A fetch refspec that maps the branch outside `refs/remotes/`: the acceptance hook
/// never hears of that ref, so nothing waits for it and the push says so.
#[test]
fn a_tracking_ref_outside_refs_remotes_deploys_by_hand() {
    let Some((repo, remote)) = setup("") else {
        return;
    };
    let sha = head(&repo);
    repo.git(&[
        "config",
        "remote.origin.fetch",
        "+refs/heads/*:refs/mirror/origin/*",
    ]);
    let out = push(&repo, &["origin", "main"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(remote.has_branch("main"));
    assert!(repo.calls().is_empty(), "{out}");
    assert!(out.stderr.contains("under refs/remotes/"), "{out}");
    assert!(
        out.stderr.contains(&format!("`pachhook deploy {sha}`")),
        "{out}"
    );
    assert!(!acceptance_hook(&repo).exists());
    assert!(
        !repo.path().join(".git/pachhook/pending").exists() || {
            std::fs::read_dir(repo.path().join(".git/pachhook/pending"))
                .unwrap()
                .next()
                .is_none()
        }
    );
}

/// Ctrl-C while a deploy waits for another's lock stops the wait at once (the deploy
/// catches the signal, so the wait must look for it), with nothing updated.
#[test]
fn ctrl_c_stops_the_wait_for_the_lock() {
    let Some((repo, _remote)) = setup("pachctl_timeout = \"5m\"") else {
        return;
    };
    let dir = repo.path().join(".git/pachhook");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join("deploy-8f14e45f-ceea-467f-a0e6-c0ffee000001.lock");
    std::fs::write(
        &lock,
        format!("{} {}\n", std::process::id(), "a".repeat(40)),
    )
    .unwrap();
    let log = repo.aux.path().join("deploy.err");
    let mut cmd = repo.command(env!("CARGO_BIN_EXE_pachhook"));
    cmd.args(["deploy"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("waiting for the deploy of")
    {
        assert!(start.elapsed().as_secs() < 60, "it never waited");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let stopped = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if stopped.elapsed().as_secs() > 20 {
            let _ = child.kill();
            panic!("Ctrl-C did not stop the wait for the lock");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(repo.calls().is_empty(), "{err}");
    assert!(lock.exists(), "another's lock is left alone");
}
