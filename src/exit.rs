//! Exit codes, documented in the README. Scripts and git depend on them.

/// Nothing wrong: no error finding, the hook lets git go on.
pub const OK: i32 = 0;
/// At least one error finding: the commit or push is refused.
pub const FINDINGS: i32 = 1;
/// The command line or the configuration is wrong.
pub const USAGE: i32 = 2;
/// An operation failed: git, Docker, the registry or pachctl (deploy), or I/O.
pub const FAILED: i32 = 3;

/// An error that is the user's input, not the machine: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exit code for an error: configuration and usage errors are 2, a failed deploy
/// says its own (error findings 1, configuration 2), the rest 3.
pub fn code_for(error: &anyhow::Error) -> i32 {
    if let Some(deploy) = error.downcast_ref::<crate::deploy::DeployError>() {
        deploy.exit_code()
    } else if error.is::<UsageError>() || error.is::<crate::config::ConfigError>() {
        USAGE
    } else {
        FAILED
    }
}
