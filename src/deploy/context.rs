//! The build context of an image, taken from a commit's tree and never from the working
//! tree: what was pushed is what gets built, whatever is edited or untracked on disk.
//!
//! `collect` walks the context directory of the tree (honouring its `.dockerignore`) into
//! a list of entries; `Context::into_chunks` then streams them as a tar archive, reading
//! one blob at a time, so a large context is never held in memory whole.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, anyhow};
use git2::{ObjectType, Oid, Repository, Tree};
use globset::{GlobBuilder, GlobMatcher};

use super::plan::clean;
use super::tar;

/// The name under which a Dockerfile from outside the context travels in the archive.
const OUTSIDE_DOCKERFILE: &str = ".pachhook.Dockerfile";

/// The files of one build context, ready to be streamed.
pub struct Context {
    entries: Vec<Item>,
    /// Path of the Dockerfile inside the archive (the `dockerfile` build option).
    pub dockerfile: String,
    /// Blob bytes to send, for progress.
    pub total_bytes: u64,
    git_dir: PathBuf,
    mtime: u64,
}

struct Item {
    path: String,
    kind: Kind,
}

enum Kind {
    Dir,
    File { oid: Oid, executable: bool },
    Symlink(String),
}

/// Paths of a context are relative to the context directory, `/`-separated.
pub fn collect(
    repo: &Repository,
    tree: &Tree,
    time: u64,
    context: &str,
    dockerfile: &str,
) -> Result<Context> {
    let dir = clean(context);
    let context_tree = if dir.is_empty() {
        tree.clone()
    } else {
        let entry = tree
            .get_path(std::path::Path::new(&dir))
            .map_err(|_| anyhow!("the build context `{context}` does not exist in the commit"))?;
        entry.to_object(repo)?.into_tree().map_err(|_| {
            anyhow!("the build context `{context}` is not a directory in the commit")
        })?
    };
    let ignore = match context_tree.get_name(".dockerignore") {
        Some(entry) => {
            let blob = entry.to_object(repo)?.peel_to_blob()?;
            Ignore::parse(&String::from_utf8_lossy(blob.content()))
                .with_context(|| format!("{}/.dockerignore", display_dir(&dir)))?
        }
        None => Ignore::default(),
    };

    // The Dockerfile is named relative to the context; one outside it is sent under a
    // name of its own, as the docker CLI does.
    let joined = clean(&format!("{dir}/{dockerfile}"));
    let inside = if dir.is_empty() {
        Some(joined.clone())
    } else {
        joined.strip_prefix(&format!("{dir}/")).map(str::to_string)
    };
    // Sizes come from object headers: a plan (or a re-deploy that builds nothing) must
    // not inflate every blob of a large context.
    let odb = repo.odb()?;
    let mut entries = Vec::new();
    let mut total_bytes = 0;
    let dockerfile_in_tar = match inside {
        Some(rel) => {
            match context_tree.get_path(std::path::Path::new(&rel)) {
                Ok(e) if e.kind() == Some(ObjectType::Blob) => {}
                _ => anyhow::bail!("the Dockerfile `{joined}` does not exist in the commit"),
            }
            rel
        }
        None => {
            let entry = tree
                .get_path(std::path::Path::new(&joined))
                .map_err(|_| anyhow!("the Dockerfile `{joined}` does not exist in the commit"))?;
            total_bytes += odb.read_header(entry.id())?.0 as u64;
            entries.push(Item {
                path: OUTSIDE_DOCKERFILE.to_string(),
                kind: Kind::File {
                    oid: entry.id(),
                    executable: false,
                },
            });
            OUTSIDE_DOCKERFILE.to_string()
        }
    };

    let mut dirs_sent: BTreeSet<String> = BTreeSet::new();
    let mut failure = None;
    context_tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Skip;
        };
        let path = format!("{parent}{name}");
        let always = path == dockerfile_in_tar || path == ".dockerignore";
        match entry.filemode() {
            0o040000 => {
                if !ignore.excluded(&path) {
                    dirs_sent.insert(path.clone());
                    entries.push(Item {
                        path,
                        kind: Kind::Dir,
                    });
                } else if !ignore.has_exceptions() {
                    // Nothing below an excluded directory can come back in.
                    return git2::TreeWalkResult::Skip;
                }
            }
            mode @ (0o100644 | 0o100755 | 0o120000) => {
                if !always && ignore.excluded(&path) {
                    return git2::TreeWalkResult::Ok;
                }
                add_parents(&path, &mut dirs_sent, &mut entries);
                let kind = if mode == 0o120000 {
                    match repo.find_blob(entry.id()) {
                        Ok(blob) => {
                            Kind::Symlink(String::from_utf8_lossy(blob.content()).into_owned())
                        }
                        Err(e) => {
                            failure = Some(anyhow!("cannot read `{path}` from the commit: {e}"));
                            return git2::TreeWalkResult::Abort;
                        }
                    }
                } else {
                    match odb.read_header(entry.id()) {
                        Ok((size, _)) => total_bytes += size as u64,
                        Err(e) => {
                            failure = Some(anyhow!("cannot read `{path}` from the commit: {e}"));
                            return git2::TreeWalkResult::Abort;
                        }
                    }
                    Kind::File {
                        oid: entry.id(),
                        executable: mode == 0o100755,
                    }
                };
                entries.push(Item { path, kind });
            }
            // Submodules (commits) have no content in this repository.
            _ => {}
        }
        git2::TreeWalkResult::Ok
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Context {
        entries,
        dockerfile: dockerfile_in_tar,
        total_bytes,
        git_dir: repo.path().to_path_buf(),
        mtime: time,
    })
}

