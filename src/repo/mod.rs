//! The git repository, through git2: discovery, the hooks directory, the staged index,
//! HEAD's tree, blobs, and the commits a push sends.
//!
//! Every read is of git's objects (the index, commits, trees, blobs), never of the working
//! tree, and nothing here writes to the repository: the hooks must leave the working tree
//! and the index exactly as they found them.
//!
//! The staged index is read by `index.rs`, not libgit2, for speed (see there); a split
//! index (`core.splitIndex`) falls back to `git ls-files`.
//!
//! SHA-256 repositories (`git init --object-format=sha256`): git2 is built with its
//! `unstable-sha256` feature (libgit2's experimental SHA-256 support). One build opens
//! both SHA-1 and SHA-256 repositories: the object format is read from the repository
//! (`Repository::object_format`), and every place that turns text into an id passes it
//! (`Oid::from_str_ext`; the index reader takes the id's length). We chose this
//! over a fallback to the `git` CLI because it keeps one code path and the hook's hot path
//! in-process; the price is that code parsing hex ids must use `Repo::parse_oid` (plain
//! `Oid::from_str` assumes SHA-1). The integration tests cover a SHA-256 repository.

pub mod blob;
pub mod checkout;
pub mod child;
mod files;
mod index;
pub mod lfs;
mod partial;
mod submodule;
#[cfg(test)]
mod tests;
pub mod tree;

pub use files::{Change, TreeFiles, path_of};
/// Object ids, as the rest of pachhook names commits and blobs without naming git2.
pub use git2::Oid;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use git2::{ErrorCode, ObjectFormat, Repository, Tree};

use crate::error::UsageError;

/// The largest file `Repo::file_at_commit` reads: 1 MiB, far above any settings file.
pub const TREE_FILE_MAX: usize = 1 << 20;

