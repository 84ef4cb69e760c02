//! A file's bytes as `git checkout` of its commit writes them: the blob with the
//! commit's `.gitattributes` applied (`eol`, `text`, `ident`, `working-tree-encoding`,
//! `filter=` smudge drivers) and the repository's own settings (`core.autocrlf`,
//! `core.eol`, the filter drivers it configures), or for a Git LFS file its content.
//!
//! This is the one place a build context's file content is decided. Git applies the
//! attributes, not us: `git check-attr` tells which files git would convert, and each
//! of those goes through `git cat-file --filters` (git 2.11 or later). `git cat-file
//! --batch --filters` would be one process for all, but git 2.47 writes the unconverted
//! size in its headers, so the converted stream cannot be cut apart; hence a process per
//! converted file, and none for the files git leaves as they are (most of them: those
//! are streamed from the object store by `blob`).
//!
//! Whose attributes: the commit's, never the user's work tree, index, `attr.tree` or
//! `GIT_ATTR_SOURCE`. Git reads a path's attributes (lowest priority first) from the
//! system file (`/etc/gitattributes`), `core.attributesFile`, the `.gitattributes` of
//! each directory from the top down to the path's own, and `$GIT_DIR/info/attributes`
//! (gitattributes(5)). Outside a bare repository the in-tree files come from the work
//! tree, then the index for a directory whose file is not there (attr.c `read_attr`,
//! direction `GIT_ATTR_CHECKIN`, that of both commands here; a checkout reads the index
//! first), or instead from the tree named by `GIT_ATTR_SOURCE` (git 2.40+) or
//! `attr.tree` (2.42+; a value that names no tree is ignored). `git cat-file
//! --filters` never loads the index (seen with strace on git 2.39 and 2.47) and reads
//! the in-tree files relative to its directory, so a temporary index alone would not
//! do. Hence one path for every git: `AttrTree` is a temporary work tree holding exactly
//! the commit's `.gitattributes` of the directories above the files asked about (blobs
//! as stored, as a checkout reads them from its index), with an index file that does
//! not exist (an empty index), `attr.tree` emptied and `GIT_ATTR_SOURCE` removed; both
//! commands run in it with `GIT_WORK_TREE` naming it and `GIT_DIR` the repository, so
//! the system file, `core.attributesFile`, `info/attributes` and the configuration count
//! as in a checkout. A `.gitattributes` that is not a regular file (a link) is left out
//! (git opens in-tree attribute files with `O_NOFOLLOW`), and so is one of 100 MiB or
//! more (git ignores it, attr.h `ATTR_MAX_FILE_SIZE`).
//!
//! A smudge filter runs as in a checkout: from the top of the work tree (that temporary
//! one, removed once the files are collected), with `GIT_DIR` naming the repository.

//! Converted files are written to an unnamed temporary file when collected: the tar
//! header needs the size before the content, a filter may not give the same bytes
//! twice, and a filter that fails must stop the deploy before any build, naming the
//! file and the filter. git holds a converted blob in memory while it converts it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use git2::{Oid, Repository};

use super::blob::{Blob, Store};
use super::child;
use super::lfs::{self, LfsFile, Pointer};
use super::tree::{Entry, os_path, read_size};

/// Bound on `git check-attr`.
const ATTR_LIMIT: Duration = Duration::from_secs(60);
/// Bound on converting one file (a smudge filter may decrypt or download).
const FILTER_LIMIT: Duration = Duration::from_secs(600);
/// The attributes that change what a checkout writes.
const ATTRS: [&str; 5] = ["filter", "text", "eol", "ident", "working-tree-encoding"];
/// Git ignores an attributes file this large or larger (attr.h `ATTR_MAX_FILE_SIZE`).
const ATTR_FILE_MAX: u64 = 100 * 1024 * 1024;

/// A file's content as a checkout writes it.
#[derive(Clone)]
pub enum Content {
    /// The blob as stored.
    Git(Blob),
    /// What an LFS pointer points to, from the local LFS store.
    Lfs(LfsFile),
    /// Converted by git when collected, kept in a temporary file.
    Converted {
        spool: Arc<File>,
        offset: u64,
        len: u64,
    },
}

impl Content {
    pub fn size(&self) -> u64 {
        match self {
            Content::Git(blob) => blob.size(),
            Content::Lfs(file) => file.size(),
            Content::Converted { len, .. } => *len,
        }
    }

    pub fn open(&self) -> Result<Box<dyn Read + Send>> {
        match self {
            Content::Git(blob) => blob.open(),
            Content::Lfs(file) => file.open(),
            Content::Converted { spool, offset, len } => Ok(Box::new(Spooled {
                file: spool.clone(),
                at: *offset,
                end: offset + len,
            })),
        }
    }
}

