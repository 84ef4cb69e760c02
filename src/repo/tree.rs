//! Walking a directory of a commit's tree as git stores it: paths are bytes (a name that
//! is not UTF-8 is a name like any other), kinds come from the raw modes, and a submodule
//! is entered at the commit its gitlink records, from the submodule's local repository.
//!
//! The walk reads git objects only, never a work tree: what was committed is what is
//! seen, whatever is edited or checked out on disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use git2::{ErrorCode, Oid, Repository, Tree};

use super::blob::{Blob, Store};
use super::submodule;

/// Directories (and submodules) nested deeper than this stop the walk: a tree that deep
/// is an attack on the reader, not a build context.
const MAX_DEPTH: usize = 256;

/// What a tree entry is, from its raw git mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    /// A regular file (`100644`).
    File,
    /// An executable file (`100755`).
    Exec,
    /// A symbolic link (`120000`): the blob holds the target.
    Symlink,
    /// A gitlink (`160000`): a commit of another repository.
    Submodule,
}

impl Kind {
    pub fn of(mode: i32) -> Option<Kind> {
        match mode & 0o170000 {
            0o040000 => Some(Kind::Dir),
            0o100000 if mode & 0o111 != 0 => Some(Kind::Exec),
            0o100000 => Some(Kind::File),
            0o120000 => Some(Kind::Symlink),
            0o160000 => Some(Kind::Submodule),
            _ => None,
        }
    }

    /// Whether the entry is a blob (file, executable or symbolic link).
    pub fn is_blob(self) -> bool {
        matches!(self, Kind::File | Kind::Exec | Kind::Symlink)
    }
}

/// What the visitor wants done with a directory or submodule: its content walked, or
/// not. Ignored for other entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Descend,
    Skip,
}

/// One entry met by `CommitTree::walk`.
pub struct Entry<'w> {
    /// Below the walk's directory, `/`-separated, as stored in git.
    pub path: &'w [u8],
    pub kind: Kind,
    id: Oid,
    /// Below the top of the repository the entry belongs to (a submodule's own).
    pub(super) repo_path: &'w [u8],
    pub(super) repo: &'w Repository,
    pub(super) store: &'w Arc<Store>,
    /// The root tree of that repository at the walked commit (for its attributes).
    pub(super) root: Oid,
    /// The walk's directory, `dir/` (empty for the top).
    base: &'w [u8],
}

impl Entry<'_> {
    /// The blob of a file or symbolic link, with its size (read from the object header,
    /// not the object).
    pub fn blob(&self) -> Result<Blob> {
        let (size, _) = self
            .repo
            .odb()?
            .read_header(self.id)
            .with_context(|| format!("cannot read `{}`", self.shown()))?;
        Ok(Blob::new(self.store.clone(), self.id, size as u64))
    }

    /// A blob's bytes when it has at most `limit` of them (a symbolic link's target, a
    /// pointer file), else `None`.
    pub fn read_small(&self, limit: u64) -> Result<Option<Vec<u8>>> {
        if self.blob()?.size() > limit {
            return Ok(None);
        }
        let blob = self
            .repo
            .find_blob(self.id)
            .with_context(|| format!("cannot read `{}`", self.shown()))?;
        Ok(Some(blob.content().to_vec()))
    }

    /// A blob's bytes, whole (for files that are parsed whole anyway).
    pub fn content(&self) -> Result<Vec<u8>> {
        let blob = self
            .repo
            .find_blob(self.id)
            .with_context(|| format!("cannot read `{}`", self.shown()))?;
        Ok(blob.content().to_vec())
    }

    /// The object id, for messages (a submodule's commit).
    pub fn id(&self) -> String {
        self.id.to_string()
    }

    /// The path from the top of the commit, for messages.
    pub fn shown(&self) -> String {
        display_path(&[self.base, self.path].concat())
    }
}

/// A commit's tree in its repository: what a build context is taken from.
pub struct CommitTree<'r> {
    repo: &'r Repository,
    store: Arc<Store>,
    tree: Tree<'r>,
}

