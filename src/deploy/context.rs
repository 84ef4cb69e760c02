//! The build context of an image, taken from a commit's tree and never from the working
//! tree: what was pushed is what gets built, whatever is edited or untracked on disk.
//! The archive holds what the docker CLI sends for `docker build` of a checkout of the
//! commit (classic builder): the same files, names, modes, link targets and bytes.
//!
//! `collect` lists what goes into the archive, in steps: the `.dockerignore` (read and
//! applied as the CLI does: `dockerignore`), where the Dockerfile is, the walk of the
//! context directory (`repo::tree`, which enters submodules at their recorded commits;
//! a context may itself be a submodule), and what a checkout writes for each file found
//! (`repo::checkout`: attributes applied by git, Git LFS content). Names are bytes as
//! git stores them. `Context::stream` then writes the tar archive (the `tar` crate) on
//! a thread of its own, reading each file as a stream into small chunks: memory does
//! not grow with the size of a file or of the context.
//!
//! A Dockerfile from outside the context travels as the CLI sends it: under the name
//! `.dockerfile.<20 hex>` (ours comes from its blob id, the CLI's is random), with
//! that name added to `.dockerignore` (created when there is none), so the engine
//! drops it from what `COPY` sees.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, anyhow};

use super::dockerignore::{MatchInfo, Patterns};
use super::plan::clean;
use crate::repo::checkout::{self, Content};
use crate::repo::tree::{self, CommitTree, Entry, Step, display_path, os_path};

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
    /// What in the Dockerfile only BuildKit reads, if anything.
    pub buildkit: Option<String>,
    mtime: u64,
}

struct Item {
    path: Vec<u8>,
    kind: Kind,
}

enum Kind {
    Dir,
    File {
        content: Content,
        executable: bool,
    },
    /// Bytes made here (the CLI's additions for an outside Dockerfile), with a mode.
    Bytes(Vec<u8>, u32),
    /// A file or link known by its object id only: what `fingerprint` lists (nothing
    /// is read, so a partial clone fetches nothing for it).
    Unread {
        id: String,
        mode: u32,
    },
    Symlink(Vec<u8>),
}

/// The context `context` (a directory or submodule of the commit, relative to its top)
/// with the Dockerfile `dockerfile` (relative to the context). Paths in the archive are
/// relative to the context directory.
pub fn collect(
    commit: &CommitTree<'_>,
    time: u64,
    context: &str,
    dockerfile: &str,
) -> Result<Context> {
    let gathered = gather(commit, context, dockerfile, false)?;
    let mut entries = gathered.entries;
    for (index, content) in gathered.files.finish()? {
        if let Some(Item {
            kind: Kind::File { content: slot, .. },
            ..
        }) = entries.get_mut(index)
        {
            *slot = content;
        }
    }
    let total_bytes = entries
        .iter()
        .map(|item| match &item.kind {
            Kind::File { content, .. } => content.size(),
            Kind::Bytes(bytes, _) => bytes.len() as u64,
            _ => 0,
        })
        .sum();
    Ok(Context {
        entries,
        dockerfile: gathered.dockerfile,
        total_bytes,
        buildkit: gathered.buildkit,
        mtime: time,
    })
}

/// What decides the content of the context `collect` would send, as one id, without
/// reading or converting any file: each entry's name (bytes), kind, mode and blob or
/// link target, the attributes git applies to each file, and the Dockerfile's name in
/// the archive. Two commits whose contexts have the same fingerprint build the same
/// image (for the same `[[build]]` settings).
pub fn fingerprint(commit: &CommitTree<'_>, context: &str, dockerfile: &str) -> Result<String> {
    let gathered = gather(commit, context, dockerfile, true)?;
    let attributes: std::collections::BTreeMap<usize, Vec<u8>> =
        gathered.files.describe()?.into_iter().collect();
    let mut listing = Vec::new();
    listing.extend_from_slice(gathered.dockerfile.as_bytes());
    listing.push(0);
    for (index, item) in gathered.entries.iter().enumerate() {
        listing.extend_from_slice(&item.path);
        listing.push(0);
        match &item.kind {
            Kind::Dir => listing.extend_from_slice(b"dir"),
            Kind::File {
                content,
                executable,
            } => {
                listing.extend_from_slice(if *executable { b"exec " } else { b"file " });
                if let Content::Git(blob) = content {
                    listing.extend_from_slice(blob.id().to_string().as_bytes());
                }
                listing.push(b' ');
                listing.extend_from_slice(attributes.get(&index).map_or(&[][..], Vec::as_slice));
            }
            Kind::Bytes(bytes, mode) => {
                listing.extend_from_slice(format!("bytes {mode:o} ").as_bytes());
                listing.extend_from_slice(bytes);
            }
            Kind::Symlink(target) => {
                listing.extend_from_slice(b"link ");
                listing.extend_from_slice(target);
            }
            Kind::Unread { id, mode } => {
                listing.extend_from_slice(format!("{mode:o} {id} ").as_bytes());
                listing.extend_from_slice(attributes.get(&index).map_or(&[][..], Vec::as_slice));
            }
        }
        listing.push(0);
    }
    Ok(git2::Oid::hash_object(git2::ObjectType::Blob, &listing)?.to_string())
}

