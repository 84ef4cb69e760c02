//! Repository bytes printed outside the check report: error messages that quote
//! `pachhook.toml` (keys, values, paths), and what `install` and `status` say about hooks
//! and the paths they live at. None may reach the terminal as control characters.

use crate::support::{Repo, Run};

/// No escape, bell or other control character in what the user reads, except line ends.
fn assert_no_control(run: &Run) {
    let all = run.all();
    let bad: Vec<char> = all
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "control characters {bad:?} printed:\n{run}");
}

#[test]
fn config_errors_escape_the_keys_values_and_paths_they_quote() {
    let repo = Repo::new();
    repo.write("p.json", crate::support::GOOD);
    for (toml, shown) in [
        // a value: the image of a [[build]] block
        (
            "[[build]]\nimage = \"a\\u001b]0;TITLE\\u0007b\"\ncontext = \".\"\n",
            "\\033]0;TITLE\\ab",
        ),
        // a key: an unknown rule
        ("[rules]\n\"x\\u001b[2J\" = \"off\"\n", "x\\033[2J"),
        // a path: a policy file that is not there
        (
            "[[policy]]\nschema = \"pol\\u001b[2J.json\"\n",
            "pol\\033[2J.json",
        ),
        // a table name
        ("[\"un\\u001bknown\"]\nx = 1\n", "un\\033known"),
    ] {
        repo.write("pachhook.toml", toml);
        let out = repo.pachhook(&["check", "--all"]);
        assert_eq!(out.code, Some(2), "{toml}\n{out}");
        assert_no_control(&out);
        assert!(out.stderr.contains(shown), "{toml}: wants {shown}\n{out}");
    }
}

#[test]
fn install_and_status_escape_the_paths_they_name() {
    let repo = Repo::new();
    // a hooks directory of the work tree (as a cloned repository may carry), and a hook
    // that is a link to a script there
    let dir = "hooks\u{1b}[2J";
    repo.write(&format!("{dir}/shared"), "#!/bin/sh\nexit 0\n");
    repo.git(&["config", "core.hooksPath", dir]);
    let out = repo.pachhook(&["install"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_no_control(&out);
    assert!(out.stdout.contains("hooks\\033[2J/pre-commit"), "{out}");
    let out = repo.pachhook(&["status"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_no_control(&out);
    assert!(out.stdout.contains("hooks\\033[2J"), "{out}");

    repo.git(&["config", "--unset", "core.hooksPath"]);
    let link = repo.hooks_dir().join("pre-commit");
    std::os::unix::fs::symlink(repo.path().join(dir).join("shared"), &link).unwrap();
    let out = repo.pachhook(&["status"]);
    assert_no_control(&out);
    assert!(out.stdout.contains("a symbolic link to "), "{out}");
    assert!(out.stdout.contains("hooks\\033[2J/shared"), "{out}");
}
