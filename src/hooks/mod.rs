//! The git hooks: installing them (`install`), and what they do when git runs them
//! (`pre_commit`, `pre_push`). Both hooks only choose which sources to feed the engine;
//! the checking and the rendering are the engine's and the report's.

pub mod install;
pub mod managers;
pub mod pre_commit;
pub mod pre_push;

use anyhow::Result;
use globset::GlobSet;

use crate::check::{self, Options, Report};
use crate::config::Config;
use crate::source::Source;
use crate::{discover, report};

/// The hooks pachhook provides; the command line offers each as `--hook <name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HookName {
    PreCommit,
    PrePush,
}

/// Which repository paths are spec files: the `[specs] paths` globs when the team set
/// them (those files are checked whatever they hold), else every JSON and YAML file,
/// kept only if it holds a pipeline spec. Matching is a string test, cheap enough to run
/// on every entry of a large index.
pub enum Filter {
    Globs(GlobSet),
    Extensions,
}

impl Filter {
    pub fn new(config: &Config) -> Result<Filter> {
        Ok(if config.spec_paths.is_empty() {
            Filter::Extensions
        } else {
            Filter::Globs(discover::glob_set(&config.spec_paths)?)
        })
    }

    /// `path` is relative to the repository root, with `/` separators (as git stores it).
    pub fn matches(&self, path: &str) -> bool {
        match self {
            Filter::Globs(set) => set.is_match(path),
            Filter::Extensions => discover::is_spec_path(path),
        }
    }

    /// `matches` on a path as the index stores it: bytes, not yet checked for UTF-8.
    /// The zero-config test looks at the extension only, without allocating: it runs on
    /// every path of the index.
    pub fn matches_bytes(&self, path: &[u8]) -> bool {
        match self {
            Filter::Globs(set) => set.is_match(String::from_utf8_lossy(path).as_ref()),
            Filter::Extensions => has_spec_extension(path),
        }
    }

    pub fn source(&self, path: String, bytes: Vec<u8>) -> Source {
        match self {
            Filter::Globs(_) => Source::new(path, bytes),
            Filter::Extensions => Source::scanned(path, bytes),
        }
    }
}

/// Checks `sources` and prints the findings; returns the report for the verdict. A
/// reader that went away does not change the verdict: findings still refuse.
pub fn check_and_print(sources: Vec<Source>, opts: &Options) -> Result<Report> {
    let report = check::check(sources, opts);
    match report::print(&report, report::Format::Human) {
        Err(error) if !crate::error::is_broken_pipe(&error) => return Err(error),
        _ => {}
    }
    Ok(report)
}

/// `PACHHOOK=0` turns pachhook off for one command.
pub fn disabled() -> bool {
    std::env::var_os("PACHHOOK").is_some_and(|v| v == "0")
}

/// `*.json`, `*.yaml`, `*.yml`, `*.jsonnet` (any case), with a name before the extension; the same
/// test as `discover::is_spec_path`, on bytes and without allocating.
fn has_spec_extension(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    [&b".json"[..], b".yaml", b".yml", b".jsonnet"]
        .iter()
        .any(|ext| {
            name.len() > ext.len() && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn spec_extensions_on_bytes_agree_with_discover() {
        for path in [
            "a/b/edges.json",
            "edges.YML",
            "x.yaml",
            "a.json/readme.md",
            ".json",
            "a/.yml",
            "json",
            "ü/é.json",
            "t/edges.jsonnet",
            "lib.libsonnet",
        ] {
            assert_eq!(
                super::has_spec_extension(path.as_bytes()),
                crate::discover::is_spec_path(path),
                "{path}"
            );
        }
    }
}
