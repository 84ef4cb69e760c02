//! Image rules. (Placeholder.)

use super::{Findings, Options};
use crate::spec::Node;

pub fn check(_spec: &Node, _opts: &Options, _out: &mut Findings) {}
