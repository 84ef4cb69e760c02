//! The git repository, through git2: discovery, the hooks directory, the staged index,
//! HEAD's tree, blobs, and the commits a push sends.
//!
//! Every read is of git's objects (the index, commits, trees, blobs), never of the working
//! tree, and nothing here writes to the repository: the hooks must leave the working tree
//! and the index exactly as they found them.
//!
//! SHA-256 repositories (`git init --object-format=sha256`): git2 is built with its
//! `unstable-sha256` feature (libgit2's experimental SHA-256 support). One build opens
//! both SHA-1 and SHA-256 repositories: the object format is read from the repository
//! (`Repository::object_format`), and every place that turns text into an id, or opens an
//! index file by hand, passes it (`Oid::from_str_ext`, `Index::open_ext`). We chose this
//! over a fallback to the `git` CLI because it keeps one code path and the hook's hot path
//! in-process; the price is that code parsing hex ids must use `Repo::parse_oid` (plain
//! `Oid::from_str` assumes SHA-1). The integration tests cover a SHA-256 repository.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use git2::{ErrorCode, Index, ObjectFormat, Oid, Repository, Tree};

use crate::exit::UsageError;

/// An opened repository with a work tree.
pub struct Repo {
    pub git: Repository,
}

impl Repo {
    /// The repository git would use here: `GIT_DIR` and friends when set (git sets them
    /// for hooks), else the nearest repository above the current directory. Works from
    /// any subdirectory and from a linked worktree.
    pub fn discover() -> Result<Repo> {
        let git = Repository::open_from_env().map_err(|e| match e.code() {
            ErrorCode::NotFound => anyhow!(UsageError(
                "not in a git repository: run pachhook inside the repository's work tree".into()
            )),
            _ => anyhow!(e).context("cannot open the git repository"),
        })?;
        Ok(Repo { git })
    }

    /// The repository at `path` (a work tree or one of its subdirectories), for callers
    /// that know where it is; ignores `GIT_DIR`.
    pub fn open(path: &Path) -> Result<Repo> {
        let git = Repository::discover(path)
            .with_context(|| format!("cannot open a git repository at {}", path.display()))?;
        Ok(Repo { git })
    }

    /// The top of the work tree; a bare repository has none and is a usage error.
    pub fn work_tree(&self) -> Result<&Path> {
        self.git.workdir().ok_or_else(|| {
            anyhow!(UsageError(format!(
                "{} is a bare repository: pachhook works in a repository with a work tree",
                self.git.path().display()
            )))
        })
    }

    /// Where git looks for hooks: `core.hooksPath` when set (a relative path is relative
    /// to the top of the work tree, where git runs hooks), else `hooks/` in the common git
    /// directory, which every linked worktree shares.
    pub fn hooks_dir(&self) -> Result<PathBuf> {
        let top = self.work_tree()?;
        let config = self
            .git
            .config()
            .context("cannot read the git configuration")?;
        match config.get_path("core.hooksPath") {
            Ok(path) if !path.as_os_str().is_empty() => Ok(top.join(path)),
            Ok(_) => Ok(self.git.commondir().join("hooks")),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(self.git.commondir().join("hooks")),
            Err(e) => Err(anyhow!(e).context("cannot read core.hooksPath")),
        }
    }

    pub fn object_format(&self) -> ObjectFormat {
        self.git.object_format()
    }

    /// Parses a hex object id in this repository's object format.
    pub fn parse_oid(&self, hex: &str) -> Result<Oid> {
        Oid::from_str_ext(hex, self.object_format())
            .map_err(|e| anyhow!("`{hex}` is not an object id: {}", e.message()))
    }

    /// The index a commit is being made from. git sets `GIT_INDEX_FILE` for the hooks
    /// (a temporary index for `git commit -a` and `git commit <paths>`); git2's
    /// `Repository::index` does not read it, so the file is opened here.
    pub fn index(&self) -> Result<Index> {
        match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
            Some(file) => {
                let path = PathBuf::from(&file);
                let path = if path.is_absolute() {
                    path
                } else {
                    std::env::current_dir()?.join(path)
                };
                Index::open_ext(&path, self.object_format())
                    .with_context(|| format!("cannot read the index {}", path.display()))
            }
            None => self.git.index().context("cannot read the index"),
        }
    }

    /// HEAD's tree, or `None` before the first commit.
    pub fn head_tree(&self) -> Result<Option<Tree<'_>>> {
        match self.git.head() {
            Ok(head) => Ok(Some(
                head.peel_to_tree().context("cannot read HEAD's tree")?,
            )),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(anyhow!(e).context("cannot read HEAD")),
        }
    }

    /// A blob's bytes.
    pub fn blob(&self, id: Oid) -> Result<Vec<u8>> {
        let blob = self
            .git
            .find_blob(id)
            .with_context(|| format!("cannot read blob {id}"))?;
        Ok(blob.content().to_vec())
    }

    /// The blob at `path` in `tree`, if it is a regular file there.
    pub fn blob_at(&self, tree: &Tree<'_>, path: &str) -> Result<Option<Oid>> {
        match tree.get_path(Path::new(path)) {
            Ok(entry) if is_regular_file(entry.filemode() as u32) => Ok(Some(entry.id())),
            Ok(_) => Ok(None),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(anyhow!(e).context(format!("cannot read `{path}` from a tree"))),
        }
    }

    /// The commits reachable from `tip` that are not reachable from `hide` (the remote's
    /// old tip) or, when that is unknown here, from any of the remote's tracking refs
    /// (`refs/remotes/<remote>/*`): what a push sends. Newest first.
    pub fn pushed_commits(&self, tip: Oid, hide: Option<Oid>, remote: &str) -> Result<Vec<Oid>> {
        let mut walk = self.git.revwalk()?;
        walk.push(tip)
            .with_context(|| format!("cannot walk the history of {tip}"))?;
        match hide.filter(|id| self.git.find_commit(*id).is_ok()) {
            Some(id) => walk.hide(id)?,
            None => {
                // A remote name with glob characters, or a URL, has no tracking refs.
                if !remote.contains(['*', '?', '[']) {
                    walk.hide_glob(&format!("refs/remotes/{remote}/*"))?;
                }
            }
        }
        walk.map(|id| id.context("cannot walk the pushed commits"))
            .collect()
    }

    /// The paths a commit adds or modifies compared with its first parent (all of them
    /// for a root commit). Deleted paths are left out: there is nothing to check.
    pub fn changed_paths(&self, commit: Oid) -> Result<Vec<String>> {
        let commit = self.git.find_commit(commit)?;
        let tree = commit.tree()?;
        let parent = match commit.parents().next() {
            Some(parent) => Some(parent.tree()?),
            None => None,
        };
        let diff = self
            .git
            .diff_tree_to_tree(parent.as_ref(), Some(&tree), None)
            .with_context(|| format!("cannot diff commit {}", commit.id()))?;
        Ok(diff
            .deltas()
            .filter(|d| d.status() != git2::Delta::Deleted)
            .filter_map(|d| d.new_file().path_bytes())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect())
    }
}

/// Regular files (`100644`, `100755`): not symbolic links, submodules or trees.
pub fn is_regular_file(mode: u32) -> bool {
    mode & 0o170000 == 0o100000
}

/// Whether a hex id is git's "no object" (all zeros, 40 for SHA-1 or 64 for SHA-256).
pub fn is_zero(hex: &str) -> bool {
    !hex.is_empty() && hex.bytes().all(|b| b == b'0')
}