struct Spooled {
    file: Arc<File>,
    at: u64,
    end: u64,
}

impl Read for Spooled {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let want = buf
            .len()
            .min(usize::try_from(self.end - self.at).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the converted file ends early",
            ));
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// Finds what a checkout writes for each file of a walk: `consider` each file as it is
/// met, then `finish` asks git about them all at once.
#[derive(Default)]
pub struct Finder {
    /// Files by repository and root tree (a submodule is a repository of its own).
    groups: BTreeMap<(PathBuf, Oid), Vec<Candidate>>,
    stores: BTreeMap<PathBuf, Arc<Store>>,
}

struct Candidate {
    key: usize,
    shown: String,
    repo_path: Vec<u8>,
    id: Oid,
    /// The blob's text and parsed pointer, when it is shaped like an LFS pointer.
    pointer: Option<(Vec<u8>, Pointer)>,
}

/// What the attributes of one path say.
#[derive(Default)]
struct Attrs {
    values: BTreeMap<String, Vec<u8>>,
}

impl Attrs {
    fn get(&self, name: &str) -> &[u8] {
        self.values
            .get(name)
            .map_or(b"unspecified".as_slice(), Vec::as_slice)
    }

    fn has_value(&self, name: &str) -> bool {
        !matches!(self.get(name), b"unspecified" | b"unset" | b"set")
    }
}

/// `core.autocrlf` and `core.eol` of a repository.
#[derive(Clone, Copy, PartialEq)]
enum AutoCrlf {
    False,
    True,
    Input,
}

impl Finder {
    /// Notes the file `entry` (known to the caller as `key`) without reading anything:
    /// enough for `describe`, not for `finish` (no LFS pointer is recognized).
    pub fn note(&mut self, key: usize, entry: &Entry<'_>) {
        self.add(key, entry, None);
    }

    /// Notes the file `entry` (known to the caller as `key`) with its blob.
    pub fn consider(&mut self, key: usize, entry: &Entry<'_>, blob: &Blob) -> Result<()> {
        let mut pointer = None;
        if blob.size() <= lfs::POINTER_MAX
            && let Some(text) = entry.read_small(lfs::POINTER_MAX)?
            && let Some(parsed) = lfs::parse(&text)
        {
            pointer = Some((text, parsed));
        }
        self.add(key, entry, pointer);
        Ok(())
    }

    /// Groups the file by its repository and root tree, as `finish` runs git once per
    /// group.
    fn add(&mut self, key: usize, entry: &Entry<'_>, pointer: Option<(Vec<u8>, Pointer)>) {
        let dir = entry.store.git_dir().to_path_buf();
        self.stores.insert(dir.clone(), entry.store.clone());
        self.groups
            .entry((dir, entry.root))
            .or_default()
            .push(Candidate {
                key,
                shown: entry.shown(),
                repo_path: entry.repo_path.to_vec(),
                id: entry.oid(),
                pointer,
            });
    }

    /// The attributes git applies to each file (by key), as text, without converting
    /// anything: what decides, with the blob, what a checkout writes.
    pub fn describe(self) -> Result<Vec<(usize, Vec<u8>)>> {
        let mut out = Vec::new();
        for ((dir, root), candidates) in self.groups {
            let Some(store) = self.stores.get(&dir) else {
                continue;
            };
            let paths: Vec<&[u8]> = candidates.iter().map(|c| c.repo_path.as_slice()).collect();
            let view = AttrTree::new(store, root, &paths)?;
            let attrs = attributes(store, &view, &paths)?;
            for candidate in candidates {
                let Some(attr) = attrs.get(&candidate.repo_path) else {
                    continue;
                };
                let mut text = Vec::new();
                for (name, value) in &attr.values {
                    text.extend_from_slice(name.as_bytes());
                    text.push(b'=');
                    text.extend_from_slice(value);
                    text.push(b';');
                }
                out.push((candidate.key, text));
            }
        }
        Ok(out)
    }

