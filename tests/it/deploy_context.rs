//! What a build context holds, checked in the image the real engine builds from it:
//! names as git stores them (not UTF-8, long), modes and links; Git LFS files with their
//! real content; submodules at their recorded commits; a large file streamed in
//! bounded memory; and the commit's attributes applied by Debian's git 2.39 as by newer.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::*;

/// Exit code of a deploy stopped by its configuration or the commit (usage).
const USAGE: Option<i32> = Some(2);

/// One entry of the image's copy of the context.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Node {
    Dir,
    File { mode: u32, content: Vec<u8> },
    Link(Vec<u8>),
}

/// Everything under `dir` in the image `reference`, by path below `dir` (bytes), read
/// through the engine (`docker cp` streams a tar archive; a `FROM scratch` image runs
/// nothing).
pub(crate) fn tree_in_image(reference: &str, dir: &str) -> BTreeMap<Vec<u8>, Node> {
    let created = docker(&["create", reference, "/none"]);
    assert!(
        created.status.success(),
        "docker create {reference}: {created:?}"
    );
    let id = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let copied = docker(&["cp", &format!("{id}:{dir}"), "-"]);
    let _ = docker(&["rm", "-f", &id]);
    assert!(copied.status.success(), "docker cp: {copied:?}");
    let mut archive = tar::Archive::new(copied.stdout.as_slice());
    let top = Path::new(dir).file_name().unwrap().as_bytes().to_vec();
    let mut nodes = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path_bytes().into_owned();
        let path = path.strip_suffix(b"/").unwrap_or(&path).to_vec();
        let Some(rel) = path.strip_prefix(top.as_slice()) else {
            continue;
        };
        let rel = rel.strip_prefix(b"/").unwrap_or(rel).to_vec();
        if rel.is_empty() {
            continue;
        }
        let node = match entry.header().entry_type() {
            tar::EntryType::Directory => Node::Dir,
            tar::EntryType::Symlink => Node::Link(entry.link_name_bytes().unwrap().into_owned()),
            _ => {
                let mut content = Vec::new();
                entry.read_to_end(&mut content).unwrap();
                Node::File {
                    mode: entry.header().mode().unwrap() & 0o777,
                    content,
                }
            }
        };
        nodes.insert(rel, node);
    }
    nodes
}

fn file(content: &[u8]) -> Node {
    Node::File {
        mode: 0o644,
        content: content.to_vec(),
    }
}

/// A repository whose one image copies its whole context to `/ctx`.
fn copying_repo(registry: &str, name: &str) -> (Repo, String) {
    let (repo, image, _) = managed_repo(registry, name, "");
    repo.write("images/edges/Dockerfile", "FROM scratch\nCOPY . /ctx/\n");
    (repo, image)
}

fn write_bytes(repo: &Repo, rel: &[u8], content: &[u8]) {
    let path = repo.path().join(OsStr::from_bytes(rel));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

#[test]
fn names_modes_and_links_reach_the_image_as_committed() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "names");
    // Latin-1 names, as an old tool writes them: not UTF-8.
    write_bytes(&repo, b"images/edges/caf\xe9.txt", b"latin-1 name\n");
    write_bytes(
        &repo,
        b"images/edges/d\xefr/inner.txt",
        b"in a latin-1 directory\n",
    );
    let long_dir = "d".repeat(120);
    let long_name = "f".repeat(110);
    repo.write(
        &format!("images/edges/{long_dir}/{long_name}"),
        "long path\n",
    );
    repo.write("images/edges/run.sh", "#!/bin/sh\n");
    std::fs::set_permissions(
        repo.path().join("images/edges/run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let long_target = format!("{long_dir}/{long_name}");
    std::os::unix::fs::symlink(&long_target, repo.path().join("images/edges/link")).unwrap();
    let sha = repo.commit_all("names");

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let ctx = tree_in_image(&format!("{image}:{sha}"), "/ctx");
    assert_eq!(
        ctx.get(b"caf\xe9.txt".as_slice()),
        Some(&file(b"latin-1 name\n")),
        "{ctx:?}"
    );
    assert_eq!(ctx.get(b"d\xefr".as_slice()), Some(&Node::Dir));
    assert_eq!(
        ctx.get(b"d\xefr/inner.txt".as_slice()),
        Some(&file(b"in a latin-1 directory\n"))
    );
    assert_eq!(
        ctx.get(format!("{long_dir}/{long_name}").as_bytes()),
        Some(&file(b"long path\n"))
    );
    assert_eq!(
        ctx.get(b"run.sh".as_slice()),
        Some(&Node::File {
            mode: 0o755,
            content: b"#!/bin/sh\n".to_vec()
        })
    );
    assert_eq!(
        ctx.get(b"link".as_slice()),
        Some(&Node::Link(long_target.into_bytes()))
    );
    assert_eq!(
        ctx.get(b"message.txt".as_slice()),
        Some(&file(b"committed\n"))
    );
}

/// `git lfs`, which scripts/services.sh installs: these tests run for real, never skip.
fn lfs(repo: &Repo) {
    let version = crate::support::isolated("git")
        .args(["lfs", "version"])
        .output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "git-lfs is not installed: run scripts/services.sh as root"
    );
    repo.git(&["lfs", "install", "--local"]);
    repo.write(
        ".gitattributes",
        "*.bin filter=lfs diff=lfs merge=lfs -text\n",
    );
}

