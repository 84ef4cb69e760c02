use std::process::ExitCode;

use clap::Parser;
use pachhook::error::status_of;
use pachhook::{cli::Cli, commands};

/// Runs the command; an error is rendered here, once, with its causes, and mapped to the
/// exit status it means.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match commands::run(cli.command) {
        Ok(status) => status,
        Err(error) => {
            eprintln!("pachhook: error: {error:#}");
            status_of(&error)
        }
    };
    ExitCode::from(status)
}
