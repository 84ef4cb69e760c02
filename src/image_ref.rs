//! Docker image references: `[host[:port]/]path[:tag][@algo:hex]`.
//!
//! pachctl's own image test looks for a `:` anywhere in the string, which is wrong for
//! registries with a port (`localhost:5000/team/edges` has no tag). This parser follows
//! the Docker reference grammar instead, so the image rules and deploy agree with what
//! Docker and Kubernetes will actually pull:
//!
//! - the first `/`-separated component is a registry host only if it contains `.` or
//!   `:` or is `localhost` (otherwise `team/edges` would be a host called `team`).
//!   Docker also takes a first component with an uppercase letter for a host
//!   (`Team/edges`); no spec author means that, so here it stays a path and is reported
//!   as uppercase;
//! - the tag is what follows the last `:` after the last `/`;
//! - path components are lowercase: `[a-z0-9]+` runs joined by `.`, `_`, `__` or dashes;
//! - a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
//! - a digest is `algorithm:hex`; Docker only accepts `sha256` (64 lowercase hex),
//!   `sha384` (96) and `sha512` (128);
//! - host and path together are at most 255 characters.
//!
//! Parsing never panics: any string gives either an `ImageRef` or an `ImageRefError`
//! that says what is wrong and where.
//!
//! Why by hand: the reference parsers in crates (oci-spec's `distribution::Reference`,
//! oci-client's) normalize as they parse (`edges` becomes `docker.io/library/edges`)
//! and fail with one error kind and no position, while a finding must quote what the
//! user wrote and say which part is wrong. The grammar is small and pinned by a
//! round-trip property test and a fuzz target (`fuzz/`).

use std::fmt;

/// The longest name (registry host plus path) Docker accepts.
pub const NAME_MAX: usize = 255;
/// The longest tag Docker accepts.
pub const TAG_MAX: usize = 128;

/// A parsed image reference. Every part keeps the user's spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// `host` or `host:port` (`registry.example.com`, `localhost:5000`), when written.
    pub registry: Option<String>,
    /// The repository path inside the registry (`team/edges`, `ubuntu`).
    pub path: String,
    /// The tag after the last `:` of the last path component, when written.
    pub tag: Option<String>,
    /// The content digest after `@`, when written.
    pub digest: Option<Digest>,
}

/// A content digest: `sha256:<64 hex>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub algorithm: String,
    pub hex: String,
}

/// Why a string is not an image reference, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRefError {
    /// Byte offset into the parsed string where the problem starts.
    pub offset: usize,
    /// What is wrong, in words a user can act on.
    pub message: String,
    /// 1-based character position of `offset`, for messages.
    pub position: usize,
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.position)
    }
}

impl std::error::Error for ImageRefError {}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repository())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl ImageRef {
    /// Host and path as written, without tag or digest: `localhost:5000/team/edges`.
    /// This is what `[[build]] image` names and what deploy tags.
    pub fn repository(&self) -> String {
        match &self.registry {
            Some(host) => format!("{host}/{}", self.path),
            None => self.path.clone(),
        }
    }

    /// The repository as Docker resolves it: `ubuntu` is `docker.io/library/ubuntu`,
    /// `team/edges` is `docker.io/team/edges`. Two spellings of the same repository have
    /// the same canonical form, so a managed image matches whichever one a spec uses.
    pub fn canonical_repository(&self) -> String {
        let host = self.canonical_registry();
        if host == "docker.io" && !self.path.contains('/') {
            format!("docker.io/library/{}", self.path)
        } else {
            format!("{host}/{}", self.path)
        }
    }

    /// The registry host as Docker resolves it: `docker.io` when none is written (and
    /// for `index.docker.io`). Credentials are looked up by it.
    pub fn canonical_registry(&self) -> &str {
        match self.registry.as_deref() {
            None | Some("index.docker.io") => "docker.io",
            Some(host) => host,
        }
    }
}