const POINTER_LOOKALIKE: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

#[test]
fn lfs_files_are_built_from_their_content() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "lfs");
    lfs(&repo);
    let model: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    write_bytes(&repo, b"images/edges/model.bin", &model);
    // Pointer text in a file the attributes do not give to LFS stays as it is.
    repo.write("images/edges/notes/pointer.txt", POINTER_LOOKALIKE);
    let sha = repo.commit_all("lfs");
    let stored = repo.git(&["cat-file", "-p", "HEAD:images/edges/model.bin"]);
    assert!(
        stored.starts_with("version https://git-lfs"),
        "committed as a pointer: {stored}"
    );

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let ctx = tree_in_image(&format!("{image}:{sha}"), "/ctx");
    assert_eq!(
        ctx.get(b"model.bin".as_slice()),
        Some(&file(&model)),
        "the real content"
    );
    assert_eq!(
        ctx.get(b"notes/pointer.txt".as_slice()),
        Some(&file(POINTER_LOOKALIKE.as_bytes()))
    );
}

#[test]
fn an_lfs_object_missing_from_the_local_store_stops_before_any_build() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "lfs-missing");
    lfs(&repo);
    repo.write("images/edges/weights/model.bin", "weights\n");
    let sha = repo.commit_all("lfs");
    std::fs::remove_dir_all(repo.path().join(".git/lfs/objects")).unwrap();

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, USAGE, "{run}");
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("images/edges/weights/model.bin"))
        .unwrap_or_else(|| panic!("one line names the file: {run}"));
    assert!(line.contains("not in the local LFS store"), "{line}");
    assert!(line.contains("git lfs fetch"), "says how to fix it: {line}");
    assert!(!run.stderr.contains("building"), "nothing built: {run}");
    assert!(
        !docker(&["image", "inspect", &format!("{image}:{sha}")])
            .status
            .success(),
        "no image"
    );
    assert!(repo.calls().is_empty());
}

/// A directory holding every program of `PATH` except git-lfs.
fn path_without_git_lfs(repo: &Repo) -> String {
    let bin = repo.aux.path().join("no-lfs-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = test_path();
    for dir in std::env::split_paths(&path) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name == "git-lfs" || bin.join(&name).exists() {
                continue;
            }
            let _ = std::os::unix::fs::symlink(entry.path(), bin.join(&name));
        }
    }
    bin.to_string_lossy().into_owned()
}

#[test]
fn without_git_lfs_a_deploy_stops_naming_the_file() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "no-lfs");
    lfs(&repo);
    repo.write("images/edges/model.bin", "weights\n");
    let sha = repo.commit_all("lfs");
    let path = path_without_git_lfs(&repo);
    let check = crate::support::isolated("git")
        .args(["lfs", "version"])
        .env("PATH", &path)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!check.success(), "git-lfs must be out of reach");

    let run = repo.pachhook_env(&["deploy"], &[("PATH", &path)], None);
    assert_eq!(run.code, USAGE, "{run}");
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("images/edges/model.bin"))
        .unwrap_or_else(|| panic!("one line names the file: {run}"));
    assert!(line.contains("install git-lfs"), "{line}");
    assert!(!run.stderr.contains("building"), "nothing built: {run}");
    assert!(
        !docker(&["image", "inspect", &format!("{image}:{sha}")])
            .status
            .success()
    );
}

