//! Pipeline specs: reading them the way pachctl does, and knowing which fields exist.
//!
//! Data flows one way: `read` turns bytes into value trees (`tree`), `normalize` (with
//! the field table in `fields`) walks them against the spec description, renames keys to
//! their canonical names and notes what pachctl would refuse, as data. No rule lives
//! here: `crate::check` words those notes as findings (`check::schema`) and runs the
//! other rules on the normalized trees.

pub mod canonical;
pub mod field_docs;
pub mod fields;
pub mod json;
pub mod json_schema;
pub mod normalize;
pub mod protojson;
pub mod read;
pub(crate) mod scalar;
pub mod suggest;
pub mod tree;
pub mod yaml;

pub use tree::{Entry, Node, Pointer, Pos, Span, Value};

/// How many collections (mappings and lists) may nest inside each other; deeper is
/// refused by both readers. Real specs nest a few levels (joins of crosses of pfs inputs);
/// the limit keeps a hostile file from exhausting the stack. It is 255 because the YAML
/// scanner (saphyr) counts flow levels in a `u8`: with the same limit, a JSON document
/// too deep for the YAML path is too deep for the JSON fast path too.
pub const MAX_DEPTH: usize = 255;

/// Why a file could not be read as specs, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadError {
    pub message: String,
    pub pos: Pos,
}
