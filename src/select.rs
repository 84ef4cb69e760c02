//! Which files are pipeline specs: the one decision for the work tree (`discover`), the
//! index (the pre-commit hook, `check --staged`) and a commit's tree (the pre-push hook,
//! deploy), so that `check --all`, the hooks and deploy never disagree.
//!
//! - With `[specs] paths`, a file is a spec file when a glob matches it; such files are
//!   checked whatever they hold. The globs follow gitignore's conventions (the `ignore`
//!   crate's implementation of them): `*` stays inside one directory, `**` crosses
//!   directories, a glob with no `/` matches at any depth, a leading `/` anchors it to
//!   the top of the repository, `dir/` selects everything under `dir`, and `!glob`
//!   takes files back out.
//! - Without globs, every `*.json`, `*.yaml` and `*.yml` file is a candidate, kept only
//!   if it holds a pipeline spec.
//! - With globs, a JSON or YAML file that holds a pipeline spec but matches no glob is
//!   not checked, and the selection names it (`Selection::warning`): a spec outside the
//!   globs is a forgotten spec more often than a deliberate one.
//!
//! Hidden files and directories are selected like any other; `.git` and submodules
//! never are (a submodule is another repository with its own hooks). Paths are bytes
//! (git's paths need not be UTF-8) until they are shown: `display` turns them into text,
//! escaping what is not UTF-8 the way git quotes paths.

use std::borrow::Cow;
use std::path::Path;

use anyhow::{Context, Result};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::repo::tree::{CommitTree, Kind, Step};
use crate::repo::{Oid, Repo, TreeFiles};
use crate::source::Source;

/// The extensions of the files that may hold specs (compared without case); `.jsonnet`
/// is a pipeline template, rendered by its `[[template]]` instances (`check::template`).
pub const SPEC_EXTENSIONS: [&str; 4] = [".json", ".yaml", ".yml", ".jsonnet"];

/// How a path is selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Matched by a `[specs] paths` glob: checked whatever it holds.
    Spec,
    /// No globs are set and it has a spec extension: checked if it holds a spec.
    Candidate,
    /// Globs are set and none matches, but it has a spec extension: not checked, named
    /// in a warning if it holds a spec.
    Outside,
}

/// The `[specs] paths` globs, compiled once; the zero-config selection without them.
pub struct Selector {
    globs: Option<Gitignore>,
    patterns: Vec<String>,
    /// Files that are specs whatever the globs say: the `[[template]]` files.
    files: Vec<Vec<u8>>,
}

impl Selector {
    pub fn new(patterns: &[String]) -> Result<Selector> {
        if patterns.is_empty() {
            return Ok(Selector {
                globs: None,
                patterns: Vec::new(),
                files: Vec::new(),
            });
        }
        // The root is only used to strip absolute paths; every path given is relative.
        let mut builder = GitignoreBuilder::new("");
        // In a configuration file an unclosed `[` is a typo, not a literal bracket.
        builder.allow_unclosed_class(false);
        for pattern in patterns {
            check_glob(pattern)?;
            builder
                .add_line(None, pattern)
                .map_err(|e| anyhow::anyhow!("`{pattern}` is not a valid glob: {e}"))?;
        }
        let globs = builder.build().context("invalid [specs] paths")?;
        Ok(Selector {
            globs: Some(globs),
            patterns: patterns.to_vec(),
            files: Vec::new(),
        })
    }

    /// The selector that also takes `files` (repository paths), whatever the globs say:
    /// a `[[template]]` file is a spec file because the configuration names it.
    #[must_use]
    pub fn with_files<'a>(mut self, files: impl IntoIterator<Item = &'a str>) -> Selector {
        self.files
            .extend(files.into_iter().map(|f| f.as_bytes().to_vec()));
        self
    }

    /// How `path` (repository-relative, `/`-separated bytes) is selected, if at all.
    /// Runs on every path of the index: no allocation for the paths it rejects in the
    /// zero-config case.
    pub fn pick(&self, path: &[u8]) -> Option<Pick> {
        if !self.files.is_empty() && self.files.iter().any(|f| f == path) {
            return Some(Pick::Spec);
        }
        match &self.globs {
            None => has_spec_extension(path).then_some(Pick::Candidate),
            Some(globs) => {
                let relative = path.strip_prefix(b"/").unwrap_or(path);
                if globs
                    .matched_path_or_any_parents(crate::repo::path_of(relative), false)
                    .is_ignore()
                {
                    Some(Pick::Spec)
                } else {
                    has_spec_extension(path).then_some(Pick::Outside)
                }
            }
        }
    }

    /// The globs as written in the configuration.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

