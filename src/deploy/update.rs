//! Rendering a spec with the image deploy built, and handing it to
//! `pachctl update pipeline -f -` (which also creates a pipeline that does not exist).
//!
//! The rendered spec is the normalized spec as written, with only `transform.image`
//! replaced: what reviewers read in the repository is what runs.

use super::error::{Failure, redact};
use super::plan::PipelineWork;
use super::ui::Ui;
use crate::cluster::interrupt::Interrupt;
use crate::cluster::process::{self, Ended};
use crate::cluster::{COMMIT_ANNOTATION, Cluster, REPOSITORY_ANNOTATION, exit_text, last_line};
use crate::config::Deploy;
use crate::spec::{Entry, Node, Span, Value};

/// The spec as pachctl will receive it, `transform.image` set to `image` when given.
pub fn render(spec: &Node, image: Option<&str>) -> serde_json::Value {
    let Some(image) = image else {
        return spec.to_json();
    };
    let mut spec = spec.clone();
    set_image(&mut spec, image);
    spec.to_json()
}

fn set_image(spec: &mut Node, image: &str) {
    let Value::Map(entries) = &mut spec.value else {
        return;
    };
    let transform = match entries.iter().position(|e| e.name() == "transform") {
        Some(i) => &mut entries[i].value,
        None => {
            entries.push(entry("transform", Value::Map(Vec::new())));
            match entries.last_mut() {
                Some(e) => &mut e.value,
                None => return,
            }
        }
    };
    if transform.is_null() {
        transform.value = Value::Map(Vec::new());
    }
    let Value::Map(fields) = &mut transform.value else {
        return;
    };
    let value = Value::String(image.to_string());
    match fields.iter_mut().find(|e| e.name() == "image") {
        Some(e) => e.value.value = value,
        None => fields.insert(0, entry("image", value)),
    }
}

/// Records where the spec comes from in its `metadata.annotations` (kept by pachd as
/// given, shown in Console): the commit and the repository, so that the next deploy
/// knows what the cluster runs.
pub fn annotate(spec: &mut serde_json::Value, commit: &str, repository: &str) {
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    let metadata = spec
        .entry("metadata")
        .or_insert_with(|| serde_json::json!({}));
    if !metadata.is_object() {
        *metadata = serde_json::json!({});
    }
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| serde_json::json!({}));
    if !annotations.is_object() {
        *annotations = serde_json::json!({});
    }
    if let Some(annotations) = annotations.as_object_mut() {
        annotations.insert(COMMIT_ANNOTATION.into(), commit.into());
        annotations.insert(REPOSITORY_ANNOTATION.into(), repository.into());
    }
}

fn entry(name: &str, value: Value) -> Entry {
    Entry::new(
        name.to_string(),
        Span::default(),
        Node::new(value, Span::default()),
    )
}

/// One pipeline to hand to pachctl, its spec rendered.
pub struct Update<'a> {
    pub work: &'a PipelineWork,
    pub spec: serde_json::Value,
}

/// What became of one pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Updated,
    /// pachctl failed on it (or ran out of time); the error.
    Failed(String),
    NotAttempted,
}

/// The pipelines' statuses, in order, and why the updates stopped, if they did.
pub struct Outcome {
    pub statuses: Vec<Status>,
    pub failure: Option<Failure>,
}

/// Checks that pachctl can be run at all (it exists, `pachctl version --client-only`
/// answers) before anything is built: a missing pachctl is found before the images are
/// pushed, not after.
pub async fn preflight(cluster: &Cluster) -> Result<(), Failure> {
    let limit = cluster.limit.min(PREFLIGHT_LIMIT);
    let command = cluster.command(&["version", "--client-only"]);
    let pachctl = &cluster.pachctl;
    let unusable = |message: String| Failure::PachctlUnusable(message);
    match process::run(command, b"", limit, None).await {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(unusable(format!(
            "`{pachctl} version --client-only` failed: {}",
            last_line(&out.stderr).unwrap_or_else(|| exit_text(out.status))
        ))),
        Err(Ended::NotStarted(e)) if e.kind() == std::io::ErrorKind::NotFound => Err(unusable(
            format!("`{pachctl}` not found: install pachctl or set [deploy] pachctl to its path"),
        )),
        Err(Ended::NotStarted(e)) => Err(unusable(format!("cannot run `{pachctl}`: {e}"))),
        Err(Ended::TimedOut) => Err(unusable(format!(
            "`{pachctl} version --client-only` did not answer within {}",
            process::human(limit)
        ))),
        Err(Ended::Io(e)) => Err(unusable(format!(
            "cannot read the output of `{pachctl} version --client-only`: {e}"
        ))),
    }
}

