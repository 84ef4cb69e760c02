//! Command-line conventions, through the binary: `--color` with NO_COLOR and
//! CLICOLOR_FORCE, `-q`, shell completions (run in bash), the man page (rendered by
//! groff), `explain`, and findings short enough to read in one line.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::{PACHHOOK, code, corpus, isolated, text};

/// The bundled examples, by absolute path: the commands run outside the project.
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/");

fn pachhook(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = isolated(PACHHOOK);
    cmd.args(args).env_remove("NO_COLOR").stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pachhook")
}

fn colored(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stdout).contains("\x1b[")
}

#[test]
fn color_follows_the_flag_then_no_color_then_clicolor_force() {
    let check = |flags: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["check"];
        args.extend(flags);
        args.push(EXAMPLES);
        let out = pachhook(&args, env);
        assert_eq!(code(&out), 1, "{}", text(&out));
        colored(&out)
    };
    // Standard output is a pipe here: no colour unless asked for.
    assert!(!check(&[], &[]));
    assert!(check(&["--color", "always"], &[]));
    assert!(
        check(&["--color=always"], &[("NO_COLOR", "1")]),
        "the flag wins"
    );
    assert!(!check(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(check(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!check(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    // A global option: accepted before the subcommand too.
    let out = pachhook(&["--color", "always", "check", EXAMPLES], &[]);
    assert!(colored(&out));
    let out = pachhook(&["check", "--color", "sometimes", EXAMPLES], &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
}

#[test]
fn quiet_prints_the_findings_only() {
    let out = pachhook(&["check", "-q", EXAMPLES], &[]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("error[floating-tag]"), "{stdout}");
    assert!(!stdout.contains("found:"), "{stdout}");
    let edges = format!("{EXAMPLES}pipelines/edges.json");
    let out = pachhook(&["--quiet", "check", &edges], &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(text(&out), "", "a clean quiet run prints nothing");
}

#[test]
fn bash_completes_subcommands_and_formats() {
    let out = pachhook(&["completions", "bash"], &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("pachhook.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let complete = |words: &str| -> String {
        let program = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _pachhook pachhook \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             echo \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("pachhook ch").trim(), "check");
    assert!(complete("pachhook ''").contains("explain"));
    assert_eq!(
        complete("pachhook check --format ''").trim(),
        "human json github sarif gitlab junit"
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = pachhook(&["completions", shell], &[]);
        assert_eq!(code(&out), 0, "{shell}: {}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("pachhook") && script.contains("format"),
            "{shell}"
        );
    }
}

#[test]
fn the_man_page_renders_without_warnings() {
    let out = pachhook(&["man"], &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80]
    );
    for section in ["PACHHOOK CHECK", "PACHHOOK SCHEMA", "PACHHOOK EXPLAIN"] {
        assert!(page.contains(section), "{section} missing");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pachhook.1");
    std::fs::write(&file, &page).unwrap();
    let groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&file)
        .output()
        .expect("groff (Debian: groff-base) renders man pages");
    assert!(groff.status.success(), "{}", text(&groff));
    assert_eq!(String::from_utf8_lossy(&groff.stderr), "", "groff warnings");
}

#[test]
fn explain_tells_the_long_story_of_each_rule() {
    let rules = pachhook(&["rules"], &[]);
    let ids: Vec<String> = String::from_utf8_lossy(&rules.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(ids.len() >= 12, "{ids:?}");
    for id in &ids {
        let out = pachhook(&["explain", id], &[]);
        assert_eq!(code(&out), 0, "{id}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        for part in ["Why\n", "Example\n", "How to fix\n", "#rules"] {
            assert!(stdout.contains(part), "{id}: no {part:?} in\n{stdout}");
        }
    }
    let out = pachhook(&["explain", "floating-tag"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("IfNotPresent"));
    let out = pachhook(&["explain", "floating-tags"], &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("floating-tag,"), "{}", text(&out));
}

/// A message or help with each `quoted value` (user data: names, images, paths)
/// counted as one character.
pub fn shown_length(text: &str) -> usize {
    let mut length = 0;
    let mut quoted = false;
    for c in text.chars() {
        if c == '`' {
            quoted = !quoted;
            if quoted {
                length += 1;
            }
        } else if !quoted {
            length += 1;
        }
    }
    length
}

#[test]
fn each_finding_fits_on_one_line() {
    let mut dirs = vec![
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
    ];
    let Some(corpus) = corpus() else { return };
    dirs.push(corpus);
    let mut long = Vec::new();
    let mut seen = 0;
    for dir in dirs {
        let out = pachhook(&["check", "--format", "json", dir.to_str().unwrap()], &[]);
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        for file in report["files"].as_array().unwrap() {
            for f in file["findings"].as_array().unwrap() {
                seen += 1;
                for key in ["message", "help"] {
                    let text = f[key].as_str().unwrap();
                    if shown_length(text) > 100 {
                        long.push(format!(
                            "{} {key} ({}): {text}",
                            f["rule"],
                            shown_length(text)
                        ));
                    }
                }
            }
        }
    }
    long.sort();
    long.dedup();
    // The fixtures, the examples and the corpus hold 255 findings today.
    assert!(seen > 200, "{seen}");
    assert!(long.is_empty(), "over 100 characters:\n{}", long.join("\n"));
}

/// What bash offers for the command line `line` (the cursor at its end): the completion
/// script loaded by bash-completion (`scripts/consumers.sh` installs it), and the
/// function `complete -p pachhook` names called as bash calls it on TAB.
fn bash_offers(script: &Path, line: &str) -> Vec<String> {
    let framework = Path::new("/usr/share/bash-completion/bash_completion");
    crate::support::consumers(); // installs bash-completion where it is missing
    assert!(framework.exists(), "bash-completion is not installed");
    let program = format!(
        "source {framework}; source {script}; \
         spec=$(complete -p pachhook) || exit 3; fn=${{spec##*-F }}; fn=${{fn%% *}}; \
         COMP_LINE={line:?}; COMP_POINT=${{#COMP_LINE}}; \
         read -ra COMP_WORDS <<<\"$COMP_LINE\"; \
         [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=(''); \
         COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); \
         \"$fn\" pachhook \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        framework = framework.display(),
        script = script.display(),
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &program])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_releases_formats_and_rule_ids() {
    let out = pachhook(&["completions", "bash"], &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("pachhook.bash");
    std::fs::write(&script, &out.stdout).unwrap();

    let releases = bash_offers(&script, "pachhook check --pachyderm ");
    assert_eq!(
        releases.first().map(String::as_str),
        Some("2.0"),
        "{releases:?}"
    );
    assert!(releases.contains(&"2.12".to_string()), "{releases:?}");
    assert!(
        releases.iter().all(|r| r.starts_with("2.")),
        "releases, no file names: {releases:?}"
    );
    assert_eq!(
        bash_offers(&script, "pachhook check --pachyderm 2.1"),
        ["2.1", "2.10", "2.11", "2.12"]
    );
    for command in ["schema", "init"] {
        let offered = bash_offers(&script, &format!("pachhook {command} --pachyderm "));
        assert_eq!(offered, releases, "{command}");
    }
    assert_eq!(
        bash_offers(&script, "pachhook check --format "),
        ["human", "json", "github", "sarif", "gitlab", "junit"]
    );
    // The rule ids, after the options clap offers everywhere.
    let mut rules = bash_offers(&script, "pachhook explain ");
    rules.retain(|r| !r.starts_with('-'));
    let listed = pachhook(&["rules"], &[]);
    let ids: Vec<String> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(rules, ids);
    assert_eq!(
        bash_offers(&script, "pachhook explain floa"),
        ["floating-tag"]
    );
    // Still free text: a release with a patch part, and explain's own message for a typo.
    let edges = format!("{EXAMPLES}pipelines/edges.json");
    let out = pachhook(&["check", "--pachyderm", "v2.12.0-rc.3", &edges], &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = pachhook(&["explain", "floating"], &[]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out).contains("is not a rule; the rules are"),
        "{}",
        text(&out)
    );
}
