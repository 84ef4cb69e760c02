use std::process::ExitCode;

use clap::Parser;
use pachhook::{cli::Cli, commands, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match commands::run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("pachhook: error: {error:#}");
            exit::code_for(&error)
        }
    };
    ExitCode::from(code as u8)
}
