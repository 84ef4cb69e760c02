//! The git hooks: installing them (`install`), and what they do when git runs them
//! (`pre_commit`, `pre_push`). Both hooks only choose which sources to feed the engine;
//! the checking and the rendering are the engine's and the report's.

pub mod accepted;
pub mod install;
pub mod managers;
pub mod pre_commit;
pub mod pre_push;

use anyhow::Result;

use crate::check::{self, Options, Report};
use crate::report;
use crate::source::Source;

/// The hooks pachhook provides; the command line offers each as `--hook <name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HookName {
    PreCommit,
    PrePush,
    /// Run by `git merge` before a merge commit (which skips pre-commit): checked like
    /// a commit, from the index holding the merge.
    PreMergeCommit,
    /// Armed by the pre-push hook only while a deploy waits for the remote to accept a
    /// push (`accepted`); never installed by `pachhook install`.
    #[value(hide = true)]
    ReferenceTransaction,
}

/// Checks `sources` and prints the findings; returns the report for the verdict. A
/// reader that went away does not change the verdict: findings still refuse.
pub fn check_and_print(sources: Vec<Source>, opts: &Options) -> Result<Report> {
    check_batches_and_print(vec![sources], opts)
}

/// `check_and_print` of sources that must not meet each other: each batch is checked on
/// its own (so that the rules across files do not compare two versions of one file held
/// by different pushed tips), and the findings are printed as one report.
pub fn check_batches_and_print(batches: Vec<Vec<Source>>, opts: &Options) -> Result<Report> {
    let mut report = Report::default();
    for batch in batches {
        let checked = check::check(batch, opts);
        report.files.extend(checked.files);
        report.skipped = checked.skipped;
    }
    match report::print(&report, report::Format::Human) {
        Err(error) if !crate::error::is_broken_pipe(&error) => return Err(error),
        _ => {}
    }
    Ok(report)
}

/// Prints a warning about repository content (a spec outside the globs) to standard
/// error, escaped: file names are data.
pub fn warn(warning: Option<String>) {
    if let Some(warning) = warning {
        eprintln!("pachhook: warning: {}", report::human::escape(&warning));
    }
}

/// `PACHHOOK=0` turns pachhook off for one command.
pub fn disabled() -> bool {
    std::env::var_os("PACHHOOK").is_some_and(|v| v == "0")
}
