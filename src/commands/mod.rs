//! One module per command: each wires the engine, git and the outside world together
//! for one thing a user asks for, and returns the exit status.

mod check;
mod completions;
mod deploy;
mod explain;
mod hooks;
mod init;
mod render;
mod rules;
mod schema;

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
        Command::Status => hooks::status(),
        Command::Init(args) => init::run(args),
        Command::Run(args) => hooks::run(args),
        Command::Deploy(args) => deploy::run(args),
        Command::Rules => rules::run(),
        Command::Schema(args) => schema::run(args),
        Command::Render(args) => render::run(args),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Explain { rule } => explain::run(&rule),
    }
}
