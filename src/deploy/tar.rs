//! Just enough of the tar format (POSIX ustar, with pax headers for long names) to send
//! a build context to the Docker engine: directories, regular files and symbolic links.
//! Owner is root, times are the commit's, so the same commit always makes the same bytes.

const BLOCK: usize = 512;

pub fn dir(path: &str, mtime: u64) -> Vec<u8> {
    entry(&format!("{path}/"), b'5', 0o755, 0, "", mtime)
}

pub fn symlink(path: &str, target: &str, mtime: u64) -> Vec<u8> {
    entry(path, b'2', 0o777, 0, target, mtime)
}

pub fn file(path: &str, content: &[u8], executable: bool, mtime: u64) -> Vec<u8> {
    let mode = if executable { 0o755 } else { 0o644 };
    let mut out = entry(path, b'0', mode, content.len() as u64, "", mtime);
    out.reserve(padded(content.len()));
    out.extend_from_slice(content);
    pad(&mut out);
    out
}

/// Two zero blocks close the archive.
pub fn end() -> Vec<u8> {
    vec![0; 2 * BLOCK]
}

/// A header (preceded by a pax header when the name or link target does not fit).
fn entry(path: &str, kind: u8, mode: u32, size: u64, link: &str, mtime: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(BLOCK * 2);
    let (name, prefix) = split_name(path);
    let long_name = name.is_none();
    let long_link = link.len() > 100;
    if long_name || long_link {
        let mut records = String::new();
        if long_name {
            records.push_str(&pax_record("path", path));
        }
        if long_link {
            records.push_str(&pax_record("linkpath", link));
        }
        out.extend_from_slice(&header(
            "././@PaxHeader",
            "",
            b'x',
            0o644,
            records.len() as u64,
            "",
            0,
        ));
        out.extend_from_slice(records.as_bytes());
        pad(&mut out);
    }
    let (name, prefix) = match name {
        Some(name) => (name, prefix),
        None => (truncate(path, 100), ""),
    };
    out.extend_from_slice(&header(
        name,
        prefix,
        kind,
        mode,
        size,
        truncate(link, 100),
        mtime,
    ));
    out
}

/// Splits a path into ustar's name (≤ 100 bytes) and prefix (≤ 155 bytes) at a `/`;
/// `None` when it cannot be split so, and a pax header must carry it.
fn split_name(path: &str) -> (Option<&str>, &str) {
    if path.len() <= 100 {
        return (Some(path), "");
    }
    for (i, _) in path.match_indices('/') {
        let (prefix, name) = (&path[..i], &path[i + 1..]);
        if prefix.len() <= 155 && !name.is_empty() && name.len() <= 100 {
            return (Some(name), prefix);
        }
    }
    (None, "")
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `"<len> key=value\n"`, where `<len>` counts the whole record including itself.
fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}").len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}")
}

fn header(
    name: &str,
    prefix: &str,
    kind: u8,
    mode: u32,
    size: u64,
    link: &str,
    mtime: u64,
) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    put(&mut h[0..100], name.as_bytes());
    octal(&mut h[100..108], mode as u64);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[148..156].fill(b' ');
    h[156] = kind;
    put(&mut h[157..257], link.as_bytes());
    put(&mut h[257..263], b"ustar\0");
    put(&mut h[263..265], b"00");
    put(&mut h[265..297], b"root");
    put(&mut h[297..329], b"root");
    put(&mut h[345..500], prefix.as_bytes());
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    let text = format!("{sum:06o}\0 ");
    put(&mut h[148..156], text.as_bytes());
    h
}

fn put(field: &mut [u8], bytes: &[u8]) {
    let n = bytes.len().min(field.len());
    field[..n].copy_from_slice(&bytes[..n]);
}

/// Zero-padded octal digits and a NUL, filling the field. Sizes beyond the field (8 GiB
/// for a file) use the base-256 form GNU tar and Docker read.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    if text.len() > digits {
        field.fill(0);
        field[0] = 0x80;
        let bytes = value.to_be_bytes();
        let n = bytes.len().min(field.len() - 1);
        let start = field.len() - n;
        field[start..].copy_from_slice(&bytes[bytes.len() - n..]);
        return;
    }
    put(field, text.as_bytes());
    field[digits] = 0;
}

fn padded(len: usize) -> usize {
    len.div_ceil(BLOCK) * BLOCK
}

fn pad(out: &mut Vec<u8>) {
    let rem = out.len() % BLOCK;
    if rem != 0 {
        out.resize(out.len() + BLOCK - rem, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        let r = pax_record("path", "a/b");
        assert_eq!(r, "12 path=a/b\n");
        assert_eq!(r.len(), 12);
        let long = "x".repeat(95);
        let r = pax_record("path", &long);
        assert_eq!(r.len().to_string(), r.split(' ').next().unwrap());
    }

    #[test]
    fn blocks_are_aligned() {
        assert_eq!(file("a", b"hello", false, 0).len(), 1024);
        assert_eq!(file("a", b"", false, 0).len(), 512);
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(120));
        assert_eq!(file(&long, b"x", false, 0).len() % 512, 0);
    }

    #[test]
    fn long_paths_split_or_use_pax() {
        let p = format!("{}/{}", "d".repeat(120), "f".repeat(50));
        assert_eq!(
            split_name(&p),
            (Some("f".repeat(50).as_str()), "d".repeat(120).as_str())
        );
        let p = "f".repeat(150);
        assert_eq!(split_name(&p).0, None);
    }
}
