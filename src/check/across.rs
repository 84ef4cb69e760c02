//! Rules across files. (Placeholder.)

use super::FileReport;

pub fn check(_files: &mut [FileReport]) {}
