//! A reader of git's index file (`DIRC`, versions 2 to 4) for the pre-commit hot path.
//!
//! libgit2 verifies the index's checksum (SHA-1 with collision detection over the whole
//! file) and builds a path map on every read: about 5 ms for 10,000 files, the hook's
//! whole budget. The hook only needs each entry's path, mode, stage and object id, and
//! a path test rejects nearly all of them, so this reader walks the entries in place and
//! allocates only for the candidates. It trusts git's checksum instead of recomputing it
//! (git wrote the file and holds its lock while the hook runs).
//!
//! Format: git's Documentation/gitformat-index.txt.
//!
//! Why by hand: neither git2 nor gix offers a lazy, path-filtered walk of the index that
//! skips the checksum; measured when this was written (commit 091f639,
//! `scripts/bench-hook.sh`, 10,000 files), libgit2's read alone took the hook's 5 ms
//! budget. A split index goes to git itself (`git ls-files`, see `repo`), and an
//! unknown version is an error, never a guess.

use anyhow::{Result, bail};

/// One index entry the caller kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The path as git stores it: bytes, `/`-separated, not necessarily UTF-8.
    pub path: Vec<u8>,
    pub mode: u32,
    /// The raw object id (20 bytes for SHA-1, 32 for SHA-256).
    pub id: Vec<u8>,
}

/// What a walk of the index found.
pub struct Read {
    pub entries: Vec<Entry>,
    /// The index is split (`core.splitIndex`): the entries here are only part of it.
    pub split: bool,
    /// The valid entries of the cache-tree extension (`TREE`): a directory (its path,
    /// empty for the root) and the id of the tree git would write for it from this
    /// index. git keeps them current (any change below a directory invalidates it) and
    /// `git commit` writes these very trees, so a directory whose cached tree is HEAD's
    /// holds no staged change. Empty when there is none or it cannot be read.
    pub trees: Vec<(Vec<u8>, Vec<u8>)>,
}

const HEADER: usize = 12;
/// ctime, mtime (8 bytes each), dev, ino, mode, uid, gid, size (4 bytes each).
const STAT: usize = 40;
const EXTENDED: u16 = 0x4000;
const STAGE_MASK: u16 = 0x3000;
const NAME_MASK: u16 = 0x0fff;
/// In the extended flags: `git add -N`, an entry the commit does not include.
const INTENT_TO_ADD: u16 = 0x2000;

/// Walks the entries of `bytes` (a whole index file), keeping those at stage 0 that are
/// not intent-to-add and whose path `keep` accepts. `hash_len` is the object id size.
pub fn read(bytes: &[u8], hash_len: usize, mut keep: impl FnMut(&[u8]) -> bool) -> Result<Read> {
    if bytes.len() < HEADER + hash_len || &bytes[..4] != b"DIRC" {
        bail!("not a git index file");
    }
    let version = u32_at(bytes, 4);
    if !(2..=4).contains(&version) {
        bail!("index version {version} is not supported");
    }
    let count = u32_at(bytes, 8) as usize;
    let end = bytes.len() - hash_len;
    let mut at = HEADER;
    let mut entries = Vec::new();
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let fixed = STAT + hash_len + 2;
        if at + fixed > end {
            bail!("the index is truncated");
        }
        let mode = u32_at(bytes, at + 24);
        let id = &bytes[at + STAT..at + STAT + hash_len];
        let flags = u16_at(bytes, at + STAT + hash_len);
        let mut path_at = at + fixed;
        let mut intent_to_add = false;
        if flags & EXTENDED != 0 {
            if version < 3 || path_at + 2 > end {
                bail!("the index has a malformed entry");
            }
            intent_to_add = u16_at(bytes, path_at) & INTENT_TO_ADD != 0;
            path_at += 2;
        }
        let (path, next) = if version == 4 {
            // The path is the previous one minus N trailing bytes, plus a suffix.
            let (strip, suffix_at) = varint(bytes, path_at, end)?;
            let nul = find_nul(bytes, suffix_at, end)?;
            if strip > previous.len() {
                bail!("the index has a malformed path");
            }
            previous.truncate(previous.len() - strip);
            previous.extend_from_slice(&bytes[suffix_at..nul]);
            (&previous[..], nul + 1)
        } else {
            let len = usize::from(flags & NAME_MASK);
            let nul = if len < usize::from(NAME_MASK) {
                path_at + len
            } else {
                find_nul(bytes, path_at, end)?
            };
            if nul >= end {
                bail!("the index is truncated");
            }
            // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
            let size = (nul - at + 8) & !7;
            (&bytes[path_at..nul], at + size)
        };
        if flags & STAGE_MASK == 0 && !intent_to_add && keep(path) {
            entries.push(Entry {
                path: path.to_vec(),
                mode,
                id: id.to_vec(),
            });
        }
        at = next;
    }
    // Extensions: a 4-byte signature and a 4-byte size each.
    let mut split = false;
    let mut trees = Vec::new();
    while at + 8 <= end {
        let size = u32_at(bytes, at + 4) as usize;
        split |= &bytes[at..at + 4] == b"link";
        if &bytes[at..at + 4] == b"TREE" {
            let data = &bytes[(at + 8).min(end)..(at + 8).saturating_add(size).min(end)];
            trees = cache_tree(data, hash_len).unwrap_or_default();
        }
        at += 8 + size;
    }
    Ok(Read {
        entries,
        split,
        trees,
    })
}

