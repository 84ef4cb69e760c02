//! Spec files on disk: the paths a user named, directories searched, and the work tree
//! of the repository. Which files count is `select`'s decision, the same as for the
//! index and for commits.
//!
//! Directory walks use the `ignore` crate: `.gitignore`d trees (`target/`,
//! `node_modules/`) are skipped, hidden files are not (`.pipelines/edges.json` is checked
//! by the pre-commit hook, so by `check --all` too), `.git` and submodules (directories
//! with a `.git` of their own) are left out, and symbolic links are not followed, so a
//! link loop cannot trap the walk. A file that cannot be read, or that vanishes during
//! the walk, becomes a finding; the rest of the scan goes on.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::UsageError;
use crate::select::{self, Pick, Selection, Selector};

/// The files of the paths a user named: files are checked whatever they hold,
/// directories are searched for spec files (zero-config selection).
pub fn from_paths(paths: &[PathBuf]) -> Result<Selection> {
    let scan = Selector::new(&[])?;
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .map_err(|e| UsageError(format!("cannot read `{}`: {e}", path.display())))?;
        if meta.is_dir() {
            walk(path, &scan, false, &mut files);
        } else {
            files.push(Found::Read(path.clone(), Pick::Spec, None));
        }
    }
    Ok(load(files, &scan))
}

/// The paths a hook manager (pre-commit, lefthook) names, picked the way the hooks pick
/// (`check --only-specs`): such tools pass every changed file of a type, so a file is
/// checked only when the repository's selection takes it (`[specs] paths`, else a file
/// holding a spec), and a file outside the repository at `root` is not the repository's.
/// Paths are shown as given.
pub fn named_by_hook(
    paths: &[PathBuf],
    root: Option<&Path>,
    selector: &Selector,
) -> Result<Selection> {
    let root = root.and_then(|r| r.canonicalize().ok());
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .map_err(|e| UsageError(format!("cannot read `{}`: {e}", path.display())))?;
        if meta.is_dir() {
            walk(path, selector, false, &mut files);
            continue;
        }
        let full = path.canonicalize().unwrap_or_else(|_| path.clone());
        let relative = match &root {
            Some(root) => match full.strip_prefix(root) {
                Ok(relative) => relative.to_path_buf(),
                Err(_) => continue,
            },
            None => path.clone(),
        };
        if let Some(pick) = selector.pick(&select::path_bytes(&relative)) {
            files.push(Found::Read(path.clone(), pick, None));
        }
    }
    let mut selection = load(files, selector);
    selection.sort();
    Ok(selection)
}

/// The spec files of the work tree at `root`, paths shown relative to it. `tracked`:
/// the repository paths git tracks (the index's); those the selector picks are read
/// whatever `.gitignore` says, as the hooks check them (a tracked file is the
/// repository's, ignored or not). One missing from the work tree has nothing to check.
pub fn from_repo(root: &Path, selector: &Selector, tracked: &[Vec<u8>]) -> Selection {
    let mut files = Vec::new();
    walk(root, selector, true, &mut files);
    let found: std::collections::HashSet<Vec<u8>> = files
        .iter()
        .filter_map(|f| match f {
            Found::Read(_, _, Some(shown)) => Some(shown.clone()),
            _ => None,
        })
        .collect();
    for path in tracked {
        let Some(pick) = selector.pick(path) else {
            continue;
        };
        let full = root.join(crate::repo::path_of(path));
        if found.contains(path) || std::fs::symlink_metadata(&full).is_err() {
            continue;
        }
        files.push(Found::Read(full, pick, Some(path.clone())));
    }
    let mut selection = load(files, selector);
    selection.sort();
    selection
}

/// A file to read, and how to show its path; or a walk error.
enum Found {
    /// The path to read, how it was picked, and the relative path to show instead.
    Read(PathBuf, Pick, Option<Vec<u8>>),
    /// A directory or file the walk could not read.
    Failed(Vec<u8>, String),
}

fn walk(dir: &Path, selector: &Selector, relative: bool, files: &mut Vec<Found>) {
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .follow_links(false)
        .filter_entry(|entry| {
            entry.depth() == 0
                || (entry.file_name() != ".git"
                    && !(entry.file_type().is_some_and(|t| t.is_dir())
                        && entry.path().join(".git").exists()))
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = error_path(&e).unwrap_or(dir);
                let shown = shown_path(dir, path, relative);
                files.push(Found::Failed(shown, e.to_string()));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let rel = path.strip_prefix(dir).unwrap_or(path);
        let Some(pick) = selector.pick(&select::path_bytes(rel)) else {
            continue;
        };
        let shown = relative.then(|| select::path_bytes(rel).into_owned());
        files.push(Found::Read(path.to_path_buf(), pick, shown));
    }
}

fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn shown_path(dir: &Path, path: &Path, relative: bool) -> Vec<u8> {
    let path = if relative {
        path.strip_prefix(dir).unwrap_or(path)
    } else {
        path
    };
    select::path_bytes(path).into_owned()
}

fn load(files: Vec<Found>, selector: &Selector) -> Selection {
    let read = crate::parallel::map(files, |found| match found {
        Found::Read(path, pick, shown) => {
            let result = crate::config::file::read_regular(&path);
            let shown = shown.unwrap_or_else(|| select::path_bytes(&path).into_owned());
            (shown, pick, result.map_err(|e| describe(&e)))
        }
        Found::Failed(shown, reason) => (shown, Pick::Spec, Err(reason)),
    });
    let mut selection = Selection::new(selector);
    for (path, pick, result) in read {
        match result {
            Ok(bytes) => selection.add(pick, &path, bytes),
            Err(reason) => selection.add_unreadable(pick, &path, reason),
        }
    }
    selection
}

/// An I/O error as the user reads it; a file gone since the walk saw it is named so.
fn describe(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "it was removed while pachhook was reading the \
                                          directory"
            .to_string(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that vanishes between the walk and the read is a finding, and the other
    /// files are still read.
    #[test]
    fn a_vanished_file_is_reported_and_the_scan_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.json");
        std::fs::write(&kept, "{\"pipeline\": {\"name\": \"a\"}}").unwrap();
        let gone = dir.path().join("gone.json");
        let selector = Selector::new(&[]).unwrap();
        let files = vec![
            Found::Read(gone, Pick::Candidate, Some(b"gone.json".to_vec())),
            Found::Read(kept, Pick::Candidate, Some(b"kept.json".to_vec())),
        ];
        let selection = load(files, &selector);
        let shown: Vec<(&str, Option<&str>)> = selection
            .sources
            .iter()
            .map(|s| (s.path.as_str(), s.unreadable.as_deref()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "gone.json",
                    Some("it was removed while pachhook was reading the directory")
                ),
                ("kept.json", None)
            ]
        );
        let report = crate::check::check(selection.sources, &Default::default());
        assert_eq!(report.files.len(), 2);
        assert_eq!(
            report.files[0].findings[0].rule,
            crate::check::Rule::ParseError
        );
    }
}
