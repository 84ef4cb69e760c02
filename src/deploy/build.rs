//! Building an image with the Docker Engine API (bollard): the context streams from the
//! commit's tree, the build output is shown as it comes, and a failed build reports the
//! engine's own message (the Dockerfile's error), not a generic one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;

use super::context::Context;
use super::error::Failure;
use super::ui::Step;
use crate::config::Build;

/// Long builds and pushes are normal; only a silent engine is an error, and that shows at
/// connect time.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to the engine named by `DOCKER_HOST` (or the local socket) and agrees on an
/// API version it speaks, so an older engine still answers.
pub async fn connect() -> Result<Docker, Failure> {
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string());
    let docker = Docker::connect_with_defaults()
        .map_err(|e| Failure::Docker(format!("{host}: {e}")))?
        .with_timeout(REQUEST_TIMEOUT);
    match tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(e)) => Err(Failure::Docker(format!("{host}: {}", engine_message(&e)))),
        Err(_) => Err(Failure::Docker(format!(
            "{host}: no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// Builds `reference` (`image:sha`) from `context`.
pub async fn build(
    docker: &Docker,
    context: Context,
    build: &Build,
    reference: &str,
    step: &Step,
) -> Result<(), Failure> {
    // A Dockerfile only BuildKit reads goes to BuildKit when the engine has it (API
    // 1.39, Docker 18.09) and is on a Unix socket, unless `DOCKER_BUILDKIT=0` says no
    // as it does to the docker CLI; everything else, to the classic builder (see
    // `buildkit` for why).
    let version = docker.client_version();
    let refused =
        std::env::var("DOCKER_BUILDKIT").is_ok_and(|v| v == "0" || v.eq_ignore_ascii_case("false"));
    if let Some(why) = context.buildkit.clone()
        && !refused
        && (version.major_version, version.minor_version) >= (1, 39)
        && let Some(socket) = super::buildkit::socket()
    {
        step.line(&format!(
            "the Dockerfile uses {why}: building with BuildKit"
        ));
        let api = format!("{}.{}", version.major_version, version.minor_version);
        return super::buildkit::build(socket, api, context, build, reference, step).await;
    }
    let args: HashMap<String, String> = build
        .build_args
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut options = BuildImageOptionsBuilder::default()
        .dockerfile(&context.dockerfile)
        .t(reference)
        .rm(true)
        .forcerm(true)
        .buildargs(&args);
    if let Some(target) = &build.target {
        options = options.target(target);
    }
    if let Some(platform) = &build.platform {
        options = options.platform(platform);
    }
    if let Some(network) = &build.network {
        options = options.networkmode(network);
    }
    let total = context.total_bytes;
    let read_error = Arc::new(Mutex::new(None));
    let sent = Arc::new(AtomicU64::new(0));
    let chunks = context.stream(read_error.clone(), sent.clone());
    let body = bollard::body_stream(chunks.map(Into::into));
    let mut stream = docker.build_image(options.build(), None, Some(body));

    let mut last_step = String::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut answered = false;
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = tick.tick() => {
                // The engine answers only once it has the whole context: until then,
                // show the upload.
                if !answered {
                    step.bytes(sent.load(Ordering::Relaxed).min(total), total, "sending context");
                }
                continue;
            }
        };
        let Some(item) = item else { break };
        answered = true;
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                if let Some(message) = read_error.lock().ok().and_then(|mut s| s.take()) {
                    return Err(Failure::Git(message));
                }
                return Err(classify(e, &build.repository()));
            }
        };
        if let Some(text) = info.stream {
            for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                if line.starts_with("Step ") {
                    last_step = line.to_string();
                }
                step.line(line);
            }
            step.status(&last_step);
        } else if let Some(status) = info.status {
            step.status(&status);
        }
    }
    if let Some(message) = read_error.lock().ok().and_then(|mut s| s.take()) {
        return Err(Failure::Git(message));
    }
    Ok(())
}

/// An engine error during a build: the build's own message, or an engine that went away.
fn classify(e: bollard::errors::Error, image: &str) -> Failure {
    use bollard::errors::Error as E;
    match e {
        E::DockerStreamError { error } => Failure::Build {
            image: image.to_string(),
            message: with_buildkit_hint(&one_line(&error)),
        },
        E::DockerResponseServerError { message, .. } => Failure::Build {
            image: image.to_string(),
            message: with_buildkit_hint(&one_line(&message)),
        },
        other => Failure::Docker(engine_message(&other)),
    }
}

/// The classic builder's refusals of BuildKit syntax (`COPY --chmod`, `RUN --mount`,
/// ...), each said once: the Dockerfile needs BuildKit, which deploy does not use.
fn with_buildkit_hint(message: &str) -> String {
    let needs = message.contains("requires BuildKit")
        || [
            "mount", "chmod", "link", "network", "security", "parents", "exclude",
        ]
        .iter()
        .any(|flag| message.contains(&format!("Unknown flag: {flag}")));
    if needs {
        format!(
            "{message} (this Dockerfile needs BuildKit, and the classic builder built it: pachhook uses BuildKit through the engine's Unix socket, API 1.39 or later, unless DOCKER_BUILDKIT=0)"
        )
    } else {
        message.to_string()
    }
}

/// The part of an engine error a user can act on.
pub fn engine_message(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match e {
        E::DockerResponseServerError { message, .. } => one_line(message),
        E::DockerStreamError { error } => one_line(error),
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            one_line(&text)
        }
    }
}

pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
