//! The build context held against the real oracle: for a generated set of tricky
//! repositories, the image `pachhook deploy` builds and the image `docker build`
//! (classic builder, `DOCKER_BUILDKIT=0`) builds from a `git worktree add` checkout of
//! the same commit hold the same files under `/ctx`: names, modes, link targets, bytes.
//!
//! Covered: every `.dockerignore` construct of the docker CLI (BOM, CRLF, comments and
//! an indented `#`, `!`, `**` and its prefix and suffix forms, classes `[^a]` and
//! `[!a]`, braces, `+`, leading `/` and `./`, trailing spaces, excluded directories
//! with exceptions, `.dockerignore` excluding itself), every `.gitattributes` effect
//! (eol, text, -text, ident, working-tree-encoding, a custom smudge filter), links in
//! and out of the context, modes, names that are not UTF-8 or not ASCII, the Dockerfile
//! inside, outside and in an excluded directory, and submodules (inside the context,
//! excluded without their commit, and as the context itself).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use crate::deploy_context::{Node, tree_in_image};
use crate::support::*;

/// `.dockerignore` lines, each a construct; a case keeps a generated subset.
const IGNORE_POOL: &[&str] = &[
    "secret.txt",
    "# a comment",
    "  #x",
    "!keep.log",
    "**/*.log",
    "[!a]x",
    "[^c]y",
    "{a,b}.cfg",
    "a+b",
    "/build-out",
    "./tmp",
    "trail.txt   ",
    "vendor",
    "!vendor/keep.txt",
    "docs/**",
    "!docs/api",
    "**.bak",
    "gen**",
    ".dockerignore",
    "caf?.txt",
    "link-out",
];

/// A small deterministic generator (the same cases on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[derive(Clone, Copy, Debug)]
enum Dockerfile {
    /// `ctx/Dockerfile`.
    Inside,
    /// `docker/Dockerfile`, outside the context `ctx`.
    Outside,
    /// `ctx/build-out/Dockerfile`, a directory `.dockerignore` excludes.
    Excluded,
    /// The context is the submodule `ctx/vendor2/lib`, with its own Dockerfile.
    SubmoduleContext,
}

