//! `pre-commit`: checks the staged content of the spec files a commit changes.
//!
//! The bytes come from the index (blobs by the entries' ids), never from the working
//! tree, so a partially staged file is checked as it will be committed, and nothing is
//! written anywhere. Speed matters because this runs on every commit: the index is
//! filtered by path first (a string test), and only the few candidates are compared
//! with HEAD's tree; no diff of the whole tree is made.

use anyhow::Result;

use super::Filter;
use crate::config::Config;
use crate::exit;
use crate::repo::{Repo, is_regular_file};
use crate::source::Source;

/// The hook: exit 1 on error findings, 0 otherwise.
pub fn run() -> Result<i32> {
    let repo = Repo::discover()?;
    let config = Config::load(repo.work_tree()?)?;
    let filter = Filter::new(&config)?;
    let sources = staged_sources(&repo, &filter)?;
    if sources.is_empty() {
        return Ok(exit::OK);
    }
    let report = super::check_and_print(sources, &super::options(&config)?)?;
    if report.has_errors() {
        eprintln!(
            "pachhook: commit refused: fix the errors above and stage the fix \
             (or skip one rule: PACHHOOK_SKIP=rule-id git commit ...)"
        );
        return Ok(exit::FINDINGS);
    }
    Ok(exit::OK)
}

/// The spec files whose staged content differs from HEAD (added, copied, modified,
/// renamed), with their staged bytes, paths as staged (relative to the repository root).
pub fn staged_sources(repo: &Repo, filter: &Filter) -> Result<Vec<Source>> {
    let index = repo.index()?;
    let candidates: Vec<(String, git2::Oid)> = index
        .iter()
        .filter(|e| stage(e.flags) == 0 && is_regular_file(e.mode))
        .filter_map(|e| {
            let path = String::from_utf8_lossy(&e.path);
            filter.matches(&path).then(|| (path.into_owned(), e.id))
        })
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let head = repo.head_tree()?;
    let mut sources = Vec::new();
    for (path, id) in candidates {
        if let Some(tree) = &head
            && repo.blob_at(tree, &path)? == Some(id)
        {
            continue; // unchanged since HEAD: not part of this commit's change
        }
        let bytes = repo.blob(id)?;
        sources.push(filter.source(path, bytes));
    }
    Ok(sources)
}

/// The merge stage of an index entry: 0 for a normal entry, 1-3 for a conflict.
fn stage(flags: u16) -> u16 {
    (flags >> 12) & 0x3
}
