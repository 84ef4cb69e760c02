//! The deploy that waits for the remote's answer.
//!
//! git runs `pre-push` before it sends anything, and is not told about `--dry-run` nor
//! about a server that refuses the push afterwards. So the pre-push hook only prepares
//! (checks, builds, pushes images tagged by SHA: harmless if the push fails) and leaves
//! this small record in the clone's common git directory. git's own sign that the remote
//! accepted is the update of the remote-tracking ref that follows (`refs/remotes/origin/
//! main`), which the `reference-transaction` hook sees; only a `committed` update of that
//! ref, to that commit, applies the record. A refused push or a dry run updates no
//! tracking ref: the record is never applied, and expires.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::ImageResult;

/// The version of the record's shape; a record of another version is not applied.
pub const VERSION: u32 = 1;

/// A record older than this is not applied: the push it waited for is long over.
pub const EXPIRY: Duration = Duration::from_secs(60 * 60);

/// The largest record read: it names a commit and its images.
const MAX_SIZE: u64 = 1 << 20;

/// A prepared deploy, waiting for `remote` to accept `commit` on `branch`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    pub version: u32,
    pub remote: String,
    pub branch: String,
    /// The ref whose update to `commit` says the remote accepted.
    pub tracking_ref: String,
    /// The remote's tip before the push (the range decides the work), if it had one.
    pub old: Option<String>,
    pub commit: String,
    /// Seconds since the epoch.
    pub created: u64,
    /// What the prepare step put in the registry.
    pub images: Vec<PendingImage>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingImage {
    pub image: String,
    pub reference: String,
    pub digest: Option<String>,
    pub built: bool,
}

impl PendingImage {
    pub fn of(image: &ImageResult) -> PendingImage {
        PendingImage {
            image: image.image.clone(),
            reference: image.reference.clone(),
            digest: image.digest.clone(),
            built: image.built,
        }
    }

    pub fn result(&self) -> ImageResult {
        ImageResult {
            image: self.image.clone(),
            reference: self.reference.clone(),
            digest: self.digest.clone(),
            built: self.built,
        }
    }
}

impl Pending {
    /// Whether a `committed` update of `reference` to `new` is the acceptance this
    /// record waits for.
    pub fn accepted_by(&self, reference: &str, new: &str) -> bool {
        self.tracking_ref == reference && self.commit == new
    }

    pub fn expired(&self, now: u64) -> bool {
        self.version != VERSION || now < self.created || now - self.created > EXPIRY.as_secs()
    }
}

/// `<common git dir>/pachhook/`: pachhook's per-clone state.
pub fn state_dir(common: &Path) -> PathBuf {
    common.join("pachhook")
}

fn path(common: &Path) -> PathBuf {
    state_dir(common).join("pending.json")
}

/// Writes the record (replacing an earlier one: the newest push is what waits).
pub fn write(common: &Path, pending: &Pending) -> Result<()> {
    let dir = state_dir(common);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut text = serde_json::to_string_pretty(pending)?;
    text.push('\n');
    crate::atomic_write::replace(&path(common), text.as_bytes(), None)
        .context("cannot write the pending deploy record")
}

/// The record, if one waits (a record that does not read is treated as none).
pub fn read(common: &Path) -> Option<Pending> {
    read_at(&path(common))
}

fn read_at(at: &Path) -> Option<Pending> {
    use std::io::Read;
    let file = std::fs::File::open(at).ok()?;
    let mut text = String::new();
    file.take(MAX_SIZE).read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// Takes the record for this process: of two hooks that see the acceptance, one
/// applies it. `None`: another took it first.
pub fn take(common: &Path) -> Option<Pending> {
    let from = path(common);
    let taken = state_dir(common).join(format!("pending.{}.taken", std::process::id()));
    std::fs::rename(&from, &taken).ok()?;
    let pending = read_at(&taken);
    let _ = std::fs::remove_file(&taken);
    pending
}

/// Removes the record, if any.
pub fn remove(common: &Path) {
    let _ = std::fs::remove_file(path(common));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Pending {
        Pending {
            version: VERSION,
            remote: "origin".into(),
            branch: "main".into(),
            tracking_ref: "refs/remotes/origin/main".into(),
            old: None,
            commit: "a".repeat(40),
            created: 1000,
            images: Vec::new(),
        }
    }

    #[test]
    fn only_the_tracking_ref_at_the_commit_accepts() {
        let p = record();
        assert!(p.accepted_by("refs/remotes/origin/main", &"a".repeat(40)));
        assert!(!p.accepted_by("refs/remotes/fork/main", &"a".repeat(40)));
        assert!(!p.accepted_by("refs/heads/main", &"a".repeat(40)));
        assert!(!p.accepted_by("refs/remotes/origin/main", &"b".repeat(40)));
    }

    #[test]
    fn records_expire() {
        let p = record();
        assert!(!p.expired(1000 + 60));
        assert!(p.expired(1000 + EXPIRY.as_secs() + 1));
        assert!(p.expired(999), "a record from the future is not trusted");
    }

    #[test]
    fn written_records_are_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &record()).unwrap();
        assert_eq!(read(dir.path()), Some(record()));
        assert_eq!(take(dir.path()), Some(record()));
        assert_eq!(take(dir.path()), None);
    }
}
