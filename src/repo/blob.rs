//! Reading blobs as streams, so that sending a large file costs a buffer, not the file.
//!
//! libgit2 reads a blob whole (and maps a loose object whole), and so does git for
//! anything below `core.bigFileThreshold`; measured on one 300 MB blob (peak RSS):
//! `find_blob` 300 MB, `git cat-file --batch` 311 MB loose (it maps the file) and 618 MB
//! packed. Hence two paths, each measured flat:
//! - a loose object (what `git add` and `git commit` write) is inflated here, a buffer at
//!   a time, from its file;
//! - anything else (packed, or in an alternate) comes from one long-lived
//!   `git cat-file --batch` per repository, told to stream every blob above 1 MiB and to
//!   map packs in small windows (70 MB peak for the 300 MB packed blob, in git).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use git2::{Oid, Repository};

use super::child::Watchdog;

/// How long git may stay silent while we wait for a blob's bytes.
const IDLE: Duration = Duration::from_secs(60);
/// Environment that git sets for hooks and that would point a git we run for another
/// repository (a submodule's) at the wrong one.
const REPO_ENV: [&str; 7] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_PREFIX",
];

/// A repository's object store, for reading blobs from any thread.
pub struct Store {
    git_dir: PathBuf,
    common_dir: PathBuf,
    /// `git cat-file --batch` processes not in use.
    idle: Mutex<Vec<CatFile>>,
}

impl Store {
    pub fn of(repo: &Repository) -> Arc<Store> {
        Arc::new(Store {
            git_dir: repo.path().to_path_buf(),
            common_dir: repo.commondir().to_path_buf(),
            idle: Mutex::new(Vec::new()),
        })
    }

    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// `git` for this repository alone, whatever the environment says.
    pub fn git(&self) -> Command {
        let mut command = self.program("git");
        command.arg("--git-dir").arg(&self.git_dir);
        command
    }

    /// A git program (`git-lfs`) run directly, not through `git`, so that a bounded wait
    /// that ends it ends the program itself; `GIT_DIR` names this repository.
    pub fn program(&self, name: &str) -> Command {
        let mut command = Command::new(name);
        for name in REPO_ENV {
            command.env_remove(name);
        }
        command.env("GIT_DIR", &self.git_dir);
        command
    }

    fn loose_path(&self, id: Oid) -> PathBuf {
        let hex = id.to_string();
        self.common_dir
            .join("objects")
            .join(&hex[..2])
            .join(&hex[2..])
    }
}

/// A blob of some repository, with its size (from the object header).
#[derive(Clone)]
pub struct Blob {
    store: Arc<Store>,
    id: Oid,
    size: u64,
}

