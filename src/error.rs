//! Exit statuses (documented in the README; scripts and git depend on them) and the
//! errors that mean one other than `Failed`.
//!
//! A leaf: no module's error type is named here. An error says its own status: it is a
//! `UsageError` or a `ConfigError`, or it is wrapped in a `StatusError` by the module that
//! knows what it means (deploy). `main` finds the status along the cause chain
//! (`status_of`) and renders the error once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How the process ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing wrong: no error finding, the hook lets git go on.
    Ok,
    /// At least one error finding: the commit or push is refused.
    Findings,
    /// The command line or the configuration is wrong.
    Usage,
    /// An operation failed: git, Docker, the registry or pachctl (deploy), or I/O.
    Failed,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Failed => 3,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// An error that is the user's input, not the machine: exit status `Usage`.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A configuration error: which file, where, what. Exit status `Usage`.
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; 0 when the error is the whole file's (a link, a FIFO, too large).
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// How to get past the error for one command, when a hook met it: a broken
    /// configuration blocks every commit until it is fixed, so the message says how to
    /// commit the fix. The hooks set it (`commands::hooks::run`).
    pub bypass: Option<&'static str>,
}

impl ConfigError {
    pub fn new(file: &Path, line: usize, column: usize, message: String) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            message,
            bypass: None,
        }
    }

    /// An error about the file as a whole, with no position in it.
    pub fn file(file: &Path, message: String) -> ConfigError {
        ConfigError::new(file, 0, 0, message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(bypass) = self.bypass {
            write!(f, "\n  {bypass}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// An error with the exit status it means, for errors of modules this one does not know
/// (a failed deploy means `Findings`, `Usage` or `Failed` by its cause). It reads as the
/// error it wraps, and keeps that error's cause chain.
#[derive(Debug)]
pub struct StatusError {
    status: ExitStatus,
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl StatusError {
    pub fn new(
        status: ExitStatus,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> StatusError {
        StatusError {
            status,
            error: Box::new(error),
        }
    }

    pub fn status(&self) -> ExitStatus {
        self.status
    }

    /// The wrapped error, for callers that know its type.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.error
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for StatusError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// The exit status an error means: the first cause along its chain that says one
/// (`UsageError`, `ConfigError`, `StatusError`); `Failed` when none does.
pub fn status_of(error: &anyhow::Error) -> ExitStatus {
    error
        .chain()
        .find_map(|cause| {
            if let Some(e) = cause.downcast_ref::<StatusError>() {
                Some(e.status())
            } else if cause.is::<UsageError>() || cause.is::<ConfigError>() {
                Some(ExitStatus::Usage)
            } else {
                None
            }
        })
        .unwrap_or(ExitStatus::Failed)
}

/// Prints an error the one way pachhook prints errors: `pachhook: error: ` and the error
/// with its causes, on standard error. `main` prints a command's error through this;
/// a hook that goes on after an error (`on_failure = "warn"`) prints it here too.
pub fn print(error: &anyhow::Error) {
    eprintln!("{}", render(error));
}

/// The error as `print` writes it. Errors quote keys, values, globs and paths from the
/// repository: data, not terminal control and not lines of their own. Each cause is
/// escaped whole, line breaks included (a key holding `\n::error::` would otherwise be a
/// GitHub Actions workflow command in the log); the one line pachhook adds below an
/// error, a `ConfigError`'s bypass, is written here rather than inside the message.
pub fn render(error: &anyhow::Error) -> String {
    let mut line = String::from("pachhook: error: ");
    let mut bypass = None;
    for (i, cause) in error.chain().enumerate() {
        if i > 0 {
            line.push_str(": ");
        }
        let config = cause.downcast_ref::<ConfigError>().or_else(|| {
            cause
                .downcast_ref::<StatusError>()
                .and_then(|s| s.inner().downcast_ref::<ConfigError>())
        });
        let text = match config {
            Some(config) => {
                bypass = bypass.or(config.bypass);
                ConfigError {
                    bypass: None,
                    file: config.file.clone(),
                    message: config.message.clone(),
                    ..*config
                }
                .to_string()
            }
            None => cause.to_string(),
        };
        line.push_str(&crate::escape::escape(&text));
    }
    if let Some(bypass) = bypass {
        line.push_str("\n  ");
        line.push_str(bypass);
    }
    line
}

/// Whether the error is a write to a reader that went away (`pachhook rules | head`):
/// not a failure, so the command ends quietly and successfully, as ripgrep does.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    // serde_json wraps the write error in its own type (`pachhook schema | head`).
    error.chain().any(|cause| {
        let kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// `println!` that returns the write error instead of panicking: when the reader goes
/// away (`pachhook explain floating-tag | head -1`), the command ends quietly through
/// `main`'s broken-pipe rule.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_is_found_along_the_cause_chain() {
        let usage = anyhow::Error::new(UsageError("bad flag".into())).context("while parsing");
        assert_eq!(status_of(&usage), ExitStatus::Usage);
        let io = std::io::Error::other("disk");
        let findings = anyhow::Error::new(StatusError::new(ExitStatus::Findings, io));
        assert_eq!(status_of(&findings), ExitStatus::Findings);
        assert_eq!(findings.to_string(), "disk");
        assert_eq!(status_of(&anyhow::anyhow!("plain")), ExitStatus::Failed);
    }
}
