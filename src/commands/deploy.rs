//! `deploy`. (Placeholder.)

use anyhow::{Result, bail};

use crate::cli::DeployArgs;

pub fn run(_args: DeployArgs) -> Result<i32> {
    bail!("deploy is not implemented yet")
}
