//! The local repository of a submodule that holds the commit a gitlink records. git keeps
//! an initialized submodule's repository in `<git dir>/modules/<name>` (the name comes
//! from `.gitmodules`, and is the path by default); an old-style checkout has its own
//! `.git` directory in the work tree. Only the objects are read: what is checked out
//! there does not matter.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow};
use git2::{Oid, Repository, Tree};

use super::blob::Store;
use super::child;
use super::tree::{display_path, os_path};

/// How long `git config` may take to read `.gitmodules`.
const CONFIG_LIMIT: Duration = Duration::from_secs(30);

/// The repository of the submodule at `path` (from the top of `repo`, whose commit's tree
/// is `root`) that has `commit`.
pub fn open(
    repo: &Repository,
    store: &Store,
    root: &Tree<'_>,
    path: &[u8],
    commit: Oid,
) -> Result<Repository> {
    let modules = repo.commondir().join("modules");
    let mut candidates: Vec<PathBuf> = names(store, root, path)?
        .iter()
        .map(|name| modules.join(os_path(name)))
        .collect();
    candidates.push(modules.join(os_path(path)));
    if let Some(work) = repo.workdir() {
        candidates.push(work.join(os_path(path)));
    }
    candidates.dedup();
    for dir in &candidates {
        if !dir.is_dir() {
            continue;
        }
        // `open` (not `discover`): a directory that is not a repository must not find
        // the superproject above it.
        if let Ok(sub) = Repository::open(dir)
            && sub.find_commit(commit).is_ok()
        {
            return Ok(sub);
        }
    }
    let shown = display_path(path);
    Err(anyhow!(
        "its commit {commit} is not in a local repository of the submodule (looked in {}): \
         run `git submodule update --init -- {shown}` and retry, or leave `{shown}` out of \
         the build context with .dockerignore",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The names `.gitmodules` (in `root`) gives the submodule at `path`.
fn names(store: &Store, root: &Tree<'_>, path: &[u8]) -> Result<Vec<Vec<u8>>> {
    let Some(entry) = root.get_name(".gitmodules") else {
        return Ok(Vec::new());
    };
    let mut git = store.git();
    git.args(["config", "-z", "--blob"])
        .arg(entry.id().to_string())
        .args(["--get-regexp", r"^submodule\..*\.path$"]);
    let out = child::run(git, b"", CONFIG_LIMIT, "`git config` reading .gitmodules")?;
    // 1: no submodule has a path there.
    if !out.status.success() && out.status.code() != Some(1) {
        anyhow::bail!("cannot read .gitmodules: {}", out.error_line());
    }
    let mut names = Vec::new();
    // Records are `submodule.<name>.path\n<value>\0`.
    for record in out.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let Some(newline) = record.iter().position(|&b| b == b'\n') else {
            continue;
        };
        let (key, value) = (&record[..newline], &record[newline + 1..]);
        let Some(name) = key
            .strip_prefix(b"submodule.")
            .and_then(|k| k.strip_suffix(b".path"))
        else {
            continue;
        };
        if value == path && safe_name(name) {
            names.push(name.to_vec());
        }
    }
    Ok(names)
}

/// git refuses submodule names that would lead out of `modules/`; so do we.
fn safe_name(name: &[u8]) -> bool {
    !name.is_empty()
        && !name.starts_with(b"/")
        && !name.split(|&b| b == b'/' || b == b'\\').any(|c| c == b"..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_modules_are_refused() {
        assert!(safe_name(b"lib/vendored"));
        assert!(!safe_name(b"../../hooks"));
        assert!(!safe_name(b"a/../../b"));
        assert!(!safe_name(b"/etc"));
        assert!(!safe_name(b""));
    }
}