/// A glob the gitignore matcher would take but that means nothing useful here.
fn check_glob(pattern: &str) -> Result<()> {
    if pattern.trim().is_empty() || pattern.starts_with('#') {
        anyhow::bail!(
            "`{pattern}` in [specs] paths selects nothing: write a glob such as `pipelines/*.json`"
        );
    }
    Ok(())
}

/// The spec files chosen from somewhere, and the spec files the globs left out.
pub struct Selection {
    pub sources: Vec<Source>,
    /// Files that hold a spec but match no glob, as shown to the user.
    pub outside: Vec<String>,
    patterns: Vec<String>,
}

impl Selection {
    pub fn new(selector: &Selector) -> Selection {
        Selection {
            sources: Vec::new(),
            outside: Vec::new(),
            patterns: selector.patterns.clone(),
        }
    }

    /// Adds a file picked as `pick`, with its content.
    pub fn add(&mut self, pick: Pick, path: &[u8], bytes: Vec<u8>) {
        match pick {
            Pick::Spec => self.sources.push(Source::new(display(path), bytes)),
            Pick::Candidate => self.sources.push(Source::scanned(display(path), bytes)),
            Pick::Outside => {
                if holds_spec(&bytes) {
                    self.outside.push(display(path).into_owned());
                }
            }
        }
    }

    /// Adds a selected file that could not be read: reported as a finding.
    pub fn add_unreadable(&mut self, pick: Pick, path: &[u8], reason: String) {
        if pick != Pick::Outside {
            self.sources.push(Source::unreadable(display(path), reason));
        }
    }

    /// Sorts the sources by path, so that reports do not depend on walk order.
    pub fn sort(&mut self) {
        self.sources.sort_by(|a, b| a.path.cmp(&b.path));
        self.outside.sort();
    }

    /// The warning about spec files outside the globs, if there are any.
    pub fn warning(&self) -> Option<String> {
        if self.outside.is_empty() {
            return None;
        }
        let mut files: Vec<String> = self.outside.iter().map(|p| format!("`{p}`")).collect();
        files.sort();
        files.dedup();
        let globs: Vec<String> = self.patterns.iter().map(|p| format!("`{p}`")).collect();
        let (them, it) = if files.len() == 1 {
            ("it", "holds a pipeline spec")
        } else {
            ("them", "hold pipeline specs")
        };
        Some(format!(
            "{} {it} but {} no [specs] paths glob ({}), so pachhook does not check {them}: \
             add a glob for {them} to pachhook.toml",
            files.join(", "),
            if files.len() == 1 { "matches" } else { "match" },
            globs.join(", ")
        ))
    }
}

/// The staged spec files whose content differs from HEAD's (added, copied, modified,
/// renamed), with their staged bytes: what the pre-commit hook and `check --staged`
/// check. Read from the index (`GIT_INDEX_FILE` included), never from the work tree.
///
/// A merge being committed changes only what differs from every parent: a file as a
/// merged commit (`merged`, see `Repo::merge_sources`) has it is that commit's content,
/// checked when it was committed (and at its push), not the merge's; the merge is
/// judged on what it makes anew (an automatic merge of two edits, a resolution).
pub fn staged(repo: &Repo, selector: &Selector, merged: &[Oid]) -> Result<Selection> {
    let mut selection = Selection::new(selector);
    let candidates = repo.staged_files(|path| selector.pick(path).is_some())?;
    if candidates.is_empty() {
        return Ok(selection);
    }
    let mut head = repo.head_tree()?.map(|tree| TreeFiles::new(repo, tree));
    let mut merged: Vec<TreeFiles<'_>> = merged
        .iter()
        .copied()
        .map(|commit| {
            repo.commit_tree(commit)
                .map(|tree| TreeFiles::new(repo, tree))
        })
        .collect::<Result<_>>()?;
    let cached = repo.staged_trees()?;
    'candidates: for (path, id) in candidates {
        if let Some(head) = &mut head
            && (head.holds_unchanged(&path, cached)? || head.blob(&path)? == Some(id))
        {
            continue; // unchanged since HEAD: not part of this commit's change
        }
        for parent in &mut merged {
            if parent.blob(&path)? == Some(id) {
                continue 'candidates; // as the merged branch has it
            }
        }
        let Some(pick) = selector.pick(&path) else {
            continue;
        };
        selection.add(pick, &path, repo.blob(id)?);
    }
    Ok(selection)
}

