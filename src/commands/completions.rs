//! `pachhook completions SHELL` and `pachhook man`: shell completions and the man page,
//! generated from the clap definitions, so they never disagree with the command line.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, Shell};
use crate::error::ExitStatus;

pub fn completions(shell: Shell) -> Result<ExitStatus> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
        Shell::Elvish => clap_complete::Shell::Elvish,
    };
    // Into memory first: `generate` panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "pachhook", &mut script);
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitStatus::Ok)
}

/// The man page, `pachhook(1)`, with a section per subcommand.
pub fn man() -> Result<ExitStatus> {
    let command = Cli::command();
    let mut out = std::io::stdout().lock();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    render_subcommands(&mut out, &command, "pachhook")?;
    man.render_version_section(&mut out)?;
    out.flush()?;
    Ok(ExitStatus::Ok)
}

/// Each visible subcommand as `.SH` section with its synopsis, description and options:
/// one page holds the whole command line.
fn render_subcommands(out: &mut impl Write, command: &clap::Command, path: &str) -> Result<()> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{path} {}", sub.get_name());
        let sub = sub.clone().bin_name(name.clone());
        let man = clap_mangen::Man::new(sub.clone());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_description_section(&mut section)?;
        man.render_options_section(&mut section)?;
        // Each part starts with its own `.SH`: demote them to subsections.
        let text = String::from_utf8_lossy(&section).replace(".SH ", ".SS ");
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}