fn write_bytes(repo: &Repo, rel: &[u8], content: &[u8]) {
    let path = repo.path().join(OsStr::from_bytes(rel));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn executable(repo: &Repo, rel: &str) {
    std::fs::set_permissions(
        repo.path().join(rel),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

const DOCKERFILE: &str = "FROM scratch\nCOPY . /ctx/\n";

/// A library repository (for submodules): a Dockerfile, a file, attributes of its own.
fn library(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let git = |args: &[&str]| {
        let out = crate::support::isolated("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@test.invalid"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("Dockerfile"), DOCKERFILE).unwrap();
    std::fs::write(dir.join("lib.txt"), "library\n").unwrap();
    std::fs::write(dir.join("win.txt"), "one\ntwo\n").unwrap();
    std::fs::write(dir.join(".gitattributes"), "win.txt eol=crlf\n").unwrap();
    std::fs::write(dir.join(".dockerignore"), "*.md\n").unwrap();
    std::fs::write(dir.join("notes.md"), "left out\n").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-qm", "library"]);
}

/// Writes case `n` into `repo`: returns (context, dockerfile relative to it, the
/// submodule paths a checkout initializes).
fn generate(repo: &Repo, n: u64, variant: Dockerfile) -> (String, String, Vec<String>) {
    let mut rng = Lcg(n * 7919 + 17);
    let mut lines: Vec<&str> = IGNORE_POOL
        .iter()
        .copied()
        .filter(|_| n == 0 || !rng.next().is_multiple_of(3))
        .collect();
    // Always there: the excluded submodule without its commit, and (for that variant)
    // the directory holding the Dockerfile.
    lines.push("third_party");
    if matches!(variant, Dockerfile::Excluded) && !lines.contains(&"/build-out") {
        lines.push("/build-out");
    }
    let crlf = rng.next().is_multiple_of(2);
    let mut ignore = b"\xef\xbb\xbf".to_vec();
    for line in &lines {
        ignore.extend_from_slice(line.as_bytes());
        ignore.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    }
    write_bytes(repo, b"ctx/.dockerignore", &ignore);

    // Files the patterns pick from.
    for name in [
        "app.py",
        "secret.txt",
        "#x",
        "keep.log",
        "logs/x.log",
        "deep/er/y.log",
        "!x",
        "ax",
        "bx",
        "cy",
        "dy",
        "{a,b}.cfg",
        "a.cfg",
        "b.cfg",
        "a+b",
        "aab",
        "build-out/out.o",
        "tmp/t.txt",
        "trail.txt",
        "vendor/keep.txt",
        "vendor/drop.txt",
        "vendor/sub/z.txt",
        "docs/readme.md",
        "docs/api/x.md",
        "old.bak",
        "sub/old.bak",
        "generated/g.txt",
        "gen.txt",
        "with space.txt",
        "café.txt",
        "日本語/ファイル.txt",
    ] {
        repo.write(&format!("ctx/{name}"), &format!("{name} of case {n}\n"));
    }
    write_bytes(repo, b"ctx/caf\xe9.txt", b"latin-1 name\n");
    repo.write("ctx/run.sh", "#!/bin/sh\necho run\n");
    executable(repo, "ctx/run.sh");
    repo.write("outside.txt", "outside the context\n");
    for (link, target) in [
        ("ctx/link-in", "app.py"),
        ("ctx/link-out", "../outside.txt"),
        ("ctx/link-abs", "/etc/hostname"),
        ("ctx/link-dir", "docs"),
    ] {
        std::os::unix::fs::symlink(target, repo.path().join(link)).unwrap();
    }

    // What a checkout converts.
    repo.write(
        "ctx/.gitattributes",
        "*.crlf eol=crlf\nauto.txt text=auto eol=crlf\n*.dat -text\nident.txt ident\n\
         utf16.txt working-tree-encoding=UTF-16LE\n*.rot filter=rot13\n",
    );
    repo.write("ctx/a.crlf", "line one\nline two\n");
    repo.write("ctx/auto.txt", "auto one\nauto two\n");
    write_bytes(repo, b"ctx/raw.dat", b"binary\r\nkept\n\x00\x01");
    repo.write("ctx/ident.txt", "id: $Id$\n");
    write_bytes(repo, b"ctx/utf16.txt", &utf16le("encoded text\n"));
    repo.write("ctx/secret.rot", "Hello Rot Thirteen\n");
    repo.git(&["config", "filter.rot13.smudge", "tr a-zA-Z n-za-mN-ZA-M"]);
    repo.git(&["config", "filter.rot13.clean", "tr a-zA-Z n-za-mN-ZA-M"]);

    // Submodules: one inside the context, one excluded whose commit nobody has.
    let lib = repo.aux.path().join(format!("library-{n}"));
    library(&lib);
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &lib.to_string_lossy(),
        "ctx/vendor2/lib",
    ]);

    let (context, dockerfile) = match variant {
        Dockerfile::Inside => {
            repo.write("ctx/Dockerfile", DOCKERFILE);
            ("ctx", "Dockerfile")
        }
        Dockerfile::Outside => {
            repo.write("docker/Dockerfile", DOCKERFILE);
            ("ctx", "../docker/Dockerfile")
        }
        Dockerfile::Excluded => {
            repo.write("ctx/build-out/Dockerfile", DOCKERFILE);
            ("ctx", "build-out/Dockerfile")
        }
        Dockerfile::SubmoduleContext => ("ctx/vendor2/lib", "Dockerfile"),
    };
    (
        context.to_string(),
        dockerfile.to_string(),
        vec!["ctx/vendor2/lib".to_string()],
    )
}

/// The `.dockerignore` in the image, with the outside Dockerfile's name (random in the
/// CLI) replaced by a placeholder.
fn normalize(mut tree: BTreeMap<Vec<u8>, Node>) -> BTreeMap<Vec<u8>, Node> {
    if let Some(Node::File { content, .. }) = tree.get_mut(b".dockerignore".as_slice()) {
        let text = String::from_utf8_lossy(content).into_owned();
        let replaced: Vec<String> = text
            .split('\n')
            .map(|l| {
                if l.starts_with(".dockerfile.") && l.len() == ".dockerfile.".len() + 20 {
                    ".dockerfile.<name>".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect();
        *content = replaced.join("\n").into_bytes();
    }
    tree
}

#[test]
fn deploy_sends_what_docker_build_of_a_checkout_sends() {
    let Some(svc) = services() else { return };
    let variants = [
        Dockerfile::Inside,
        Dockerfile::Outside,
        Dockerfile::Excluded,
        Dockerfile::SubmoduleContext,
        Dockerfile::Inside,
        Dockerfile::Outside,
    ];
    for (n, variant) in variants.into_iter().enumerate() {
        let n = n as u64;
        let repo = Repo::new();
        let name = unique(&format!("oracle-{n}"));
        let image = format!("{}/{name}", svc.registry);
        let (context, dockerfile, submodules) = generate(&repo, n, variant);
        repo.write(
            "pachhook.toml",
            &format!(
                "[[build]]\nimage = \"{image}\"\ncontext = \"{context}\"\ndockerfile = \"{dockerfile}\"\n\n[deploy]\nenabled = true\npachctl = \"{}\"\n",
                pachctl()
            ),
        );
        repo.git(&["add", "-A"]);
        // Added last: `git add -A` would stage its missing directory as a deletion.
        repo.git(&[
            "update-index",
            "--add",
            "--cacheinfo",
            "160000,0123456789abcdef0123456789abcdef01234567,ctx/third_party",
        ]);
        repo.git(&["commit", "-q", "--no-verify", "-m", &format!("case {n}")]);
        let sha = repo.git(&["rev-parse", "HEAD"]);

        let run = repo.pachhook(&["deploy"]);
        assert_eq!(run.code, Some(0), "case {n} ({variant:?}): {run}");
        let ours = normalize(tree_in_image(&format!("{image}:{sha}"), "/ctx"));

        // The oracle: a checkout of the same commit, built by the docker CLI.
        let checkout = repo.aux.path().join(format!("checkout-{n}"));
        repo.git(&[
            "worktree",
            "add",
            "-q",
            "--detach",
            &checkout.to_string_lossy(),
            &sha,
        ]);
        let wt = repo.at(&checkout);
        for path in &submodules {
            wt.git(&[
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "update",
                "-q",
                "--init",
                "--",
                path,
            ]);
        }
        let context_dir = checkout.join(&context);
        let dockerfile_path = context_dir.join(&dockerfile);
        let oracle = format!("pachhook-oracle-{n}:{}", &sha[..12]);
        let mut build = repo.command("docker");
        build
            .args(["build", "-q", "-t", &oracle, "-f"])
            .arg(&dockerfile_path)
            .arg(&context_dir)
            .env("DOCKER_BUILDKIT", "0");
        let built = run_cmd(build);
        assert_eq!(built.code, Some(0), "docker build, case {n}: {built}");
        // A checkout's submodules hold a `.git` file pointing at the clone's own
        // directory: not part of any commit, never sent by deploy.
        let mut theirs = normalize(tree_in_image(&oracle, "/ctx"));
        theirs.retain(|path, _| !path.ends_with(b"/.git") && path.as_slice() != b".git");
        let _ = docker(&["rmi", "-f", &oracle]);

        assert!(
            ours == theirs,
            "case {n} ({variant:?}), .dockerignore:\n{}\n{}",
            String::from_utf8_lossy(&repo.read("ctx/.dockerignore")).escape_debug(),
            differences(&ours, &theirs)
        );
        assert!(
            ours.len() > 3,
            "case {n}: the image holds the context: {ours:?}"
        );
    }
}

/// Each path the two trees do not agree on, as a person reads it.
fn differences(ours: &BTreeMap<Vec<u8>, Node>, theirs: &BTreeMap<Vec<u8>, Node>) -> String {
    let show = |node: Option<&Node>| match node {
        None => "absent".to_string(),
        Some(Node::Dir) => "a directory".to_string(),
        Some(Node::Link(target)) => format!("a link to {}", String::from_utf8_lossy(target)),
        Some(Node::File { mode, content }) => format!(
            "a file {mode:o} `{}`",
            String::from_utf8_lossy(content).escape_debug()
        ),
    };
    let mut paths: Vec<&Vec<u8>> = ours.keys().chain(theirs.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| ours.get(*p) != theirs.get(*p))
        .map(|p| {
            format!(
                "{}: pachhook {}, docker build {}",
                String::from_utf8_lossy(p).escape_debug(),
                show(ours.get(p)),
                show(theirs.get(p))
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_cmd(command: Command) -> Run {
    run(command, std::time::Duration::from_secs(600))
}