    /// The content of each file (by key) whose checkout is not its blob as stored;
    /// every conversion is done now, so a filter that cannot run stops here.
    pub fn finish(self) -> Result<Vec<(usize, Content)>> {
        let mut found = Vec::new();
        let mut spool: Option<Arc<File>> = None;
        let mut lfs_runs = false;
        for ((dir, root), candidates) in self.groups {
            let Some(store) = self.stores.get(&dir) else {
                continue;
            };
            let paths: Vec<&[u8]> = candidates.iter().map(|c| c.repo_path.as_slice()).collect();
            let view = AttrTree::new(store, root, &paths)?;
            let attrs = attributes(store, &view, &paths)?;
            let (autocrlf, eol_crlf) = line_settings(store);
            for candidate in candidates {
                let none = Attrs::default();
                let attr = attrs.get(&candidate.repo_path).unwrap_or(&none);
                if attr.get("filter") == b"lfs" {
                    // git-lfs passes a file that is not a pointer through unchanged.
                    if let Some((text, pointer)) = candidate.pointer {
                        let file = lfs::resolve(
                            store,
                            &candidate.shown,
                            candidate.repo_path,
                            text,
                            pointer,
                            &mut lfs_runs,
                        )?;
                        found.push((candidate.key, Content::Lfs(file)));
                    }
                    continue;
                }
                if !converts(attr, autocrlf, eol_crlf) {
                    continue;
                }
                let file = match &spool {
                    Some(file) => file.clone(),
                    None => {
                        let file = Arc::new(
                            tempfile::tempfile()
                                .context("cannot create a temporary file for converted files")?,
                        );
                        spool = Some(file.clone());
                        file
                    }
                };
                let (offset, len) = convert(store, &view, &candidate, attr, &file)?;
                found.push((
                    candidate.key,
                    Content::Converted {
                        spool: file,
                        offset,
                        len,
                    },
                ));
            }
        }
        Ok(found)
    }
}

/// Whether git would write something other than the blob for a file with these
/// attributes (erring towards asking git: it then gives the blob back unchanged).
fn converts(attr: &Attrs, autocrlf: AutoCrlf, eol_crlf: bool) -> bool {
    if attr.get("ident") == b"set"
        || attr.has_value("filter")
        || attr.has_value("working-tree-encoding")
    {
        return true;
    }
    let text = attr.get("text");
    if text == b"unset" {
        return false;
    }
    match attr.get("eol") {
        b"lf" => false,
        b"crlf" => true,
        _ if text == b"set" || text == b"auto" => {
            autocrlf == AutoCrlf::True || (autocrlf == AutoCrlf::False && eol_crlf)
        }
        _ => autocrlf == AutoCrlf::True,
    }
}

/// `core.autocrlf` and whether `core.eol` is `crlf`, as the repository's settings say.
fn line_settings(store: &Store) -> (AutoCrlf, bool) {
    let Ok(config) = Repository::open(store.git_dir()).and_then(|r| r.config()) else {
        return (AutoCrlf::False, false);
    };
    let autocrlf = match config.get_string("core.autocrlf") {
        Ok(v) if v.eq_ignore_ascii_case("input") => AutoCrlf::Input,
        Ok(_) => match config.get_bool("core.autocrlf") {
            Ok(true) => AutoCrlf::True,
            _ => AutoCrlf::False,
        },
        Err(_) => AutoCrlf::False,
    };
    let eol_crlf = config
        .get_string("core.eol")
        .is_ok_and(|v| v.eq_ignore_ascii_case("crlf"));
    (autocrlf, eol_crlf)
}

/// The commit's `.gitattributes` files, where git looks for them (see the module
/// doc): a temporary work tree removed when dropped.
struct AttrTree {
    dir: tempfile::TempDir,
}

impl AttrTree {
    /// Holds the `.gitattributes` of `root` (a tree of the store's repository) in each
    /// directory above `paths`.
    fn new(store: &Arc<Store>, root: Oid, paths: &[&[u8]]) -> Result<AttrTree> {
        let dir = tempfile::Builder::new()
            .prefix("pachhook-attributes-")
            .tempdir()
            .context("cannot create a temporary directory for the commit's attributes")?;
        std::fs::create_dir(dir.path().join("tree"))
            .context("cannot create a temporary directory for the commit's attributes")?;
        let view = AttrTree { dir };
        let mut dirs: BTreeSet<&[u8]> = BTreeSet::new();
        for path in paths {
            let mut end = 0;
            dirs.insert(&path[..0]);
            while let Some(slash) = path[end..].iter().position(|&b| b == b'/') {
                end += slash;
                dirs.insert(&path[..end]);
                end += 1;
            }
        }
        let repo = Repository::open(store.git_dir())
            .with_context(|| format!("cannot open {}", store.git_dir().display()))?;
        let tree = repo
            .find_tree(root)
            .with_context(|| format!("cannot read tree {root}"))?;
        for dir in dirs {
            // Names git itself would refuse in a tree: never a path out of ours.
            if !dir.is_empty()
                && dir
                    .split(|&b| b == b'/')
                    .any(|c| matches!(c, b"" | b"." | b".."))
            {
                continue;
            }
            let mut rel = dir.to_vec();
            if !rel.is_empty() {
                rel.push(b'/');
            }
            rel.extend_from_slice(b".gitattributes");
            let Ok(entry) = tree.get_path(&os_path(&rel)) else {
                continue;
            };
            if !matches!(entry.filemode(), 0o100644 | 0o100755) {
                continue;
            }
            let shown = super::tree::display_path(&rel);
            let size = read_size(&repo, store, entry.id())
                .with_context(|| format!("cannot read `{shown}`"))?;
            if size >= ATTR_FILE_MAX {
                continue;
            }
            let mut content = Vec::new();
            Blob::new(store.clone(), entry.id(), size)
                .open()?
                .read_to_end(&mut content)
                .with_context(|| format!("cannot read `{shown}`"))?;
            let target = view.tree().join(os_path(&rel));
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .context("cannot write the commit's attributes to a temporary directory")?;
            }
            std::fs::write(&target, content)
                .context("cannot write the commit's attributes to a temporary directory")?;
        }
        Ok(view)
    }

    fn tree(&self) -> PathBuf {
        self.dir.path().join("tree")
    }

    /// `git` for the store's repository that sees the commit's attributes and nothing
    /// of the user's work tree or index.
    fn git(&self, store: &Store) -> Command {
        let tree = self.tree();
        let mut git = store.git();
        git.args(["-c", "attr.tree="])
            .env("GIT_WORK_TREE", &tree)
            .env("GIT_INDEX_FILE", self.index())
            .env_remove("GIT_ATTR_SOURCE")
            .current_dir(&tree);
        git
    }

    /// Never written: a missing index is an empty one.
    fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }
}

