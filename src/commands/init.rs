//! `init`. (Placeholder.)

use anyhow::{Result, bail};

use crate::cli::InitArgs;

pub fn run(_args: InitArgs) -> Result<i32> {
    bail!("init is not implemented yet")
}
