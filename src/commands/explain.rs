//! `pachhook explain RULE`: the long story of a rule, which findings leave out so that
//! each stays one short line: why it matters, an example, and how to fix it.
//! The text is `explanation`'s, which the SARIF report carries too.

use anyhow::Result;

use crate::check::{Level, Rule};
use crate::error::{ExitStatus, UsageError};
use crate::report::RULES_URL;

pub fn run(id: &str) -> Result<ExitStatus> {
    let Some(rule) = Rule::from_id(id) else {
        let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        return Err(UsageError(format!(
            "`{}` is not a rule; the rules are: {} (`pachhook rules` lists them)",
            crate::escape::escape(id),
            ids.join(", ")
        ))
        .into());
    };
    let text = crate::explanation::of(rule);
    let level = match rule.default_level() {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Off => "off",
    };
    crate::outln!("{} ({level} by default): {}\n", rule.id(), rule.summary())?;
    crate::outln!("{}\n", text.text())?;
    crate::outln!(
        "Change its level in pachhook.toml: `[rules] {} = \"warning\"` (or \"off\");\n\
         skip it for one command: PACHHOOK_SKIP={}\nMore: {RULES_URL}",
        rule.id(),
        rule.id()
    )?;
    Ok(ExitStatus::Ok)
}