/// Parses `s` with the Docker reference grammar.
pub fn parse(s: &str) -> Result<ImageRef, ImageRefError> {
    if s.is_empty() {
        return Err(error(s, 0, "the image reference is empty".into()));
    }
    // Split first, then validate left to right, so the error reported is the first one
    // a reader meets. The digest starts at the first `@`: names and tags have none.
    let (name_tag, digest_at) = match s.find('@') {
        Some(at) => (&s[..at], Some(at + 1)),
        None => (s, None),
    };
    let after_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag_at) = match name_tag[after_slash..].rfind(':') {
        Some(colon) => (
            &name_tag[..after_slash + colon],
            Some(after_slash + colon + 1),
        ),
        None => (name_tag, None),
    };
    if name.is_empty() {
        return Err(error(
            s,
            0,
            "the image reference has no repository name".into(),
        ));
    }
    let (registry, path, path_start) = match name.find('/') {
        Some(slash) if is_host(&name[..slash]) => {
            check_host(s, 0, &name[..slash])?;
            (Some(&name[..slash]), &name[slash + 1..], slash + 1)
        }
        _ => (None, name, 0),
    };
    check_path(s, path_start, path)?;
    let name_chars = name.chars().count();
    if name_chars > NAME_MAX {
        return Err(error(
            s,
            0,
            format!(
                "the repository name is {name_chars} characters long; Docker accepts at most {NAME_MAX}"
            ),
        ));
    }
    let tag = match tag_at {
        Some(at) => Some(check_tag(s, at, &name_tag[at..])?),
        None => None,
    };
    let digest = match digest_at {
        Some(at) => Some(parse_digest(s, at)?),
        None => None,
    };
    Ok(ImageRef {
        registry: registry.map(str::to_string),
        path: path.to_string(),
        tag: tag.map(str::to_string),
        digest,
    })
}

/// The rule Docker uses to tell `registry.example.com/edges` from `team/edges`.
fn is_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

fn error(s: &str, offset: usize, message: String) -> ImageRefError {
    let offset = offset.min(s.len());
    // `offset` always comes from an ASCII delimiter or a `char_indices` position, so it
    // is a char boundary; `get` keeps that an assumption rather than a panic.
    let position = s.get(..offset).map_or(offset, |p| p.chars().count()) + 1;
    ImageRefError {
        offset,
        message,
        position,
    }
}

fn describe(c: char) -> String {
    if c.is_whitespace() || c.is_control() {
        format!("{c:?}")
    } else {
        format!("`{c}`")
    }
}

/// `host[:port]` or `[ipv6][:port]`; `base` is the offset of `host` in `s`.
fn check_host(s: &str, base: usize, host: &str) -> Result<(), ImageRefError> {
    let (name, port, port_at) = if let Some(rest) = host.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err(error(
                s,
                base,
                "an IPv6 registry address needs a closing `]`".into(),
            ));
        };
        let addr = &rest[..close];
        if addr.is_empty()
            || !addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(error(
                s,
                base + 1,
                format!("`[{addr}]` is not an IPv6 address"),
            ));
        }
        let after = &rest[close + 1..];
        let after_at = base + close + 2;
        match after.strip_prefix(':') {
            Some(port) => (None, Some(port), after_at + 1),
            None if after.is_empty() => (None, None, 0),
            None => {
                return Err(error(
                    s,
                    after_at,
                    "only `:port` may follow an IPv6 registry address".into(),
                ));
            }
        }
    } else {
        match host.find(':') {
            Some(colon) => (
                Some(&host[..colon]),
                Some(&host[colon + 1..]),
                base + colon + 1,
            ),
            None => (Some(host), None, 0),
        }
    };
    if let Some(name) = name {
        check_domain(s, base, name)?;
    }
    if let Some(port) = port {
        if port.is_empty() {
            return Err(error(s, port_at, "the registry port is empty".into()));
        }
        if let Some((i, c)) = port.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(error(
                s,
                port_at + i,
                format!(
                    "{} in the registry port `{port}`: a port is digits only (a path component cannot contain `:`)",
                    describe(c)
                ),
            ));
        }
    }
    Ok(())
}

/// `component(.component)*`, each `[A-Za-z0-9]` runs with inner dashes.
fn check_domain(s: &str, base: usize, name: &str) -> Result<(), ImageRefError> {
    let mut at = base;
    for part in name.split('.') {
        if part.is_empty() {
            return Err(error(
                s,
                at,
                format!("empty label in the registry host `{name}`"),
            ));
        }
        if let Some((i, c)) = part
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(error(
                s,
                at + i,
                format!(
                    "{} is not allowed in the registry host `{name}`",
                    describe(c)
                ),
            ));
        }
        if part.starts_with('-') || part.ends_with('-') {
            return Err(error(
                s,
                at,
                format!("a label of the registry host `{name}` starts or ends with `-`"),
            ));
        }
        at += part.len() + 1;
    }
    Ok(())
}

