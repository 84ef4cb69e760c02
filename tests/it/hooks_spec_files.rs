//! One definition of a spec file (issue 20, cause 3) for `check`, `check --all`, the
//! pre-commit and the pre-push hook: files in every encoding pachctl reads (UTF-8, and
//! UTF-16 with a byte order mark), `[[template]]` files whatever `[specs] paths` says,
//! and tracked files whatever `.gitignore` says.

use crate::support::{GOOD, Repo, Sandbox, code, text};

fn latest(name: &str) -> String {
    GOOD.replace("opencv:1.0.0", "opencv:latest")
        .replace("\"edges\"", &format!("\"{name}\""))
}

fn utf16(text: &str, big: bool) -> Vec<u8> {
    let mut out = if big {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend(if big {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

/// Every way pachhook picks files, on one repository: each must find `wanted`.
fn assert_every_command_checks(repo: &Repo, remote: &Repo, wanted: &[&str], what: &str) {
    let out = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 1, "{what}: check --all: {}", text(&out));
    for file in wanted {
        assert!(
            text(&out).contains(file),
            "{what}: check --all: {}",
            text(&out)
        );
    }
    let out = repo.pachhook(&["check", "--staged"]);
    assert_eq!(code(&out), 1, "{what}: check --staged: {}", text(&out));
    let out = repo.try_git(&["commit", "-q", "-m", what]);
    assert_eq!(code(&out), 1, "{what}: pre-commit: {}", text(&out));
    for file in wanted {
        assert!(
            text(&out).contains(file),
            "{what}: pre-commit: {}",
            text(&out)
        );
    }
    repo.git(&["commit", "-q", "--no-verify", "-m", what]);
    let out = repo.try_git(&["push", "-q", remote.dir.to_str().unwrap(), "main"]);
    assert_ne!(code(&out), 0, "{what}: pre-push: {}", text(&out));
    for file in wanted {
        assert!(
            text(&out).contains(file),
            "{what}: pre-push: {}",
            text(&out)
        );
    }
}

fn setup(sandbox: &Sandbox) -> (Repo, Repo) {
    let remote = sandbox.repo_with("remote.git", &["--bare"]);
    let repo = sandbox.repo("repo");
    repo.install();
    (repo, remote)
}

#[test]
fn a_utf16_spec_with_a_byte_order_mark_is_a_spec_everywhere() {
    for big in [false, true] {
        let sandbox = Sandbox::new();
        let (repo, remote) = setup(&sandbox);
        std::fs::write(repo.dir.join("ps.json"), utf16(&latest("ps"), big)).unwrap();
        std::fs::write(
            repo.dir.join("ps.yaml"),
            utf16(
                "pipeline:\n  name: psy\ntransform:\n  image: a/b:latest\n",
                big,
            ),
        )
        .unwrap();
        repo.git(&["add", "."]);
        assert_every_command_checks(&repo, &remote, &["ps.json", "ps.yaml"], "utf-16");
    }
}

#[test]
fn a_template_is_checked_whatever_the_spec_globs_say() {
    let sandbox = Sandbox::new();
    let (repo, remote) = setup(&sandbox);
    repo.write(
        "pachhook.toml",
        "[specs]\npaths = [\"pipelines/*.json\"]\n\n\
         [[template]]\npath = \"templates/edges.jsonnet\"\nargs = { suffix = \"a\" }\n",
    );
    repo.write(
        "templates/edges.jsonnet",
        "function(suffix) { pipeline: { name: 'e-' + suffix }, \
         transform: { image: 'a/b:latest', cmd: ['x'] }, \
         input: { pfs: { repo: 'r', glob: '/*' } } }\n",
    );
    repo.git(&["add", "."]);
    assert_every_command_checks(&repo, &remote, &["templates/edges.jsonnet"], "template");
}

#[test]
fn a_tracked_spec_is_checked_whatever_gitignore_says() {
    let sandbox = Sandbox::new();
    let (repo, remote) = setup(&sandbox);
    repo.write(".gitignore", "generated/\n");
    repo.write("generated/edges.json", &latest("gen"));
    repo.git(&["add", ".gitignore"]);
    repo.git(&["add", "-f", "generated/edges.json"]);
    assert_every_command_checks(&repo, &remote, &["generated/edges.json"], "ignored");
    // An ignored file that is not tracked is still not the repository's.
    repo.write("generated/other.json", &latest("other"));
    repo.write("generated/edges.json", GOOD);
    let out = repo.pachhook(&["check", "--all"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}
