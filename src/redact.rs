//! Secrets never reach a message: the userinfo of a URL or image reference
//! (`user:pass@host`, `tcp://user:pass@host`), which a `[[build]] image`, `DOCKER_HOST` or a
//! program's output may carry, is shown as `***@`.

/// `text` with the userinfo of every URL or reference (`user:pass@host`,
/// `tcp://user:pass@host`) replaced by `***`. A digest (`name@sha256:…`) is no userinfo.
pub fn userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let (before, after) = (&rest[..at], &rest[at + 1..]);
        let start = before
            .rfind(|c: char| c.is_whitespace() || "`'\"()[]<>,;=".contains(c))
            .map_or(0, |i| i + 1);
        let token = &before[start..];
        let info_start = token.find("://").map_or(0, |i| i + 3);
        let info = &token[info_start..];
        let digest = ["sha256:", "sha384:", "sha512:"]
            .iter()
            .any(|a| after.starts_with(a));
        if !digest && info.contains(':') && !info.contains('/') {
            out.push_str(&before[..start + info_start]);
            out.push_str("***@");
        } else {
            out.push_str(before);
            out.push('@');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::userinfo as redact;

    #[test]
    fn userinfo_is_redacted_digests_are_not() {
        assert_eq!(
            redact("cannot connect to tcp://bob:s3cret@docker.example:2376 (refused)"),
            "cannot connect to tcp://***@docker.example:2376 (refused)"
        );
        assert_eq!(
            redact("image `bob:s3cret@registry.example/team/edges`"),
            "image `***@registry.example/team/edges`"
        );
        let digest = "r.io/team/edges:v1@sha256:0123 and edges@sha256:ab";
        assert_eq!(redact(digest), digest);
        assert_eq!(redact("mail bob@example.com"), "mail bob@example.com");
    }
}
