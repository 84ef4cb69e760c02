//! What was deployed, kept as a git note on the commit under `refs/notes/pachhook`:
//! `git notes --ref pachhook show <commit>` answers "what did this commit deploy, when,
//! with which digests". Notes live in the object database and a ref of their own, so
//! writing one never touches the working tree or the index.

use anyhow::{Context, Result};
use git2::{Oid, Repository, Signature};
use serde_json::json;

use super::{Status, Summary};

pub const NOTES_REF: &str = "refs/notes/pachhook";

/// The version of the note's format (README, "The deploy note"); it changes only if
/// the shape does.
pub const NOTE_VERSION: u32 = 2;

/// Writes (or replaces) the note of `commit`: the cluster (its ID, the context used),
/// every image with its digest, every planned pipeline with `updated`, `failed` (and the
/// error) or `not attempted`, the pipelines whose spec is gone (and whether they were
/// deleted), and the error that stopped the deploy, if one did.
pub fn record(repo: &Repository, commit: Oid, summary: &Summary) -> Result<()> {
    let text = note_text(commit, summary)?;
    write_note(repo, commit, &text)
}

/// How often, and how far apart, a note that cannot be written (a notes ref locked by
/// another git) is tried again.
const TRIES: u32 = 5;
const PAUSE: std::time::Duration = std::time::Duration::from_millis(400);

/// `record`, tried again briefly; when it still fails, the note is kept in a file of the
/// clone's git directory and the error names the command that writes it.
pub fn record_or_keep(
    repo: &Repository,
    common: &std::path::Path,
    commit: Oid,
    summary: &Summary,
) -> Result<()> {
    let text = note_text(commit, summary)?;
    let mut last = None;
    for attempt in 0..TRIES {
        if attempt > 0 {
            std::thread::sleep(PAUSE);
        }
        match write_note(repo, commit, &text) {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    let error = last.unwrap_or_else(|| anyhow::anyhow!("cannot write the deploy note"));
    let kept = super::pending::state_dir(common).join(format!("note-{commit}.json"));
    let saved = std::fs::create_dir_all(super::pending::state_dir(common))
        .map_err(anyhow::Error::from)
        .and_then(|()| crate::atomic_write::replace(&kept, text.as_bytes(), None));
    Err(match saved {
        Ok(()) => error.context(format!(
            "the deploy is not recorded; record it with `git notes --ref pachhook add -f -F {} {commit}`",
            kept.display()
        )),
        Err(e) => error.context(format!("the deploy is not recorded, and the note could not be kept either ({e:#})")),
    })
}

fn write_note(repo: &Repository, commit: Oid, text: &str) -> Result<()> {
    let signature = repo
        .signature()
        .or_else(|_| Signature::now("pachhook", "pachhook@localhost"))?;
    repo.note(&signature, &signature, Some(NOTES_REF), commit, text, true)
        .with_context(|| format!("cannot write the deploy note of {commit} under {NOTES_REF}"))?;
    Ok(())
}

/// The note's text: pretty JSON.
pub fn note_text(commit: Oid, summary: &Summary) -> Result<String> {
    let note = json!({
        "version": NOTE_VERSION,
        "commit": commit.to_string(),
        "time": rfc3339(summary.time),
        "outcome": if summary.error.is_some() { "failed" } else { "deployed" },
        "error": summary.error,
        "pachctl_context": summary.pach_context,
        "cluster": summary.cluster,
        "images": summary.images.iter().map(|i| json!({
            "image": i.image,
            "reference": i.reference,
            "digest": i.digest,
            "built": i.built,
        })).collect::<Vec<_>>(),
        "pipelines": summary.pipelines.iter().map(|p| {
            let (status, error) = match &p.status {
                Status::Updated => ("updated", None),
                Status::Failed(e) => ("failed", Some(e.as_str())),
                Status::NotAttempted => ("not attempted", None),
            };
            json!({
                "project": p.project,
                "name": p.name,
                "file": p.file,
                "image": p.image,
                "status": status,
                "error": error,
            })
        }).collect::<Vec<_>>(),
        "removed": summary.removed.iter().map(|r| json!({
            "project": r.project,
            "name": r.name,
            "commit": r.commit,
            "deleted": r.deleted,
        })).collect::<Vec<_>>(),
    });
    Ok(serde_json::to_string_pretty(&note)?)
}

/// The note of `commit`, when it has one.
pub fn read(repo: &Repository, commit: Oid) -> Option<serde_json::Value> {
    let note = repo.find_note(Some(NOTES_REF), commit).ok()?;
    serde_json::from_str(note.message().ok()?).ok()
}

/// Seconds since the epoch as an RFC 3339 UTC time.
pub fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_times() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
