//! `render`: a jsonnet template's JSON, rendered offline the way pachd renders it.
//!
//! The JSON goes to standard output, so `pachhook render T --arg k=v | pachctl update
//! pipeline -f -` deploys what was checked. A template that does not render is the
//! content's fault, like a finding (exit 1); a malformed `--arg` is a usage error (2).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, Result};

use crate::cli::RenderArgs;
use crate::error::{ExitStatus, UsageError};
use crate::jsonnet::{self, Limits};

pub fn run(args: RenderArgs) -> Result<ExitStatus> {
    let mut values = BTreeMap::new();
    for arg in &args.args {
        let (name, value) = jsonnet::parse_arg(arg).map_err(UsageError)?;
        values.insert(name, value);
    }
    let path = args.template.display().to_string();
    let template = crate::config::file::read_regular(&args.template)
        .with_context(|| format!("cannot read {path}"))?;
    match jsonnet::render(&template, &values, Limits::default()) {
        Ok(json) => {
            let mut out = std::io::stdout().lock();
            out.write_all(json.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write the rendered JSON")?;
            Ok(ExitStatus::Ok)
        }
        Err(e) => {
            let at = e
                .pos
                .map(|p| format!(":{}:{}", p.line, p.column))
                .unwrap_or_default();
            eprintln!(
                "pachhook: error: {}{at}: {}",
                crate::escape::escape(&path),
                e.message
            );
            Ok(ExitStatus::Findings)
        }
    }
}
