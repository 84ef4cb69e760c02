//! Percent-encoding (RFC 3986): the Docker Engine API's query values and the SARIF
//! report's URI references. Every byte but the unreserved ones (letters, digits,
//! `-._~`) and those the caller keeps (`/` in a path) is written `%XX`.

/// `bytes` percent-encoded, `keep` written as they are.
pub fn encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn unreserved_and_kept_bytes_stay() {
        assert_eq!(encode(b"a-b_c.d~e", b""), "a-b_c.d~e");
        assert_eq!(encode(b"a/b c", b""), "a%2Fb%20c");
        assert_eq!(encode(b"a/b c", b"/"), "a/b%20c");
        assert_eq!(encode("é".as_bytes(), b"/"), "%C3%A9");
        assert_eq!(encode(b"{\"k\":1}&", b""), "%7B%22k%22%3A1%7D%26");
    }
}