impl<'r> CommitTree<'r> {
    pub fn new(repo: &'r Repository, tree: &Tree<'r>) -> CommitTree<'r> {
        CommitTree {
            repo,
            store: Store::of(repo),
            tree: tree.clone(),
        }
    }

    /// The kind of the entry at `path` (`/`-separated, no `.` or `..`), if there is one.
    pub fn kind_at(&self, path: &str) -> Result<Option<Kind>> {
        Ok(self.entry_at(path)?.and_then(|(mode, _)| Kind::of(mode)))
    }

    /// The blob at `path` when it is a file or symbolic link.
    pub fn blob_at(&self, path: &str) -> Result<Option<Blob>> {
        let Some((mode, id)) = self.entry_at(path)? else {
            return Ok(None);
        };
        if !Kind::of(mode).is_some_and(Kind::is_blob) {
            return Ok(None);
        }
        let (size, _) = self.repo.odb()?.read_header(id)?;
        Ok(Some(Blob::new(self.store.clone(), id, size as u64)))
    }

    /// The bytes of the file at `path`, when it is one; more than `limit` bytes is an
    /// error.
    pub fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let Some(blob) = self.blob_at(path)? else {
            return Ok(None);
        };
        if blob.size() > limit {
            anyhow::bail!("`{path}` is larger than {limit} bytes");
        }
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut blob.open()?, &mut content)?;
        Ok(Some(content))
    }

    fn entry_at(&self, path: &str) -> Result<Option<(i32, Oid)>> {
        if path.is_empty() {
            return Ok(Some((0o040000, self.tree.id())));
        }
        match self.tree.get_path(Path::new(path)) {
            Ok(entry) => Ok(Some((entry.filemode(), entry.id()))),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(anyhow!(e).context(format!("cannot read `{path}` from the commit"))),
        }
    }

    /// Walks the directory `dir` (`""` for the top) depth first, each directory's entries
    /// in git's order, a directory before what it holds. `visit` decides for each
    /// directory and submodule whether its content is walked; a submodule it enters
    /// whose commit no local repository has is an error naming it.
    pub fn walk(&self, dir: &str, visit: &mut dyn FnMut(&Entry<'_>) -> Result<Step>) -> Result<()> {
        let tree = match self.entry_at(dir)? {
            Some((mode, id)) if Kind::of(mode) == Some(Kind::Dir) => self.repo.find_tree(id)?,
            Some(_) => anyhow::bail!("`{dir}` is not a directory in the commit"),
            None => anyhow::bail!("`{dir}` does not exist in the commit"),
        };
        let base = if dir.is_empty() {
            Vec::new()
        } else {
            format!("{dir}/").into_bytes()
        };
        let at = Place {
            repo: self.repo,
            store: &self.store,
            root: &self.tree,
            base: &base,
        };
        walk_tree(&at, &tree, &base, &[], visit, 0)
    }
}

/// The repository a walk is in (the superproject, or a submodule).
struct Place<'a, 'r> {
    repo: &'r Repository,
    store: &'a Arc<Store>,
    root: &'a Tree<'r>,
    base: &'a [u8],
}

fn walk_tree(
    at: &Place<'_, '_>,
    tree: &Tree<'_>,
    repo_prefix: &[u8],
    out_prefix: &[u8],
    visit: &mut dyn FnMut(&Entry<'_>) -> Result<Step>,
    depth: usize,
) -> Result<()> {
    if depth > MAX_DEPTH {
        anyhow::bail!(
            "`{}` is nested more than {MAX_DEPTH} directories deep",
            display_path(&[at.base, out_prefix].concat())
        );
    }
    for item in tree {
        let name = item.name_bytes();
        let path = [out_prefix, name].concat();
        let repo_path = [repo_prefix, name].concat();
        let Some(kind) = Kind::of(item.filemode()) else {
            anyhow::bail!(
                "`{}` has a mode git does not write ({:o})",
                display_path(&[at.base, &path].concat()),
                item.filemode()
            );
        };
        let entry = Entry {
            path: &path,
            kind,
            id: item.id(),
            repo_path: &repo_path,
            repo: at.repo,
            store: at.store,
            root: at.root.id(),
            base: at.base,
        };
        if visit(&entry)? == Step::Skip {
            continue;
        }
        match kind {
            Kind::Dir => {
                let sub = at
                    .repo
                    .find_tree(item.id())
                    .with_context(|| format!("cannot read the directory `{}`", entry.shown()))?;
                let (repo_sub, out_sub) =
                    ([&repo_path[..], b"/"].concat(), [&path[..], b"/"].concat());
                walk_tree(at, &sub, &repo_sub, &out_sub, visit, depth + 1)?;
            }
            Kind::Submodule => {
                let sub_repo = submodule::open(at.repo, at.store, at.root, &repo_path, item.id())
                    .with_context(|| format!("the submodule `{}`", entry.shown()))?;
                let sub_tree = sub_repo.find_commit(item.id())?.tree()?;
                let sub_store = Store::of(&sub_repo);
                let inner = Place {
                    repo: &sub_repo,
                    store: &sub_store,
                    root: &sub_tree,
                    base: at.base,
                };
                let out_sub = [&path[..], b"/"].concat();
                walk_tree(&inner, &sub_tree, &[], &out_sub, visit, depth + 1)?;
            }
            Kind::File | Kind::Exec | Kind::Symlink => {}
        }
    }
    Ok(())
}

/// A path from git for a message: invalid UTF-8 as `\xNN`, control characters escaped.
pub fn display_path(path: &[u8]) -> String {
    let mut out = String::new();
    for chunk in path.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A path from git as a file system path (bytes as they are, on Unix).
pub fn os_path(path: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(path))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(path).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_raw_modes() {
        assert_eq!(Kind::of(0o040000), Some(Kind::Dir));
        assert_eq!(Kind::of(0o100644), Some(Kind::File));
        assert_eq!(
            Kind::of(0o100664),
            Some(Kind::File),
            "old git's group-writable mode"
        );
        assert_eq!(Kind::of(0o100755), Some(Kind::Exec));
        assert_eq!(Kind::of(0o120000), Some(Kind::Symlink));
        assert_eq!(Kind::of(0o160000), Some(Kind::Submodule));
        assert_eq!(Kind::of(0o020000), None);
    }

    #[test]
    fn paths_for_messages_are_escaped() {
        assert_eq!(display_path(b"a/b.txt"), "a/b.txt");
        assert_eq!(display_path(b"caf\xe9.txt"), "caf\\xe9.txt");
        assert_eq!(display_path(b"x\x1b[31my"), "x\\u{1b}[31my");
    }
}
