//! Percent-encoding (RFC 3986): the Docker Engine API's query values, the SARIF
//! report's URI references and the policy documents' URIs. Every byte but the
//! unreserved ones (letters, digits, `-._~`) and those the caller keeps (`/` in a path)
//! is written `%XX`; `decode` undoes it.

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

/// `text` with each `%XX` turned back into its byte (a `%` not followed by two hex
/// digits stays as it is); bytes that are not UTF-8 are replaced.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn decode_undoes_encode() {
        for text in ["a b#c%d/é", "%zz%4", "plain"] {
            assert_eq!(decode(&encode(text.as_bytes(), b"/")), text);
        }
        assert_eq!(decode("%24defs"), "$defs");
        assert_eq!(decode("100%"), "100%");
    }

    #[test]
    fn unreserved_and_kept_bytes_stay() {
        assert_eq!(encode(b"a-b_c.d~e", b""), "a-b_c.d~e");
        assert_eq!(encode(b"a/b c", b""), "a%2Fb%20c");
        assert_eq!(encode(b"a/b c", b"/"), "a/b%20c");
        assert_eq!(encode("é".as_bytes(), b"/"), "%C3%A9");
        assert_eq!(encode(b"{\"k\":1}&", b""), "%7B%22k%22%3A1%7D%26");
    }
}
