//! Building with the engine's BuildKit, for a Dockerfile that needs it (`COPY --chmod`,
//! `RUN --mount`, ...): `POST /build?version=2` with the context as a tar stream, which
//! needs no session (checked with Docker 20.10). bollard cannot read that answer
//! without its `buildkit` feature (its line decoder fails on the progress messages and
//! ends the stream; the feature brings gRPC and requires a session), so the request is
//! made here, over the engine's Unix socket, and the answer read as JSON lines:
//! progress comes as `moby.buildkit.trace` messages (a base64 protobuf
//! `StatusResponse`, of which the vertex names, errors and logs are shown) and the
//! image ID as `moby.image.id`.
//!
//! Why not every build: with a tar context the engine's BuildKit applies no
//! `.dockerignore` and `COPY .` sees the Dockerfile and `.dockerignore` even where
//! the docker CLI keeps them out; the classic builder gives exactly what `docker build`
//! of a checkout gives. So deploy builds with the classic builder, and with BuildKit
//! the Dockerfiles only it accepts (see `needs`).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;

use super::build::{REQUEST_TIMEOUT, one_line};
use super::context::Context;
use super::error::Failure;
use super::ui::Step;
use crate::config::Build;

/// The BuildKit-only construct a Dockerfile uses, if any: a flag the classic builder
/// refuses, a heredoc, or a `# syntax=` directive (a frontend of its own).
pub fn needs(dockerfile: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(dockerfile);
    for line in instructions(&text) {
        let trimmed = line.trim_start();
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with('#') {
            let directive = lower.trim_start_matches('#').trim_start();
            if directive.starts_with("syntax") && directive.contains('=') {
                return Some("a `# syntax=` directive".into());
            }
            continue;
        }
        if let Some(flag) = buildkit_flag(&lower) {
            return Some(format!("`{flag}`"));
        }
        if lower.contains("<<") && (lower.starts_with("run") || lower.starts_with("copy")) {
            return Some("a heredoc".into());
        }
    }
    None
}

/// The Dockerfile's lines with each instruction's continuation lines (after a `\`)
/// joined to it, so a flag on a line of its own is still the instruction's; comment
/// lines stay lines of their own.
fn instructions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let comment = line.trim_start().starts_with('#');
        if open && comment {
            continue;
        }
        let body = line.trim_end();
        let (body, continues) = match body.strip_suffix('\\') {
            Some(body) if !comment => (body, true),
            _ => (body, false),
        };
        match out.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(body);
            }
            _ => out.push(body.to_string()),
        }
        open = continues;
    }
    out
}

/// The flag only BuildKit reads among the flags of a `COPY`, `ADD` or `RUN`
/// instruction: the words right after the keyword that start with `--`, up to the first
/// that does not (`RUN tar --exclude=x` is the shell's, not the builder's).
fn buildkit_flag(instruction: &str) -> Option<&'static str> {
    const FLAGS: [&str; 8] = [
        "--mount",
        "--chmod",
        "--link",
        "--network",
        "--security",
        "--parents",
        "--exclude",
        "--checksum",
    ];
    let mut words = instruction.split_whitespace();
    if !matches!(words.next(), Some("copy" | "add" | "run")) {
        return None;
    }
    for word in words.take_while(|w| w.starts_with("--")) {
        let name = word.split('=').next().unwrap_or(word);
        if let Some(flag) = FLAGS.iter().find(|f| **f == name) {
            return Some(flag);
        }
    }
    None
}

/// The engine's Unix socket, when deploy talks to one (`DOCKER_HOST` unset or
/// `unix://`): the only transport this module speaks.
pub fn socket() -> Option<PathBuf> {
    match std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()) {
        None => Some(PathBuf::from("/var/run/docker.sock")),
        Some(host) => host.strip_prefix("unix://").map(PathBuf::from),
    }
}

/// Longest silence from the engine (nothing read, or nothing it takes of the context)
/// before the build is given up: a `RUN` step printing nothing for that long, or a stuck
/// engine. The whole build is also bounded, by the classic builder's `REQUEST_TIMEOUT`.
const IDLE: Duration = Duration::from_secs(30 * 60);
/// Longest status or header line of the engine's answer, and longest chunk-size line.
const HEAD_LINE_MAX: u64 = 16 * 1024;
/// Longest JSON message of the answer (a trace message carries a step's log lines).
const MESSAGE_MAX: u64 = 32 * 1024 * 1024;

/// What the reading and writing threads tell the build.
enum Event {
    Line(String),
    Status(String),
    Failed(Failure),
    Done,
    /// Reading the context from the repository failed: the build cannot be right.
    ContextFailed(String),
    /// Sending the context failed (the engine closed the connection, often because it
    /// refused the build early): its own answer says why, when it gives one.
    SendFailed(String),
}