/// The longest `git ls-files` may take to list a split index (a hook must not hang on it).
const LS_FILES_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// An opened repository with a work tree.
pub struct Repo {
    pub git: Repository,
    /// The index file's bytes, read once per command: the pre-commit hook asks it for
    /// the settings files and for the specs, and reading 10,000 entries again each time
    /// is what the hook's budget cannot afford.
    index: std::cell::OnceCell<(PathBuf, Vec<u8>)>,
    /// The index's valid cache-tree entries (see `staged_trees`), kept by the first walk.
    trees: std::cell::OnceCell<std::collections::HashMap<Vec<u8>, Oid>>,
    /// The staged entries at the top of the work tree, where the settings files are:
    /// one walk of the index answers every lookup of them.
    top: std::cell::OnceCell<Vec<(Vec<u8>, u32, Oid)>>,
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
        // A bare repository used with a work tree (`git --work-tree=<dir>`, which git
        // passes to hooks as `GIT_WORK_TREE`, relative to where they run): libgit2
        // leaves it bare, git does not.
        if git.is_bare()
            && let Some(tree) = std::env::var_os("GIT_WORK_TREE").filter(|v| !v.is_empty())
        {
            let tree = resolve(Path::new(&tree));
            git.set_workdir(&tree, false).with_context(|| {
                format!(
                    "cannot use {} as the work tree (GIT_WORK_TREE)",
                    tree.display()
                )
            })?;
        }
        Ok(Repo::from_git(git))
    }

    /// A `Repo` around an opened git2 repository.
    pub fn from_git(git: Repository) -> Repo {
        Repo {
            git,
            index: std::cell::OnceCell::new(),
            trees: std::cell::OnceCell::new(),
            top: std::cell::OnceCell::new(),
        }
    }

    /// The repository at `path` (a work tree or one of its subdirectories), for callers
    /// that know where it is; ignores `GIT_DIR`.
    pub fn open(path: &Path) -> Result<Repo> {
        let git = Repository::discover(path)
            .with_context(|| format!("cannot open a git repository at {}", path.display()))?;
        Ok(Repo::from_git(git))
    }

    /// Opens again the repository behind a git2 handle, for code that still holds a
    /// `git2::Repository` rather than a `Repo`.
    pub fn reopen(git: &Repository) -> Result<Repo> {
        let git = Repository::open(git.path())
            .with_context(|| format!("cannot open {}", git.path().display()))?;
        Ok(Repo::from_git(git))
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
    /// directory, which every linked worktree shares. Resolved (`resolve`): symbolic
    /// links and `..` followed, so that every comparison and write is of the directory
    /// git really uses.
    pub fn hooks_dir(&self) -> Result<HooksDir> {
        let top = self.work_tree()?;
        let config = self
            .git
            .config()
            .context("cannot read the git configuration")?;
        let named = match config.get_path("core.hooksPath") {
            Ok(path) if !path.as_os_str().is_empty() => top.join(path),
            Ok(_) => self.git.commondir().join("hooks"),
            Err(e) if e.code() == ErrorCode::NotFound => self.git.commondir().join("hooks"),
            Err(e) => return Err(anyhow!(e).context("cannot read core.hooksPath")),
        };
        let path = resolve(&named);
        // Reached through a symbolic link that leads out of this repository: a
        // directory other repositories may share (`.git/hooks -> ~/shared-hooks`).
        let linked_out = path != lexical(&named) && !self.holds(&path);
        Ok(HooksDir {
            linked_out: linked_out.then_some(named),
            path,
        })
    }

    /// Whether the resolved `path` is inside this repository: its work tree or its
    /// (common) git directory, both resolved.
    fn holds(&self, path: &Path) -> bool {
        let mut roots = vec![resolve(self.git.path()), resolve(self.git.commondir())];
        if let Some(top) = self.git.workdir() {
            roots.push(resolve(top));
        }
        roots.iter().any(|root| path.starts_with(root))
    }

    /// Whether `dir` (resolved) is a directory of the work tree whose files git would
    /// track (not in the git directory, not ignored): hooks written there are the
    /// team's, meant to be committed. Compared on resolved paths: `.git/hooks ->
    /// ../githooks` and `core.hooksPath = ../repo/.githooks` name a directory of the
    /// work tree too.
    pub fn is_tracked_dir(&self, dir: &Path) -> Result<bool> {
        let dir = resolve(dir);
        let top = resolve(self.work_tree()?);
        let Ok(relative) = dir.strip_prefix(&top) else {
            return Ok(false);
        };
        if dir.starts_with(resolve(self.git.path()))
            || dir.starts_with(resolve(self.git.commondir()))
        {
            return Ok(false);
        }
        if relative.as_os_str().is_empty() {
            return Ok(true);
        }
        Ok(!self.is_ignored(relative)?)
    }

    /// The remote-tracking ref that git updates once `remote` accepts a push of
    /// `remote_ref` (`refs/remotes/origin/main` for `refs/heads/main`), through the
    /// remote's fetch refspecs; `None` when `remote` is not a configured remote (a push
    /// by URL) or no refspec maps that ref: then git records no acceptance.
    pub fn tracking_ref(&self, remote: &str, remote_ref: &str) -> Option<String> {
        let remote = self.git.find_remote(remote).ok()?;
        remote
            .refspecs()
            .filter(|spec| spec.direction() == git2::Direction::Fetch)
            .filter(|spec| spec.src_matches(remote_ref))
            .find_map(|spec| {
                let name = spec.transform(remote_ref).ok()?;
                std::str::from_utf8(&name).ok().map(str::to_string)
            })
    }

    /// The URL of the configured remote `name`, if there is one.
    pub fn remote_url(&self, name: &str) -> Option<String> {
        let remote = self.git.find_remote(name).ok()?;
        remote.url().ok().map(|u| u.to_string())
    }

    /// Whether `ancestor` is `commit` or one of its ancestors (an unknown commit is not).
    pub fn is_ancestor(&self, ancestor: Oid, commit: Oid) -> bool {
        ancestor == commit
            || self
                .git
                .graph_descendant_of(commit, ancestor)
                .unwrap_or(false)
    }

    /// The directory every worktree of this clone shares (`git rev-parse
    /// --git-common-dir`): where per-clone state lives.
    pub fn common_dir(&self) -> &Path {
        self.git.commondir()
    }

    /// Whether git ignores `path` (relative to the top of the work tree).
    pub fn is_ignored(&self, path: &Path) -> Result<bool> {
        self.git
            .is_path_ignored(path)
            .with_context(|| format!("cannot tell whether git ignores {}", path.display()))
    }

    pub fn object_format(&self) -> ObjectFormat {
        self.git.object_format()
    }

    /// Parses a hex object id in this repository's object format.
    pub fn parse_oid(&self, hex: &str) -> Result<Oid> {
        Oid::from_str_ext(hex, self.object_format())
            .map_err(|e| anyhow!("`{hex}` is not an object id: {}", e.message()))
    }

    /// The index file a commit is being made from. git sets `GIT_INDEX_FILE` for the
    /// hooks (a temporary index for `git commit -a` and `git commit <paths>`); git2's
    /// `Repository::index` does not read it, hence this.
    ///
    /// A relative `GIT_INDEX_FILE` is relative to the top of the work tree, as git takes
    /// it (git runs hooks there; a hook that `cd`s into a subdirectory must still read
    /// the same index). Returns whether the file was named: a named index that does
    /// not exist is an error, not an empty index.
    fn index_path(&self) -> Result<(PathBuf, bool)> {
        Ok(
            match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
                Some(file) => (self.work_tree()?.join(file), true),
                None => (self.git.path().join("index"), false),
            },
        )
    }

    /// Where this clone's `pachhook.local.toml` lives: the top of the main worktree, so
    /// that every linked worktree (`git worktree add`) reads the same one; for a linked
    /// worktree of a repository without a main worktree (a bare one), the common git
    /// directory.
    pub fn clone_dir(&self) -> Result<PathBuf> {
        if !self.git.is_worktree() {
            return Ok(self.work_tree()?.to_path_buf());
        }
        let common = self.git.commondir();
        Ok(match Repository::open(common) {
            Ok(main) => main
                .workdir()
                .map_or_else(|| common.to_path_buf(), Path::to_path_buf),
            Err(_) => common.to_path_buf(),
        })
    }

    /// The staged regular files (stage 0, not `git add -N`) whose repository-relative
    /// path `keep` accepts, with their blob ids. `keep` sees every path of the index, so
    /// it must be cheap; nothing is allocated for the paths it rejects.
    pub fn staged_files(&self, keep: impl Fn(&[u8]) -> bool) -> Result<Vec<(Vec<u8>, Oid)>> {
        Ok(self
            .staged_entries(keep)?
            .into_iter()
            .filter(|(_, mode, _)| is_regular_file(*mode))
            .map(|(path, _, id)| (path, id))
            .collect())
    }

    /// The directories (`/`-separated paths, empty for the top) whose tree the index
    /// already knows, with that tree's id: git's cache-tree, the trees `git commit` will
    /// write. A directory whose tree here is HEAD's holds no staged change, so the hook
    /// need not read HEAD's trees below it (as `git diff --cached` does not).
    pub fn staged_trees(&self) -> Result<&std::collections::HashMap<Vec<u8>, Oid>> {
        if self.trees.get().is_none() {
            self.staged_entries(|_| false)?;
        }
        Ok(self.trees.get_or_init(std::collections::HashMap::new))
    }

    /// `staged_files` with each entry's mode, whatever its type (links, submodules).
    fn staged_entries(&self, keep: impl Fn(&[u8]) -> bool) -> Result<Vec<(Vec<u8>, u32, Oid)>> {
        if self.index.get().is_none() {
            let (path, named) = self.index_path()?;
            let bytes = Self::read_index(&path, named)?;
            let _ = self.index.set((path, bytes));
        }
        let (path, bytes) = self
            .index
            .get()
            .ok_or_else(|| anyhow!("cannot keep the index read"))?;
        let hash_len = match self.object_format() {
            ObjectFormat::Sha1 => 20,
            ObjectFormat::Sha256 => 32,
        };
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        let read = index::read(bytes, hash_len, |p| keep(p))
            .with_context(|| format!("cannot read the index {}", path.display()))?;
        if read.split {
            // The cache-tree of a split index is not ours to trust: do without it.
            let _ = self.trees.set(std::collections::HashMap::new());
            return self.staged_files_cli(keep);
        }
        if self.trees.get().is_none() {
            let trees = read
                .trees
                .iter()
                .filter_map(|(dir, id)| Some((dir.clone(), Oid::from_bytes(id).ok()?)))
                .collect();
            let _ = self.trees.set(trees);
        }
        read.entries
            .into_iter()
            .map(|e| Ok((e.path, e.mode, Oid::from_bytes(&e.id)?)))
            .collect()
    }

    /// The bytes of the index file at `path`; none when there is no index yet, unless
    /// it was `named` by `GIT_INDEX_FILE`.
    fn read_index(path: &Path, named: bool) -> Result<Vec<u8>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && named => {
                Err(anyhow!(UsageError(format!(
                    "GIT_INDEX_FILE names {}, which does not exist: unset it or name the \
                     index git is committing from",
                    path.display()
                ))))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// The same through `git ls-files`, for a split index (`core.splitIndex`), which
    /// neither our reader nor libgit2 reads. `git add -N` entries show there as the empty
    /// blob, so empty files are left out: they hold no spec anyway.
    fn staged_files_cli(&self, keep: impl Fn(&[u8]) -> bool) -> Result<Vec<(Vec<u8>, u32, Oid)>> {
        let mut git = std::process::Command::new("git");
        git.args(["ls-files", "--stage", "--full-name", "-z"]);
        let out = child::run(
            git,
            b"",
            LS_FILES_LIMIT,
            "`git ls-files` reading a split index",
        )?;
        if !out.status.success() {
            anyhow::bail!(
                "`git ls-files --stage` failed reading a split index: {}",
                out.error_line()
            );
        }
        let empty = Oid::hash_object_ext(git2::ObjectType::Blob, b"", self.object_format())?;
        let mut files = Vec::new();
        for record in out.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            // `<mode> <id> <stage>\t<path>`
            let Some(tab) = record.iter().position(|&b| b == b'\t') else {
                continue;
            };
            let (meta, path) = (&record[..tab], &record[tab + 1..]);
            let meta = String::from_utf8_lossy(meta);
            let mut fields = meta.split(' ');
            let (Some(mode), Some(id), Some("0")) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let mode = u32::from_str_radix(mode, 8).unwrap_or(0);
            let id = self.parse_oid(id)?;
            if !(is_regular_file(mode) && id == empty) && keep(path) {
                files.push((path.to_vec(), mode, id));
            }
        }
        Ok(files)
    }

    /// The commits a merge being committed may bring in. A `git commit` that concludes
    /// a merge has them in `MERGE_HEAD`; but `git merge` runs the pre-merge-commit hook
    /// before it writes `MERGE_HEAD`, so for that hook (`merging`) they are also what
    /// git could be merging: `FETCH_HEAD` (`git pull`) and the tips of the branches and
    /// remote-tracking branches. Commits only, each once.
    pub fn merge_sources(&self, merging: bool) -> Result<Vec<Oid>> {
        let mut found = self.ids_in("MERGE_HEAD")?;
        if merging {
            found.extend(self.ids_in("FETCH_HEAD")?);
            let refs = self.git.references().context("cannot list the refs")?;
            for reference in refs.flatten() {
                let name = reference.name_bytes();
                if name.starts_with(b"refs/heads/") || name.starts_with(b"refs/remotes/") {
                    found.extend(reference.target());
                }
            }
        }
        let mut commits = Vec::with_capacity(found.len());
        for id in found {
            if let Ok(Some(commit)) = self.peel_to_commit(id)
                && !commits.contains(&commit)
            {
                commits.push(commit);
            }
        }
        Ok(commits)
    }

    /// The object ids at the start of the lines of a file of this worktree's git
    /// directory (`MERGE_HEAD`, `FETCH_HEAD`); none when it does not exist.
    fn ids_in(&self, name: &str) -> Result<Vec<Oid>> {
        let path = self.git.path().join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(text
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter_map(|hex| self.parse_oid(hex).ok())
            .collect())
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

    /// The bytes of the file at `path` (`/`-separated) in `commit`'s tree, for the
    /// settings and policy files a commit carries: `None` when the tree has no entry
    /// there. The content is repository data, so it is bounded: a file larger than
    /// `TREE_FILE_MAX` is refused before it is read, and so is anything that is not a
    /// regular file (a symbolic link could point out of the repository, a submodule or
    /// a directory holds no settings). Those refusals are the user's to fix: exit 2.
    pub fn file_at_commit(&self, commit: Oid, path: &str) -> Result<Option<Vec<u8>>> {
        let hex = commit.to_string();
        let short = &hex[..hex.len().min(12)];
        let tree = self
            .git
            .find_commit(commit)
            .and_then(|c| c.tree())
            .with_context(|| format!("cannot read the tree of commit {commit}"))?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => {
                return Err(anyhow!(e).context(format!("cannot read `{path}` at commit {short}")));
            }
        };
        let mode = entry.filemode().cast_unsigned();
        if !is_regular_file(mode) {
            let what = describe_mode(mode);
            return Err(anyhow!(UsageError(format!(
                "`{path}` at commit {short} is {what}: pachhook reads it only as a regular file; commit the file itself"
            ))));
        }
        self.bounded_blob(entry.id(), &format!("`{path}` at commit {short}"))
            .map(Some)
    }

    /// The bytes of the file at `path` as staged in the index (`GIT_INDEX_FILE`
    /// honoured): the settings and policy files a commit being made carries. Bounded
    /// like `file_at_commit`; `None` when no regular file is staged there.
    pub fn staged_file(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match self.staged_entry(path)? {
            Some((mode, id)) if is_regular_file(mode) => self
                .bounded_blob(id, &format!("`{path}` in the index"))
                .map(Some),
            Some((mode, _)) => Err(anyhow!(UsageError(format!(
                "`{path}` in the index is {}: pachhook reads it only as a regular file; \
                 stage the file itself",
                describe_mode(mode)
            )))),
            None => Ok(None),
        }
    }

    /// The mode and id of the entry staged at `path` (stage 0, not `git add -N`), of
    /// whatever type. A file at the top of the work tree (the settings files) is found
    /// among the top entries, read by one walk of the index for all such lookups.
    pub fn staged_entry(&self, path: &str) -> Result<Option<(u32, Oid)>> {
        let path = path.as_bytes();
        if path.contains(&b'/') {
            let staged = self.staged_entries(|p| p == path)?;
            return Ok(staged.first().map(|(_, mode, id)| (*mode, *id)));
        }
        if self.top.get().is_none() {
            let top = self.staged_entries(|p| !p.contains(&b'/'))?;
            let _ = self.top.set(top);
        }
        Ok(self
            .top
            .get()
            .and_then(|top| top.iter().find(|(p, _, _)| p == path))
            .map(|(_, mode, id)| (*mode, *id)))
    }

    /// A blob of at most `TREE_FILE_MAX` bytes, its size read before its content.
    fn bounded_blob(&self, id: Oid, what: &str) -> Result<Vec<u8>> {
        let odb = self.git.odb().context("cannot open the object database")?;
        let (size, _) = odb
            .read_header(id)
            .with_context(|| format!("cannot read {what}"))?;
        if size > TREE_FILE_MAX {
            return Err(anyhow!(UsageError(format!(
                "{what} is {size} bytes; pachhook reads at most {TREE_FILE_MAX} bytes from it"
            ))));
        }
        self.blob(id)
    }
}

/// The hooks directory git uses.
pub struct HooksDir {
    /// Resolved: absolute, symbolic links and `..` followed.
    pub path: PathBuf,
    /// The path as git names it, when a symbolic link on the way leads out of this
    /// repository: other repositories may use the same directory.
    pub linked_out: Option<PathBuf>,
}

/// `path` made absolute and resolved as the system resolves it: symbolic links and `..`
/// in the part that exists followed (`canonicalize`), `.` and `..` of the part that does
/// not exist yet taken lexically.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = lexical(path);
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return lexical(&out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// `path` made absolute (against the current directory), `.` and `..` removed by name.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// What a git mode that is not a regular file's is, for messages.
fn describe_mode(mode: u32) -> &'static str {
    match mode & 0o170000 {
        0o120000 => "a symbolic link",
        0o160000 => "a submodule",
        0o040000 => "a directory",
        _ => "not a regular file",
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
