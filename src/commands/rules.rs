//! `rules`: the rule ids, their default level and what they catch.

use anyhow::Result;

use crate::check::{Level, Rule};
use crate::error::ExitStatus;

pub fn run() -> Result<ExitStatus> {
    for rule in Rule::ALL {
        let level = match rule.default_level() {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        };
        println!("{:<20} {:<8} {}", rule.id(), level, rule.summary());
    }
    Ok(ExitStatus::Ok)
}