/// A repository of its own with `lib.txt` at two commits: (its path, first, second).
fn library(parent: &Repo) -> (std::path::PathBuf, String, String) {
    let dir = parent.aux.path().join("library");
    std::fs::create_dir_all(&dir).unwrap();
    let git = |args: &[&str]| {
        let out = crate::support::isolated("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@test.invalid"])
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("lib.txt"), "library v1\n").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-qm", "v1"]);
    let first = git(&["rev-parse", "HEAD"]);
    std::fs::write(dir.join("lib.txt"), "library v2\n").unwrap();
    git(&["commit", "-qam", "v2"]);
    let second = git(&["rev-parse", "HEAD"]);
    (dir, first, second)
}

#[test]
fn a_submodule_is_built_from_the_commit_its_gitlink_records() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "submodule");
    let (library, first, second) = library(&repo);
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &library.to_string_lossy(),
        "images/edges/vendor/lib",
    ]);
    // The gitlink records the first commit; the submodule's checkout then moves on to
    // the second, uncommitted in the superproject: the first is what gets built.
    let sub = repo.path().join("images/edges/vendor/lib");
    let checkout = |rev: &str| {
        let ok = crate::support::isolated("git")
            .args(["checkout", "-q", rev])
            .current_dir(&sub)
            .status()
            .unwrap();
        assert!(ok.success());
    };
    checkout(&first);
    let sha = repo.commit_all("vendored library at v1");
    checkout(&second);
    assert!(repo.git(&["status", "--porcelain"]).contains("vendor/lib"));

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let ctx = tree_in_image(&format!("{image}:{sha}"), "/ctx");
    assert_eq!(
        ctx.get(b"vendor/lib".as_slice()),
        Some(&Node::Dir),
        "{ctx:?}"
    );
    assert_eq!(
        ctx.get(b"vendor/lib/lib.txt".as_slice()),
        Some(&file(b"library v1\n")),
        "the recorded commit, not the checkout"
    );
}

#[test]
fn a_submodule_without_its_commit_stops_the_deploy_naming_it_unless_ignored() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "submodule-missing");
    // A gitlink to a commit no local repository has (a clone without
    // `--recurse-submodules` looks like this).
    let missing = "0123456789abcdef0123456789abcdef01234567";
    repo.commit_all("base");
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{missing},images/edges/third_party"),
    ]);
    repo.git(&["commit", "-qm", "gitlink"]);
    let sha = repo.git(&["rev-parse", "HEAD"]);

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, USAGE, "{run}");
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("images/edges/third_party"))
        .unwrap_or_else(|| panic!("one line names the submodule: {run}"));
    assert!(line.contains(missing), "and its commit: {line}");
    assert!(line.contains("git submodule update --init"), "{line}");
    assert!(
        !docker(&["image", "inspect", &format!("{image}:{sha}")])
            .status
            .success()
    );

    // Left out of the context on purpose, it is no longer needed, even with an
    // exception that could bring something inside it back (a checkout without it
    // would send nothing from there either).
    repo.write(
        "images/edges/.dockerignore",
        "third_party\n!third_party/keep.txt\n!message.txt\n",
    );
    let sha = repo.commit_all("ignore the submodule");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let ctx = tree_in_image(&format!("{image}:{sha}"), "/ctx");
    assert!(!ctx.contains_key(b"third_party".as_slice()));
    assert_eq!(
        ctx.get(b"message.txt".as_slice()),
        Some(&file(b"committed\n"))
    );
}

/// 300 MB of content that names its own position (so a lost or repeated block shows),
/// made one 64 KiB block at a time.
const BIG: u64 = 300 * 1000 * 1000;
const BLOCK: usize = 64 * 1024;

fn big_block(index: u64) -> Vec<u8> {
    let line = format!("block {index:012}\n");
    line.bytes().cycle().take(BLOCK).collect()
}

fn write_big(path: &Path) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut left = BIG;
    let mut index = 0;
    while left > 0 {
        let block = big_block(index);
        let n = usize::try_from(left.min(BLOCK as u64)).unwrap();
        out.write_all(&block[..n]).unwrap();
        left -= n as u64;
        index += 1;
    }
    out.flush().unwrap();
}

