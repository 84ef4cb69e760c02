//! Pipeline specs: reading them the way pachctl does, and knowing which fields exist.
//!
//! Data flows one way: `read` turns bytes into value trees (`tree`), `normalize` (with
//! the field table in `fields`) checks them against the spec description and renames keys
//! to their canonical names; the rules in `crate::check` then run on the normalized trees.

pub mod fields;
pub mod json;
pub mod normalize;
pub mod protojson;
pub mod read;
pub mod suggest;
pub mod tree;

pub use tree::{Entry, Node, Pointer, Pos, Span, Value};

/// Deeper nesting than this is refused by both readers. Real specs nest a few levels
/// (joins of crosses of pfs inputs); the limit keeps a hostile file from exhausting the
/// stack.
pub const MAX_DEPTH: usize = 256;

/// Why a file could not be read as specs, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadError {
    pub message: String,
    pub pos: Pos,
}
