//! The build context of an image, taken from a commit's tree and never from the working
//! tree: what was pushed is what gets built, whatever is edited or untracked on disk.
//!
//! `collect` lists what goes into the archive, in steps: the `.dockerignore`, where the
//! Dockerfile is, the walk of the context directory (`repo::tree`, which enters
//! submodules at their recorded commits), and the Git LFS files among the files found
//! (`repo::lfs`). Names are bytes as git stores them. `Context::stream` then writes the
//! tar archive (the `tar` crate) on a thread of its own, reading each file as a stream
//! (`repo::blob`, `git lfs smudge`) into small chunks: memory does not grow with the size
//! of a file or of the context.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, anyhow};
use globset::{GlobBuilder, GlobMatcher};

use super::plan::clean;
use crate::repo::blob::Blob;
use crate::repo::lfs::{self, LfsFile};
use crate::repo::tree::{self, CommitTree, Entry, Step, display_path, os_path};

/// The name under which a Dockerfile from outside the context travels in the archive.
const OUTSIDE_DOCKERFILE: &str = ".pachhook.Dockerfile";
/// Bytes per chunk of the archive, and chunks written ahead of the upload.
const CHUNK: usize = 64 * 1024;
const READ_AHEAD: usize = 8;
/// A `.dockerignore` larger than this is not a list of patterns.
const IGNORE_MAX: u64 = 1024 * 1024;
/// Longest symbolic link target (Linux's `PATH_MAX`).
const LINK_MAX: u64 = 4096;

/// The files of one build context, ready to be streamed.
pub struct Context {
    entries: Vec<Item>,
    /// Path of the Dockerfile inside the archive (the `dockerfile` build option).
    pub dockerfile: String,
    /// File bytes to send, for progress.
    pub total_bytes: u64,
    mtime: u64,
}

struct Item {
    path: Vec<u8>,
    kind: Kind,
}

enum Kind {
    Dir,
    File { content: Content, executable: bool },
    Symlink(Vec<u8>),
}

/// A file's content as a checkout gives it: the blob, or what an LFS pointer points to.
enum Content {
    Git(Blob),
    Lfs(LfsFile),
}

impl Content {
    fn size(&self) -> u64 {
        match self {
            Content::Git(blob) => blob.size(),
            Content::Lfs(file) => file.size(),
        }
    }

    fn open(&self) -> Result<Box<dyn std::io::Read + Send>> {
        match self {
            Content::Git(blob) => blob.open(),
            Content::Lfs(file) => file.open(),
        }
    }
}

/// The context `context` (a directory of the commit, relative to its top) with the
/// Dockerfile `dockerfile` (relative to the context). Paths in the archive are relative
/// to the context directory.
pub fn collect(
    commit: &CommitTree<'_>,
    time: u64,
    context: &str,
    dockerfile: &str,
) -> Result<Context> {
    let dir = clean(context);
    match commit.kind_at(&dir)? {
        Some(tree::Kind::Dir) => {}
        Some(_) => anyhow::bail!("the build context `{context}` is not a directory in the commit"),
        None => anyhow::bail!("the build context `{context}` does not exist in the commit"),
    }
    let ignore = read_ignore(commit, &dir)?;
    let (dockerfile, outside) = locate_dockerfile(commit, &dir, dockerfile)?;
    let mut walk = Walk {
        ignore: &ignore,
        dockerfile: dockerfile.as_bytes(),
        entries: Vec::new(),
        dirs_sent: BTreeSet::new(),
        lfs: lfs::Finder::default(),
    };
    if let Some(blob) = outside {
        walk.entries.push(Item {
            path: OUTSIDE_DOCKERFILE.as_bytes().to_vec(),
            kind: Kind::File {
                content: Content::Git(blob),
                executable: false,
            },
        });
    }
    commit.walk(&dir, &mut |entry| walk.visit(entry))?;
    let mut entries = walk.entries;
    for (index, file) in walk.lfs.finish()? {
        if let Some(Item {
            kind: Kind::File { content, .. },
            ..
        }) = entries.get_mut(index)
        {
            *content = Content::Lfs(file);
        }
    }
    let total_bytes = entries
        .iter()
        .map(|item| match &item.kind {
            Kind::File { content, .. } => content.size(),
            _ => 0,
        })
        .sum();
    Ok(Context {
        entries,
        dockerfile,
        total_bytes,
        mtime: time,
    })
}

/// The context's `.dockerignore`, or no patterns.
fn read_ignore(commit: &CommitTree<'_>, dir: &str) -> Result<Ignore> {
    let path = if dir.is_empty() {
        ".dockerignore".to_string()
    } else {
        format!("{dir}/.dockerignore")
    };
    match commit.read(&path, IGNORE_MAX)? {
        Some(text) => Ignore::parse(&String::from_utf8_lossy(&text)).with_context(|| path.clone()),
        None => Ok(Ignore::default()),
    }
}