/// Whether `/ctx/big.bin` in the image is exactly the content `write_big` made, read
/// as a stream from the engine (`docker save`: no container, so no second copy on disk).
fn big_in_image(reference: &str) -> Result<(), String> {
    let mut child = Command::new("docker")
        .args(["save", reference])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut image = tar::Archive::new(child.stdout.take().unwrap());
    let mut result = Err("no ctx/big.bin in the image's layers".to_string());
    'layers: for layer in image.entries().unwrap() {
        let layer = layer.unwrap();
        // Layers are `<id>/layer.tar` (Docker before 25) or OCI blobs; any other blob
        // (a JSON config) does not read as a tar archive and is passed over.
        let path = layer.path_bytes();
        if !(path.ends_with(b"layer.tar") || path.starts_with(b"blobs/")) {
            continue;
        }
        let mut files = tar::Archive::new(layer);
        let Ok(entries) = files.entries() else {
            continue;
        };
        for entry in entries {
            let Ok(entry) = entry else {
                continue 'layers;
            };
            if entry.path_bytes().as_ref() == b"ctx/big.bin" {
                result = same_as_big(entry);
                break 'layers;
            }
        }
    }
    drop(image);
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn same_as_big(mut entry: impl Read) -> Result<(), String> {
    let mut buf = vec![0u8; BLOCK];
    let (mut index, mut seen) = (0, 0u64);
    loop {
        let want = usize::try_from((BIG - seen).min(BLOCK as u64)).unwrap();
        if want == 0 {
            let extra = entry.read(&mut buf).map_err(|e| e.to_string())?;
            return if extra == 0 {
                Ok(())
            } else {
                Err("longer than written".into())
            };
        }
        if entry.read_exact(&mut buf[..want]).is_err() {
            return Err(format!("ends after {seen} bytes"));
        }
        if buf[..want] != big_block(index)[..want] {
            return Err(format!("block {index} differs"));
        }
        seen += want as u64;
        index += 1;
    }
}

/// `pachhook deploy` under GNU time: the run, and its peak resident memory in KiB (the
/// largest of pachhook and each program it ran).
fn deploy_measured(repo: &Repo) -> (Run, u64) {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "GNU time is missing: run scripts/services.sh as root"
    );
    let out = repo.aux.path().join("time.txt");
    let mut command = repo.command(time);
    command.args(["-o", &out.to_string_lossy(), "-f", "%M", BIN, "deploy"]);
    let run = run(command, std::time::Duration::from_secs(600));
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no figure from time: {text}\n{run}"));
    (run, kib)
}

#[test]
fn a_300_mb_file_is_streamed_in_bounded_memory_loose_and_packed() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "big");
    write_big(&repo.path().join("images/edges/big.bin"));
    let sha = repo.commit_all("a 300 MB file");
    const LIMIT_KIB: u64 = 160 * 1024;

    // As `git add` leaves it: a loose object.
    let (run, kib) = deploy_measured(&repo);
    assert_eq!(run.code, Some(0), "{run}");
    eprintln!("peak with a loose 300 MB blob: {kib} KiB");
    assert!(kib < LIMIT_KIB, "peak {kib} KiB with a loose 300 MB blob");
    let reference = format!("{image}:{sha}");
    assert_eq!(big_in_image(&reference), Ok(()));
    let _ = docker(&["rmi", "-f", &reference]);

    // As a clone or `git gc` leaves it: packed.
    repo.git(&["repack", "-adq"]);
    repo.write("images/edges/message.txt", "packed\n");
    let sha = repo.commit_all("packed");
    repo.git(&["repack", "-adq"]);
    let (run, kib) = deploy_measured(&repo);
    assert_eq!(run.code, Some(0), "{run}");
    eprintln!("peak with a packed 300 MB blob: {kib} KiB");
    assert!(kib < LIMIT_KIB, "peak {kib} KiB with a packed 300 MB blob");
    let reference = format!("{image}:{sha}");
    assert_eq!(big_in_image(&reference), Ok(()));
    let _ = docker(&["rmi", "-f", &reference]);
}

#[test]
fn a_moved_submodule_without_a_checkout_is_found_by_its_name() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "submodule-moved");
    let (library, _, second) = library(&repo);
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &library.to_string_lossy(),
        "images/edges/lib",
    ]);
    // Moved: its name (and its repository, .git/modules/images/edges/lib) stays; then
    // deinitialized: no checkout in the work tree to read from.
    repo.git(&["mv", "images/edges/lib", "images/edges/vendored"]);
    let sha = repo.commit_all("moved");
    repo.git(&["submodule", "deinit", "-q", "-f", "images/edges/vendored"]);
    assert!(repo.path().join(".git/modules/images/edges/lib").is_dir());
    assert!(!repo.path().join("images/edges/vendored/lib.txt").exists());

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let ctx = tree_in_image(&format!("{image}:{sha}"), "/ctx");
    assert_eq!(
        ctx.get(b"vendored/lib.txt".as_slice()),
        Some(&file(b"library v2\n")),
        "{second}: {ctx:?}"
    );
}

