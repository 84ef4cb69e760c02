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

/// `<state dir>/pending/`: one record per remote-tracking ref, so that pushes of
/// different branches (or from different worktrees) never overwrite each other.
fn dir(common: &Path) -> PathBuf {
    state_dir(common).join("pending")
}

/// The record waiting for `tracking_ref`: its name is the ref in hex (any ref, no
/// separator to escape).
fn path(common: &Path, tracking_ref: &str) -> PathBuf {
    let hex: String = tracking_ref.bytes().map(|b| format!("{b:02x}")).collect();
    dir(common).join(format!("{hex}.json"))
}

/// Writes the record of `pending.tracking_ref` (replacing an earlier one for the same
/// ref: the newest push is what waits).
pub fn write(common: &Path, pending: &Pending) -> Result<()> {
    let dir = dir(common);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut text = serde_json::to_string_pretty(pending)?;
    text.push('\n');
    crate::atomic_write::replace(&path(common, &pending.tracking_ref), text.as_bytes(), None)
        .context("cannot write the pending deploy record")
}

/// The records that wait, in no particular order (one that does not read is skipped).
pub fn read_all(common: &Path) -> Vec<Pending> {
    records(common)
        .iter()
        .filter_map(|path| read_at(path))
        .collect()
}

/// Whether any record waits (the acceptance hook has a reason to be armed).
pub fn any(common: &Path) -> bool {
    !records(common).is_empty()
}

/// The record files (`*.json`, not the ones a process has taken).
fn records(common: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir(common)) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect()
}

fn read_at(at: &Path) -> Option<Pending> {
    use std::io::Read;
    let file = std::fs::File::open(at).ok()?;
    let mut text = String::new();
    file.take(MAX_SIZE).read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// What [`take`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    /// The record this acceptance applies: it is this process's alone now.
    Accepted(Pending),
    /// An expired record, removed (the caller says so).
    Expired(Pending),
    /// No record for that ref, another process took it, or it waits for another commit
    /// (left in place).
    Nothing,
}

/// Takes the record of `tracking_ref` if `new` is the commit it waits for, or if it
/// expired. Take, then check: the record is first renamed to a name of this process
/// (of two hooks that see the acceptance, one gets it), then checked; one that does
/// not qualify is put back unless a newer record was written meanwhile (a hard link
/// never replaces), so what is checked is always what is applied or removed.
pub fn take(common: &Path, tracking_ref: &str, new: Option<&str>, now: u64) -> Taken {
    let from = path(common, tracking_ref);
    let mut taken = from.clone().into_os_string();
    taken.push(format!(".{}.taken", std::process::id()));
    let taken = PathBuf::from(taken);
    if std::fs::rename(&from, &taken).is_err() {
        return Taken::Nothing;
    }
    let record = read_at(&taken);
    let outcome = match record {
        None => Taken::Nothing,
        Some(record) if record.expired(now) => Taken::Expired(record),
        Some(record) if new.is_some_and(|new| record.accepted_by(tracking_ref, new)) => {
            Taken::Accepted(record)
        }
        Some(_) => {
            // Not this acceptance's: back where it was, unless a newer one is there.
            let _ = std::fs::hard_link(&taken, &from);
            Taken::Nothing
        }
    };
    let _ = std::fs::remove_file(&taken);
    outcome
}

/// Removes every record whose expiry passed, returning them (each taken, checked, and
/// put back if it is not expired after all: a record written since is never removed).
pub fn take_expired(common: &Path, now: u64) -> Vec<Pending> {
    read_all(common)
        .into_iter()
        .filter(|record| record.expired(now))
        .filter_map(
            |record| match take(common, &record.tracking_ref, None, now) {
                Taken::Expired(record) => Some(record),
                _ => None,
            },
        )
        .collect()
}

/// Removes the records, returning them (a deploy nothing can apply).
pub fn remove_all(common: &Path) -> Vec<Pending> {
    records(common)
        .into_iter()
        .filter_map(|path| {
            let record = read_at(&path);
            std::fs::remove_file(&path).ok()?;
            record
        })
        .collect()
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
        let p = record();
        write(dir.path(), &p).unwrap();
        assert_eq!(read_all(dir.path()), [p.clone()].as_slice());
        let taken = take(dir.path(), &p.tracking_ref, Some(&p.commit), 1001);
        assert_eq!(taken, Taken::Accepted(p.clone()));
        let again = take(dir.path(), &p.tracking_ref, Some(&p.commit), 1001);
        assert_eq!(again, Taken::Nothing);
        assert!(!any(dir.path()));
    }

    #[test]
    fn each_tracking_ref_has_its_own_record() {
        let dir = tempfile::tempdir().unwrap();
        let main = record();
        let other = Pending {
            branch: "release".into(),
            tracking_ref: "refs/remotes/origin/release".into(),
            commit: "b".repeat(40),
            ..record()
        };
        write(dir.path(), &main).unwrap();
        write(dir.path(), &other).unwrap();
        assert_eq!(read_all(dir.path()).len(), 2, "neither overwrote the other");
        let taken = take(dir.path(), &main.tracking_ref, Some(&main.commit), 1001);
        assert_eq!(taken, Taken::Accepted(main));
        assert_eq!(read_all(dir.path()), [other]);
    }

    #[test]
    fn a_record_for_another_commit_is_put_back_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = record();
        write(dir.path(), &p).unwrap();
        let taken = take(dir.path(), &p.tracking_ref, Some(&"c".repeat(40)), 1001);
        assert_eq!(taken, Taken::Nothing);
        assert_eq!(
            read_all(dir.path()),
            [p.clone()].as_slice(),
            "back in place"
        );
        assert_eq!(
            std::fs::read_dir(super::dir(dir.path())).unwrap().count(),
            1,
            "no taken copy left behind"
        );
    }

    #[test]
    fn only_expired_records_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let old = record();
        let fresh = Pending {
            tracking_ref: "refs/remotes/origin/release".into(),
            created: 1000 + EXPIRY.as_secs(),
            ..record()
        };
        write(dir.path(), &old).unwrap();
        write(dir.path(), &fresh).unwrap();
        let now = 1000 + EXPIRY.as_secs() + 10;
        assert_eq!(take_expired(dir.path(), now), [old]);
        assert_eq!(read_all(dir.path()), [fresh]);
    }
}
