//! Files in commits: looking many paths up in one tree, the one diff between two trees,
//! and the commits a push sends. (Walking a whole tree is `tree::CommitTree::walk`.)
//!
//! Paths are bytes as git stores them (`/`-separated, not necessarily UTF-8) from end to
//! end: a path is turned into text only to be shown.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use git2::{ErrorCode, ObjectType, Oid, Tree};

use super::{Repo, is_regular_file};

/// One path a diff found changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: Vec<u8>,
    /// The blob now at `path` when it is a regular file there; `None` when the path was
    /// deleted or is now a symbolic link or a submodule.
    pub new: Option<Oid>,
}

impl Repo {
    /// The tree of a commit.
    pub fn commit_tree(&self, commit: Oid) -> Result<Tree<'_>> {
        self.git
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| anyhow!(e).context(format!("cannot read the tree of commit {commit}")))
    }

    /// The commit a revision names (`main`, `origin/main`, a SHA, `HEAD~2`, a tag); a
    /// usage error when it names none.
    pub fn commit_named(&self, rev: &str) -> Result<Oid> {
        self.git
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| {
                crate::error::UsageError(format!(
                    "`{rev}` does not name a commit of this repository (in CI, fetch it first: \
                     `git fetch origin {rev}`)"
                ))
                .into()
            })
    }

    /// The best common ancestor of two commits, if they share history.
    pub fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>> {
        match self.git.merge_base(a, b) {
            Ok(base) => Ok(Some(base)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(anyhow!(e).context(format!("cannot find the merge base of {a} and {b}"))),
        }
    }

    /// The tree of a commit, or a tree itself, by id.
    pub fn tree_of(&self, id: Oid) -> Result<Tree<'_>> {
        self.git
            .find_object(id, None)
            .and_then(|o| o.peel_to_tree())
            .map_err(|e| anyhow!(e).context(format!("cannot read the tree of {id}")))
    }

    /// The commit an object stands for: a commit itself, or what an annotated tag (or a
    /// chain of them) points at. `None` for a tag of a tree or a blob, which carries no
    /// history to check.
    pub fn peel_to_commit(&self, id: Oid) -> Result<Option<Oid>> {
        let object = self
            .git
            .find_object(id, None)
            .with_context(|| format!("cannot read object {id}"))?;
        match object.peel(ObjectType::Commit) {
            Ok(commit) => Ok(Some(commit.id())),
            Err(e) if matches!(e.code(), ErrorCode::InvalidSpec | ErrorCode::Peel) => Ok(None),
            Err(e) => match object.kind() {
                Some(ObjectType::Tree | ObjectType::Blob) => Ok(None),
                Some(ObjectType::Tag) if object.peel(ObjectType::Any).is_ok() => Ok(None),
                _ => Err(anyhow!(e).context(format!("cannot read object {id}"))),
            },
        }
    }

    /// The commits reachable from any of `tips` and from none of `hide`, nor, when
    /// `remote` is given, from that remote's tracking refs (`refs/remotes/<remote>/*`):
    /// what a push sends. One walk for all tips together, so a push of many refs costs
    /// the commits it sends, not refs × history.
    pub fn new_commits(
        &self,
        tips: &[Oid],
        hide: &[Oid],
        remote: Option<&str>,
    ) -> Result<Vec<Oid>> {
        let mut walk = self.git.revwalk()?;
        for &tip in tips {
            walk.push(tip)
                .with_context(|| format!("cannot walk the history of {tip}"))?;
        }
        for &id in hide {
            walk.hide(id)
                .with_context(|| format!("cannot walk the history of {id}"))?;
        }
        // A remote name with glob characters, or a URL, has no tracking refs.
        if let Some(remote) = remote.filter(|r| !r.contains(['*', '?', '[']))
            && !remote.contains("://")
        {
            walk.hide_glob(&format!("refs/remotes/{remote}/*"))?;
        }
        walk.map(|id| id.context("cannot walk the pushed commits"))
            .collect()
    }

    /// What a commit changes compared with *each* of its parents (everything, for a root
    /// commit): a merge changes a path only where its version differs from every
    /// parent's. A merge that takes the remote's side (`git pull`) brings nothing new
    /// from that side: the remote already holds it.
    pub fn commit_changes(&self, commit: Oid) -> Result<Vec<Change>> {
        let found = self.git.find_commit(commit)?;
        let mut parents = found.parents();
        let first = match parents.next() {
            Some(parent) => Some(parent.tree()?),
            None => None,
        };
        let mut changes = self.diff(first.as_ref(), &found.tree()?)?;
        for parent in parents {
            let mut other = TreeFiles::new(self, parent.tree()?);
            let mut kept = Vec::with_capacity(changes.len());
            for change in changes {
                let same = match change.new {
                    Some(id) => other.blob(&change.path)? == Some(id),
                    // Deleted (or not a regular file) here: the same when the other
                    // parent has no file there either.
                    None => other.blob(&change.path)?.is_none(),
                };
                if !same {
                    kept.push(change);
                }
            }
            changes = kept;
        }
        Ok(changes)
    }

    /// What changed between two commits; every path of `new` when `old` is `None`.
    pub fn changes_between(&self, old: Option<Oid>, new: Oid) -> Result<Vec<Change>> {
        let old = old.map(|c| self.commit_tree(c)).transpose()?;
        self.diff(old.as_ref(), &self.commit_tree(new)?)
    }

    /// The one diff of two trees, without rename detection: a rename is a deletion and
    /// an addition, both listed.
    fn diff(&self, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Result<Vec<Change>> {
        let diff = self
            .git
            .diff_tree_to_tree(old, Some(new), None)
            .context("cannot compare two trees")?;
        let mut changes = Vec::with_capacity(diff.deltas().len());
        for delta in diff.deltas() {
            let new_file = delta.new_file();
            let kept = delta.status() != git2::Delta::Deleted
                && is_regular_file(u32::from(new_file.mode()));
            if let Some(path) = new_file.path_bytes() {
                changes.push(Change {
                    path: path.to_vec(),
                    new: kept.then(|| new_file.id()),
                });
            }
            if let Some(old_path) = delta.old_file().path_bytes()
                && Some(old_path) != new_file.path_bytes()
            {
                changes.push(Change {
                    path: old_path.to_vec(),
                    new: None,
                });
            }
        }
        Ok(changes)
    }
}