/// The walk both `collect` and `fingerprint` make.
struct Gathered {
    entries: Vec<Item>,
    files: checkout::Finder,
    dockerfile: String,
    buildkit: Option<String>,
}

/// `listing`: files and links as ids only (`Kind::Unread`), for `fingerprint`.
fn gather(
    commit: &CommitTree<'_>,
    context: &str,
    dockerfile: &str,
    listing: bool,
) -> Result<Gathered> {
    let dir = clean(context);
    match commit.kind_at(&dir)? {
        Some(tree::Kind::Dir | tree::Kind::Submodule) => {}
        Some(_) => anyhow::bail!("the build context `{context}` is not a directory in the commit"),
        None => anyhow::bail!("the build context `{context}` does not exist in the commit"),
    }
    let ignore_path = join(&dir, ".dockerignore");
    let ignore_text = commit.read(&ignore_path, IGNORE_MAX)?;
    let mut patterns = match &ignore_text {
        Some(text) => Patterns::parse(text).with_context(|| ignore_path.clone())?,
        None => Patterns::default(),
    };
    let joined = clean(&join(&dir, dockerfile));
    let Some(dockerfile_blob) = commit.blob_at(&joined)? else {
        anyhow::bail!("the Dockerfile `{joined}` does not exist in the commit");
    };
    let rel = relative(&dir, &joined);
    // The engine's BuildKit (see `buildkit`) reads no `.dockerignore`: for it an
    // excluded one is left out here, and none is made for an outside Dockerfile.
    let ignore_excluded = patterns.matches_or_parent_matches(b".dockerignore");
    patterns.keep_build_files(rel.as_bytes());
    let buildkit = if dockerfile_blob.size() <= IGNORE_MAX {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut dockerfile_blob.open()?, &mut text)?;
        super::buildkit::needs(&text)
    } else {
        None
    };
    let outside = rel.starts_with("../");
    let mut walk = Walk {
        patterns: &patterns,
        entries: Vec::new(),
        dirs_sent: BTreeSet::new(),
        parents: Vec::new(),
        files: checkout::Finder::default(),
        listing,
        drop_dockerignore: buildkit.is_some() && ignore_excluded,
    };
    let archive_dockerfile = if outside {
        let id = dockerfile_blob.id().to_string();
        let name = format!(".dockerfile.{}", &id[..20.min(id.len())]);
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut dockerfile_blob.open()?, &mut content)?;
        walk.entries.push(Item {
            path: name.as_bytes().to_vec(),
            kind: Kind::Bytes(content, 0o600),
        });
        name
    } else {
        rel
    };
    if !listing {
        commit.prefetch(&dir)?;
    }
    commit.walk(&dir, &mut |entry| walk.visit(entry))?;
    let mut entries = walk.entries;
    if outside && buildkit.is_none() {
        add_to_dockerignore(&mut entries, ignore_text, &archive_dockerfile);
    }
    Ok(Gathered {
        entries,
        files: walk.files,
        dockerfile: archive_dockerfile,
        buildkit,
    })
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// `target` relative to `dir` (both clean, from the top of the commit), as Go's
/// `filepath.Rel` writes it: `../` for each level above.
fn relative(dir: &str, target: &str) -> String {
    if dir.is_empty() {
        return target.to_string();
    }
    if let Some(inside) = target.strip_prefix(&format!("{dir}/")) {
        return inside.to_string();
    }
    let dirs: Vec<&str> = dir.split('/').collect();
    let parts: Vec<&str> = target.split('/').collect();
    let common = dirs.iter().zip(&parts).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; dirs.len() - common];
    out.extend(&parts[common..]);
    out.join("/")
}

