//! Writing, removing and inspecting pachhook's hooks in a hooks directory.
//!
//! Nothing a user wrote is lost, at any instant:
//! - A hook that is not ours is kept, under its own name, in `<hooks>.pachhook-previous/`
//!   beside the hooks directory (same depth, so a relative link still points where it
//!   did), with links there to the other files of the hooks directory: run from there it
//!   sees its own name in `$0` and finds the files beside it. It is hard-linked there
//!   (a link stays a link) *before* ours is renamed over it, so at every instant the
//!   hook git runs is either theirs alone or ours running theirs first; a kill or a full
//!   disk in between leaves theirs in place and a second copy that the next install
//!   reuses.
//! - Ours is written to a temporary file in the same directory, synced, and renamed
//!   into place: git never runs half a hook.
//! - Ours carries a checksum of itself: a hook a user edited is "modified", and is
//!   neither overwritten nor removed without `force`, which keeps a copy.

use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use super::HookName;
use crate::atomic_write::{self, create_new, temp_path};
use crate::error::UsageError;

/// The line that identifies a hook written by pachhook.
pub const MARKER: &str = "# pachhook-managed-hook";

/// The line that holds the hook's checksum; the checksum is of the hook with
/// `CHECKSUM` in its place.
const CHECKSUM_LINE: &str = "# pachhook-checksum: ";
const CHECKSUM: &str = "@CHECKSUM@";

/// Stands for the quoted path of the pachhook binary in the templates.
const PLACEHOLDER: &str = "@PACHHOOK@";

/// What the directory of previous hooks is called, after the hooks directory's name.
const PREVIOUS_SUFFIX: &str = ".pachhook-previous";

pub const ALL: [HookName; 3] = [
    HookName::PreCommit,
    HookName::PrePush,
    HookName::PreMergeCommit,
];

pub fn file_name(hook: HookName) -> &'static str {
    match hook {
        HookName::PreCommit => "pre-commit",
        HookName::PrePush => "pre-push",
        HookName::PreMergeCommit => "pre-merge-commit",
        HookName::ReferenceTransaction => "reference-transaction",
    }
}

fn template(hook: HookName) -> &'static str {
    match hook {
        HookName::PreCommit => include_str!("../../hooks/pre-commit"),
        HookName::PrePush => include_str!("../../hooks/pre-push"),
        HookName::PreMergeCommit => include_str!("../../hooks/pre-merge-commit"),
        HookName::ReferenceTransaction => include_str!("../../hooks/reference-transaction"),
    }
}

/// The templates of pachhook 0.1, which had no checksum: a hook equal to one of them
/// (with its own `installed=` value) is recognised as unedited.
fn legacy_template(hook: HookName) -> Option<&'static str> {
    match hook {
        HookName::PreCommit => Some(include_str!("../../hooks/legacy/pre-commit")),
        HookName::PrePush => Some(include_str!("../../hooks/legacy/pre-push")),
        // Not in pachhook 0.1.
        HookName::PreMergeCommit => None,
        // Written only by versions that seal every hook with a checksum.
        HookName::ReferenceTransaction => None,
    }
}

/// Which pachhook the hooks call.
#[derive(Clone, Copy, Debug)]
pub enum Binary<'a> {
    /// This path first, then `pachhook` on `PATH`: hooks of this machine.
    At(&'a Path),
    /// `pachhook` on `PATH` only: a portable hook, meant to be committed and shared.
    OnPath,
}

/// The script for `hook`, calling `binary`.
pub fn render(hook: HookName, binary: Binary<'_>) -> Result<String> {
    let installed = match binary {
        Binary::At(exe) => sh_quote(exe.to_str().ok_or_else(|| {
            anyhow!(
                "the path of pachhook, {}, is not UTF-8: install pachhook under another path",
                exe.display()
            )
        })?),
        Binary::OnPath => "''".to_string(),
    };
    let script = template(hook).replace(PLACEHOLDER, &installed);
    Ok(script.replace(CHECKSUM, &checksum(&script)))
}

