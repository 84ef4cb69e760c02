use std::process::ExitCode;

use clap::Parser;
use pachhook::error::{ExitStatus, is_broken_pipe, status_of};
use pachhook::{cli::Cli, commands};

/// Runs the command; an error is rendered here, once, with its causes, and mapped to the
/// exit status it means. A reader that went away (`| head`) is no error.
fn main() -> ExitCode {
    let cli = Cli::parse();
    pachhook::report::style::configure(cli.color, cli.quiet);
    let status = match commands::run(cli.command) {
        Ok(status) => status,
        Err(error) if is_broken_pipe(&error) => ExitStatus::Ok,
        Err(error) => {
            pachhook::error::print(&error);
            status_of(&error)
        }
    };
    ExitCode::from(status)
}
