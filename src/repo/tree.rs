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
    /// Descend, but a submodule whose commit no local repository has is passed over
    /// (it is walked only in case something inside is wanted).
    DescendIfPresent,
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
        let size = read_size(self.repo, self.store, self.id)
            .with_context(|| format!("cannot read `{}`", self.shown()))?;
        Ok(Blob::new(self.store.clone(), self.id, size))
    }

    /// A blob's bytes when it has at most `limit` of them (a symbolic link's target, a
    /// pointer file), else `None`.
    pub fn read_small(&self, limit: u64) -> Result<Option<Vec<u8>>> {
        let blob = self.blob()?;
        if blob.size() > limit {
            return Ok(None);
        }
        if let Ok(found) = self.repo.find_blob(self.id) {
            return Ok(Some(found.content().to_vec()));
        }
        // Not in libgit2's view (a blob git just fetched for a partial clone).
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut blob.open()?, &mut content)
            .with_context(|| format!("cannot read `{}`", self.shown()))?;
        Ok(Some(content))
    }

    /// A blob's bytes, whole (for files that are parsed whole anyway).
    pub fn content(&self) -> Result<Vec<u8>> {
        let blob = self
            .repo
            .find_blob(self.id)
            .with_context(|| format!("cannot read `{}`", self.shown()))?;
        Ok(blob.content().to_vec())
    }

    /// The object id.
    pub(super) fn oid(&self) -> Oid {
        self.id
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

    /// The kind of the entry at `path` (`/`-separated, no `.` or `..`), if there is one;
    /// a path below a submodule is looked up in the submodule's recorded commit.
    pub fn kind_at(&self, path: &str) -> Result<Option<Kind>> {
        Ok(self.resolve(path)?.and_then(|found| Kind::of(found.mode)))
    }

    /// The blob at `path` when it is a file or symbolic link.
    pub fn blob_at(&self, path: &str) -> Result<Option<Blob>> {
        let Some(found) = self.resolve(path)? else {
            return Ok(None);
        };
        if !Kind::of(found.mode).is_some_and(Kind::is_blob) {
            return Ok(None);
        }
        Ok(Some(Blob::new(found.store, found.id, found.size)))
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

    /// The entry at `path`, entering submodules on the way at their recorded commits.
    fn resolve(&self, path: &str) -> Result<Option<Found>> {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let mut owned: Option<Repository> = None;
        let mut store = self.store.clone();
        let mut root = self.tree.id();
        let mut tree_id = root;
        let mut repo_path: Vec<u8> = Vec::new();
        let mut mode = 0o040000;
        let mut id = tree_id;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let entered = {
                let repo = owned.as_ref().unwrap_or(self.repo);
                let tree = repo.find_tree(tree_id)?;
                let Some(entry) = tree.get_name(part) else {
                    return Ok(None);
                };
                mode = entry.filemode();
                id = entry.id();
                if !repo_path.is_empty() {
                    repo_path.push(b'/');
                }
                repo_path.extend_from_slice(part.as_bytes());
                match Kind::of(mode) {
                    Some(Kind::Dir) => {
                        tree_id = id;
                        None
                    }
                    Some(Kind::Submodule) if !last => {
                        let root_tree = repo.find_tree(root)?;
                        let sub = submodule::open(repo, &store, &root_tree, &repo_path, id)
                            .with_context(|| {
                                format!("the submodule `{}`", parts[..=i].join("/"))
                            })?;
                        let sub_tree = sub.find_commit(id)?.tree()?.id();
                        Some((sub, sub_tree))
                    }
                    _ if !last => return Ok(None),
                    _ => None,
                }
            };
            if let Some((sub, sub_tree)) = entered {
                store = Store::of(&sub);
                root = sub_tree;
                tree_id = sub_tree;
                repo_path.clear();
                owned = Some(sub);
            }
        }
        let repo = owned.as_ref().unwrap_or(self.repo);
        let size = if Kind::of(mode).is_some_and(Kind::is_blob) {
            read_size(repo, &store, id)?
        } else {
            0
        };
        Ok(Some(Found {
            mode,
            id,
            store,
            size,
        }))
    }

    /// In a partial clone, fetches at once the blobs below `dir` (a directory of this
    /// repository) that are not here yet; elsewhere, nothing.
    pub fn prefetch(&self, dir: &str) -> Result<()> {
        if let Some((mode, id)) = self.entry_at(dir)?
            && Kind::of(mode) == Some(Kind::Dir)
        {
            super::partial::prefetch(self.repo, &self.store, id);
        }
        Ok(())
    }

    /// Walks the directory `dir` (`""` for the top) depth first, each directory's entries
    /// in git's order, a directory before what it holds. `visit` decides for each
    /// directory and submodule whether its content is walked; a submodule it enters
    /// whose commit no local repository has is an error naming it.
    pub fn walk(&self, dir: &str, visit: &mut dyn FnMut(&Entry<'_>) -> Result<Step>) -> Result<()> {
        let base = if dir.is_empty() {
            Vec::new()
        } else {
            format!("{dir}/").into_bytes()
        };
        let (mode, id) = match self.entry_at(dir)? {
            Some(found) => found,
            // Below a submodule: its own repository's walk.
            None if self.kind_at(dir)?.is_some() => {
                anyhow::bail!("`{dir}` lies inside a submodule: name the submodule itself")
            }
            None => anyhow::bail!("`{dir}` does not exist in the commit"),
        };
        if Kind::of(mode) == Some(Kind::Submodule) {
            // The context is a submodule: its recorded commit, walked from its top.
            let sub_repo = submodule::open(self.repo, &self.store, &self.tree, dir.as_bytes(), id)
                .with_context(|| format!("the submodule `{dir}`"))?;
            let sub_tree = sub_repo.find_commit(id)?.tree()?;
            let sub_store = Store::of(&sub_repo);
            let inner = Place {
                repo: &sub_repo,
                store: &sub_store,
                root: &sub_tree,
                base: &base,
            };
            return walk_tree(&inner, &sub_tree, &[], &[], visit, 0);
        }
        let tree = match Kind::of(mode) {
            Some(Kind::Dir) => self.repo.find_tree(id)?,
            _ => anyhow::bail!("`{dir}` is not a directory in the commit"),
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

/// An entry found by `CommitTree::resolve`, with the store of its repository.
struct Found {
    mode: i32,
    id: Oid,
    store: Arc<Store>,
    size: u64,
}

/// The size of a blob, from its header. A partial clone (`--filter=blob:none`) may not
/// have the blob yet: then git is asked, which fetches it from the promisor remote.
pub(super) fn read_size(repo: &Repository, store: &Store, id: Oid) -> Result<u64> {
    match repo.odb()?.read_header(id) {
        Ok((size, _)) => Ok(size as u64),
        Err(e) if e.code() == ErrorCode::NotFound => super::partial::size(repo, store, id),
        Err(e) => Err(anyhow!(e).context(format!("cannot read object {id}"))),
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
        let step = visit(&entry)?;
        if step == Step::Skip {
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
                let sub_repo =
                    match submodule::open(at.repo, at.store, at.root, &repo_path, item.id()) {
                        Ok(repo) => repo,
                        Err(_) if step == Step::DescendIfPresent => continue,
                        Err(e) => {
                            return Err(e.context(format!("the submodule `{}`", entry.shown())));
                        }
                    };
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
