use std::process::ExitCode;

use clap::Parser;
use pachhook::{cli::Cli, commands, exit};

/// Reading specs builds many small strings and vectors; mimalloc makes that markedly
/// cheaper than the system allocator (see scripts/bench-check.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