/// Where the Dockerfile travels in the archive, and its blob when it lies outside the
/// context (it then travels under a name of its own, as the docker CLI sends it).
fn locate_dockerfile(
    commit: &CommitTree<'_>,
    dir: &str,
    dockerfile: &str,
) -> Result<(String, Option<Blob>)> {
    let joined = clean(&format!("{dir}/{dockerfile}"));
    let Some(blob) = commit.blob_at(&joined)? else {
        anyhow::bail!("the Dockerfile `{joined}` does not exist in the commit");
    };
    if dir.is_empty() {
        return Ok((joined, None));
    }
    match joined.strip_prefix(&format!("{dir}/")) {
        Some(inside) => Ok((inside.to_string(), None)),
        None => Ok((OUTSIDE_DOCKERFILE.to_string(), Some(blob))),
    }
}

/// The state of the walk of a context directory.
struct Walk<'a> {
    ignore: &'a Ignore,
    dockerfile: &'a [u8],
    entries: Vec<Item>,
    dirs_sent: BTreeSet<Vec<u8>>,
    lfs: lfs::Finder,
}

impl Walk<'_> {
    fn visit(&mut self, entry: &Entry<'_>) -> Result<Step> {
        let path = entry.path;
        let excluded = self.ignore.excluded(path);
        match entry.kind {
            // A submodule is a directory whose content comes from its own repository.
            tree::Kind::Dir | tree::Kind::Submodule => {
                if !excluded {
                    self.dirs_sent.insert(path.to_vec());
                    self.entries.push(Item {
                        path: path.to_vec(),
                        kind: Kind::Dir,
                    });
                    Ok(Step::Descend)
                } else if self.ignore.has_exceptions() {
                    // A `!` pattern may bring something below back in.
                    Ok(Step::Descend)
                } else {
                    Ok(Step::Skip)
                }
            }
            tree::Kind::File | tree::Kind::Exec | tree::Kind::Symlink => {
                // The Dockerfile and .dockerignore are sent whatever the patterns say:
                // the engine needs them.
                let always = path == self.dockerfile || path == b".dockerignore";
                if excluded && !always {
                    return Ok(Step::Skip);
                }
                self.add_parents(path);
                let kind = if entry.kind == tree::Kind::Symlink {
                    let target = entry.read_small(LINK_MAX)?.ok_or_else(|| {
                        anyhow!(
                            "the symbolic link `{}` has a target longer than {LINK_MAX} bytes",
                            entry.shown()
                        )
                    })?;
                    Kind::Symlink(target)
                } else {
                    let blob = entry.blob()?;
                    self.lfs.consider(self.entries.len(), entry, &blob)?;
                    Kind::File {
                        content: Content::Git(blob),
                        executable: entry.kind == tree::Kind::Exec,
                    }
                };
                self.entries.push(Item {
                    path: path.to_vec(),
                    kind,
                });
                Ok(Step::Descend)
            }
        }
    }

    /// A file kept inside an excluded directory (by a `!` exception) still needs its
    /// directories in the archive.
    fn add_parents(&mut self, path: &[u8]) {
        for (i, _) in path.iter().enumerate().filter(|(_, b)| **b == b'/') {
            let dir = &path[..i];
            if self.dirs_sent.insert(dir.to_vec()) {
                self.entries.push(Item {
                    path: dir.to_vec(),
                    kind: Kind::Dir,
                });
            }
        }
    }
}

impl Context {
    /// Paths in the archive, in order (for tests and dry runs).
    pub fn paths(&self) -> Vec<&[u8]> {
        self.entries.iter().map(|i| i.path.as_slice()).collect()
    }

    /// The archive as a stream of chunks, written on a thread of its own a few chunks
    /// ahead of the upload. A read error ends the stream early and is left in `error`, so
    /// the caller can say why the engine saw a truncated archive. `sent` counts the bytes
    /// produced.
    pub fn stream(
        self,
        error: Arc<Mutex<Option<String>>>,
        sent: Arc<AtomicU64>,
    ) -> impl futures_util::Stream<Item = Vec<u8>> + Send + 'static {
        let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
        let gone = Arc::new(AtomicBool::new(false));
        let out = Chunks {
            tx,
            buf: Vec::with_capacity(CHUNK),
            sent,
            gone: gone.clone(),
        };
        std::thread::spawn(move || {
            // Once the request is dropped (a failed build, Ctrl-C), a write fails: that
            // is not a read error.
            if let Err(e) = self.write(out)
                && !gone.load(Ordering::Relaxed)
                && let Ok(mut slot) = error.lock()
            {
                *slot = Some(format!("{e:#}"));
            }
        });
        futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        })
    }

    /// Writes the archive to `out`; `stream` runs this on its thread.
    pub fn write<W: Write>(self, out: W) -> Result<()> {
        let mut archive = tar::Builder::new(out);
        for item in self.entries {
            let path = os_path(&item.path);
            let mut header = tar::Header::new_gnu();
            header.set_uid(0);
            header.set_gid(0);
            header.set_username("root")?;
            header.set_groupname("root")?;
            header.set_mtime(self.mtime);
            header.set_size(0);
            let shown = || display_path(&item.path);
            match item.kind {
                Kind::Dir => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_mode(0o755);
                    archive
                        .append_data(&mut header, &path, std::io::empty())
                        .with_context(|| format!("cannot add `{}`", shown()))?;
                }
                Kind::Symlink(target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_mode(0o777);
                    archive
                        .append_link(&mut header, &path, os_path(&target))
                        .with_context(|| format!("cannot add `{}`", shown()))?;
                }
                Kind::File {
                    content,
                    executable,
                } => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(if executable { 0o755 } else { 0o644 });
                    header.set_size(content.size());
                    let reader = content
                        .open()
                        .with_context(|| format!("cannot read `{}`", shown()))?;
                    archive
                        .append_data(&mut header, &path, reader)
                        .with_context(|| format!("cannot read `{}`", shown()))?;
                }
            }
        }
        let mut out = archive.into_inner()?;
        out.flush()?;
        Ok(())
    }
}

