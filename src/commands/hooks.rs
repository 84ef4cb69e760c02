//! `install`, `uninstall`, `status`, `run`. (Placeholder.)

use anyhow::{Result, bail};

use crate::cli::{HookArgs, RunArgs};

pub fn install(_args: HookArgs) -> Result<i32> {
    bail!("install is not implemented yet")
}

pub fn uninstall(_args: HookArgs) -> Result<i32> {
    bail!("uninstall is not implemented yet")
}

pub fn status() -> Result<i32> {
    bail!("status is not implemented yet")
}

pub fn run(_args: RunArgs) -> Result<i32> {
    bail!("run is not implemented yet")
}
