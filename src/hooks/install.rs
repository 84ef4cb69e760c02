//! Writing, removing and inspecting pachhook's hooks in a hooks directory.
//!
//! A hook that is not ours is never lost: `install` renames it to
//! `<hook>.pachhook-previous` (a rename keeps its bytes and mode), and our script runs it
//! first; `uninstall` renames it back. Our scripts carry `MARKER` on a line of their own,
//! which is how a reinstall recognizes them and never chains a hook to itself.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use super::HookName;
use crate::error::UsageError;

/// The line that identifies a hook written by pachhook.
pub const MARKER: &str = "# pachhook-managed-hook";

/// Stands for the quoted path of the pachhook binary in the templates.
const PLACEHOLDER: &str = "@PACHHOOK@";

pub const ALL: [HookName; 2] = [HookName::PreCommit, HookName::PrePush];

pub fn file_name(hook: HookName) -> &'static str {
    match hook {
        HookName::PreCommit => "pre-commit",
        HookName::PrePush => "pre-push",
    }
}

fn template(hook: HookName) -> &'static str {
    match hook {
        HookName::PreCommit => include_str!("../../hooks/pre-commit"),
        HookName::PrePush => include_str!("../../hooks/pre-push"),
    }
}

/// The script for `hook`, calling the pachhook at `exe`.
pub fn render(hook: HookName, exe: &Path) -> Result<String> {
    let exe = exe.to_str().ok_or_else(|| {
        anyhow!(
            "the path of pachhook, {}, is not UTF-8: install pachhook under another path",
            exe.display()
        )
    })?;
    Ok(template(hook).replace(PLACEHOLDER, &sh_quote(exe)))
}

/// `s` as one POSIX shell word: single quotes, each `'` written as `'\''`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Whether a hook file's content is one of ours.
pub fn is_ours(content: &[u8]) -> bool {
    content
        .split(|&b| b == b'\n')
        .any(|line| line.strip_suffix(b"\r").unwrap_or(line) == MARKER.as_bytes())
}

/// Where the hook we replaced is kept while ours is installed.
pub fn previous_path(dir: &Path, hook: HookName) -> PathBuf {
    dir.join(format!("{}.pachhook-previous", file_name(hook)))
}

/// What `install` did to one hook.
#[derive(Debug, PartialEq, Eq)]
pub enum Installed {
    /// Written where there was no hook.
    Written,
    /// Written; the hook that was there is kept at the path and runs first.
    Chained(PathBuf),
    /// Ours was there but out of date, and was rewritten.
    Updated,
    /// Ours was there and current: nothing changed.
    Unchanged,
}

pub fn install(dir: &Path, hook: HookName, exe: &Path) -> Result<Installed> {
    let path = dir.join(file_name(hook));
    let script = render(hook, exe)?;
    let outcome = match read_hook(&path)? {
        Some(current) if current == script.as_bytes() => return Ok(Installed::Unchanged),
        Some(current) if is_ours(&current) => Installed::Updated,
        Some(_) => {
            let previous = previous_path(dir, hook);
            if exists(&previous)? {
                return Err(UsageError(format!(
                    "{} is not pachhook's, and {} (a hook pachhook replaced earlier) is in \
                     the way: merge them into one hook, remove the other, then install again",
                    path.display(),
                    previous.display()
                ))
                .into());
            }
            fs::rename(&path, &previous).with_context(|| {
                format!("cannot move {} to {}", path.display(), previous.display())
            })?;
            Installed::Chained(previous)
        }
        None => Installed::Written,
    };
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_executable(&path, script.as_bytes())?;
    Ok(outcome)
}

/// What `uninstall` did to one hook.
#[derive(Debug, PartialEq, Eq)]
pub enum Uninstalled {
    Removed,
    /// Removed, and the hook it had replaced is back.
    Restored,
    /// No hook of ours there.
    NotInstalled,
    /// The hook there is someone else's: left alone.
    NotOurs,
}

pub fn uninstall(dir: &Path, hook: HookName) -> Result<Uninstalled> {
    let path = dir.join(file_name(hook));
    let previous = previous_path(dir, hook);
    match read_hook(&path)? {
        Some(current) if !is_ours(&current) => return Ok(Uninstalled::NotOurs),
        Some(_) => {
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?
        }
        None if !exists(&previous)? => return Ok(Uninstalled::NotInstalled),
        None => {}
    }
    if exists(&previous)? {
        fs::rename(&previous, &path).with_context(|| {
            format!(
                "cannot move {} back to {}",
                previous.display(),
                path.display()
            )
        })?;
        return Ok(Uninstalled::Restored);
    }
    Ok(Uninstalled::Removed)
}

/// What is installed for one hook.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    Missing,
    /// Ours, identical to what this binary writes.
    Current,
    /// Ours, but written by another version or another path of pachhook.
    Outdated,
    /// A hook that is not pachhook's.
    Foreign,
}

pub struct Status {
    pub path: PathBuf,
    pub state: State,
    /// The replaced hook that ours runs first, if any.
    pub previous: Option<PathBuf>,
}

pub fn status(dir: &Path, hook: HookName, exe: &Path) -> Result<Status> {
    let path = dir.join(file_name(hook));
    let state = match read_hook(&path)? {
        None => State::Missing,
        Some(current) if current == render(hook, exe)?.as_bytes() => State::Current,
        Some(current) if is_ours(&current) => State::Outdated,
        Some(_) => State::Foreign,
    };
    let previous = previous_path(dir, hook);
    let previous = exists(&previous)?.then_some(previous);
    Ok(Status {
        path,
        state,
        previous,
    })
}

/// The hook's bytes, or `None` when there is no file (a dangling link counts as one).
fn read_hook(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound && !exists(path)? => Ok(None),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Some(Vec::new())),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Whether anything (a file, a link, even a dangling one) is at `path`.
fn exists(path: &Path) -> Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes through a temporary file and a rename, so git never runs a half-written hook.
fn write_executable(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("pachhook-tmp");
    fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", tmp.display()))?;
    }
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_single_quotes_for_sh() {
        assert_eq!(sh_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[test]
    fn rendered_hooks_carry_the_marker_and_the_path() {
        for hook in ALL {
            let script = render(hook, Path::new("/opt/pach hook/bin/pachhook")).unwrap();
            assert!(is_ours(script.as_bytes()));
            assert!(script.contains("installed='/opt/pach hook/bin/pachhook'"));
            assert!(!script.contains(PLACEHOLDER));
        }
        assert!(!is_ours(b"#!/bin/sh\n# not pachhook-managed-hook\n"));
    }
}