/// `s` as one POSIX shell word: single quotes, each `'` written as `'\''`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// FNV-1a (64 bits), in hex: this detects edits, it does not resist forgery.
fn checksum(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Whether a hook file's content is one of ours.
pub fn is_ours(content: &[u8]) -> bool {
    lines(content).any(|line| line == MARKER.as_bytes())
}

fn lines(content: &[u8]) -> impl Iterator<Item = &[u8]> {
    content
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// Whether one of our hooks is as pachhook wrote it (any version): its checksum holds,
/// or it is a pachhook 0.1 hook, unchanged.
fn unedited(hook: HookName, content: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(content) else {
        return false;
    };
    let sealed = text.lines().find_map(|l| l.strip_prefix(CHECKSUM_LINE));
    if let Some(sum) = sealed {
        let blank = text.replacen(
            &format!("{CHECKSUM_LINE}{sum}"),
            &format!("{CHECKSUM_LINE}{CHECKSUM}"),
            1,
        );
        return checksum(&blank) == sum;
    }
    let installed = text.lines().find_map(|l| l.strip_prefix("installed="));
    installed.is_some_and(|value| {
        legacy_template(hook).is_some_and(|legacy| legacy.replace(PLACEHOLDER, value) == text)
    })
}

/// `<parent>/<name>.pachhook-previous` for the hooks directory `<parent>/<name>`.
pub fn previous_dir(hooks: &Path) -> PathBuf {
    let mut name = hooks
        .file_name()
        .map_or_else(|| OsString::from("hooks"), |n| n.to_os_string());
    name.push(PREVIOUS_SUFFIX);
    hooks.parent().unwrap_or(hooks).join(name)
}

/// Where the hook we replaced is kept while ours is installed.
pub fn previous_path(hooks: &Path, hook: HookName) -> PathBuf {
    previous_dir(hooks).join(file_name(hook))
}

/// Where pachhook 0.1 kept it: `<hooks>/<hook>.pachhook-previous`, which hid its name.
fn legacy_previous_path(hooks: &Path, hook: HookName) -> PathBuf {
    hooks.join(format!("{}.pachhook-previous", file_name(hook)))
}

/// What is at a hook's path.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    Missing,
    /// Ours, identical to what this binary writes.
    Current,
    /// Ours, unedited, but written by another version or another path of pachhook.
    Outdated,
    /// Ours, edited since pachhook wrote it: left alone without `--force`.
    Modified,
    /// A hook that is not pachhook's (or a symbolic link, whatever it points to).
    Foreign,
    /// Ours and as this pachhook writes it, but git cannot run it: not executable (a
    /// checkout from Windows, a copy). `install` makes it runnable again.
    NotExecutable(u32),
    /// Not a regular file (a FIFO, a socket, a device, a directory): git cannot run
    /// it, and pachhook never opens it (a FIFO would block). What it is, for messages.
    NotRegular(&'static str),
}

/// The bytes of the hook file at `path`, which must be a regular file: opened without
/// following a link or blocking, its type checked on the opened file. `None` when it is
/// anything else.
pub fn read_hook(path: &Path) -> Option<Vec<u8>> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    crate::config::file::read_regular(path).ok()
}

/// What a file that is not a regular file is, for messages.
fn kind_of(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The permission bits of a file, and whether git would run it (executable by its owner).
fn mode_of(meta: &fs::Metadata) -> (u32, bool) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        (mode, mode & 0o100 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0o755, true)
    }
}

