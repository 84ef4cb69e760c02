//! `rules`: the rule ids, their default level and what they catch.

use std::io::Write;

use anyhow::Result;

use crate::check::{Level, Rule};
use crate::error::ExitStatus;

pub fn run() -> Result<ExitStatus> {
    // Written, not `println!`: a closed pipe is an error `main` ends quietly on.
    let mut out = std::io::stdout().lock();
    for rule in Rule::ALL {
        let level = match rule.default_level() {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        };
        writeln!(out, "{:<20} {:<8} {}", rule.id(), level, rule.summary())?;
    }
    out.flush()?;
    Ok(ExitStatus::Ok)
}
