//! Finding spec files on disk: paths the user named, directories searched, and the
//! repository's own specs (`[specs] paths`, or every JSON and YAML file in it).
//!
//! Directory walks use the `ignore` crate, so `.gitignore`d trees (`target/`,
//! `node_modules/`) are skipped, and symbolic links are not followed, so a link loop
//! cannot trap the walk.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::UsageError;
use crate::source::Source;

/// The extensions a spec file may have; `.jsonnet` is a pipeline template, rendered by
/// its `[[template]]` instances (`check::template`).
pub fn is_spec_path(path: &str) -> bool {
    let lower = path.rsplit('/').next().unwrap_or(path);
    [".json", ".yaml", ".yml", ".jsonnet"]
        .iter()
        .any(|ext| lower.len() > ext.len() && lower.to_ascii_lowercase().ends_with(ext))
}

/// Sources for the paths a user named: files are explicit, directories are searched.
pub fn from_paths(paths: &[PathBuf]) -> Result<Vec<Source>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .map_err(|e| UsageError(format!("cannot read `{}`: {e}", path.display())))?;
        if meta.is_dir() {
            walk(path, None, &mut files)?;
        } else {
            files.push((path.clone(), true));
        }
    }
    load(files)
}

/// The repository's specs at `root`: the files matching `globs` (explicit), or every
/// JSON and YAML file when there are none (scanned: kept only if it holds a spec).
pub fn from_repo(root: &Path, globs: &[String]) -> Result<Vec<Source>> {
    let mut files = Vec::new();
    let set = if globs.is_empty() {
        None
    } else {
        Some(glob_set(globs)?)
    };
    walk(root, set.as_ref(), &mut files)?;
    let root_prefix = root.to_path_buf();
    let mut sources = load(files)?;
    for source in &mut sources {
        if let Ok(rel) = Path::new(&source.path).strip_prefix(&root_prefix) {
            source.path = rel.to_string_lossy().into_owned();
        }
    }
    Ok(sources)
}

pub fn glob_set(globs: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(
            Glob::new(glob).with_context(|| format!("invalid glob `{glob}` in [specs] paths"))?,
        );
    }
    Ok(builder.build()?)
}

fn walk(dir: &Path, globs: Option<&GlobSet>, files: &mut Vec<(PathBuf, bool)>) -> Result<()> {
    for entry in ignore::WalkBuilder::new(dir).follow_links(false).build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                eprintln!("pachhook: warning: {e}");
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        match globs {
            Some(set) => {
                let rel = path.strip_prefix(dir).unwrap_or(path);
                if set.is_match(rel) {
                    files.push((path.to_path_buf(), true));
                }
            }
            None if is_spec_path(&path.to_string_lossy()) => {
                files.push((path.to_path_buf(), false))
            }
            None => {}
        }
    }
    Ok(())
}

fn load(files: Vec<(PathBuf, bool)>) -> Result<Vec<Source>> {
    crate::parallel::map(files, |(path, explicit)| {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let display = path.to_string_lossy().into_owned();
        Ok(if explicit {
            Source::new(display, bytes)
        } else {
            Source::scanned(display, bytes)
        })
    })
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn spec_extensions() {
        assert!(super::is_spec_path("a/b/edges.json"));
        assert!(super::is_spec_path("edges.YML"));
        assert!(!super::is_spec_path("a.json/readme.md"));
        assert!(!super::is_spec_path(".json"));
        assert!(super::is_spec_path("pipelines/edges.jsonnet"));
        assert!(!super::is_spec_path("lib/util.libsonnet"));
    }
}
