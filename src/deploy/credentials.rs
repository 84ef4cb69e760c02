//! The user's registry credentials, found where the docker CLI keeps them:
//! `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, with `auths` (base64
//! `user:password`), `credHelpers` (per registry) and `credsStore` (default helper).
//!
//! A helper is run as `docker-credential-<name> get` with the registry on its standard
//! input, so no secret ever appears in an argument list. Nothing here prints or logs a
//! credential: `Credentials` has no `Debug` that shows the secret.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use bollard::auth::DockerCredentials;
use tokio::process::Command;

use super::error::Failure;
use super::process::{self, Ended};
use crate::image_ref::ImageRef;

/// The longest a credential helper may take to answer.
const HELPER_LIMIT: Duration = Duration::from_secs(30);

/// Docker Hub's key in `config.json`.
const HUB: &str = "https://index.docker.io/v1/";

/// Credentials for one registry.
#[derive(Clone)]
pub struct Credentials {
    pub registry: String,
    inner: DockerCredentials,
    /// Where they came from, for messages: `auths in /home/u/.docker/config.json`.
    pub origin: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, from {})", self.registry, self.origin)
    }
}

impl Credentials {
    pub fn docker(&self) -> DockerCredentials {
        self.inner.clone()
    }
}

/// The registry host of an image, as its canonical form names it: `docker.io` for
/// `team/edges` and for `index.docker.io/team/edges`.
pub fn registry_of(image: &ImageRef) -> String {
    image.canonical_registry().to_string()
}

fn config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// The credentials for `registry`, or `None` when the user has none for it (an open
/// registry needs none; a closed one will refuse, and the caller says so).
pub async fn for_registry(registry: &str) -> Result<Option<Credentials>, Failure> {
    let Some(path) = config_path() else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::Credentials(format!(
                "cannot read the docker config {}: {e}",
                path.display()
            )));
        }
    };
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Failure::Credentials(format!(
            "the docker config {} is not valid JSON: {e}",
            path.display()
        ))
    })?;
    let key = if registry == "docker.io" {
        HUB
    } else {
        registry
    };

    let helper = config
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| same_registry(k, registry))
                .and_then(|(_, v)| v.as_str())
        })
        .or_else(|| config.get("credsStore").and_then(|s| s.as_str()))
        .filter(|s| !s.is_empty());
    if let Some(helper) = helper
        && let Some(found) = from_helper(helper, key, registry).await?
    {
        return Ok(Some(found));
    }

    let auths = config.get("auths").and_then(|a| a.as_object());
    let Some(entry) = auths.and_then(|a| {
        a.iter()
            .find(|(k, _)| same_registry(k, registry))
            .map(|(_, v)| v)
    }) else {
        return Ok(None);
    };
    let origin = format!("auths in {}", path.display());
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let mut inner = DockerCredentials {
        serveraddress: Some(key.to_string()),
        ..Default::default()
    };
    if let Some(auth) = field("auth") {
        let bad = || {
            Failure::Credentials(format!(
                "{origin}: the `auth` of {registry} is not base64 of user:password"
            ))
        };
        let decoded = base64_decode(auth)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)?;
        let (user, password) = decoded.split_once(':').ok_or_else(bad)?;
        inner.username = Some(user.to_string());
        inner.password = Some(password.to_string());
    } else if let (Some(user), Some(password)) = (field("username"), field("password")) {
        inner.username = Some(user.to_string());
        inner.password = Some(password.to_string());
    }
    if let Some(token) = field("identitytoken") {
        inner.identitytoken = Some(token.to_string());
    }
    if inner.username.is_none() && inner.identitytoken.is_none() {
        return Ok(None);
    }
    Ok(Some(Credentials {
        registry: registry.to_string(),
        inner,
        origin,
    }))
}

