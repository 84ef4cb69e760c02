//! pachctl, the one boundary between pachhook and a Pachyderm cluster: which cluster a
//! context reaches (`inspect cluster`), what it runs (`inspect`/`list pipeline --raw`),
//! and the changes (`update`, `delete pipeline`). Every call is bounded and judged by
//! its exit status (`process`); tests replace pachctl with a recording model of a
//! cluster (tests/it/support/pachctl), nothing else.

pub mod interrupt;
pub mod process;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

use crate::redact::userinfo as redact;
use interrupt::Interrupt;
use process::Ended;

/// The annotation of a deployed spec naming the commit it came from.
pub const COMMIT_ANNOTATION: &str = "pachhook.commit";
/// The annotation naming the repository it came from (its deploy remote's URL).
pub const REPOSITORY_ANNOTATION: &str = "pachhook.repository";

/// How to reach one cluster: the pachctl program, and the context (`PACH_CONTEXT`).
#[derive(Clone, Debug)]
pub struct Cluster {
    /// As configured (for messages).
    pub pachctl: String,
    program: PathBuf,
    pub context: Option<String>,
    workdir: Option<PathBuf>,
    /// The bound of one call.
    pub limit: Duration,
}

/// What the cluster runs for one pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Running {
    pub project: String,
    pub name: String,
    /// `pachhook.commit` of the running spec: the commit pachhook deployed it from.
    pub commit: Option<String>,
    pub repository: Option<String>,
    pub image: Option<String>,
    /// The spec as submitted (`user_spec_json`), when pachctl gives it.
    pub spec: Option<Value>,
}

impl Running {
    pub fn id(&self) -> String {
        format!("{}/{}", self.project, self.name)
    }
}

/// A call that failed: one line saying which call and why.
#[derive(Debug)]
pub struct CallError(pub String);

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CallError {}

impl Cluster {
    /// `pachctl` is a command on PATH, or a path (relative to `workdir` when it has a
    /// `/`).
    pub fn new(
        pachctl: &str,
        context: Option<String>,
        workdir: Option<&Path>,
        limit: Duration,
    ) -> Cluster {
        let path = Path::new(pachctl);
        let program = match workdir {
            Some(dir) if pachctl.contains('/') && path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        };
        Cluster {
            pachctl: pachctl.to_string(),
            program,
            context,
            workdir: workdir.map(Path::to_path_buf),
            limit,
        }
    }

