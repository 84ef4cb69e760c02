//! A reader that goes away (`pachhook rules | true`, `pachhook check ... | head`) ends
//! the command quietly and successfully, as ripgrep does: no panic, no error message, no
//! advice to retry.

use std::process::Stdio;

use crate::support::{BAD, PACHHOOK, Sandbox};

/// Runs pachhook with standard output a pipe whose reading end is already closed, so
/// its first write fails with EPIPE; (exit code, standard error).
fn with_closed_stdout(args: &[&str], dir: &std::path::Path) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = crate::support::isolated(PACHHOOK)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(writer)
        .output()
        .expect("pachhook runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rules_into_a_closed_pipe_ends_quietly() {
    let sandbox = Sandbox::new();
    let (code, stderr) = with_closed_stdout(&["rules"], sandbox.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn every_command_that_prints_ends_quietly_into_a_closed_pipe() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("r");
    repo.write("t.jsonnet", "{ pipeline: { name: 'p' } }");
    for args in [
        &["explain", "floating-tag"][..],
        &["schema"],
        &["completions", "bash"],
        &["man"],
        &["install"],
        &["status"],
        &["uninstall"],
        &["init", "--yes"],
        &["render", "t.jsonnet"],
    ] {
        let (code, stderr) = with_closed_stdout(args, repo.path());
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_report_into_a_closed_pipe_ends_quietly() {
    let sandbox = Sandbox::new();
    // Enough findings that the report is more than any pipe buffer.
    for i in 0..200 {
        std::fs::write(sandbox.path().join(format!("spec{i}.json")), BAD).expect("write");
    }
    for format in ["human", "json"] {
        let (code, stderr) =
            with_closed_stdout(&["check", ".", "--format", format], sandbox.path());
        assert_eq!(code, Some(0), "--format {format}: {stderr}");
        assert_eq!(stderr, "", "--format {format}");
    }
}

#[test]
fn a_hook_whose_reader_went_away_still_refuses_findings() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("r");
    repo.write("edges.json", BAD);
    repo.git(&["add", "edges.json"]);
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = repo
        .command(PACHHOOK)
        .args(["run", "pre-commit"])
        .stdin(Stdio::null())
        .stdout(writer)
        .output()
        .expect("pachhook runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
