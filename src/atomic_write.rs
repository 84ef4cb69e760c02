//! Changing a user's file so that at every instant (a kill, a full disk) it is either the
//! old file or the whole new one, and never writing through a symbolic link: a link a
//! cloned repository planted where pachhook writes cannot send the bytes elsewhere.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Creates `path`, which must not exist (not even as a dangling link), with `bytes`,
/// synced. `mode` is given to the creation (the umask applies). A failed write removes
/// the part written.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if written.is_err() {
        drop(file);
        let _ = fs::remove_file(path);
    }
    written
}

/// Puts `bytes` at `path` through a temporary file in the same directory, synced, and
/// one rename, which replaces whatever is at `path` (a link itself, never its target).
/// `mode`: the new file's permissions exactly; `None` keeps those of the regular file
/// being replaced, or lets the umask choose for a new one.
pub fn replace(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let tmp = temp_path(path);
    let kept = fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions());
    create_new(&tmp, bytes, 0o666).with_context(|| format!("cannot write {}", tmp.display()))?;
    let permissions = match mode {
        #[cfg(unix)]
        Some(mode) => {
            use std::os::unix::fs::PermissionsExt;
            Some(fs::Permissions::from_mode(mode))
        }
        #[cfg(not(unix))]
        Some(_) => None,
        None => kept,
    };
    let result = permissions
        .map_or(Ok(()), |p| fs::set_permissions(&tmp, p))
        .with_context(|| format!("cannot set the mode of {}", tmp.display()))
        .and_then(|()| {
            fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
        });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    if let Some(dir) = path.parent() {
        // The rename itself survives a crash once the directory is synced.
        let _ = fs::File::open(dir).and_then(|d| d.sync_all());
    }
    // The one temporary name earlier versions used, left by a killed run: a regular
    // file of ours that no run uses any more.
    let legacy = legacy_temp_path(path);
    if fs::symlink_metadata(&legacy).is_ok_and(|m| m.is_file()) {
        let _ = fs::remove_file(&legacy);
    }
    Ok(())
}

/// `.<name>.<pid>-<n>.pachhook-tmp` beside `path`: hidden, never a name git runs as a
/// hook, and unique to this process and call, so that two runs at once (two `pachhook
/// install`s) never write, chmod or rename each other's file. Created with
/// `create_new`, which refuses anything already there.
pub fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}-{n}.pachhook-tmp", std::process::id()));
    path.with_file_name(name)
}

/// `.<name>.pachhook-tmp`: the temporary name of earlier versions.
fn legacy_temp_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".pachhook-tmp");
    path.with_file_name(name)
}
