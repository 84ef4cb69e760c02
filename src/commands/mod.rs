//! One module per command: each wires the engine, git and the outside world together
//! for one thing a user asks for, and returns the exit status.

mod check;
mod completions;
mod deploy;
mod explain;
mod graph;
mod hooks;
mod init;
mod render;
mod rules;
mod schema;

use std::path::Path;

use anyhow::Result;

use crate::cli::Command;
use crate::error::ExitStatus;

pub fn run(command: Command) -> Result<ExitStatus> {
    // The binary evaluates templates in bounded child processes of itself.
    crate::jsonnet::isolated::isolate();
    match command {
        Command::EvaluateTemplate => Ok(crate::jsonnet::isolated::child_status()),
        Command::Check(args) => check::run(args),
        Command::Install(args) => hooks::install(args),
        Command::Uninstall(args) => hooks::uninstall(args),
        Command::Status(args) if args.cluster => deploy::status(args),
        Command::Status(_) => hooks::status(),
        Command::Init(args) => init::run(args),
        Command::Run(args) => hooks::run(args),
        Command::Deploy(args) => deploy::run(args),
        Command::Rules => rules::run(),
        Command::Schema(args) => schema::run(args),
        Command::Render(args) => render::run(args),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Explain { rule } => explain::run(&rule),
        Command::Graph(args) => graph::run(args),
    }
}

/// The repository's specs in its work tree: what the selector picks, and the tracked
/// files it picks whatever `.gitignore` says.
pub(crate) fn work_tree_specs(
    repo: Option<&crate::repo::Repo>,
    root: &Path,
    selector: &crate::select::Selector,
) -> Result<crate::select::Selection> {
    let tracked: Vec<Vec<u8>> = match repo {
        Some(repo) => repo
            .staged_files(|p| selector.pick(p).is_some())?
            .into_iter()
            .map(|(path, _)| path)
            .collect(),
        None => Vec::new(),
    };
    Ok(crate::discover::from_repo(root, selector, &tracked))
}