/// The state of the hook at `path`; `script` is what this pachhook would write there
/// (`None`: only ours or not matters).
fn inspect(path: &Path, hook: HookName, script: Option<&str>) -> Result<State> {
    let Some(meta) = metadata(path)? else {
        return Ok(State::Missing);
    };
    // A link is someone's choice, whatever it points to; it is never opened (it could
    // lead to a FIFO).
    if meta.file_type().is_symlink() {
        return Ok(State::Foreign);
    }
    if !meta.is_file() {
        return Ok(State::NotRegular(kind_of(&meta)));
    }
    let content = match crate::config::file::read_regular(path) {
        Ok(bytes) => bytes,
        // Gone, or replaced by something else, since we looked.
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(State::Missing),
        Err(e) if e.kind() == ErrorKind::InvalidInput => {
            return Ok(State::NotRegular("not a regular file"));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let (mode, runnable) = mode_of(&meta);
    Ok(if script.is_some_and(|s| content == s.as_bytes()) {
        if runnable {
            State::Current
        } else {
            State::NotExecutable(mode)
        }
    } else if !is_ours(&content) {
        State::Foreign
    } else if unedited(hook, &content) {
        State::Outdated
    } else {
        State::Modified
    })
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
    /// Ours was there, edited; rewritten (`force`), the edited one kept at the path.
    Replaced(PathBuf),
    /// Ours was there and current: nothing changed.
    Unchanged,
    /// Ours was there but git could not run it (not executable), or something that is
    /// not a file (a FIFO) was in its place: rewritten, runnable.
    Repaired(&'static str),
}

/// Installs `hook` into `dir`. `chain`: a hook already there that is not ours is kept
/// and run first; without it (a hooks directory the team commits) such a hook is an
/// error saying how to call pachhook from it.
pub fn install(
    dir: &Path,
    hook: HookName,
    binary: Binary<'_>,
    chain: bool,
    force: bool,
) -> Result<Installed> {
    let path = dir.join(file_name(hook));
    let script = render(hook, binary)?;
    let outcome = match inspect(&path, hook, Some(&script))? {
        State::Current => return Ok(Installed::Unchanged),
        State::Missing => Installed::Written,
        State::Outdated => Installed::Updated,
        State::Modified if !force => return Err(edited(&path, "replaces", "install").into()),
        State::Modified => Installed::Replaced(save_copy(&path)?),
        State::Foreign if !chain => return Err(committed_hook(&path, hook).into()),
        State::Foreign => Installed::Chained(keep_previous(dir, hook, &path)?),
        State::NotExecutable(_) => Installed::Repaired("it was not executable"),
        State::NotRegular("a directory") => {
            return Err(UsageError(format!(
                "{} is a directory, not a hook: move it away, then install again",
                path.display()
            ))
            .into());
        }
        State::NotRegular(kind) => Installed::Repaired(kind),
    };
    // Over a pachhook 0.1 hook, which kept the previous hook as `<hook>.pachhook-previous`:
    // that hook is linked at the new place before ours (which looks there) is renamed in,
    // and unlinked from the old one after.
    let legacy = legacy_previous_path(dir, hook);
    let migrating = matches!(outcome, Installed::Updated | Installed::Replaced(_))
        && metadata(&legacy)?.is_some();
    if migrating && metadata(&previous_path(dir, hook))?.is_none() {
        link_siblings(dir)?;
        link_or_copy(&legacy, &previous_path(dir, hook))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_executable(&path, script.as_bytes())?;
    if migrating {
        remove(&legacy)?;
    }
    Ok(outcome)
}

/// Makes sure the hook at `path` (not ours) is kept at `previous_path`, without moving
/// it: ours is renamed over it afterwards.
fn keep_previous(dir: &Path, hook: HookName, path: &Path) -> Result<PathBuf> {
    let previous = previous_path(dir, hook);
    if metadata(&previous)?.is_some() && !same_hook(path, &previous)? {
        return Err(UsageError(format!(
            "{} is not pachhook's, and {} (a hook pachhook replaced earlier) is in \
             the way: merge them into one hook, remove the other, then install again",
            path.display(),
            previous.display()
        ))
        .into());
    }
    // A link `link_siblings` made to the hook (before it was one pachhook replaces)
    // would, once ours is renamed over the hook, lead back to ours: the hook itself is
    // kept in its place.
    if is_sibling_link(dir, &previous) {
        remove(&previous)?;
    }
    link_siblings(dir)?;
    if metadata(&previous)?.is_none() {
        link_or_copy(path, &previous)?;
    }
    Ok(previous)
}

/// Whether two paths hold the same hook: the same link, or files of the same bytes
/// and mode (an install killed after keeping the copy left them so).
fn same_hook(a: &Path, b: &Path) -> Result<bool> {
    let (Some(ma), Some(mb)) = (metadata(a)?, metadata(b)?) else {
        return Ok(false);
    };
    if ma.file_type().is_symlink() || mb.file_type().is_symlink() {
        return Ok(ma.file_type().is_symlink()
            && mb.file_type().is_symlink()
            && fs::read_link(a)? == fs::read_link(b)?);
    }
    if !(ma.is_file() && mb.is_file()) {
        return Ok(false);
    }
    Ok(ma.permissions() == mb.permissions() && read_hook(a) == read_hook(b))
}

/// Links `from` at `to` (a link is linked, not followed); where the file system
/// refuses, a copy that keeps a link a link and a file's mode.
fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    let meta =
        fs::symlink_metadata(from).with_context(|| format!("cannot read {}", from.display()))?;
    let tmp = temp_path(to);
    if meta.file_type().is_symlink() {
        let target = fs::read_link(from)?;
        symlink(&target, &tmp)?;
    } else {
        fs::copy(from, &tmp).with_context(|| format!("cannot copy {}", from.display()))?;
        fs::File::open(&tmp)?.sync_all()?;
    }
    fs::rename(&tmp, to).with_context(|| format!("cannot write {}", to.display()))
}

/// In the directory of previous hooks, a link `../<hooks>/<name>` for each file of
/// the hooks directory (but pachhook's own hooks, samples and temporary files), so a
/// previous hook that reads `$(dirname "$0")/<name>` finds it.
fn link_siblings(dir: &Path) -> Result<()> {
    let previous = previous_dir(dir);
    fs::create_dir_all(&previous)
        .with_context(|| format!("cannot create {}", previous.display()))?;
    let Some(hooks_name) = dir.file_name() else {
        return Ok(());
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for entry in entries {
        let name = entry?.file_name();
        if !is_sibling(&name) {
            continue;
        }
        let at = previous.join(&name);
        if metadata(&at)?.is_none() {
            symlink(&Path::new("..").join(hooks_name).join(&name), &at)?;
        }
    }
    let ignore = previous.join(".gitignore");
    if metadata(&ignore)?.is_none() {
        create_new(&ignore, IGNORE_ALL, 0o644)
            .with_context(|| format!("cannot write {}", ignore.display()))?;
    }
    Ok(())
}

fn is_sibling(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    !(ALL.iter().any(|h| file_name(*h) == name)
        || name == file_name(HookName::ReferenceTransaction)
        || name.ends_with(".sample")
        || name.ends_with(".pachhook-tmp")
        || name.contains(".pachhook-"))
}

/// The `.gitignore` `link_siblings` puts in the directory of previous hooks when the
/// hooks directory has none: a hooks directory inside the work tree (git-ignored, or
/// git would not chain into it) must not gain an untracked directory beside it.
const IGNORE_ALL: &[u8] = b"# written by pachhook: nothing here is for git\n*\n";

/// Whether `at` is a link `link_siblings` made, or its `.gitignore`.
fn is_ours_in_previous(dir: &Path, at: &Path) -> bool {
    is_sibling_link(dir, at)
        || (at.file_name().is_some_and(|n| n == ".gitignore")
            && fs::symlink_metadata(at).is_ok_and(|m| m.is_file())
            && fs::read(at).is_ok_and(|b| b == IGNORE_ALL))
}

/// Whether `at` is a link `link_siblings` made.
fn is_sibling_link(dir: &Path, at: &Path) -> bool {
    let (Some(hooks_name), Some(name)) = (dir.file_name(), at.file_name()) else {
        return false;
    };
    fs::read_link(at).is_ok_and(|t| t == Path::new("..").join(hooks_name).join(name))
}

/// Removes the directory of previous hooks once it holds none: our links, then the
/// directory if nothing else (a user's file) is in it.
fn tidy_previous(dir: &Path) -> Result<()> {
    let previous = previous_dir(dir);
    let entries: Vec<PathBuf> = match fs::read_dir(&previous) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return Ok(()),
    };
    if entries.iter().any(|p| !is_ours_in_previous(dir, p)) {
        return Ok(());
    }
    for path in entries {
        remove(&path)?;
    }
    let _ = fs::remove_dir(&previous);
    Ok(())
}

/// A copy of an edited hook before pachhook replaces or removes it:
/// `<hook>.pachhook-edited` beside it (numbered when taken), which git never runs.
fn save_copy(path: &Path) -> Result<PathBuf> {
    let bytes = crate::config::file::read_regular(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    for n in 1..1000 {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!(".{n}")
        };
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".pachhook-edited{suffix}"));
        let copy = path.with_file_name(name);
        match create_new(&copy, &bytes, 0o644) {
            Ok(()) => return Ok(copy),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot write {}", copy.display())),
        }
    }
    Err(anyhow!(
        "too many copies of {} already: remove some",
        path.display()
    ))
}

fn edited(path: &Path, verb: &str, command: &str) -> UsageError {
    UsageError(format!(
        "{} was edited since pachhook wrote it: left as it is. `pachhook {command} --force` \
         {verb} it and keeps your version beside it as {}.pachhook-edited",
        path.display(),
        path.file_name().unwrap_or_default().to_string_lossy()
    ))
}

/// The way to run pachhook from a hook pachhook must not replace.
pub fn snippet(hook: HookName) -> &'static str {
    match hook {
        HookName::PreCommit => "pachhook run pre-commit \"$@\" || exit $?",
        HookName::PrePush => {
            "pachhook run pre-push \"$@\" || exit $?   (it reads git's ref lines on standard input)"
        }
        HookName::PreMergeCommit => "pachhook run pre-merge-commit \"$@\" || exit $?",
        HookName::ReferenceTransaction => {
            "pachhook run reference-transaction \"$@\"   (it reads git's ref lines on standard input)"
        }
    }
}