/// A file kept inside an excluded directory (by a `!` exception) still needs its
/// directories in the archive.
fn add_parents(path: &str, sent: &mut BTreeSet<String>, entries: &mut Vec<Item>) {
    let mut end = 0;
    while let Some(i) = path[end..].find('/') {
        let dir = &path[..end + i];
        if sent.insert(dir.to_string()) {
            entries.push(Item {
                path: dir.to_string(),
                kind: Kind::Dir,
            });
        }
        end += i + 1;
    }
}

impl Context {
    /// Paths in the archive, in order (for tests and dry runs).
    pub fn paths(&self) -> Vec<&str> {
        self.entries.iter().map(|i| i.path.as_str()).collect()
    }

    /// The archive as a sequence of chunks (one per entry), read lazily from the object
    /// database. A read error ends the stream early and is left in `error`, so the caller
    /// can say why the daemon saw a truncated archive. `sent` counts the bytes produced.
    pub fn into_chunks(
        self,
        error: Arc<Mutex<Option<String>>>,
        sent: Arc<AtomicU64>,
    ) -> impl Iterator<Item = Vec<u8>> + Send + 'static {
        let Context {
            entries,
            git_dir,
            mtime,
            ..
        } = self;
        let mut repo: Option<Repository> = None;
        let mut items = entries.into_iter();
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let Some(item) = items.next() else {
                done = true;
                return Some(tar::end());
            };
            let chunk = match item.kind {
                Kind::Dir => tar::dir(&item.path, mtime),
                Kind::Symlink(target) => tar::symlink(&item.path, &target, mtime),
                Kind::File { oid, executable } => {
                    let mut read = || -> Result<Vec<u8>> {
                        if repo.is_none() {
                            repo = Some(Repository::open(&git_dir)?);
                        }
                        let repo = repo.as_ref().ok_or_else(|| anyhow!("no repository"))?;
                        let blob = repo.find_blob(oid)?;
                        Ok(tar::file(&item.path, blob.content(), executable, mtime))
                    };
                    match read() {
                        Ok(chunk) => chunk,
                        Err(e) => {
                            if let Ok(mut slot) = error.lock() {
                                *slot = Some(format!("cannot read `{}`: {e:#}", item.path));
                            }
                            done = true;
                            return None;
                        }
                    }
                }
            };
            sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            Some(chunk)
        })
    }
}

fn display_dir(dir: &str) -> &str {
    if dir.is_empty() { "." } else { dir }
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

    pub fn excluded(&self, path: &str) -> bool {
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
fn matches(glob: &GlobMatcher, path: &str) -> bool {
    if glob.is_match(path) {
        return true;
    }
    path.match_indices('/')
        .any(|(i, _)| glob.is_match(&path[..i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_semantics() {
        let ig =
            Ignore::parse("# comment\n\n*.log\n!keep.log\ndata/\n**/*.tmp\nsecret?.txt\n/build\n")
                .unwrap();
        assert!(ig.excluded("a.log"));
        assert!(!ig.excluded("keep.log"));
        assert!(!ig.excluded("sub/a.log"), "* stays within one component");
        assert!(
            ig.excluded("data/x/y.bin"),
            "a directory excludes what is under it"
        );
        assert!(ig.excluded("deep/er/file.tmp"));
        assert!(ig.excluded("file.tmp"), "**/ matches zero directories");
        assert!(ig.excluded("secret1.txt"));
        assert!(!ig.excluded("secret12.txt"));
        assert!(ig.excluded("build/out.o"));
        assert!(!ig.excluded("src/main.rs"));
    }

    #[test]
    fn last_match_wins() {
        let ig = Ignore::parse("docs\n!docs/keep.md\n").unwrap();
        assert!(ig.excluded("docs/other.md"));
        assert!(!ig.excluded("docs/keep.md"));
        let ig = Ignore::parse("!a.txt\n*.txt\n").unwrap();
        assert!(ig.excluded("a.txt"));
    }

    #[test]
    fn cleans_paths() {
        assert_eq!(clean("./a//b/./c/"), "a/b/c");
        assert_eq!(clean("a/../b"), "b");
        assert_eq!(clean("."), "");
    }
}