#[test]
fn lfs_files_inside_a_submodule_come_from_its_own_lfs_store() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "submodule-lfs");
    // A library that keeps its data in LFS.
    let library = Repo::new();
    lfs(&library);
    library.write("data.bin", "data from lfs\n");
    library.commit_all("data");
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &library.path().to_string_lossy(),
        "images/edges/dep",
    ]);
    // The submodule's LFS objects, fetched into its own store
    // (.git/modules/images/edges/dep/lfs).
    let dep = repo.at(repo.path().join("images/edges/dep"));
    dep.git(&["lfs", "install", "--local"]);
    dep.git(&["lfs", "fetch"]);
    let sha = repo.commit_all("dep");

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let ctx = tree_in_image(&format!("{image}:{sha}"), "/ctx");
    assert_eq!(
        ctx.get(b"dep/data.bin".as_slice()),
        Some(&file(b"data from lfs\n")),
        "{ctx:?}"
    );
}

/// Adds a line to the `[[build]]` block `managed_repo` writes.
fn build_setting(repo: &Repo, line: &str) {
    let toml = String::from_utf8(repo.read("pachhook.toml")).unwrap();
    let key = line.split('=').next().unwrap_or(line).trim();
    let toml: String = toml
        .lines()
        .filter(|l| !l.starts_with(&format!("{key} =")))
        .map(|l| format!("{l}\n"))
        .collect();
    let toml = toml.replacen(
        "context = \"images/edges\"\n",
        &format!("context = \"images/edges\"\n{line}\n"),
        1,
    );
    repo.write("pachhook.toml", &toml);
}

#[test]
fn the_platform_setting_reaches_the_engine() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "platform");
    // Not the engine's own platform: the image says what the engine was asked.
    build_setting(&repo, "platform = \"linux/arm64\"");
    let sha = repo.commit_all("for arm64");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    let reference = format!("{image}:{sha}");
    let inspect = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Os}}/{{.Architecture}}",
        &reference,
    ]);
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        "linux/arm64",
        "{inspect:?}"
    );

    build_setting(&repo, "platform = \"arm64\"");
    repo.commit_all("a platform without its os");
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, USAGE, "{run}");
    assert!(
        run.stderr.contains("platform `arm64`") && run.stderr.contains("linux/amd64"),
        "says how to write it: {run}"
    );
}

#[test]
fn a_filter_that_cannot_run_stops_the_deploy_naming_the_file_and_the_filter() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "filter-fails");
    repo.write("images/edges/.gitattributes", "*.enc filter=crypt\n");
    repo.git(&["config", "filter.crypt.clean", "cat"]);
    repo.git(&["config", "filter.crypt.smudge", "cat"]);
    repo.write("images/edges/keys.enc", "sealed\n");
    let sha = repo.commit_all("an encrypted file");
    // Here, the filter's program cannot run (git-crypt not installed, say).
    repo.git(&["config", "filter.crypt.smudge", "no-such-filter-program"]);

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, USAGE, "{run}");
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("images/edges/keys.enc"))
        .unwrap_or_else(|| panic!("one line names the file: {run}"));
    assert!(line.contains("filter=crypt"), "and the filter: {line}");
    assert!(!run.stderr.contains("building"), "nothing built: {run}");
    assert!(
        !docker(&["image", "inspect", &format!("{image}:{sha}")])
            .status
            .success()
    );
}

#[test]
fn a_filter_leaving_a_child_behind_does_not_hold_the_deploy() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "filter-child");
    repo.write("images/edges/.gitattributes", "*.enc filter=crypt\n");
    repo.git(&["config", "filter.crypt.clean", "cat"]);
    repo.write("images/edges/keys.enc", "sealed\n");
    let sha = repo.commit_all("an encrypted file");
    // The smudge filter answers, and leaves a process holding git's standard error
    // (which git gave it): a deploy waited for it before.
    repo.git(&[
        "config",
        "filter.crypt.smudge",
        "cat; sleep 600 >/dev/null </dev/null &",
    ]);

    let start = std::time::Instant::now();
    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(300),
        "not held by the filter's child"
    );
    let ctx = tree_in_image(&format!("{image}:{sha}"), "/ctx");
    assert_eq!(ctx.get(b"keys.enc".as_slice()), Some(&file(b"sealed\n")));
}

