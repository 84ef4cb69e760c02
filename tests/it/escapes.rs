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

/// Whether a line of output would be a GitHub Actions workflow command that pachhook did
/// not write: the runner reads commands from every line of the log (stdout and stderr),
/// leading blanks trimmed.
fn forged(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("::")
        && !line.starts_with("::error file=")
        && !line.starts_with("::warning file=")
        && !line.starts_with("::notice title=pachhook::")
}

/// Every report format, and what a check prints to the log.
const FORMATS: [&str; 6] = ["human", "json", "github", "sarif", "gitlab", "junit"];

#[test]
fn repository_text_never_starts_a_line_of_its_own_in_errors() {
    // Each place an error quotes repository text: a [rules] key, a template path, a
    // glob, a policy path, a `$ref` in a policy.
    let repo = Repo::new();
    repo.write("p.json", crate::support::GOOD);
    repo.write("ref.json", "{\"$ref\": \"x\\n::error::ref\"}");
    for toml in [
        "[rules]\n\"x\\n::error::rules\" = \"off\"\n",
        "[[template]]\npath = \"a\\n::stop-commands::tok.jsonnet\"\nargs = {}\n",
        "[specs]\npaths = [\"a\\r\\n::error::glob[\"]\n",
        "[[policy]]\nschema = \"p\\n::error::policy.json\"\n",
        "[[policy]]\nschema = \"ref.json\"\n",
        "[[policy]]\nschema = \"ref.json\"\npaths = [\"\\n::error::paths[\"]\n",
    ] {
        repo.write("pachhook.toml", toml);
        for format in FORMATS {
            let out = repo.pachhook(&["check", "--format", format]);
            assert_eq!(out.code, Some(2), "{toml}\n{out}");
            let stderr: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(stderr.len(), 1, "one line: {toml}\n{out}");
            assert!(stderr[0].contains("\\n::"), "escaped, not lost: {out}");
            assert!(!out.all().lines().any(forged), "{toml}\n{out}");
        }
    }
}

#[test]
fn repository_text_never_starts_a_line_of_its_own_in_reports() {
    // A key, a policy's description and a file name with line breaks: findings in
    // every format.
    let repo = Repo::new();
    repo.write(
        "a\n::error::name.json",
        "{\"pipeline\": {\"name\": \"x\"}, \"transform\": {\"image\": \"a/b:1\"},\n \
         \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\"}}, \"bad\\n::error::key\\r\\n::stop-commands::t\": 1}",
    );
    repo.write(
        "policy.json",
        "{\"description\": \"team\\n::error::policy\", \"required\": [\"nothing_like_this\"]}",
    );
    repo.write("pachhook.toml", "[[policy]]\nschema = \"policy.json\"\n");
    for format in FORMATS {
        let out = repo.pachhook(&["check", "--format", format]);
        assert_eq!(out.code, Some(1), "{format}\n{out}");
        assert!(out.stdout.contains("unknown-field"), "{format}\n{out}");
        assert!(out.stdout.contains("policy"), "{format}\n{out}");
        let all = out.all();
        let bad: Vec<&str> = all
            .lines()
            .filter(|l| forged(l) || l.trim_start().starts_with("::error::"))
            .collect();
        assert!(bad.is_empty(), "{format}: {bad:?}\n{out}");
        // JSON-based formats escape a line break as `\n` already; the text they carry
        // is one line too (`\\n` in JSON).
        if matches!(format, "json" | "sarif" | "gitlab") {
            assert!(out.stdout.contains("\\\\n::error::key"), "{format}\n{out}");
        }
    }
}

#[test]
fn junit_stays_well_formed_xml_whatever_the_repository_holds() {
    // U+FFFE and U+FFFF are not XML characters, not even as references; a C0 control
    // and the bidirectional override neither (the latter for terminals).
    let repo = Repo::new();
    repo.write(
        "specs.json",
        "{\"pipeline\": {\"name\": \"x\"}, \"transform\": {\"image\": \"a/b:1\"},\n \
         \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\"}}, \"k\\ufffe\\uffff\\u0001\\u202e\": 1}",
    );
    repo.write("w\u{fffe}.json", crate::support::BAD);
    let out = repo.pachhook(&["check", "--format", "junit", "--output", "report.xml"]);
    assert_eq!(out.code, Some(1), "{out}");
    let xml = String::from_utf8(repo.read("report.xml")).unwrap();
    assert!(xml.contains("unknown-field"), "{xml}");
    assert!(xml.contains("k\\u{fffe}\\u{ffff}\\001\\u{202e}"), "{xml}");
    // junitparser (lxml-free: Python's expat) reads it as CI systems do.
    let script = "import sys\nfrom junitparser import JUnitXml\nxml = JUnitXml.fromfile(sys.argv[1])\n\
                  cases = [c for s in xml for c in s]\n\
                  print(len(cases), sum(1 for c in cases if not c.is_passed))\n\
                  print('|'.join(sorted(c.classname for c in cases)))";
    let mut python = std::process::Command::new(crate::support::python());
    python
        .args(["-c", script])
        .arg(repo.path().join("report.xml"));
    let run = crate::support::run(python, std::time::Duration::from_secs(60));
    assert_eq!(run.code, Some(0), "junitparser refused it:\n{run}\n{xml}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "2 2", "{run}");
    // Jenkins shows the class after the last dot: none, so the file name shows whole.
    assert!(!lines[1].contains('.'), "{run}");
    assert!(lines[1].contains("specs_json"), "{run}");
}
