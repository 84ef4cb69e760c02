//! `rules`: the rule ids, their default level and what they catch.

use anyhow::Result;

use crate::check::{Level, Rule};

pub fn run() -> Result<i32> {
    for rule in Rule::ALL {
        let level = match rule.default_level() {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        };
        println!("{:<20} {:<8} {}", rule.id(), level, rule.summary());
    }
    Ok(crate::exit::OK)
}
