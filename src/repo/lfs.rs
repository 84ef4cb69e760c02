//! Git LFS files: what a checkout would put on disk for them. A file is an LFS file when
//! the commit's attributes give it `filter=lfs` and its blob is an LFS pointer; its
//! content then comes from `git lfs smudge`, out of the local LFS store only. When that
//! cannot be had (git-lfs not installed, the object not fetched) the caller learns it
//! before anything is built, with the file named.

use std::io::{Read, Write};
use std::process::{ChildStdout, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use git2::Repository;

use super::blob::Store;
use super::child::{self, Watchdog};
use super::tree::display_path;

/// git-lfs never writes a pointer larger than this.
pub const POINTER_MAX: u64 = 1024;
/// Bound on `git lfs version`.
const LIMIT: Duration = Duration::from_secs(30);
/// How long `git lfs smudge` may stay silent while we wait for content.
const IDLE: Duration = Duration::from_secs(60);

/// A parsed pointer file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer {
    /// Lowercase hex SHA-256 of the content.
    pub oid: String,
    pub size: u64,
}

/// Parses a pointer as the spec writes it: `key value` lines, `version` first, an
/// `oid sha256:<64 hex>` and a `size`, each line ending in a newline.
pub fn parse(content: &[u8]) -> Option<Pointer> {
    if content.len() as u64 > POINTER_MAX {
        return None;
    }
    let text = std::str::from_utf8(content).ok()?;
    let body = text.strip_suffix('\n')?;
    let mut lines = body.split('\n');
    let version = lines.next()?.strip_prefix("version ")?;
    if !matches!(
        version,
        "https://git-lfs.github.com/spec/v1" | "https://hawser.github.com/spec/v1"
    ) {
        return None;
    }
    let (mut oid, mut size) = (None, None);
    for line in lines {
        let (key, value) = line.split_once(' ')?;
        match key {
            "oid" => {
                let hex = value.strip_prefix("sha256:")?;
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                oid = Some(hex.to_ascii_lowercase());
            }
            "size" => size = Some(value.parse().ok()?),
            _ => {}
        }
    }
    Some(Pointer {
        oid: oid?,
        size: size?,
    })
}

/// An LFS file of a commit, to be read through `git lfs smudge`.
#[derive(Clone)]
pub struct LfsFile {
    store: Arc<Store>,
    /// From the top of its repository: what `git lfs smudge` is told.
    repo_path: Vec<u8>,
    text: Vec<u8>,
    pointer: Pointer,
}

impl LfsFile {
    pub fn size(&self) -> u64 {
        self.pointer.size
    }

