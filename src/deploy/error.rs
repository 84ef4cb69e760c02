//! Why a deploy stopped. Each failure reads as one line: what failed, whether anything
//! was changed, and how to retry. Deploy updates pipelines only after every image is in
//! the registry, so every failure before that point leaves the cluster as it was.

use crate::error::{ExitStatus, StatusError};
pub use crate::redact::userinfo as redact;

#[derive(Debug)]
pub enum Failure {
    /// The specs at the commit have error findings (already printed).
    Findings {
        errors: usize,
    },
    /// `[[build]]` or `[deploy]` names something the commit does not have.
    Config(String),
    /// Reading the commit failed.
    Git(String),
    /// The Docker engine does not answer.
    Docker(String),
    Build {
        image: String,
        message: String,
    },
    RegistryDown {
        registry: String,
        message: String,
    },
    Refused {
        registry: String,
        message: String,
    },
    Push {
        image: String,
        message: String,
    },
    /// A credential helper failed, hung or answered garbage; the message names it.
    Credentials(String),
    /// Ctrl-C during builds or pushes.
    Interrupted,
    /// Ctrl-C while pipelines were updated: the call under way finished.
    InterruptedUpdating {
        updated: Vec<String>,
        left: Vec<String>,
    },
    /// The user answered "refuse the push" (from the hook) or "do not deploy" to
    /// `confirm`.
    Declined {
        push: bool,
    },
    /// `confirm = true` and no terminal to ask on.
    NoTerminal,
    /// A push of several deploy branches at different commits.
    ManyBranches(Vec<String>),
    /// pachctl cannot be run at all; found before anything is built.
    PachctlUnusable(String),
    /// A pachctl call ran past `[deploy] pachctl_timeout`; the message says which.
    PachctlTimeout {
        message: String,
        updated: Vec<String>,
    },
    /// pachctl could not tell what the cluster is or runs.
    Cluster(String),
    /// The context answers with another cluster than the one the branch maps to.
    WrongCluster {
        branch: String,
        expected: String,
        found: String,
        context: String,
    },
    /// The cluster runs a pipeline from a commit this one does not contain.
    Backwards {
        pipeline: String,
        running: String,
    },
    /// Another deploy to the same cluster held the lock past the wait.
    Busy {
        holder: String,
        lock: String,
    },
    /// pachctl is missing or failed on `pipeline`; `updated` were updated before it.
    Pachctl {
        pipeline: String,
        message: String,
        updated: Vec<String>,
    },
}

/// The failure alone, without the deploy it stopped: what `status --cluster` says.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Failure::Cluster(m)
            | Failure::PachctlUnusable(m)
            | Failure::Config(m)
            | Failure::Git(m) => m.clone(),
            Failure::WrongCluster {
                branch,
                expected,
                found,
                context,
            } => format!(
                "{branch} deploys to the cluster {expected} ([deploy] clusters), but the context {context} reaches the cluster {found}"
            ),
            Failure::Findings { errors } => {
                format!("the specs at HEAD have {errors} error finding(s)")
            }
            other => format!("{other:?}"),
        };
        f.write_str(&redact(&text))
    }
}

/// A failure with the commit it was deploying, for the retry hint.
#[derive(Debug)]
pub struct DeployError {
    pub failure: Failure,
    pub commit: String,
}

impl DeployError {
    /// The exit status of the command (and of the hook that refuses the push).
    pub fn status(&self) -> ExitStatus {
        match self.failure {
            Failure::Findings { .. } => ExitStatus::Findings,
            Failure::Config(_) | Failure::ManyBranches(_) => ExitStatus::Usage,
            _ => ExitStatus::Failed,
        }
    }
}

impl std::fmt::Display for DeployError {
    /// Userinfo (`user:pass@`) is redacted from whatever the message quotes: image
    /// references, DOCKER_HOST, pachctl's output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(&self.unredacted()))
    }
}

impl DeployError {
    fn unredacted(&self) -> String {
        let mut text = String::new();
        let _ = self.write_to(&mut text);
        text
    }