/// Builds `reference` from `context` with BuildKit through the socket at `socket`,
/// speaking API `api` (`1.41`).
pub async fn build(
    socket: PathBuf,
    api: String,
    context: Context,
    build: &Build,
    reference: &str,
    step: &Step,
) -> Result<(), Failure> {
    let image = build.repository();
    let mut query = vec![
        ("version", "2".to_string()),
        ("t", reference.to_string()),
        ("dockerfile", context.dockerfile.clone()),
        ("rm", "1".to_string()),
        ("forcerm", "1".to_string()),
    ];
    if !build.build_args.is_empty() {
        let args = serde_json::to_string(&build.build_args).unwrap_or_default();
        query.push(("buildargs", args));
    }
    if let Some(target) = &build.target {
        query.push(("target", target.clone()));
    }
    if let Some(platform) = &build.platform {
        query.push(("platform", platform.clone()));
    }
    if let Some(network) = &build.network {
        query.push(("networkmode", network.clone()));
    }
    let query: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::percent::encode(v.as_bytes(), b"")))
        .collect();
    let head = format!(
        "POST /v{api}/build?{} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        query.join("&")
    );
    let stream = UnixStream::connect(&socket)
        .map_err(|e| Failure::Docker(format!("{}: {e}", socket.display())))?;
    stream
        .set_read_timeout(Some(IDLE))
        .and_then(|()| stream.set_write_timeout(Some(IDLE)))
        .map_err(|e| Failure::Docker(format!("{}: {e}", socket.display())))?;
    let reader = stream
        .try_clone()
        .map_err(|e| Failure::Docker(format!("{}: {e}", socket.display())))?;
    let closer = stream
        .try_clone()
        .map_err(|e| Failure::Docker(format!("{}: {e}", socket.display())))?;
    // Ends the connection when the build is dropped (Ctrl-C, a failure).
    struct Close(UnixStream);
    impl Drop for Close {
        fn drop(&mut self) {
            let _ = self.0.shutdown(std::net::Shutdown::Both);
        }
    }
    let _close = Close(closer);

    let total = context.total_bytes;
    let sent = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let sent = sent.clone();
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut out = Chunked {
                inner: std::io::BufWriter::with_capacity(64 * 1024, stream),
                sent,
                broken: None,
            };
            let result = out
                .write_head(head.as_bytes())
                .map_err(anyhow::Error::from)
                .and_then(|()| context.write(&mut out))
                .and_then(|()| out.end().map_err(anyhow::Error::from));
            if let Err(e) = result {
                // Only what `Chunked` saw is the socket's; the rest is the repository's.
                let event = match out.broken.take() {
                    Some(socket) => Event::SendFailed(socket),
                    None => {
                        let _ = out.inner.get_ref().shutdown(std::net::Shutdown::Write);
                        Event::ContextFailed(format!("{e:#}"))
                    }
                };
                let _ = tx.send(event);
            }
        });
    }
    std::thread::spawn(move || read_answer(reader, &image, &tx));

    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let deadline = tokio::time::sleep(REQUEST_TIMEOUT);
    tokio::pin!(deadline);
    let mut answered = false;
    let mut send_failed = None;
    loop {
        let event = tokio::select! {
            event = rx.recv() => event,
            _ = tick.tick() => {
                if !answered {
                    step.bytes(sent.load(Ordering::Relaxed).min(total), total, "sending context");
                }
                continue;
            }
            () = &mut deadline => {
                return Err(Failure::Docker(format!(
                    "the Docker engine is not answering: the build ran longer than {} hours",
                    REQUEST_TIMEOUT.as_secs() / 3600
                )));
            }
        };
        match event {
            Some(Event::Line(line)) => step.line(&line),
            Some(Event::Status(status)) => step.status(&status),
            Some(Event::Done) => return Ok(()),
            Some(Event::ContextFailed(message)) => return Err(Failure::Git(message)),
            Some(Event::SendFailed(message)) => {
                send_failed = Some(message);
                continue;
            }
            // The engine's own word, also when sending the context failed before it.
            Some(Event::Failed(failure)) => return Err(failure),
            None => {
                return Err(Failure::Docker(match send_failed {
                    Some(message) => format!(
                        "the Docker engine closed the connection while the context was sent ({message})"
                    ),
                    None => "the engine ended the build without an image".into(),
                }));
            }
        }
        answered = true;
    }
}