    /// The content, streamed from `git lfs smudge`; exactly `size` bytes or an error.
    pub fn open(&self) -> Result<Box<dyn Read + Send>> {
        let shown = display_path(&self.repo_path);
        let mut child = self
            .store
            .program("git-lfs")
            .args(["smudge", "--"])
            .arg(super::tree::os_path(&self.repo_path))
            // Never ask anyone for credentials: the object is local (checked).
            .env("GIT_TERMINAL_PROMPT", "0")
            .current_dir(self.store.common_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run `git-lfs smudge` for `{shown}`"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let stderr = child.stderr.take();
        let text = self.text.clone();
        std::thread::spawn(move || {
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(&text);
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(pipe) = stderr {
                let _ = pipe.take(64 * 1024).read_to_end(&mut out);
            }
            out
        });
        Ok(Box::new(Smudged {
            watchdog: Watchdog::new(child, IDLE),
            stdout,
            stderr: Some(stderr),
            remaining: self.pointer.size,
            path: shown,
        }))
    }
}

struct Smudged {
    watchdog: Watchdog,
    stdout: ChildStdout,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    remaining: u64,
    path: String,
}

impl Smudged {
    fn failure(&mut self, what: &str) -> std::io::Error {
        self.watchdog.kill();
        let stderr = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        let line = String::from_utf8_lossy(&stderr);
        let line = line.lines().map(str::trim).find(|l| !l.is_empty());
        std::io::Error::other(format!(
            "`git-lfs smudge` of `{}` {what}{}",
            self.path,
            line.map(|l| format!(": {}", crate::escape::escape(l)))
                .unwrap_or_default()
        ))
    }
}

impl Read for Smudged {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            // The end: git-lfs must have said everything and succeeded.
            return match self.watchdog.finish(IDLE) {
                Ok(status) if status.success() => Ok(0),
                Ok(_) => Err(self.failure("failed")),
                Err(e) => Err(self.failure(&format!("{e}"))),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        self.watchdog.waiting(true);
        let read = self.stdout.read(&mut buf[..want]);
        self.watchdog.waiting(false);
        if self.watchdog.expired() {
            return Err(self.failure(&format!("sent nothing for {} s", IDLE.as_secs())));
        }
        match read {
            Ok(0) => Err(self.failure(&format!("ended {} bytes early", self.remaining))),
            Ok(n) => {
                self.remaining -= n as u64;
                Ok(n)
            }
            Err(e) => Err(self.failure(&format!("could not be read ({e})"))),
        }
    }
}

/// The LFS file of a pointer (`text`, parsed as `pointer`) at `repo_path` of the store's
/// repository (`shown` in messages), checked to be readable now: git-lfs runs (asked
/// once, `lfs_runs` remembers) and the object is in the local LFS store.
pub fn resolve(
    store: &Arc<Store>,
    shown: &str,
    repo_path: Vec<u8>,
    text: Vec<u8>,
    pointer: Pointer,
    lfs_runs: &mut bool,
) -> Result<LfsFile> {
    if !*lfs_runs {
        if let Err(why) = installed(store) {
            anyhow::bail!(
                "`{shown}` is a Git LFS file, and git-lfs cannot be run ({why:#}): \
                 install git-lfs (https://git-lfs.com)"
            );
        }
        *lfs_runs = true;
    }
    if let Err(why) = local_object(store, &pointer) {
        anyhow::bail!(
            "`{shown}` is a Git LFS file whose content (sha256:{}, {} bytes) is not \
             in the local LFS store ({why}): run `git lfs fetch` (or `git lfs pull`)",
            pointer.oid,
            pointer.size
        );
    }
    Ok(LfsFile {
        store: store.clone(),
        repo_path,
        text,
        pointer,
    })
}

/// `git-lfs` answers.
fn installed(store: &Store) -> Result<()> {
    let mut lfs = store.program("git-lfs");
    lfs.arg("version");
    let out = child::run(lfs, b"", LIMIT, "`git-lfs version`")?;
    if !out.status.success() {
        anyhow::bail!("`git-lfs version`: {}", out.error_line());
    }
    Ok(())
}

/// The object in the local LFS store (`lfs.storage`, else `<git dir>/lfs`), of the
/// right size.
fn local_object(store: &Store, pointer: &Pointer) -> Result<(), String> {
    let configured = Repository::open(store.git_dir())
        .and_then(|r| r.config())
        .and_then(|c| c.get_path("lfs.storage"))
        .ok();
    let storage = match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => store.common_dir().join(path),
        None => store.common_dir().join("lfs"),
    };
    let oid = &pointer.oid;
    let object = storage
        .join("objects")
        .join(&oid[..2])
        .join(&oid[2..4])
        .join(oid);
    match std::fs::metadata(&object) {
        Ok(meta) if meta.len() == pointer.size => Ok(()),
        Ok(meta) => Err(format!(
            "{} has {} bytes, the pointer says {}",
            object.display(),
            meta.len(),
            pointer.size
        )),
        Err(_) => Err(format!("no {}", object.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OID: &str = "b951fe82cd9948c65f1c2a146392a427269eaf715bf2fe01a98251765d861e6c";

    #[test]
    fn pointers_parse_strictly() {
        let text =
            format!("version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 13\n");
        assert_eq!(
            parse(text.as_bytes()),
            Some(Pointer {
                oid: OID.to_string(),
                size: 13
            })
        );
        let no_newline = text.trim_end();
        assert_eq!(parse(no_newline.as_bytes()), None);
        let other = text.replace("git-lfs.github.com", "example.com");
        assert_eq!(parse(other.as_bytes()), None);
        let short = text.replace(OID, &OID[..60]);
        assert_eq!(parse(short.as_bytes()), None);
        assert_eq!(parse(b"hello\n"), None);
    }
}