/// The archive's bytes, cut into chunks for the upload.
struct Chunks {
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
    buf: Vec<u8>,
    sent: Arc<AtomicU64>,
    gone: Arc<AtomicBool>,
}

impl Chunks {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        let len = chunk.len() as u64;
        if self.tx.blocking_send(chunk).is_err() {
            self.gone.store(true, Ordering::Relaxed);
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the engine stopped reading the context",
            ));
        }
        self.sent.fetch_add(len, Ordering::Relaxed);
        Ok(())
    }
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `.dockerignore` patterns, matched the way Docker does: paths relative to the context,
/// `*` and `?` within one path component, `**` across components, a pattern that matches
/// a directory excludes everything under it, `!` re-includes, and the last match wins.
#[derive(Default)]
pub struct Ignore {
    rules: Vec<(GlobMatcher, bool)>,
}

impl Ignore {
    pub fn parse(text: &str) -> Result<Ignore> {
        let mut rules = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclude, pattern) = match line.strip_prefix('!') {
                Some(rest) => (false, rest.trim()),
                None => (true, line),
            };
            let pattern = clean(pattern);
            if pattern.is_empty() {
                continue;
            }
            let glob = GlobBuilder::new(&pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| {
                    anyhow!(
                        "line {}: `{line}` is not a valid pattern: {}",
                        number + 1,
                        e.kind()
                    )
                })?;
            rules.push((glob.compile_matcher(), exclude));
        }
        Ok(Ignore { rules })
    }

    /// Whether `path` (relative to the context, `/`-separated bytes) is left out.
    pub fn excluded(&self, path: &[u8]) -> bool {
        let mut excluded = false;
        for (glob, exclude) in &self.rules {
            if excluded != *exclude && matches(glob, path) {
                excluded = *exclude;
            }
        }
        excluded
    }

    fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|(_, exclude)| !exclude)
    }
}

/// A pattern matches a path or any directory above it.
fn matches(glob: &GlobMatcher, path: &[u8]) -> bool {
    if glob.is_match(os_path(path)) {
        return true;
    }
    path.iter()
        .enumerate()
        .any(|(i, b)| *b == b'/' && glob.is_match(os_path(&path[..i])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_semantics() {
        let ig =
            Ignore::parse("# comment\n\n*.log\n!keep.log\ndata/\n**/*.tmp\nsecret?.txt\n/build\n")
                .unwrap();
        assert!(ig.excluded(b"a.log"));
        assert!(!ig.excluded(b"keep.log"));
        assert!(!ig.excluded(b"sub/a.log"), "* stays within one component");
        assert!(
            ig.excluded(b"data/x/y.bin"),
            "a directory excludes what is under it"
        );
        assert!(ig.excluded(b"deep/er/file.tmp"));
        assert!(ig.excluded(b"file.tmp"), "**/ matches zero directories");
        assert!(ig.excluded(b"secret1.txt"));
        assert!(!ig.excluded(b"secret12.txt"));
        assert!(ig.excluded(b"build/out.o"));
        assert!(!ig.excluded(b"src/main.rs"));
    }

    #[test]
    fn last_match_wins() {
        let ig = Ignore::parse("docs\n!docs/keep.md\n").unwrap();
        assert!(ig.excluded(b"docs/other.md"));
        assert!(!ig.excluded(b"docs/keep.md"));
        let ig = Ignore::parse("!a.txt\n*.txt\n").unwrap();
        assert!(ig.excluded(b"a.txt"));
    }

    #[test]
    fn cleans_paths() {
        assert_eq!(clean("./a//b/./c/"), "a/b/c");
        assert_eq!(clean("a/../b"), "b");
        assert_eq!(clean("."), "");
    }
}