/// The CLI's `AddDockerfileToBuildContext`: `.dockerignore` gets the outside
/// Dockerfile's name, and is created (naming itself too) when the context has none.
fn add_to_dockerignore(entries: &mut Vec<Item>, text: Option<Vec<u8>>, name: &str) {
    let existing = entries.iter().position(|i| i.path == b".dockerignore");
    match existing {
        Some(index) => {
            let mut bytes = text.unwrap_or_default();
            bytes.extend_from_slice(format!("\n{name}\n").as_bytes());
            let mode = match &entries[index].kind {
                Kind::File {
                    executable: true, ..
                } => 0o755,
                _ => 0o644,
            };
            entries[index].kind = Kind::Bytes(bytes, mode);
        }
        None => entries.push(Item {
            path: b".dockerignore".to_vec(),
            kind: Kind::Bytes(format!(".dockerignore\n{name}\n").into_bytes(), 0o600),
        }),
    }
}

/// The state of the walk of a context directory.
struct Walk<'a> {
    patterns: &'a Patterns,
    entries: Vec<Item>,
    dirs_sent: BTreeSet<Vec<u8>>,
    /// The directories above the entry being visited, with what matched them.
    parents: Vec<(Vec<u8>, MatchInfo)>,
    files: checkout::Finder,
    listing: bool,
    /// Leave `.dockerignore` out (a BuildKit build, which would copy it).
    drop_dockerignore: bool,
}

impl Walk<'_> {
    fn visit(&mut self, entry: &Entry<'_>) -> Result<Step> {
        let path = entry.path;
        while let Some((dir, _)) = self.parents.last() {
            if path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/' {
                break;
            }
            self.parents.pop();
        }
        let parent = self.parents.last().map(|(_, info)| info);
        let (excluded, info) = self.patterns.entry(path, parent);
        match entry.kind {
            // A submodule is a directory whose content comes from its own repository.
            tree::Kind::Dir | tree::Kind::Submodule => {
                if !excluded {
                    self.dirs_sent.insert(path.to_vec());
                    self.entries.push(Item {
                        path: path.to_vec(),
                        kind: Kind::Dir,
                    });
                    self.parents.push((path.to_vec(), info));
                    Ok(Step::Descend)
                } else if self.patterns.has_exceptions() && self.patterns.enters(path) {
                    // An exception may bring something below back in. A submodule
                    // entered only for that is not required: a checkout without it
                    // sends nothing from there either.
                    self.parents.push((path.to_vec(), info));
                    Ok(Step::DescendIfPresent)
                } else {
                    Ok(Step::Skip)
                }
            }
            tree::Kind::File | tree::Kind::Exec | tree::Kind::Symlink => {
                if excluded || (self.drop_dockerignore && path == b".dockerignore") {
                    return Ok(Step::Skip);
                }
                self.add_parents(path);
                let kind = if self.listing {
                    if entry.kind != tree::Kind::Symlink {
                        self.files.note(self.entries.len(), entry);
                    }
                    Kind::Unread {
                        id: entry.id(),
                        mode: match entry.kind {
                            tree::Kind::Symlink => 0o120000,
                            tree::Kind::Exec => 0o100755,
                            _ => 0o100644,
                        },
                    }
                } else if entry.kind == tree::Kind::Symlink {
                    let target = entry.read_small(LINK_MAX)?.ok_or_else(|| {
                        anyhow!(
                            "the symbolic link `{}` has a target longer than {LINK_MAX} bytes",
                            entry.shown()
                        )
                    })?;
                    Kind::Symlink(target)
                } else {
                    let blob = entry.blob()?;
                    self.files.consider(self.entries.len(), entry, &blob)?;
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
                Kind::Bytes(bytes, mode) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(mode);
                    header.set_size(bytes.len() as u64);
                    archive
                        .append_data(&mut header, &path, bytes.as_slice())
                        .with_context(|| format!("cannot add `{}`", shown()))?;
                }
                Kind::Unread { .. } => {
                    anyhow::bail!("`{}` was listed, not collected", shown());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_paths() {
        assert_eq!(clean("./a//b/./c/"), "a/b/c");
        assert_eq!(clean("a/../b"), "b");
        assert_eq!(clean("."), "");
    }

    #[test]
    fn relative_paths_leave_the_context_with_dots() {
        assert_eq!(
            relative("images/edges", "images/edges/sub/Dockerfile"),
            "sub/Dockerfile"
        );
        assert_eq!(
            relative("images/edges", "images/Dockerfile"),
            "../Dockerfile"
        );
        assert_eq!(relative("a/b", "c/Dockerfile"), "../../c/Dockerfile");
        assert_eq!(relative("", "x/Dockerfile"), "x/Dockerfile");
    }
}
