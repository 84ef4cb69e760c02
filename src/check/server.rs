//! pachd's create-pipeline rules. (Placeholder.)

use super::Findings;
use crate::spec::Node;

pub fn check(_spec: &Node, _out: &mut Findings) {}