/// Every staged spec file, changed or not (a commit that changes a policy has them all
/// checked against it).
pub fn index(repo: &Repo, selector: &Selector) -> Result<Selection> {
    let mut selection = Selection::new(selector);
    for (path, id) in repo.staged_files(|path| selector.pick(path).is_some())? {
        if let Some(pick) = selector.pick(&path) {
            selection.add(pick, &path, repo.blob(id)?);
        }
    }
    Ok(selection)
}

/// Every spec file of a commit (or of a tree, by its id): deploy plans from all of them.
pub fn in_tree(repo: &Repo, commit_or_tree: Oid, selector: &Selector) -> Result<Selection> {
    let mut selection = Selection::new(selector);
    let tree = repo.tree_of(commit_or_tree)?;
    CommitTree::new(&repo.git, &tree).walk("", &mut |entry| {
        match entry.kind {
            Kind::Dir => return Ok(Step::Descend),
            // Symbolic links and submodules hold no spec of this commit.
            Kind::Symlink | Kind::Submodule => return Ok(Step::Skip),
            Kind::File | Kind::Exec => {}
        }
        if let Some(pick) = selector.pick(entry.path) {
            selection.add(pick, entry.path, entry.content()?);
        }
        Ok(Step::Descend)
    })?;
    Ok(selection)
}

/// The spec files that differ between commits `old` and `new`, as they are at `new`
/// (every spec file of `new` when `old` is `None`). Deleted files have nothing to check.
pub fn changed_between(
    repo: &Repo,
    old: Option<Oid>,
    new: Oid,
    selector: &Selector,
) -> Result<Selection> {
    let mut selection = Selection::new(selector);
    for change in repo.changes_between(old, new)? {
        if let (Some(id), Some(pick)) = (change.new, selector.pick(&change.path)) {
            selection.add(pick, &change.path, repo.blob(id)?);
        }
    }
    Ok(selection)
}

/// A path as text for reports: UTF-8 as it is, any other byte as git quotes it (`\351`),
/// and so a backslash as `\\`: one spelling per file, which `display_bytes` maps back
/// (the SARIF report percent-encodes those bytes). Control characters stay: each
/// renderer escapes them its own way.
pub fn display(path: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(path) {
        Ok(text) if !text.contains('\\') => Cow::Borrowed(text),
        _ => {
            let mut out = String::with_capacity(path.len() + 8);
            for chunk in path.utf8_chunks() {
                out.push_str(&chunk.valid().replace('\\', "\\\\"));
                for byte in chunk.invalid() {
                    out.push_str(&format!("\\{byte:03o}"));
                }
            }
            Cow::Owned(out)
        }
    }
}

/// The bytes of the path `display` wrote as `text`; other text (a path as typed) as it
/// is, a backslash that starts no escape included.
pub fn display_bytes(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)) && d[0] <= b'3');
        match (bytes[i], bytes.get(i + 1), octal) {
            (b'\\', Some(b'\\'), _) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', _, Some(d)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// A path on disk as git-style bytes.
pub fn path_bytes(path: &Path) -> Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Cow::Borrowed(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        Cow::Owned(path.to_string_lossy().replace('\\', "/").into_bytes())
    }
}

/// `*.json`, `*.yaml`, `*.yml` (any case), with a name before the extension; on bytes
/// and without allocating.
pub fn has_spec_extension(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    SPEC_EXTENSIONS.iter().any(|ext| {
        let ext = ext.as_bytes();
        name.len() > ext.len() && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
    })
}