/// The valid directories of a cache-tree extension's `data`, with their full paths.
/// Each entry: a path component, NUL, the entry count (`-1`: invalid) in ASCII, a
/// space, the number of subtrees, a newline, then the tree's id when valid; subtrees
/// follow their parent (pre-order). `None` when malformed: the caller then does without.
fn cache_tree(data: &[u8], hash_len: usize) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut found = Vec::new();
    // The directories being read, each with how many of its subtrees are still to come.
    let mut open: Vec<(Vec<u8>, usize)> = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let nul = at + data[at..].iter().position(|&b| b == 0)?;
        let name = &data[at..nul];
        let newline = nul + data[nul..].iter().position(|&b| b == b'\n')?;
        let counts = std::str::from_utf8(&data[nul + 1..newline]).ok()?;
        let (count, subtrees) = counts.split_once(' ')?;
        let count: i64 = count.parse().ok()?;
        let subtrees: usize = subtrees.parse().ok()?;
        at = newline + 1;
        let path = match open.last_mut() {
            None if name.is_empty() => Vec::new(),
            None => return None,
            Some((parent, left)) => {
                *left = left.checked_sub(1)?;
                let mut path = parent.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(name);
                path
            }
        };
        if count >= 0 {
            let id = data.get(at..at + hash_len)?;
            at += hash_len;
            found.push((path.clone(), id.to_vec()));
        }
        open.push((path, subtrees));
        while open.last().is_some_and(|(_, left)| *left == 0) {
            open.pop();
        }
        if open.is_empty() && at < data.len() {
            return None;
        }
    }
    Some(found)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

fn find_nul(bytes: &[u8], from: usize, end: usize) -> Result<usize> {
    match bytes[from.min(end)..end].iter().position(|&b| b == 0) {
        Some(i) => Ok(from + i),
        None => bail!("the index has an unterminated path"),
    }
}

/// git's offset varint (index v4): big-endian 7-bit groups, each continuation adding one.
fn varint(bytes: &[u8], mut at: usize, end: usize) -> Result<(usize, usize)> {
    let mut value: usize = 0;
    let mut first = true;
    loop {
        let Some(&byte) = bytes[..end].get(at) else {
            bail!("the index is truncated");
        };
        at += 1;
        if !first {
            value = value
                .checked_add(1)
                .and_then(|v| v.checked_mul(128))
                .ok_or_else(|| anyhow::anyhow!("the index has a malformed path"))?;
        }
        first = false;
        value |= usize::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
    }
}
