//! Paths and globs written in `pachhook.toml`, normalised once, where they are read:
//! `./pipelines/x.jsonnet` is `pipelines/x.jsonnet` (as git names it), `a//b` is `a/b`,
//! and a path that leaves the repository (`..`, absolute) is refused. Every key that
//! names repository files (`[[template]] path`, `[[policy]] schema`, `[[policy]] paths`,
//! `[specs] paths`) goes through here, so none compares a path as typed with a path as
//! git stores it.

use std::path::Path;

/// A file inside the repository, relative to its root, `/`-separated, as git names it.
pub fn file(path: &str) -> Result<String, &'static str> {
    let path = path.trim();
    if path.is_empty() {
        return Err("empty: name a file relative to the repository root");
    }
    if path.starts_with('/') || Path::new(path).is_absolute() {
        return Err("name a file relative to the repository root, not an absolute path");
    }
    let parts = components(path)?;
    if parts.is_empty() {
        return Err("names the repository root, not a file in it");
    }
    Ok(parts.join("/"))
}

/// A glob of repository files (gitignore conventions): a leading `./` is dropped (the
/// root is where globs are anchored already), `!` kept, a `..` refused. A leading `/`
/// keeps its meaning (anchored at the root).
pub fn glob(glob: &str) -> Result<String, &'static str> {
    let (negated, rest) = match glob.strip_prefix('!') {
        Some(rest) => ("!", rest),
        None => ("", glob),
    };
    let (anchored, rest) = match rest.strip_prefix('/') {
        Some(rest) => ("/", rest),
        None => ("", rest),
    };
    let had_dot = rest.starts_with("./");
    let trailing = if rest.ends_with('/') { "/" } else { "" };
    let parts = components(rest)?;
    if parts.is_empty() {
        // `/`, `./`, `!` alone: left for the glob checker to refuse as it does.
        return Ok(glob.to_string());
    }
    // `./x` anchors like `/x`: the author named a path from the root.
    let anchored = if had_dot { "/" } else { anchored };
    Ok(format!("{negated}{anchored}{}{trailing}", parts.join("/")))
}

/// The components of a `/`-separated path, `.` and empty ones dropped; `..` refused.
fn components(path: &str) -> Result<Vec<&str>, &'static str> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("leaves the repository (`..`): name a path inside it"),
            _ if part.contains('\\') && part.split('\\').any(|p| p == "..") => {
                return Err("leaves the repository (`..`): name a path inside it");
            }
            _ => parts.push(part),
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_as_git_names_them() {
        assert_eq!(
            file("./templates/x.jsonnet").unwrap(),
            "templates/x.jsonnet"
        );
        assert_eq!(
            file("templates//./x.jsonnet").unwrap(),
            "templates/x.jsonnet"
        );
        assert_eq!(file(" a.json ").unwrap(), "a.json");
        assert!(file("../x.jsonnet").is_err());
        assert!(file("a/../../x.jsonnet").is_err());
        assert!(file("/etc/passwd").is_err());
        assert!(file("").is_err());
        assert!(file("./").is_err());
    }

    #[test]
    fn globs_lose_their_dot_and_keep_their_meaning() {
        assert_eq!(glob("./pipelines/**").unwrap(), "/pipelines/**");
        assert_eq!(glob("pipelines/*.json").unwrap(), "pipelines/*.json");
        assert_eq!(
            glob("!./pipelines/draft.json").unwrap(),
            "!/pipelines/draft.json"
        );
        assert_eq!(glob("/x/").unwrap(), "/x/");
        assert_eq!(glob("*.json").unwrap(), "*.json");
        assert_eq!(glob("a//b/*.json").unwrap(), "a/b/*.json");
        assert!(glob("../other/*.json").is_err());
        assert!(glob("pipelines/../../x").is_err());
    }
}
