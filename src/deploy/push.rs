//! The registry side: asking whether a tag is already there (so a commit that was
//! deployed before is not built again), and pushing with the user's credentials.
//!
//! Both go through the Docker engine (distribution inspect, image push), which speaks to
//! the registry with the engine's own TLS and insecure-registry settings; the
//! credentials travel in the `X-Registry-Auth` header, never in an argument list.

use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::PushImageOptionsBuilder;
use futures_util::StreamExt;

use super::build::{engine_message, one_line};
use super::credentials::Credentials;
use super::error::Failure;
use super::ui::Step;

/// The digest of `reference` in its registry, or `None` when the registry does not have
/// that tag. A registry that is down or refuses the credentials stops the deploy here,
/// before anything is built.
pub async fn lookup(
    docker: &Docker,
    reference: &str,
    registry: &str,
    credentials: Option<&Credentials>,
    limit: Duration,
) -> Result<Option<String>, Failure> {
    let asked = docker.inspect_registry_image(reference, credentials.map(Credentials::docker));
    let answer = tokio::time::timeout(limit, asked)
        .await
        .map_err(|_| silent(registry, limit))?;
    match answer {
        Ok(found) => Ok(found.descriptor.digest),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(registry_failure(&e, registry, credentials)),
    }
}

/// A registry that accepted the connection and did not answer within `limit`.
fn silent(registry: &str, limit: Duration) -> Failure {
    Failure::RegistryDown {
        registry: registry.to_string(),
        message: format!(
            "no answer within {} ([deploy] registry_timeout)",
            crate::cluster::process::human(limit)
        ),
    }
}

/// A registry error: refused credentials, a registry that does not answer, or (from the
/// engine) an engine that went away.
fn registry_failure(
    e: &bollard::errors::Error,
    registry: &str,
    credentials: Option<&Credentials>,
) -> Failure {
    use bollard::errors::Error as E;
    let message = engine_message(e);
    let status = match e {
        E::DockerResponseServerError { status_code, .. } => Some(*status_code),
        E::DockerStreamError { .. } => None,
        _ => return Failure::Docker(message),
    };
    let lower = message.to_ascii_lowercase();
    let refused = status == Some(401)
        || status == Some(403)
        || [
            "unauthorized",
            "authentication required",
            "denied",
            "no basic auth credentials",
        ]
        .iter()
        .any(|w| lower.contains(w));
    if refused {
        let message = match credentials {
            Some(c) => format!("{message}; credentials from {}", c.origin),
            None => format!("{message}; no credentials for {registry} in your docker config"),
        };
        Failure::Refused {
            registry: registry.to_string(),
            message,
        }
    } else if [
        "connection refused",
        "dial tcp",
        "no such host",
        "i/o timeout",
        "connection reset",
        "eof",
        "server gave http response to https client",
        "tls:",
        "503",
        "502",
    ]
    .iter()
    .any(|w| lower.contains(w))
        || status.is_some_and(|s| s >= 500)
    {
        Failure::RegistryDown {
            registry: registry.to_string(),
            message,
        }
    } else {
        Failure::Push {
            image: registry.to_string(),
            message,
        }
    }
}

/// Pushes `image:tag` and returns the manifest digest the registry stored.
pub async fn push(
    docker: &Docker,
    image: &str,
    tag: &str,
    registry: &str,
    credentials: Option<&Credentials>,
    step: &Step,
    limit: Duration,
) -> Result<String, Failure> {
    let options = PushImageOptionsBuilder::default().tag(tag).build();
    let mut stream = docker.push_image(image, Some(options), credentials.map(Credentials::docker));
    let mut layers = 0u32;
    let mut done = 0u32;
    let mut digest = None;
    // Each step of the push (a message of the engine) within `limit`: a large layer
    // keeps reporting progress, a registry that stopped answering does not.
    while let Some(item) = tokio::time::timeout(limit, stream.next())
        .await
        .map_err(|_| silent(registry, limit))?
    {
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                return Err(match registry_failure(&e, registry, credentials) {
                    Failure::Push { message, .. } => Failure::Push {
                        image: format!("{image}:{tag}"),
                        message,
                    },
                    other => other,
                });
            }
        };
        let Some(status) = info.status else { continue };
        // The engine's push messages carry no layer id in this client's model, so layers
        // are counted by their first and last messages.
        match status.as_str() {
            "Preparing" => layers += 1,
            s if s == "Pushed" || s == "Layer already exists" || s.starts_with("Mounted from") => {
                done += 1;
                step.line(&format!("layer {done}/{layers}: {status}"));
            }
            "Pushing" => {
                if let Some(p) = &info.progress_detail
                    && let (Some(cur), Some(total)) = (p.current, p.total)
                {
                    step.bytes(
                        u64::try_from(cur).unwrap_or(0),
                        u64::try_from(total).unwrap_or(0),
                        &format!("layer {}/{layers}", done + 1),
                    );
                }
            }
            s if s.contains("digest: sha256:") => {
                digest = s
                    .split_whitespace()
                    .find(|w| w.starts_with("sha256:"))
                    .map(str::to_string);
            }
            s => step.status(&one_line(s)),
        }
    }
    if let Some(digest) = digest {
        return Ok(digest);
    }
    // Older engines print the digest differently; the image's RepoDigests has it too.
    let reference = format!("{image}:{tag}");
    let inspect = docker
        .inspect_image(&reference)
        .await
        .map_err(|e| Failure::Docker(engine_message(&e)))?;
    inspect
        .repo_digests
        .unwrap_or_default()
        .iter()
        .find_map(|d| d.strip_prefix(&format!("{image}@")).map(str::to_string))
        .ok_or_else(|| Failure::Push {
            image: reference,
            message: "the registry reported no digest".into(),
        })
}
