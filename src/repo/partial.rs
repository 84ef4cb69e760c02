//! Partial clones (`git clone --filter=blob:none`): the blobs of a commit are fetched
//! from the promisor remote when first read. libgit2 does not fetch, so a blob it lacks
//! is asked of git (`git cat-file -s`, which fetches it); when that cannot be done the
//! message says the clone is partial and what to run, instead of libgit2's "object not
//! found".

use std::time::Duration;

use anyhow::Result;
use git2::{Oid, Repository};

use super::blob::Store;
use super::child;

/// Bound on one fetch of a missing object.
const FETCH_LIMIT: Duration = Duration::from_secs(300);

/// Whether the repository fetches missing objects on demand.
pub fn is_partial(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    if config.get_string("extensions.partialclone").is_ok() {
        return true;
    }
    let Ok(mut entries) = config.entries(Some(r"remote\..*\.promisor")) else {
        return false;
    };
    let mut found = false;
    while let Some(Ok(entry)) = entries.next() {
        if entry.value().is_ok_and(|v: &str| {
            matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
        }) {
            found = true;
        }
    }
    found
}

/// The size of blob `id`, which the local object database lacks.
pub fn size(repo: &Repository, store: &Store, id: Oid) -> Result<u64> {
    if !is_partial(repo) {
        anyhow::bail!(
            "object {id} is missing from the repository {} (a damaged repository: `git fsck` tells more)",
            store.git_dir().display()
        );
    }
    let mut git = store.git();
    git.args(["cat-file", "-s"])
        .arg(id.to_string())
        .env("GIT_TERMINAL_PROMPT", "0");
    let out = child::run(git, b"", FETCH_LIMIT, "`git cat-file -s`");
    let why = match out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            if let Ok(size) = text.trim().parse() {
                return Ok(size);
            }
            format!("git answered `{}`", crate::escape::escape(text.trim()))
        }
        Ok(out) => out.error_line(),
        Err(e) => format!("{e:#}"),
    };
    anyhow::bail!(
        "the repository is a partial clone (`--filter`) and object {id} is not here; git could not \
         fetch it from the promisor remote ({why}): run the deploy where the remote can be \
         reached, or fetch the commit's files first (`git checkout` of it, or \
         `git fetch --refetch` after removing `remote.<name>.partialclonefilter`)"
    )
}

/// Fetches in one request the blobs below `tree` that this partial clone lacks, as git
/// itself does for a checkout (one fetch from the promisor remote, given the ids),
/// instead of one fetch per file as they are read. Nothing is said when it fails:
/// reading each file then fetches it, or says why it cannot.
pub fn prefetch(repo: &Repository, store: &Store, tree: Oid) {
    if !is_partial(repo) {
        return;
    }
    let mut list = store.git();
    list.args(["rev-list", "--objects", "--missing=print"])
        .arg(tree.to_string());
    let Ok(out) = child::run(list, b"", FETCH_LIMIT, "`git rev-list --missing=print`") else {
        return;
    };
    let missing: Vec<u8> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix('?'))
        .flat_map(|id| format!("{id}\n").into_bytes())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Some(remote) = promisor_remote(repo) else {
        return;
    };
    let mut fetch = store.git();
    fetch
        .args(["-c", "fetch.negotiationAlgorithm=noop", "fetch"])
        .arg(remote)
        .args([
            "--no-tags",
            "--no-write-fetch-head",
            "--recurse-submodules=no",
            "--filter=blob:none",
            "--stdin",
        ])
        .env("GIT_TERMINAL_PROMPT", "0");
    let _ = child::run(fetch, &missing, FETCH_LIMIT, "`git fetch` of missing blobs");
}

/// The first remote marked `promisor`, else the one `extensions.partialclone` names.
fn promisor_remote(repo: &Repository) -> Option<String> {
    let config = repo.config().ok()?;
    if let Ok(mut entries) = config.entries(Some(r"remote\..*\.promisor")) {
        while let Some(Ok(entry)) = entries.next() {
            let on = entry.value().is_ok_and(|v: &str| {
                matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
            });
            if on
                && let Some(name) = entry
                    .name()
                    .ok()
                    .and_then(|n| n.strip_prefix("remote."))
                    .and_then(|n| n.strip_suffix(".promisor"))
            {
                return Some(name.to_string());
            }
        }
    }
    config.get_string("extensions.partialclone").ok()
}