/// A repository with one image and no spec, cloned blobless (`--filter=blob:none`,
/// no checkout) from a local remote: (the clone, the remote, the image).
fn blobless_clone(registry: &str, name: &str) -> (Repo, Repo, String) {
    let origin = Repo::new();
    let image = format!("{registry}/{}", unique(name));
    origin.write(
        "pachhook.toml",
        &format!(
            "[[build]]\nimage = \"{image}\"\ncontext = \"images/edges\"\n\n[deploy]\nenabled = true\npachctl = \"{}\"\n",
            pachctl()
        ),
    );
    origin.write("images/edges/Dockerfile", "FROM scratch\nCOPY . /ctx/\n");
    origin.write("images/edges/message.txt", "fetched on demand\n");
    for i in 0..6 {
        origin.write(
            &format!("images/edges/data/{i}.txt"),
            &format!("data {i}\n"),
        );
    }
    origin.commit_all("base");
    origin.git(&["config", "uploadpack.allowfilter", "true"]);
    let clone = Repo::new();
    let url = format!("file://{}", origin.path().display());
    clone.git(&["remote", "add", "origin", &url]);
    clone.git(&["fetch", "-q", "--filter=blob:none", "origin", "main"]);
    clone.git(&["config", "remote.origin.promisor", "true"]);
    clone.git(&["config", "remote.origin.partialclonefilter", "blob:none"]);
    clone.git(&["update-ref", "refs/heads/main", "origin/main"]);
    // The settings, read before the context (and not this reader), are fetched.
    clone.git(&["cat-file", "-p", "HEAD:pachhook.toml"]);
    let missing = clone.git(&["rev-list", "--objects", "--missing=print", "HEAD"]);
    assert!(missing.contains("?"), "blobs are missing: {missing}");
    (clone, origin, image)
}

#[test]
fn a_partial_clone_fetches_the_context_through_git_or_says_what_to_run() {
    let Some(svc) = services() else { return };
    let (clone, _origin, image) = blobless_clone(&svc.registry, "partial");
    let sha = clone.git(&["rev-parse", "HEAD"]);
    let packs = || {
        std::fs::read_dir(clone.path().join(".git/objects/pack"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pack"))
            })
            .count()
    };
    let before = packs();
    let run = clone.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    // The Dockerfile read first, then the rest of the context in one fetch (not one
    // per file).
    assert!(
        packs() - before <= 2,
        "{} fetches for 8 files",
        packs() - before
    );
    let ctx = tree_in_image(&format!("{image}:{sha}"), "/ctx");
    assert_eq!(
        ctx.get(b"message.txt".as_slice()),
        Some(&file(b"fetched on demand\n")),
        "{ctx:?}"
    );

    // The remote out of reach: one line says it is a partial clone and what to run.
    let (clone, origin, _) = blobless_clone(&svc.registry, "partial-offline");
    let away = origin.path().with_extension("away");
    std::fs::rename(origin.path(), &away).unwrap();
    let run = clone.pachhook(&["deploy"]);
    std::fs::rename(&away, origin.path()).unwrap();
    assert_eq!(run.code, USAGE, "{run}");
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("partial clone"))
        .unwrap_or_else(|| panic!("one line says it is a partial clone: {run}"));
    assert!(line.contains("git fetch --refetch"), "{line}");
    assert!(!run.stderr.contains("class=Odb"), "{run}");
}

#[test]
fn a_dockerfile_that_needs_buildkit_gets_one_line_saying_so() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "needs-buildkit");
    repo.write(
        "images/edges/Dockerfile",
        "FROM scratch\nCOPY --chmod=755 message.txt /message.txt\n",
    );
    let sha = repo.commit_all("COPY --chmod");
    // An engine without BuildKit, as `DOCKER_BUILDKIT=0` makes it for pachhook.
    let run = repo.pachhook_env(&["deploy"], &[("DOCKER_BUILDKIT", "0")], None);
    assert_ne!(run.code, Some(0), "{run}");
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("needs BuildKit"))
        .collect();
    assert_eq!(lines.len(), 1, "one line says so: {run}");
    assert!(lines[0].contains("--chmod"), "{}", lines[0]);
    assert!(
        !docker(&["image", "inspect", &format!("{image}:{sha}")])
            .status
            .success()
    );
}