    fn write_to(&self, f: &mut String) -> std::fmt::Result {
        use std::fmt::Write;
        let short = &self.commit[..self.commit.len().min(12)];
        let retry = format!("retry: pachhook deploy {}", self.commit);
        let nothing = "no pipeline was updated";
        match &self.failure {
            Failure::Findings { errors } => write!(
                f,
                "deploy of {short} stopped: the specs at this commit have {errors} error finding(s); fix them, commit, and push again"
            ),
            Failure::Config(m) => write!(
                f,
                "deploy of {short} stopped: {m}; fix pachhook.toml or the commit, then {retry}"
            ),
            Failure::Git(m) => write!(f, "deploy of {short} stopped: {m}; {nothing}; {retry}"),
            Failure::Docker(m) => write!(
                f,
                "deploy of {short} stopped: the Docker engine is not answering ({m}); {nothing}; start Docker or set DOCKER_HOST, then {retry}"
            ),
            Failure::Build { image, message } => write!(
                f,
                "deploy of {short} stopped: building {image} failed: {message}; {nothing}; fix the Dockerfile or context, commit, and push again"
            ),
            Failure::RegistryDown { registry, message } => write!(
                f,
                "deploy of {short} stopped: the registry {registry} is not answering ({message}); {nothing}; when it is up, {retry}"
            ),
            Failure::Refused { registry, message } => write!(
                f,
                "deploy of {short} stopped: the registry {registry} refused the credentials ({message}); {nothing}; run `docker login {registry}`, then {retry}"
            ),
            Failure::Push { image, message } => write!(
                f,
                "deploy of {short} stopped: pushing {image} failed: {message}; {nothing}; {retry}"
            ),
            Failure::Interrupted => write!(
                f,
                "deploy of {short} stopped: interrupted (Ctrl-C, SIGTERM or SIGHUP) while building or pushing; {nothing}; {retry}"
            ),
            Failure::Credentials(m) => write!(
                f,
                "deploy of {short} stopped: {m}; {nothing}; fix the credential helper or run `docker login`, then {retry}"
            ),
            Failure::InterruptedUpdating { updated, left } => write!(
                f,
                "deploy of {short} stopped: interrupted (Ctrl-C, SIGTERM or SIGHUP) while updating pipelines; {}; not updated: {}; {retry}",
                done(updated),
                left.join(", ")
            ),
            Failure::Declined { push } => write!(
                f,
                "deploy of {short} not confirmed{}; {nothing}; {retry}",
                if *push { ": the push is refused" } else { "" }
            ),
            Failure::NoTerminal => write!(
                f,
                "deploy of {short} not done: [deploy] confirm = true and there is no terminal to ask on; {nothing}; run `pachhook deploy {}` from a terminal",
                self.commit
            ),
            Failure::ManyBranches(branches) => write!(
                f,
                "this push carries {} deploy branches at different commits ({}): none is deployed; push them one at a time",
                branches.len(),
                branches.join(", ")
            ),
            Failure::PachctlUnusable(m) => write!(
                f,
                "deploy of {short} stopped before building anything: {m}; {nothing}; {retry}"
            ),
            Failure::Cluster(m) => write!(
                f,
                "deploy of {short} stopped before building anything: {m}; {nothing}; {retry}"
            ),
            Failure::WrongCluster {
                branch,
                expected,
                found,
                context,
            } => write!(
                f,
                "deploy of {short} stopped before building anything: {branch} deploys to the cluster {expected} ([deploy] clusters), but the context {context} reaches the cluster {found}; {nothing}; map {expected} to the right context in [deploy] contexts of pachhook.local.toml, then {retry}"
            ),
            Failure::Backwards { pipeline, running } => write!(
                f,
                "deploy of {short} stopped: the cluster runs {pipeline} from {running}, which this commit does not contain (a newer deploy, or one from another branch); {nothing}; merge that commit first, or replace it anyway with `pachhook deploy --force {}`",
                self.commit
            ),
            Failure::Busy { holder, lock } => write!(
                f,
                "deploy of {short} stopped: {holder} to the same cluster is still under way; {nothing}; when it is done, {retry} (a lock left by a crash is {lock})"
            ),
            Failure::PachctlTimeout { message, updated } => write!(
                f,
                "deploy of {short} stopped: {message}; the call was killed; {}; the images are in the registry; {retry}",
                done(updated)
            ),
            Failure::Pachctl {
                pipeline,
                message,
                updated,
            } => write!(
                f,
                "deploy of {short} stopped: pachctl failed on pipeline {pipeline}: {message}; {}; the images are in the registry; {retry}",
                done(updated)
            ),
        }
    }
}

impl std::error::Error for DeployError {}

fn done(updated: &[String]) -> String {
    if updated.is_empty() {
        "no pipeline was updated".to_string()
    } else {
        format!("already updated: {}", updated.join(", "))
    }
}

/// A deploy error goes up as the exit status it means (`crate::error::status_of`).
impl From<DeployError> for StatusError {
    fn from(error: DeployError) -> StatusError {
        StatusError::new(error.status(), error)
    }
}