/// A repository path as a `Path`, for git2 calls that take one. On Unix the bytes are
/// the path; elsewhere git's paths are UTF-8 in practice, and a lossy conversion is the
/// best there is.
pub fn path_of(bytes: &[u8]) -> Cow<'_, Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Cow::Borrowed(Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        Cow::Owned(String::from_utf8_lossy(bytes).into_owned().into())
    }
}

fn shown(path: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(path)
}

/// Looks up many paths in one tree, reading each directory's tree object once (a
/// lookup by full path would read every directory on the way for each path).
pub struct TreeFiles<'r> {
    repo: &'r git2::Repository,
    root: Tree<'r>,
    dirs: HashMap<Vec<u8>, Option<Tree<'r>>>,
    /// Directories compared with a tree the index caches: whether this tree has it.
    same: HashMap<Vec<u8>, bool>,
}

impl<'r> TreeFiles<'r> {
    pub fn new(repo: &'r Repo, root: Tree<'r>) -> TreeFiles<'r> {
        TreeFiles {
            repo: &repo.git,
            root,
            dirs: HashMap::new(),
            same: HashMap::new(),
        }
    }

    /// Whether a directory holding `path` has, in this tree, exactly the tree `trees`
    /// (`Repo::staged_trees`) gives it: then the index holds everything below it as
    /// this tree does, `path` included, and nothing needs reading to know. Tried from
    /// the top down, each directory's tree id looked up once.
    pub fn holds_unchanged(&mut self, path: &[u8], trees: &HashMap<Vec<u8>, Oid>) -> Result<bool> {
        let ends = std::iter::once(0).chain(
            path.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'/')
                .map(|(i, _)| i),
        );
        for end in ends {
            let dir = &path[..end];
            let Some(&cached) = trees.get(dir) else {
                continue;
            };
            if let Some(&same) = self.same.get(dir) {
                if same {
                    return Ok(true);
                }
                continue;
            }
            let here = if dir.is_empty() {
                Some(self.root.id())
            } else {
                match self.root.get_path(&path_of(dir)) {
                    Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Some(entry.id()),
                    Ok(_) => None,
                    Err(e) if e.code() == ErrorCode::NotFound => None,
                    Err(e) => {
                        return Err(anyhow!(e).context(format!("cannot read `{}`", shown(dir))));
                    }
                }
            };
            let same = here == Some(cached);
            self.same.insert(dir.to_vec(), same);
            if same {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The blob at `path` (`/`-separated bytes), if it is a regular file in the tree.
    pub fn blob(&mut self, path: &[u8]) -> Result<Option<Oid>> {
        let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (&b""[..], path),
        };
        let tree = if dir.is_empty() {
            Some(&self.root)
        } else {
            if !self.dirs.contains_key(dir) {
                let tree = match self.root.get_path(&path_of(dir)) {
                    Ok(entry) => entry.to_object(self.repo)?.into_tree().ok(),
                    Err(e) if e.code() == ErrorCode::NotFound => None,
                    Err(e) => {
                        return Err(anyhow!(e).context(format!("cannot read `{}`", shown(dir))));
                    }
                };
                self.dirs.insert(dir.to_vec(), tree);
            }
            self.dirs.get(dir).and_then(Option::as_ref)
        };
        let Some(tree) = tree else {
            return Ok(None);
        };
        Ok(tree
            .get_name_bytes(name)
            .filter(|e| is_regular_file(e.filemode().cast_unsigned()))
            .map(|e| e.id()))
    }
}