/// The repository path: `/`-separated lowercase components.
fn check_path(s: &str, base: usize, path: &str) -> Result<(), ImageRefError> {
    let mut at = base;
    for component in path.split('/') {
        check_component(s, at, component)?;
        at += component.len() + 1;
    }
    Ok(())
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// One path component: `[a-z0-9]+` runs separated by `.`, `_`, `__` or `-+`.
fn check_component(s: &str, base: usize, component: &str) -> Result<(), ImageRefError> {
    if component.is_empty() {
        return Err(error(
            s,
            base,
            "empty path component (two `/` in a row, or a `/` at the start or end)".into(),
        ));
    }
    let mut separator_start: Option<usize> = None;
    let mut previous_alnum = false;
    for (i, c) in component.char_indices() {
        if is_alnum(c) {
            if let Some(start) = separator_start.take() {
                let sep = &component[start..i];
                if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-')) {
                    return Err(error(
                        s,
                        base + start,
                        format!(
                            "separator `{sep}` is not allowed in a repository path: use one `.`, one `_`, `__`, or dashes"
                        ),
                    ));
                }
            }
            previous_alnum = true;
        } else if c == '.' || c == '_' || c == '-' {
            if i == 0 {
                return Err(error(
                    s,
                    base,
                    format!(
                        "path component `{component}` starts with `{c}`: it must start with a lowercase letter or digit"
                    ),
                ));
            }
            if previous_alnum {
                separator_start = Some(i);
            }
            previous_alnum = false;
        } else if c.is_ascii_uppercase() {
            return Err(error(
                s,
                base + i,
                format!("uppercase `{c}` in `{component}`: repository paths are lowercase"),
            ));
        } else {
            return Err(error(
                s,
                base + i,
                format!(
                    "{} is not allowed in a repository path (only `a-z0-9._-`)",
                    describe(c)
                ),
            ));
        }
    }
    if !previous_alnum {
        return Err(error(
            s,
            base,
            format!(
                "path component `{component}` ends with a separator: it must end with a lowercase letter or digit"
            ),
        ));
    }
    Ok(())
}

/// `[\w][\w.-]{0,127}`; `base` is the offset of the tag in `s`.
fn check_tag<'a>(s: &str, base: usize, tag: &'a str) -> Result<&'a str, ImageRefError> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = tag.char_indices();
    match chars.next() {
        None => {
            return Err(error(
                s,
                base,
                "the tag after `:` is empty: write a tag or drop the `:`".into(),
            ));
        }
        Some((_, c)) if !word(c) => {
            return Err(error(
                s,
                base,
                format!(
                    "the tag `{tag}` starts with {}: a tag starts with a letter, digit or `_`",
                    describe(c)
                ),
            ));
        }
        Some(_) => {}
    }
    if let Some((i, c)) = chars.find(|(_, c)| !(word(*c) || *c == '.' || *c == '-')) {
        return Err(error(
            s,
            base + i,
            format!(
                "{} is not allowed in the tag `{tag}` (letters, digits, `_`, `.`, `-`)",
                describe(c)
            ),
        ));
    }
    if tag.len() > TAG_MAX {
        return Err(error(
            s,
            base,
            format!(
                "the tag is {} characters long; Docker accepts at most {TAG_MAX}",
                tag.len()
            ),
        ));
    }
    Ok(tag)
}

/// `algorithm:hex` starting at byte `base` of `s`.
fn parse_digest(s: &str, base: usize) -> Result<Digest, ImageRefError> {
    let text = &s[base..];
    let Some(colon) = text.find(':') else {
        return Err(error(
            s,
            base,
            format!("the digest `{text}` has no `:`: write it as `sha256:<64 hex digits>`"),
        ));
    };
    let (algorithm, hex) = (&text[..colon], &text[colon + 1..]);
    let expected = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(error(
                s,
                base,
                format!(
                    "unsupported digest algorithm `{algorithm}`: Docker accepts sha256, sha384 and sha512"
                ),
            ));
        }
    };
    let hex_at = base + colon + 1;
    if let Some((i, c)) = hex
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || ('a'..='f').contains(c)))
    {
        let why = if c.is_ascii_hexdigit() {
            "digests are lowercase hex"
        } else {
            "a digest is hex digits only"
        };
        return Err(error(
            s,
            hex_at + i,
            format!("{} in the {algorithm} digest: {why}", describe(c)),
        ));
    }
    if hex.len() != expected {
        return Err(error(
            s,
            hex_at,
            format!(
                "the {algorithm} digest has {} hex digits; it needs exactly {expected}",
                hex.len()
            ),
        ));
    }
    Ok(Digest {
        algorithm: algorithm.to_string(),
        hex: hex.to_string(),
    })
}

#[cfg(test)]
mod tests;