impl Blob {
    pub fn new(store: Arc<Store>, id: Oid, size: u64) -> Blob {
        Blob { store, id, size }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn id(&self) -> Oid {
        self.id
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The blob's bytes as a stream of exactly `size` bytes (a short or long object is
    /// an error, not a silently different file).
    pub fn open(&self) -> Result<Box<dyn Read + Send>> {
        match File::open(self.store.loose_path(self.id)) {
            Ok(file) => Ok(Box::new(loose(file, self.size).with_context(|| {
                format!(
                    "cannot read object {} of {}",
                    self.id,
                    self.store.git_dir.display()
                )
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Box::new(Packed::open(
                self.store.clone(),
                self.id,
                self.size,
            )?)),
            Err(e) => Err(anyhow!(e).context(format!("cannot open object {}", self.id))),
        }
    }
}

/// A loose object: zlib over `<type> <size>\0<content>`.
fn loose(file: File, size: u64) -> Result<Exact<flate2::read::ZlibDecoder<BufReader<File>>>> {
    let mut inflate = flate2::read::ZlibDecoder::new(BufReader::with_capacity(64 * 1024, file));
    let mut header = Vec::with_capacity(32);
    let mut byte = [0u8; 1];
    loop {
        inflate.read_exact(&mut byte)?;
        if byte[0] == 0 {
            break;
        }
        header.push(byte[0]);
        if header.len() > 32 {
            anyhow::bail!("not a git object");
        }
    }
    let expected = format!("blob {size}");
    if header != expected.as_bytes() {
        anyhow::bail!(
            "the object header is `{}`, expected `{expected}`",
            crate::escape::escape(&String::from_utf8_lossy(&header))
        );
    }
    Ok(Exact {
        inner: inflate,
        remaining: size,
    })
}

/// Exactly `remaining` bytes of `inner`: fewer is an error, more are not read.
struct Exact<R> {
    inner: R,
    remaining: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the object ends {} bytes early", self.remaining),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// One `git cat-file --batch`: ids in, `<id> <type> <size>\n<content>\n` out.
struct CatFile {
    watchdog: Watchdog,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl CatFile {
    fn spawn(store: &Store) -> Result<CatFile> {
        let mut child = store
            .git()
            // Stream every blob above 1 MiB, and map packs in small windows: the
            // defaults read a 300 MB packed blob whole (see the module doc).
            .args([
                "-c",
                "core.bigFileThreshold=1m",
                "-c",
                "core.packedGitWindowSize=4m",
                "-c",
                "core.packedGitLimit=32m",
                "cat-file",
                "--batch",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run `git cat-file --batch` (is git installed?)")?;
        let stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        Ok(CatFile {
            watchdog: Watchdog::new(child, IDLE),
            stdin,
            stdout: BufReader::with_capacity(64 * 1024, stdout),
        })
    }

    /// Asks for `id` and reads the header line of the answer.
    fn request(&mut self, id: Oid) -> Result<u64> {
        writeln!(self.stdin, "{id}")?;
        self.stdin.flush()?;
        let mut line = Vec::new();
        self.watchdog.waiting(true);
        let read = self.stdout.read_until(b'\n', &mut line);
        self.watchdog.waiting(false);
        if self.watchdog.expired() {
            anyhow::bail!("git cat-file gave no answer for {} s", IDLE.as_secs());
        }
        read?;
        let line = String::from_utf8_lossy(&line);
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "blob", size] => Ok(size.parse()?),
            [_, "missing"] => anyhow::bail!("object {id} is missing from the repository"),
            _ => anyhow::bail!(
                "object {id} is not a blob ({})",
                crate::escape::escape(line.trim())
            ),
        }
    }
}

/// A blob read through `git cat-file --batch`; the process goes back to its store for
/// the next blob once this one has been read to the end.
struct Packed {
    store: Arc<Store>,
    cat: Option<CatFile>,
    remaining: u64,
}

impl Packed {
    fn open(store: Arc<Store>, id: Oid, size: u64) -> Result<Packed> {
        let idle = store.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut cat = match idle {
            Some(cat) => cat,
            None => CatFile::spawn(&store)?,
        };
        let answered = cat
            .request(id)
            .with_context(|| format!("cannot read object {id} of {}", store.git_dir.display()))?;
        if answered != size {
            anyhow::bail!("object {id} has {answered} bytes, its header said {size}");
        }
        Ok(Packed {
            store,
            cat: Some(cat),
            remaining: size,
        })
    }
}

impl Read for Packed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let Some(cat) = self.cat.as_mut() else {
            return Err(std::io::Error::other("git cat-file is gone"));
        };
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        cat.watchdog.waiting(true);
        let read = cat.stdout.read(&mut buf[..want]);
        cat.watchdog.waiting(false);
        let n = match read {
            Ok(0) | Err(_) if cat.watchdog.expired() => {
                return Err(std::io::Error::other(format!(
                    "git cat-file sent nothing for {} s",
                    IDLE.as_secs()
                )));
            }
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "git cat-file ended early",
                ));
            }
            other => other?,
        };
        self.remaining -= n as u64;
        if self.remaining == 0 {
            // The answer ends with a newline; then the process can serve the next blob.
            let mut newline = [0u8; 1];
            if cat.stdout.read_exact(&mut newline).is_ok()
                && newline[0] == b'\n'
                && let Some(cat) = self.cat.take()
                && let Ok(mut idle) = self.store.idle.lock()
            {
                idle.push(cat);
            }
        }
        Ok(n)
    }
}