/// Whether a file outside the globs holds a pipeline spec (for the warning).
fn holds_spec(bytes: &[u8]) -> bool {
    let bytes = crate::source::decode(bytes.to_vec());
    crate::spec::read::read(&bytes).is_ok_and(|specs| crate::spec::read::holds_specs(&specs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(globs: &[&str], path: &str) -> Option<Pick> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        Selector::new(&globs).unwrap().pick(path.as_bytes())
    }

    #[test]
    fn spec_extensions() {
        assert!(has_spec_extension(b"a/b/edges.json"));
        assert!(has_spec_extension(b"edges.YML"));
        assert!(has_spec_extension(b".hidden/x.yaml"));
        assert!(!has_spec_extension(b"a.json/readme.md"));
        assert!(!has_spec_extension(b".json"));
        assert!(!has_spec_extension(b"a/.yml"));
        assert!(has_spec_extension(b"pipelines/edges.jsonnet"));
        assert!(!has_spec_extension(b"lib/util.libsonnet"));
    }

    #[test]
    fn globs_follow_gitignore_conventions() {
        let globs = ["pipelines/*.json"];
        assert_eq!(pick(&globs, "pipelines/a.json"), Some(Pick::Spec));
        // `*` stays in one directory.
        assert_eq!(pick(&globs, "pipelines/x/a.json"), Some(Pick::Outside));
        assert_eq!(pick(&globs, "other/pipelines/a.json"), Some(Pick::Outside));
        assert_eq!(pick(&globs, "pipelines/a.md"), None);
        // `**` crosses directories.
        assert_eq!(
            pick(&["pipelines/**/*.json"], "pipelines/x/y/a.json"),
            Some(Pick::Spec)
        );
        assert_eq!(
            pick(&["pipelines/**/*.json"], "pipelines/a.json"),
            Some(Pick::Spec)
        );
        // No slash: any depth; a leading slash anchors.
        assert_eq!(
            pick(&["*.pipeline.json"], "a/b/x.pipeline.json"),
            Some(Pick::Spec)
        );
        assert_eq!(pick(&["/*.json"], "a/x.json"), Some(Pick::Outside));
        assert_eq!(pick(&["/*.json"], "x.json"), Some(Pick::Spec));
        // A directory, and taking a file back out.
        assert_eq!(pick(&["specs/"], "specs/deep/x.yaml"), Some(Pick::Spec));
        assert_eq!(
            pick(&["specs/", "!specs/draft.yaml"], "specs/draft.yaml"),
            Some(Pick::Outside)
        );
        // Non-UTF-8 names match by their bytes.
        let globs = vec!["pipelines/*.json".to_string()];
        let selector = Selector::new(&globs).unwrap();
        assert_eq!(selector.pick(b"pipelines/caf\xe9.json"), Some(Pick::Spec));
    }

    #[test]
    fn display_quotes_bytes_that_are_not_utf8() {
        assert_eq!(display(b"caf\xc3\xa9.json"), "café.json");
        assert_eq!(display(b"caf\xe9.json"), "caf\\351.json");
        for path in [
            &b"caf\xe9.json"[..],
            b"a\\351.json",
            b"a\\b\xff\\",
            b"plain.yaml",
        ] {
            assert_eq!(display_bytes(&display(path)), path, "{}", display(path));
        }
        assert_eq!(display(b"a\\351.json"), "a\\\\351.json");
    }

    #[test]
    fn the_warning_names_the_files_and_the_globs() {
        let selector = Selector::new(&["pipelines/*.json".to_string()]).unwrap();
        let mut selection = Selection::new(&selector);
        selection.add(
            Pick::Outside,
            b"pipelines/other.yml",
            b"pipeline: {name: a}\n".to_vec(),
        );
        selection.add(
            Pick::Outside,
            b"package.json",
            b"{\"name\": \"x\"}".to_vec(),
        );
        assert_eq!(
            selection.warning().unwrap(),
            "`pipelines/other.yml` holds a pipeline spec but matches no [specs] paths glob \
             (`pipelines/*.json`), so pachhook does not check it: add a glob for it to \
             pachhook.toml"
        );
    }
}