    /// pachctl with these arguments, in the repository, with the context.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        command.args(args);
        if let Some(context) = &self.context {
            command.env("PACH_CONTEXT", context);
        }
        if let Some(dir) = &self.workdir {
            command.current_dir(dir);
        }
        command
    }

    /// Runs a read-only call and returns its standard output.
    async fn read(&self, args: &[&str]) -> Result<Vec<u8>, CallError> {
        let shown = format!("{} {}", self.pachctl, args.join(" "));
        match process::run(self.command(args), b"", self.limit, None).await {
            Ok(out) if out.status.success() => Ok(out.stdout),
            Ok(out) => Err(CallError(format!(
                "`{shown}` failed: {} ({})",
                last_line(&out.stderr).unwrap_or_else(|| "no error message".into()),
                exit_text(out.status)
            ))),
            Err(ended) => Err(CallError(ended_text(&shown, &ended, self.limit))),
        }
    }

    /// The cluster's ID (`pachctl inspect cluster --raw`): the same whatever context
    /// reaches it.
    pub async fn identity(&self) -> Result<String, CallError> {
        let out = self.read(&["inspect", "cluster", "--raw"]).await?;
        let value: Value = serde_json::from_slice(&out).map_err(|e| {
            CallError(format!(
                "`{} inspect cluster --raw` printed no cluster info: {e}",
                self.pachctl
            ))
        })?;
        value["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                CallError(format!(
                    "`{} inspect cluster --raw` printed no cluster ID",
                    self.pachctl
                ))
            })
    }

    /// The context pachctl uses when none is set (`pachctl config get active-context`),
    /// for the record; `None` when it does not say.
    pub async fn active_context(&self) -> Option<String> {
        let out = self.read(&["config", "get", "active-context"]).await.ok()?;
        let name = String::from_utf8_lossy(&out).trim().to_string();
        (!name.is_empty() && !name.contains('\n')).then_some(name)
    }

    /// Every pipeline of every project (`list pipeline --raw --all-projects`).
    pub async fn list(&self) -> Result<Vec<Running>, CallError> {
        let out = self
            .read(&["list", "pipeline", "--raw", "--all-projects"])
            .await?;
        let mut running = Vec::new();
        for value in serde_json::Deserializer::from_slice(&out).into_iter::<Value>() {
            let value = value.map_err(|e| {
                CallError(format!(
                    "`{} list pipeline --raw` printed what is not pipeline info: {e}",
                    self.pachctl
                ))
            })?;
            running.push(running_of(&value));
        }
        Ok(running)
    }

    /// Removes one pipeline.
    pub async fn delete(&self, project: &str, name: &str) -> Result<(), CallError> {
        self.read(&["delete", "pipeline", name, "--project", project])
            .await
            .map(|_| ())
    }

    /// `pachctl update pipeline -f -` for one spec (which also creates a pipeline that
    /// does not exist), bounded by `limit`; the caller judges the outcome.
    pub async fn update(
        &self,
        project: &str,
        spec: &Value,
        reprocess: bool,
        interrupt: Option<&mut Interrupt>,
    ) -> Result<process::Output, Ended> {
        let mut args = vec!["update", "pipeline", "-f", "-"];
        if reprocess {
            args.push("--reprocess");
        }
        args.extend(["--project", project]);
        let mut text = serde_json::to_string_pretty(spec).unwrap_or_default();
        text.push('\n');
        process::run(self.command(&args), text.as_bytes(), self.limit, interrupt).await
    }
}

/// `PipelineInfo` as pachctl prints it, read for what pachhook needs.
fn running_of(info: &Value) -> Running {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let annotations = &info["details"]["metadata"]["annotations"];
    Running {
        project: text(&info["pipeline"]["project"]["name"]).unwrap_or_else(|| "default".into()),
        name: text(&info["pipeline"]["name"]).unwrap_or_default(),
        commit: text(&annotations[COMMIT_ANNOTATION]),
        repository: text(&annotations[REPOSITORY_ANNOTATION]),
        image: text(&info["details"]["transform"]["image"]),
        spec: info["user_spec_json"]
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok()),
    }
}

/// The last non-empty line a program wrote, userinfo redacted.
pub fn last_line(bytes: &[u8]) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| redact(l.trim()))
}

pub fn exit_text(status: std::process::ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_string(),
    }
}

fn ended_text(shown: &str, ended: &Ended, limit: Duration) -> String {
    match ended {
        Ended::NotStarted(e) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "`{}` not found: install pachctl or set [deploy] pachctl",
            shown.split_whitespace().next().unwrap_or(shown)
        ),
        Ended::NotStarted(e) => format!("cannot run `{shown}`: {e}"),
        Ended::TimedOut => format!("`{shown}` did not answer within {}", process::human(limit)),
        Ended::Io(e) => format!("cannot read the output of `{shown}`: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_info_is_read_for_provenance() {
        let info: Value = serde_json::from_str(
            r#"{"pipeline":{"name":"edges","project":{"name":"vision"}},"details":{"transform":{"image":"r/e:1"},"metadata":{"annotations":{"pachhook.commit":"abc","pachhook.repository":"git@x:y"}}},"user_spec_json":"{\"pipeline\":{\"name\":\"edges\"}}"}"#,
        )
        .unwrap();
        let running = running_of(&info);
        assert_eq!(running.id(), "vision/edges");
        assert_eq!(running.commit.as_deref(), Some("abc"));
        assert_eq!(running.repository.as_deref(), Some("git@x:y"));
        assert_eq!(running.image.as_deref(), Some("r/e:1"));
        assert_eq!(running.spec.unwrap()["pipeline"]["name"], "edges");
    }
}