fn committed_hook(path: &Path, hook: HookName) -> UsageError {
    UsageError(format!(
        "{} is the team's own hook in a directory of the work tree (committed or meant to \
         be): pachhook does not replace it. Add this line to it and commit it:\n  {}",
        path.display(),
        snippet(hook)
    ))
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

/// Removes ours and puts back the hook it replaced (one rename: at no instant is there
/// no hook). An edited hook of ours stays unless `force`, which keeps a copy, returned.
pub fn uninstall(
    dir: &Path,
    hook: HookName,
    force: bool,
) -> Result<(Uninstalled, Option<PathBuf>)> {
    let path = dir.join(file_name(hook));
    let state = inspect(&path, hook, None)?;
    let mut saved = None;
    match state {
        State::Foreign | State::NotRegular(_) => return Ok((Uninstalled::NotOurs, None)),
        State::Modified if !force => return Err(edited(&path, "removes", "uninstall").into()),
        State::Modified => saved = Some(save_copy(&path)?),
        _ => {}
    }
    let previous = [previous_path(dir, hook), legacy_previous_path(dir, hook)]
        .into_iter()
        .filter(|p| !is_sibling_link(dir, p))
        .find_map(|p| metadata(&p).ok().flatten().map(|_| p));
    let outcome = match (state, previous) {
        (_, Some(previous)) => {
            fs::rename(&previous, &path).with_context(|| {
                format!(
                    "cannot move {} back to {}",
                    previous.display(),
                    path.display()
                )
            })?;
            Uninstalled::Restored
        }
        (State::Missing, None) => Uninstalled::NotInstalled,
        (_, None) => {
            remove(&path)?;
            Uninstalled::Removed
        }
    };
    tidy_previous(dir)?;
    Ok((outcome, saved))
}

pub struct Status {
    pub path: PathBuf,
    pub state: State,
    /// Where the hook at `path` links to, when it is a symbolic link.
    pub link: Option<PathBuf>,
    /// The replaced hook that ours runs first, if any.
    pub previous: Option<PathBuf>,
}

pub fn status(dir: &Path, hook: HookName, binary: Binary<'_>) -> Result<Status> {
    let path = dir.join(file_name(hook));
    let state = inspect(&path, hook, Some(&render(hook, binary)?))?;
    let link = fs::read_link(&path).ok();
    let previous = [previous_path(dir, hook), legacy_previous_path(dir, hook)]
        .into_iter()
        .find_map(|p| metadata(&p).ok().flatten().map(|_| p));
    Ok(Status {
        path,
        state,
        link,
        previous,
    })
}

/// What is at `path` itself (a link is not followed), or `None`.
fn metadata(path: &Path) -> Result<Option<fs::Metadata>> {
    match fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Writes through a temporary file in the same directory, synced, and a rename: git
/// runs either the old hook or the whole new one, and a full disk leaves the old one.
fn write_executable(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_write::replace(path, bytes, Some(0o755))
}

#[cfg(unix)]
fn symlink(target: &Path, at: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, at)
        .with_context(|| format!("cannot create the link {}", at.display()))
}

#[cfg(not(unix))]
fn symlink(_target: &Path, at: &Path) -> Result<()> {
    Err(anyhow!(
        "cannot create the link {}: links need a Unix system",
        at.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_single_quotes_for_sh() {
        assert_eq!(sh_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[test]
    fn rendered_hooks_carry_the_marker_the_path_and_a_true_checksum() {
        for hook in ALL {
            let script =
                render(hook, Binary::At(Path::new("/opt/pach hook/bin/pachhook"))).unwrap();
            assert!(is_ours(script.as_bytes()));
            assert!(unedited(hook, script.as_bytes()));
            assert!(script.contains("installed='/opt/pach hook/bin/pachhook'"));
            assert!(!script.contains(PLACEHOLDER) && !script.contains(CHECKSUM));
            let edited = script.replace("exit 0\n", "exit 0\necho mine\n");
            assert!(is_ours(edited.as_bytes()) && !unedited(hook, edited.as_bytes()));
            let portable = render(hook, Binary::OnPath).unwrap();
            assert!(portable.contains("installed=''\n") && unedited(hook, portable.as_bytes()));
            if let Some(legacy) = legacy_template(hook) {
                let legacy = legacy.replace(PLACEHOLDER, "'/usr/bin/pachhook'");
                assert!(unedited(hook, legacy.as_bytes()));
                assert!(!unedited(hook, format!("{legacy}# mine\n").as_bytes()));
            }
        }
        assert!(!is_ours(b"#!/bin/sh\n# not pachhook-managed-hook\n"));
    }

    #[test]
    fn the_previous_directory_is_beside_the_hooks_directory() {
        assert_eq!(
            previous_dir(Path::new("/r/.git/hooks")),
            Path::new("/r/.git/hooks.pachhook-previous")
        );
        assert_eq!(
            previous_dir(Path::new("/r/.husky/_/")),
            Path::new("/r/.husky/_.pachhook-previous")
        );
    }
}