/// The request body, in HTTP chunks.
struct Chunked {
    inner: std::io::BufWriter<UnixStream>,
    sent: Arc<AtomicU64>,
    /// The socket's error, when writing to it failed: the context reader's errors are
    /// the repository's, these the engine's.
    broken: Option<String>,
}

impl Chunked {
    fn write_head(&mut self, head: &[u8]) -> std::io::Result<()> {
        let result = self.inner.write_all(head);
        self.note(result)
    }

    fn end(&mut self) -> std::io::Result<()> {
        let result = self
            .inner
            .write_all(b"0\r\n\r\n")
            .and_then(|()| self.inner.flush());
        self.note(result)
    }

    fn note<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            self.broken.get_or_insert_with(|| match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => format!(
                    "the Docker engine is not answering: it took nothing of the context for {} minutes",
                    IDLE.as_secs() / 60
                ),
                _ => e.to_string(),
            });
        }
        result
    }
}

impl Write for Chunked {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let result = write!(self.inner, "{:x}\r\n", data.len())
            .and_then(|()| self.inner.write_all(data))
            .and_then(|()| self.inner.write_all(b"\r\n"));
        self.note(result)?;
        self.sent.fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.note(result)
    }
}

/// One line of the engine's answer, at most `max` bytes with its newline: an answer
/// is bounded like any input. `Ok(0)` at the end of the answer.
fn read_line_max(
    reader: &mut impl BufRead,
    max: u64,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    line.clear();
    let n = reader.take(max).read_until(b'\n', line)?;
    if n as u64 == max && line.last() != Some(&b'\n') {
        return Err(std::io::Error::other(format!(
            "a line of the Docker engine's answer is longer than {max} bytes"
        )));
    }
    Ok(n)
}

/// The one-line message for an error reading the engine's answer.
fn answer_error(e: &std::io::Error) -> Failure {
    Failure::Docker(match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => format!(
            "the Docker engine is not answering: nothing came for {} minutes",
            IDLE.as_secs() / 60
        ),
        _ => format!("reading the Docker engine's answer: {e}"),
    })
}

/// Reads the engine's answer and turns it into events.
fn read_answer(stream: UnixStream, image: &str, tx: &tokio::sync::mpsc::UnboundedSender<Event>) {
    let failed = |message: String| {
        Event::Failed(Failure::Build {
            image: image.to_string(),
            message: one_line(&message),
        })
    };
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut line = Vec::new();
    match read_line_max(&mut reader, HEAD_LINE_MAX, &mut line) {
        Ok(0) => {
            let _ = tx.send(Event::Failed(Failure::Docker(
                "the engine gave no answer to the build".into(),
            )));
            return;
        }
        Ok(_) => {}
        Err(e) => {
            let _ = tx.send(Event::Failed(answer_error(&e)));
            return;
        }
    }
    let code: u16 = String::from_utf8_lossy(&line)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut chunked = false;
    loop {
        match read_line_max(&mut reader, HEAD_LINE_MAX, &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = tx.send(Event::Failed(answer_error(&e)));
                return;
            }
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("transfer-encoding")
            && v.trim().eq_ignore_ascii_case("chunked")
        {
            chunked = true;
        }
    }
    let mut body: Box<dyn BufRead> = if chunked {
        Box::new(BufReader::new(Dechunk {
            inner: reader,
            left: 0,
            done: false,
        }))
    } else {
        Box::new(reader)
    };
    if code != 200 {
        let mut text = String::new();
        let _ = body.take(64 * 1024).read_to_string(&mut text);
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or(text);
        let _ = tx.send(failed(message));
        return;
    }
    let mut trace = Trace::default();
    loop {
        match read_line_max(&mut body, MESSAGE_MAX, &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = tx.send(Event::Failed(answer_error(&e)));
                return;
            }
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&line) else {
            continue;
        };
        if let Some(message) = value
            .get("errorDetail")
            .and_then(|d| d.get("message"))
            .or_else(|| value.get("error"))
            .and_then(|m| m.as_str())
        {
            let _ = tx.send(failed(message.to_string()));
            return;
        }
        match value.get("id").and_then(|i| i.as_str()) {
            Some("moby.buildkit.trace") => {
                let Some(data) = value
                    .get("aux")
                    .and_then(|a| a.as_str())
                    .and_then(|a| base64::engine::general_purpose::STANDARD.decode(a).ok())
                else {
                    continue;
                };
                for event in trace.read(&data) {
                    let _ = tx.send(event);
                }
            }
            Some("moby.image.id") => {
                let _ = tx.send(Event::Done);
                return;
            }
            _ => {
                if let Some(text) = value.get("stream").and_then(|s| s.as_str()) {
                    for l in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                        let _ = tx.send(Event::Line(l.to_string()));
                    }
                }
            }
        }
    }
}

