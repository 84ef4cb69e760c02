//! Checks a spec against the field table and renames keys to their canonical names.
//! (Placeholder: filled in by the schema work.)

use crate::check::Findings;
use crate::release::Release;
use crate::spec::Node;

pub fn normalize(_spec: &mut Node, _release: Release, _out: &mut Findings) {}