/// A base image with a shell, built here from Debian's busybox-static (nothing can be
/// pulled): its reference.
fn busybox_base(repo: &Repo) -> String {
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "busybox-static is not installed: run scripts/services.sh as root"
    );
    let dir = repo.aux.path().join("base");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(busybox, dir.join("busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", dir.join("sh")).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY sh /bin/sh\n",
    )
    .unwrap();
    let reference = format!("pachhook-test-busybox:{}", std::process::id());
    let mut build = repo.command("docker");
    build
        .args(["build", "-q", "-t", &reference])
        .arg(&dir)
        .env("DOCKER_BUILDKIT", "0");
    let out = run(build, std::time::Duration::from_secs(300));
    assert_eq!(out.code, Some(0), "{out}");
    reference
}

/// The mode and content of the file `path` in a local image.
fn file_with_mode(reference: &str, path: &str) -> Option<(u32, Vec<u8>)> {
    let created = docker(&["create", reference, "/none"]);
    assert!(created.status.success(), "{created:?}");
    let id = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let copied = docker(&["cp", &format!("{id}:{path}"), "-"]);
    let _ = docker(&["rm", "-f", &id]);
    if !copied.status.success() {
        return None;
    }
    let mut archive = tar::Archive::new(copied.stdout.as_slice());
    let mut entry = archive.entries().ok()?.next()?.ok()?;
    let mode = entry.header().mode().ok()? & 0o7777;
    let mut content = Vec::new();
    entry.read_to_end(&mut content).ok()?;
    Some((mode, content))
}