/// The attributes of the commit (`view`) for each path.
fn attributes(store: &Store, view: &AttrTree, paths: &[&[u8]]) -> Result<BTreeMap<Vec<u8>, Attrs>> {
    let mut input = Vec::new();
    for path in paths {
        input.extend_from_slice(path);
        input.push(0);
    }
    let mut git = view.git(store);
    git.args(["check-attr", "-z", "--stdin"]).args(ATTRS);
    let out = child::run(git, &input, ATTR_LIMIT, "`git check-attr`")?;
    if !out.status.success() {
        anyhow::bail!(
            "cannot read the commit's attributes (`git check-attr`): {}",
            out.error_line()
        );
    }
    // `<path>\0<attribute>\0<value>\0` for each path and attribute.
    let mut all: BTreeMap<Vec<u8>, Attrs> = BTreeMap::new();
    let fields: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
    for f in fields.chunks(3).filter(|f| f.len() == 3) {
        all.entry(f[0].to_vec())
            .or_default()
            .values
            .insert(String::from_utf8_lossy(f[1]).into_owned(), f[2].to_vec());
    }
    Ok(all)
}

/// Has git convert one file into `spool`: where it starts there and its length.
fn convert(
    store: &Store,
    view: &AttrTree,
    candidate: &Candidate,
    attr: &Attrs,
    spool: &File,
) -> Result<(u64, u64)> {
    let mut out = spool;
    let offset = out.seek(SeekFrom::End(0))?;
    let mut path_arg = std::ffi::OsString::from("--path=");
    path_arg.push(os_path(&candidate.repo_path));
    let mut git = view.git(store);
    git.args(["-c", "core.safecrlf=false", "cat-file", "--filters"])
        .arg(path_arg)
        .arg(candidate.id.to_string())
        // Never ask anyone for credentials.
        .env("GIT_TERMINAL_PROMPT", "0");
    let what = describe(attr);
    let done = child::run_into(
        git,
        spool.try_clone()?,
        FILTER_LIMIT,
        "`git cat-file --filters`",
    );
    let failure = |why: String| {
        anyhow!(
            "`{}` cannot be written as a checkout writes it: {what} {why}; \
             fix the attribute or configure the filter here (`git config filter.<name>.smudge`), \
             or leave the file out of the build context with .dockerignore",
            candidate.shown
        )
    };
    let (status, stderr) = done.map_err(|e| failure(format!("({e:#})")))?;
    let errors: Vec<String> = String::from_utf8_lossy(&stderr)
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("error:") || l.starts_with("fatal:"))
        .map(|l| crate::escape::escape(l).into_owned())
        .collect();
    if !status.success() || !errors.is_empty() {
        let line = errors
            .first()
            .cloned()
            .unwrap_or_else(|| "no message".into());
        return Err(failure(format!("failed: {line}")));
    }
    let end = out.seek(SeekFrom::End(0))?;
    Ok((offset, end - offset))
}

/// The attributes that made git convert a file, for messages.
fn describe(attr: &Attrs) -> String {
    let mut parts = Vec::new();
    for name in ATTRS {
        let value = attr.get(name);
        match value {
            b"unspecified" | b"unset" => {}
            b"set" => parts.push(name.to_string()),
            v => parts.push(format!(
                "{name}={}",
                crate::escape::escape(&String::from_utf8_lossy(v))
            )),
        }
    }
    if parts.is_empty() {
        "the line-ending conversion (core.autocrlf)".to_string()
    } else {
        format!("the attributes `{}`", parts.join(" "))
    }
}
