//! Reading a file that pachhook takes as configuration (`pachhook.toml`, the local file,
//! a policy's schema) when that file comes from a repository someone else committed.
//!
//! A cloned repository can hold `pachhook.toml -> /dev/zero` (reading it never ends and
//! exhausts memory on every commit) or a FIFO (opening it blocks the commit forever). So,
//! as git refuses a symlinked `.gitattributes`, a configuration file must be a regular
//! file of at most `LIMIT` bytes: the type is checked before opening, the open neither
//! follows a link nor blocks (`O_NOFOLLOW | O_NONBLOCK`), the opened file is checked
//! again (the path may have changed in between), and the read is bounded.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;

use super::ConfigError;

/// The largest configuration file pachhook reads: 1 MiB.
pub const LIMIT: u64 = 1 << 20;

/// The bytes of the configuration file at `path`, or `None` when there is nothing there.
/// Anything but a regular file of at most `LIMIT` bytes is a `ConfigError` naming it.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, ConfigError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, &e)),
    };
    check_type(path, &meta)?;
    let file = open(path).map_err(|e| match e.raw_os_error() {
        // The path became a link between the check and the open.
        Some(libc::ELOOP) => refuse(path, "a symbolic link"),
        _ => io_error(path, &e),
    })?;
    let meta = file.metadata().map_err(|e| io_error(path, &e))?;
    check_type(path, &meta)?;
    let mut bytes = Vec::with_capacity(meta.len().min(LIMIT) as usize);
    file.take(LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, &e))?;
    if bytes.len() as u64 > LIMIT {
        return Err(too_large(path));
    }
    Ok(Some(bytes))
}

/// `read_bytes` of `rel`, a path inside the work tree at `root` (a policy's schema and
/// the files its `$ref`s name): a directory on the way that is a symbolic link is
/// refused too, as it would lead out of the repository.
pub fn read_bytes_in(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, ConfigError> {
    let mut at = root.to_path_buf();
    let mut parts = rel
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .peekable();
    while let Some(part) = parts.next() {
        at.push(part);
        if parts.peek().is_none() {
            break;
        }
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse(&at, "a symbolic link"));
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&at, &e)),
        }
    }
    read_bytes(&root.join(rel))
}

/// A file a user named as data (a spec given to `check`, a template given to `render`,
/// one a directory walk found): a link is followed, since the user chose the name, but
/// only a regular file is read. A FIFO or a device (a committed link to `/dev/zero`) is
/// refused by its type, looked at on the opened file, which is opened without blocking:
/// reading one would never end.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = open_following(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            format!(
                "is {}, not a regular file: pachhook reads only regular files",
                describe(&meta.file_type())
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `read_bytes` as UTF-8 text; bytes that are not UTF-8 are an error at their line and
/// column.
pub fn read_text(path: &Path) -> Result<Option<String>, ConfigError> {
    let Some(bytes) = read_bytes(path)? else {
        return Ok(None);
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let (line, column) = position(bytes, at);
        let shown: Vec<String> = bytes[at..]
            .iter()
            .take(e.utf8_error().error_len().unwrap_or(1))
            .map(|b| format!("\\x{b:02x}"))
            .collect();
        ConfigError::new(
            path,
            line,
            column,
            format!(
                "not UTF-8 (byte {}): save the file as UTF-8",
                shown.concat()
            ),
        )
    })
}

/// Line and column (1-based, the column in characters) of byte `offset` of `bytes`,
/// which must be UTF-8 before `offset`.
pub fn position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let pos = crate::source::Pos::at(bytes, offset);
    let wide = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
    (wide(pos.line), wide(pos.column))
}

fn check_type(path: &Path, meta: &fs::Metadata) -> Result<(), ConfigError> {
    let kind = meta.file_type();
    if kind.is_file() {
        return if meta.len() > LIMIT {
            Err(too_large(path))
        } else {
            Ok(())
        };
    }
    Err(refuse(path, describe(&kind)))
}

fn describe(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(unix)]
fn open_following(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_following(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

fn refuse(path: &Path, what: &str) -> ConfigError {
    ConfigError::file(
        path,
        format!(
            "is {what}; pachhook reads configuration only from a regular file \
             (as git refuses a symlinked .gitattributes): replace it with the file itself"
        ),
    )
}

fn too_large(path: &Path) -> ConfigError {
    ConfigError::file(
        path,
        format!(
            "larger than {} KiB, the most a configuration file may be",
            LIMIT / 1024
        ),
    )
}

fn io_error(path: &Path, error: &std::io::Error) -> ConfigError {
    ConfigError::file(path, format!("cannot read: {error}"))
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn positions_count_lines_and_characters() {
        assert_eq!(position(b"", 0), (1, 1));
        assert_eq!(position(b"ab\ncd", 4), (2, 2));
        assert_eq!(position("é\nüx".as_bytes(), 5), (2, 2));
        assert_eq!(position(b"a\n", 2), (2, 1));
    }
}