#[test]
fn a_dockerfile_that_needs_buildkit_builds_with_buildkit() {
    let Some(svc) = services() else { return };
    let (repo, image) = copying_repo(&svc.registry, "buildkit");
    let base = busybox_base(&repo);
    repo.write(
        "images/edges/Dockerfile",
        &format!(
            "FROM {base}\nCOPY --chmod=755 tool.sh /tool.sh\nCOPY . /ctx/\n\
             RUN --mount=type=cache,target=/cache /bin/busybox sh -c 'echo cached > /cache/f && /bin/busybox cp /cache/f /from-cache'\n"
        ),
    );
    repo.write("images/edges/tool.sh", "#!/bin/sh\necho tool\n");
    // The engine's BuildKit applies no .dockerignore: deploy does, as the CLI would.
    repo.write("images/edges/.dockerignore", ".dockerignore\nsecret.txt\n");
    repo.write("images/edges/secret.txt", "secret\n");
    // No network for RUN: the engine here has no bridge (and a build needs none).
    build_setting(&repo, "network = \"none\"");
    let sha = repo.commit_all("BuildKit syntax");

    let run = repo.pachhook(&["deploy"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stderr.contains("building with BuildKit"),
        "says which builder: {run}"
    );
    assert!(
        run.stderr.contains("--mount=type=cache"),
        "the steps are shown as they run: {run}"
    );
    let reference = format!("{image}:{sha}");
    assert_eq!(
        file_with_mode(&reference, "/tool.sh"),
        Some((0o755, b"#!/bin/sh\necho tool\n".to_vec())),
        "COPY --chmod"
    );
    assert_eq!(
        file_with_mode(&reference, "/from-cache").map(|(_, c)| c),
        Some(b"cached\n".to_vec()),
        "RUN --mount=type=cache"
    );
    let ctx = tree_in_image(&reference, "/ctx");
    assert!(ctx.contains_key(b"message.txt".as_slice()), "{ctx:?}");
    assert!(!ctx.contains_key(b"secret.txt".as_slice()), "{ctx:?}");
    assert!(!ctx.contains_key(b".dockerignore".as_slice()), "{ctx:?}");
    let _ = docker(&["rmi", "-f", &base]);
}

/// The commit's attributes reach the image from every place git reads them
/// (`.gitattributes` above the context and inside it, a deeper one overriding,
/// `$GIT_DIR/info/attributes`), and never from the work tree, the index, `attr.tree`
/// or `GIT_ATTR_SOURCE`: the image holds what a checkout of the commit by the same
/// `git` (on `path`) writes with the commit's attributes.
fn image_holds_the_checkouts_bytes(git: &str, path: &str) {
    let Some(svc) = services() else { return };
    let version = Command::new(git)
        .arg("--version")
        .env("PATH", path)
        .output()
        .unwrap_or_else(|e| panic!("{git}: {e}"));
    eprintln!("{}", String::from_utf8_lossy(&version.stdout).trim());
    let (repo, image) = copying_repo(&svc.registry, "attributes-git");
    repo.write(".gitattributes", "*.crlf eol=crlf\n*.rot filter=rot13\n");
    repo.write(
        "images/edges/.gitattributes",
        "ident.txt ident\nutf16.txt working-tree-encoding=UTF-16LE\n",
    );
    repo.write("images/edges/sub/.gitattributes", "*.crlf -text\n");
    repo.write(".git/info/attributes", "*.info eol=crlf\n");
    repo.git(&["config", "filter.rot13.smudge", "tr a-zA-Z n-za-mN-ZA-M"]);
    repo.git(&["config", "filter.rot13.clean", "tr a-zA-Z n-za-mN-ZA-M"]);
    repo.write("images/edges/a.crlf", "line one\nline two\n");
    repo.write("images/edges/sub/kept.crlf", "kept one\nkept two\n");
    repo.write("images/edges/local.info", "info one\ninfo two\n");
    repo.write("images/edges/ident.txt", "id: $Id$\n");
    let utf16: Vec<u8> = "encoded text\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    write_bytes(&repo, b"images/edges/utf16.txt", &utf16);
    repo.write("images/edges/secret.rot", "Hello Rot Thirteen\n");
    repo.write(".git/info/exclude", "pachhook.local.toml\n");
    let sha = repo.commit_all("attributes of every kind");
    // What is not committed counts for nothing: other attributes in the work tree,
    // staged in the index, and named by `attr.tree` and `GIT_ATTR_SOURCE` (git 2.40+).
    repo.write("images/edges/.gitattributes", "* -text -ident\n");
    repo.write("images/.gitattributes", "*.crlf -text\nident.txt -ident\n");
    repo.git(&[
        "add",
        "images/edges/.gitattributes",
        "images/.gitattributes",
    ]);
    repo.write(".gitattributes", "* -text\n");
    let other = repo.git(&["write-tree"]);
    repo.git(&["config", "attr.tree", &other]);
    repo.write(
        "pachhook.local.toml",
        &format!(
            "[deploy]\npachctl = \"{}\"\n",
            pachctl_dir().join("pachctl").display()
        ),
    );

    let run = repo.pachhook_env(
        &["deploy"],
        &[("PATH", path), ("GIT_ATTR_SOURCE", &other)],
        None,
    );
    assert_eq!(run.code, Some(0), "{run}");
    let image_tree = tree_in_image(&format!("{image}:{sha}"), "/ctx");

    let checkout = repo.aux.path().join("checkout");
    let added = repo
        .command(git)
        .args(["-c", "core.hooksPath=/dev/null", "-c", "attr.tree="])
        .args(["worktree", "add", "-q", "--detach"])
        .arg(&checkout)
        .arg(&sha)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(added.status.success(), "git worktree add: {added:?}");
    let converted: [(&str, &[u8]); 4] = [
        ("a.crlf", b"line one\r\nline two\r\n"),
        ("local.info", b"info one\r\ninfo two\r\n"),
        ("secret.rot", b"Hello Rot Thirteen\n"),
        ("utf16.txt", &utf16),
    ];
    for (name, expected) in converted {
        let written = std::fs::read(checkout.join("images/edges").join(name)).unwrap();
        assert_eq!(written, expected, "the checkout converts {name}");
    }
    let ident = std::fs::read(checkout.join("images/edges/ident.txt")).unwrap();
    assert!(ident.starts_with(b"id: $Id: "), "ident expanded: {ident:?}");
    for name in [
        "a.crlf",
        "sub/kept.crlf",
        "local.info",
        "ident.txt",
        "utf16.txt",
        "secret.rot",
        ".gitattributes",
        "sub/.gitattributes",
        "Dockerfile",
        "message.txt",
    ] {
        let written = std::fs::read(checkout.join("images/edges").join(name)).unwrap();
        assert_eq!(
            image_tree.get(name.as_bytes()),
            Some(&file(&written)),
            "{name} in the image is the checkout's: {run}"
        );
    }
}

/// Debian bookworm's git (2.39, at /usr/bin/git) has no `git check-attr --source`
/// (2.40): a deploy with only it on `PATH` applies the commit's attributes all the same.
/// (Where /usr/bin/git is newer, this runs the same path with it.)
#[test]
fn with_debians_old_git_the_image_holds_the_checkouts_bytes() {
    image_holds_the_checkouts_bytes("/usr/bin/git", "/usr/bin:/bin");
}

/// The same with the git first on the test's `PATH` (2.47 here), which also knows
/// `attr.tree` and `GIT_ATTR_SOURCE`.
#[test]
fn with_the_default_git_the_image_holds_the_checkouts_bytes() {
    image_holds_the_checkouts_bytes("git", &std::env::var("PATH").unwrap_or_default());
}