/// Runs `docker-credential-<helper> get`, for at most `HELPER_LIMIT`; `None` when the
/// helper has nothing for the registry or is not installed (then `auths` may still have
/// it). A helper that hangs or answers something other than its JSON is a credentials
/// error naming it.
async fn from_helper(
    helper: &str,
    key: &str,
    registry: &str,
) -> Result<Option<Credentials>, Failure> {
    let program = format!("docker-credential-{helper}");
    let mut command = Command::new(&program);
    command.arg("get");
    let out = match process::run(command, key.as_bytes(), HELPER_LIMIT, None).await {
        Ok(out) => out,
        Err(Ended::NotStarted(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "pachhook: warning: credential helper `{program}` (from your docker config) is not installed; trying without it"
            );
            return Ok(None);
        }
        Err(Ended::NotStarted(e)) => {
            return Err(Failure::Credentials(format!(
                "cannot run the credential helper `{program}`: {e}"
            )));
        }
        Err(Ended::TimedOut) => {
            return Err(Failure::Credentials(format!(
                "the credential helper `{program}` did not answer within {} for {registry}",
                process::human(HELPER_LIMIT)
            )));
        }
        Err(Ended::Io(e)) => {
            return Err(Failure::Credentials(format!(
                "cannot read the answer of the credential helper `{program}`: {e}"
            )));
        }
    };
    if !out.status.success() {
        // "credentials not found in native keychain": nothing stored for this registry.
        return Ok(None);
    }
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout)
        .ok()
        .filter(serde_json::Value::is_object)
        .ok_or_else(|| {
            Failure::Credentials(format!(
                "the credential helper `{program}` answered something other than its JSON ({{\"Username\": …, \"Secret\": …}}) for {registry}"
            ))
        })?;
    let user = answer
        .get("Username")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let secret = answer.get("Secret").and_then(|v| v.as_str()).unwrap_or("");
    if secret.is_empty() {
        return Ok(None);
    }
    let mut inner = DockerCredentials {
        serveraddress: Some(key.to_string()),
        ..Default::default()
    };
    if user == "<token>" {
        inner.identitytoken = Some(secret.to_string());
    } else {
        inner.username = Some(user.to_string());
        inner.password = Some(secret.to_string());
    }
    Ok(Some(Credentials {
        registry: registry.to_string(),
        inner,
        origin: format!("credential helper {program}"),
    }))
}

/// `auths` keys are written many ways: `host:port`, `https://host/`, `http://host/v2/`,
/// and Docker Hub's `https://index.docker.io/v1/`.
fn same_registry(key: &str, registry: &str) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or(host);
    if registry == "docker.io" {
        return matches!(
            host,
            "index.docker.io" | "docker.io" | "registry-1.docker.io"
        );
    }
    host.eq_ignore_ascii_case(registry)
}

/// Standard base64 with or without padding (docker writes it padded; some tools
/// strip it).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts() {
        let of = |s: &str| registry_of(&crate::image_ref::parse(s).unwrap());
        assert_eq!(of("127.0.0.1:5000/vision/edges"), "127.0.0.1:5000");
        assert_eq!(of("registry.example.com/edges"), "registry.example.com");
        assert_eq!(of("localhost/edges"), "localhost");
        assert_eq!(of("team/edges"), "docker.io");
        assert_eq!(of("docker.io/team/edges"), "docker.io");
        assert_eq!(of("index.docker.io/team/edges"), "docker.io");
        assert_eq!(of("edges"), "docker.io");
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(base64_decode("dXNlcjpwYXNzMQ==").unwrap(), b"user:pass1");
        assert!(base64_decode("not base64!").is_none());
    }

    #[test]
    fn auths_keys() {
        assert!(same_registry("https://127.0.0.1:5001/", "127.0.0.1:5001"));
        assert!(same_registry("127.0.0.1:5001", "127.0.0.1:5001"));
        assert!(!same_registry("127.0.0.1:5000", "127.0.0.1:5001"));
        assert!(same_registry(HUB, "docker.io"));
    }
}