/// An HTTP chunked body.
struct Dechunk<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Dechunk<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut size = Vec::new();
            while size.trim_ascii().is_empty() {
                if read_line_max(&mut self.inner, HEAD_LINE_MAX, &mut size)? == 0 {
                    self.done = true;
                    return Ok(0);
                }
            }
            return self.read_size(&String::from_utf8_lossy(&size), buf);
        }
        self.read_data(buf)
    }
}

impl<R: BufRead> Dechunk<R> {
    fn read_size(&mut self, line: &str, buf: &mut [u8]) -> std::io::Result<usize> {
        let hex = line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(hex, 16)
            .map_err(|_| std::io::Error::other("a bad chunk in the engine's answer"))?;
        if size == 0 {
            self.done = true;
            return Ok(0);
        }
        self.left = size;
        self.read_data(buf)
    }

    fn read_data(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.done = true;
            return Ok(0);
        }
        self.left -= n;
        if self.left == 0 {
            read_line_max(&mut self.inner, HEAD_LINE_MAX, &mut Vec::new())?;
        }
        Ok(n)
    }
}

/// What the progress messages said so far: vertex names by digest, already shown.
#[derive(Default)]
struct Trace {
    started: std::collections::BTreeSet<String>,
}

impl Trace {
    /// The events of one `StatusResponse`: a line per vertex when it starts (its name)
    /// and when it fails, and the lines of its logs.
    fn read(&mut self, data: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for (field, value) in fields(data) {
            match (field, value) {
                (1, Wire::Bytes(vertex)) => {
                    let (mut digest, mut name, mut error, mut cached) =
                        (String::new(), String::new(), String::new(), false);
                    for (f, v) in fields(vertex) {
                        match (f, v) {
                            (1, Wire::Bytes(b)) => digest = String::from_utf8_lossy(b).into(),
                            (3, Wire::Bytes(b)) => name = String::from_utf8_lossy(b).into(),
                            (4, Wire::Varint(v)) => cached = v != 0,
                            (7, Wire::Bytes(b)) => error = String::from_utf8_lossy(b).into(),
                            _ => {}
                        }
                    }
                    if !name.is_empty() && self.started.insert(digest) {
                        let shown = crate::escape::escape(&name).into_owned();
                        events.push(Event::Line(if cached {
                            format!("{shown} (cached)")
                        } else {
                            shown.clone()
                        }));
                        events.push(Event::Status(shown));
                    }
                    if !error.is_empty() {
                        events.push(Event::Line(crate::escape::escape(&error).into_owned()));
                    }
                }
                (3, Wire::Bytes(log)) => {
                    for (f, v) in fields(log) {
                        if let (4, Wire::Bytes(msg)) = (f, v) {
                            for l in String::from_utf8_lossy(msg).lines() {
                                let l = l.trim_end();
                                if !l.is_empty() {
                                    events.push(Event::Line(crate::escape::escape(l).into_owned()));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        events
    }
}

enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

/// The fields of a protobuf message, as far as they can be read.
fn fields(mut data: &[u8]) -> Vec<(u64, Wire<'_>)> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let Some((key, rest)) = varint(data) else {
            break;
        };
        data = rest;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                let Some((v, rest)) = varint(data) else { break };
                data = rest;
                out.push((field, Wire::Varint(v)));
            }
            1 => {
                if data.len() < 8 {
                    break;
                }
                data = &data[8..];
                out.push((field, Wire::Other));
            }
            2 => {
                let Some((len, rest)) = varint(data) else {
                    break;
                };
                let Ok(len) = usize::try_from(len) else { break };
                if rest.len() < len {
                    break;
                }
                out.push((field, Wire::Bytes(&rest[..len])));
                data = &rest[len..];
            }
            5 => {
                if data.len() < 4 {
                    break;
                }
                data = &data[4..];
                out.push((field, Wire::Other));
            }
            _ => break,
        }
    }
    out
}

fn varint(data: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, byte) in data.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &data[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfiles_that_need_buildkit() {
        assert!(needs(b"FROM x\nCOPY --chmod=755 a /a\n").is_some());
        assert!(needs(b"FROM x\nRUN --mount=type=cache,target=/c true\n").is_some());
        assert!(needs(b"# syntax=docker/dockerfile:1\nFROM x\n").is_some());
        assert!(needs(b"FROM x\nRUN <<EOF\necho\nEOF\n").is_some());
        assert!(needs(b"FROM x\nCOPY a /a\nRUN make\n").is_none());
        assert!(needs(b"# a comment\nFROM x\n").is_none());
        assert!(needs(b"FROM x\nRUN tar --exclude=.git -cf a.tar .\n").is_none());
        assert_eq!(
            needs(b"FROM x\nRUN \\\n  # cache\n  --mount=type=cache,target=/c \\\n  make\n")
                .as_deref(),
            Some("`--mount`")
        );
        assert!(needs(b"FROM x\nRUN make \\\n  --exclude=x\n").is_none());
        assert!(needs(b"FROM x\nRUN curl --network x\n").is_none());
        assert!(
            needs(b"FROM x\nCOPY a --link /a\n").is_none(),
            "after the first argument, not a flag"
        );
        assert!(needs(b"FROM x\nRUN echo --mount=x\n").is_none());
        assert_eq!(
            needs(b"FROM x\nCOPY --link a /a\n").as_deref(),
            Some("`--link`")
        );
        assert_eq!(
            needs(b"FROM x\nADD --chown=1 --checksum=sha256:00 u /u\n").as_deref(),
            Some("`--checksum`")
        );
        assert_eq!(
            needs(b"FROM x\nrun --network=none true\n").as_deref(),
            Some("`--network`")
        );
        assert!(
            needs(b"FROM x\nCOPY --chown=1:1 a /a\n").is_none(),
            "the classic builder reads --chown"
        );
    }

    /// What `read_answer` reports for `answer` sent by a stand-in engine over a socket
    /// pair; `wait` keeps the engine's end open and silent afterwards.
    fn answer_of(answer: &[u8], wait: bool) -> String {
        let (engine, ours) = UnixStream::pair().unwrap();
        ours.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut engine = engine;
        let answer = answer.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = engine.write_all(&answer);
            if wait {
                std::thread::sleep(Duration::from_secs(2));
            }
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        read_answer(ours, "img", &tx);
        drop(tx);
        writer.join().unwrap();
        let mut said = Vec::new();
        while let Ok(event) = rx.try_recv() {
            said.push(match event {
                Event::Failed(Failure::Docker(m)) => format!("docker: {m}"),
                Event::Failed(Failure::Build { message, .. }) => format!("build: {message}"),
                Event::Done => "done".into(),
                _ => "other".into(),
            });
        }
        said.join("\n")
    }

    #[test]
    fn an_engine_answer_is_bounded_in_time_and_size() {
        let silent = answer_of(b"HTTP/1.1 200 OK\r\n", true);
        assert!(
            silent.starts_with("docker: the Docker engine is not answering"),
            "{silent}"
        );
        let long_status = answer_of(&vec![b'H'; 100_000], true);
        assert!(
            long_status.contains("longer than 16384 bytes"),
            "{long_status}"
        );
        let mut long_size = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        long_size.extend(vec![b'0'; 100_000]);
        let long_size = answer_of(&long_size, true);
        assert!(long_size.contains("longer than 16384 bytes"), "{long_size}");
        let refused = answer_of(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 22\r\n\r\n{\"message\":\"no way\"}\n",
            false,
        );
        assert_eq!(refused, "build: no way");
        let built = answer_of(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n17\r\n{\"id\":\"moby.image.id\"}\n\r\n0\r\n\r\n",
            false,
        );
        assert_eq!(built, "done");
    }

    #[test]
    fn a_closed_socket_is_the_engines_error_not_the_repositorys() {
        let (engine, ours) = UnixStream::pair().unwrap();
        drop(engine);
        let mut out = Chunked {
            inner: std::io::BufWriter::with_capacity(16, ours),
            sent: Arc::new(AtomicU64::new(0)),
            broken: None,
        };
        assert!(
            out.write_all(&[0; 1024])
                .and_then(|()| out.flush())
                .is_err()
        );
        assert!(
            out.broken.is_some(),
            "a socket error is recorded as the engine's"
        );
    }

    #[test]
    fn a_trace_message_decodes() {
        // The first message of a real build: a vertex with a digest and a name.
        let data = base64::engine::general_purpose::STANDARD
            .decode("Cm8KR3NoYTI1NjpjMGMxNTI1ODM5OWRhODBjN2NiY2FmNGFmNmIyY2FhMTQwMzJlMWUwYjE3Zjc3YTE1MDcxYzBiYmNjODFiMWIwGiRbaW50ZXJuYWxdIGxvYWQgcmVtb3RlIGJ1aWxkIGNvbnRleHQ=")
            .unwrap();
        let events = Trace::default().read(&data);
        assert!(
            matches!(&events[0], Event::Line(l) if l == "[internal] load remote build context")
        );
    }
}