/// The bound of the `pachctl version --client-only` check.
const PREFLIGHT_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs pachctl for each pipeline in order, each call bounded by
/// `[deploy] pachctl_timeout`. Stops at the first failure, at a timeout, or after a
/// Ctrl-C (the call under way finishes first); the rest are `NotAttempted`.
pub async fn apply(
    deploy: &Deploy,
    cluster: &Cluster,
    updates: &[Update<'_>],
    ui: &Ui,
    interrupt: &mut Interrupt,
) -> Outcome {
    let mut statuses = vec![Status::NotAttempted; updates.len()];
    let done = |statuses: &[Status]| -> Vec<String> {
        updates
            .iter()
            .zip(statuses)
            .filter(|(_, s)| **s == Status::Updated)
            .map(|(u, _)| u.work.id())
            .collect()
    };
    for (i, update) in updates.iter().enumerate() {
        let id = update.work.id();
        if interrupt.seen() {
            let left = updates[i..].iter().map(|u| u.work.id()).collect();
            let updated = done(&statuses);
            return Outcome {
                statuses,
                failure: Some(Failure::InterruptedUpdating { updated, left }),
            };
        }
        // Said before the call, so a slow cluster is a named wait.
        let step = ui.step(&format!(
            "updating pipeline {id} ({}/{}): pachctl update pipeline",
            i + 1,
            updates.len()
        ));
        let result = cluster
            .update(
                &update.work.project,
                &update.spec,
                deploy.reprocess,
                Some(&mut *interrupt),
            )
            .await;
        let message = match result {
            Ok(out) if out.status.success() => {
                for line in last_lines(&out.stdout, &out.stderr) {
                    step.line(&format!("| {}", redact(&line)));
                }
                step.finish(&format!("updated pipeline {id}"));
                statuses[i] = Status::Updated;
                if out.interrupted {
                    ui.say("pachhook: interrupted: no further pipeline is updated");
                }
                continue;
            }
            Ok(out) => {
                step.abandon();
                ui.say(&format!("pachctl update pipeline {id} failed:"));
                for line in last_lines(&out.stderr, &out.stdout) {
                    ui.say(&format!("  | {}", redact(&line)));
                }
                format!(
                    "{} ({})",
                    last_line(&out.stderr).unwrap_or_else(|| "no error message".into()),
                    exit_text(out.status)
                )
            }
            Err(Ended::TimedOut) => {
                step.abandon();
                let message = format!(
                    "pachctl timed out after {} updating {id}",
                    process::human(deploy.pachctl_timeout)
                );
                statuses[i] = Status::Failed(message.clone());
                let updated = done(&statuses);
                return Outcome {
                    statuses,
                    failure: Some(Failure::PachctlTimeout { message, updated }),
                };
            }
            Err(Ended::NotStarted(e)) => {
                step.abandon();
                format!("cannot run `{}`: {e}", deploy.pachctl)
            }
            Err(Ended::Io(e)) => {
                step.abandon();
                format!("pachctl did not finish: {e}")
            }
        };
        statuses[i] = Status::Failed(message.clone());
        let updated = done(&statuses);
        return Outcome {
            statuses,
            failure: Some(Failure::Pachctl {
                pipeline: id,
                message,
                updated,
            }),
        };
    }
    Outcome {
        statuses,
        failure: None,
    }
}

/// The most lines of a pachctl call's output shown, and the most characters of each.
const SHOWN_LINES: usize = 20;
const LINE_MAX: usize = 400;

/// The last non-empty lines of two outputs (the first's first), at most `SHOWN_LINES`.
fn last_lines(first: &[u8], second: &[u8]) -> Vec<String> {
    let lines: Vec<String> = String::from_utf8_lossy(first)
        .lines()
        .chain(String::from_utf8_lossy(second).lines())
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            if l.chars().count() > LINE_MAX {
                let cut: String = l.chars().take(LINE_MAX).collect();
                format!("{cut}…")
            } else {
                l.to_string()
            }
        })
        .collect();
    let skip = lines.len().saturating_sub(SHOWN_LINES);
    lines.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Node {
        crate::spec::read::read(text.as_bytes()).unwrap().remove(0)
    }

    #[test]
    fn replaces_only_the_image() {
        let s = spec(
            r#"{"pipeline":{"name":"edges"},"transform":{"cmd":["python3","/edges.py"],"image":"r.io/edges"},"input":{"pfs":{"repo":"images","glob":"/*"}}}"#,
        );
        let out = render(&s, Some("r.io/edges:abc"));
        assert_eq!(out["transform"]["image"], "r.io/edges:abc");
        assert_eq!(out["transform"]["cmd"][1], "/edges.py");
        assert_eq!(out["input"], s.to_json()["input"]);
    }

    #[test]
    fn adds_a_missing_image() {
        let s = spec(r#"{"pipeline":{"name":"edges"},"transform":{"cmd":["x"]}}"#);
        assert_eq!(
            render(&s, Some("r.io/e:1"))["transform"]["image"],
            "r.io/e:1"
        );
        let s = spec(r#"{"pipeline":{"name":"edges"}}"#);
        assert_eq!(
            render(&s, Some("r.io/e:1"))["transform"]["image"],
            "r.io/e:1"
        );
    }
}
