//! The deploy tests' outside world: the real Docker engine and registries that
//! `scripts/services.sh` starts, what the recording pachctl stand-in logged, and a
//! repository with managed pipelines.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use super::{Repo, Run, pachctl};

/// The services the tests drive, from the environment that `scripts/services.sh` prints.
pub struct Services {
    pub registry: String,
    pub auth_registry: String,
    pub user: String,
    pub password: String,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// The Docker engine and registries. Without them the test fails, unless the developer
/// skips the Docker tests on purpose (`PACHHOOK_TEST_SKIP=docker`, `support::needs`).
pub fn services() -> Option<Services> {
    let services = Services {
        registry: env_or("PACHHOOK_REGISTRY", "127.0.0.1:5000"),
        auth_registry: env_or("PACHHOOK_AUTH_REGISTRY", "127.0.0.1:5001"),
        user: env_or("PACHHOOK_REGISTRY_USER", "pachhook"),
        password: env_or("PACHHOOK_REGISTRY_PASSWORD", "pachhook-test-pw"),
    };
    let docker = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !docker {
        return super::missing(
            "docker",
            "no Docker engine answers",
            "run scripts/services.sh as root (scripts/test.sh does), which installs and starts it",
        );
    }
    for (addr, expect) in [(&services.registry, 200), (&services.auth_registry, 401)] {
        let status = http(addr, "GET", "/v2/", &[]).map(|r| r.status);
        assert_eq!(
            status,
            Some(expect),
            "registry {addr} is not up as expected: run scripts/services.sh as root"
        );
    }
    Some(services)
}

/// A name no other test (or earlier run) has pushed.
pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("pachhook-test/{name}-{}-{nanos}", std::process::id())
}

impl Repo {
    /// The calls the pachctl stand-in recorded, in order.
    pub fn calls(&self) -> Vec<Call> {
        parse_calls(&std::fs::read_to_string(self.pachctl_log()).unwrap_or_default())
    }

    /// The deploy record (`refs/notes/pachhook`) of `rev`, when it has one.
    pub fn note(&self, rev: &str) -> Option<serde_json::Value> {
        let out = self.try_git(&["notes", "--ref", "pachhook", "show", rev]);
        (out.code == Some(0)).then(|| serde_json::from_str(&out.stdout).expect("the note is JSON"))
    }
}

impl Repo {
    /// What git tells the acceptance hook once `origin` accepted a push of `branch`
    /// from `old` (empty: a new branch) to `new`: the `committed` update of
    /// `refs/remotes/origin/<branch>`, given to `pachhook run reference-transaction`.
    pub fn accept(&self, branch: &str, old: &str, new: &str, env: &[(&str, &str)]) -> Run {
        let zero = "0".repeat(40);
        let old = if old.is_empty() { zero.as_str() } else { old };
        self.pachhook_env(
            &["run", "reference-transaction", "committed"],
            env,
            Some(&format!("{old} {new} refs/remotes/origin/{branch}\n")),
        )
    }

    /// Adds a remote `origin` (that no test pushes to) when the repository has none, so
    /// that a pre-push hook run by hand to `origin` can wait for its acceptance.
    pub fn with_origin(&self) {
        if self.try_git(&["remote", "get-url", "origin"]).code != Some(0) {
            self.git(&["remote", "add", "origin", "/nonexistent/origin.git"]);
        }
    }
}

/// One recorded pachctl call.
#[derive(Debug)]
pub struct Call {
    pub argv: String,
    pub context: String,
    pub spec: serde_json::Value,
}

fn parse_calls(log: &str) -> Vec<Call> {
    log.split("=== call\n")
        .filter(|r| !r.trim().is_empty())
        .map(|record| {
            let record = record.trim_end().trim_end_matches("=== end");
            let mut lines = record.splitn(4, '\n');
            let argv = lines
                .next()
                .unwrap_or("")
                .trim_start_matches("argv: ")
                .to_string();
            let context = lines
                .next()
                .unwrap_or("")
                .trim_start_matches("PACH_CONTEXT: ")
                .to_string();
            let _stdin = lines.next();
            let spec = serde_json::from_str(lines.next().unwrap_or("")).expect("pachctl got JSON");
            Call {
                argv,
                context,
                spec,
            }
        })
        .collect()
}

pub struct Response {
    pub status: u16,
    pub headers: String,
}

/// A bare HTTP/1.0 request to a registry on this machine.
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Option<Response> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    let head = text.split("\r\n\r\n").next().unwrap_or("").to_string();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Response {
        status,
        headers: head,
    })
}

/// The digest the registry holds for `name:tag`, or `None` when it has no such tag.
pub fn manifest_digest(
    registry: &str,
    name: &str,
    tag: &str,
    auth: Option<(&str, &str)>,
) -> Option<String> {
    let basic = auth.map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes())));
    let mut headers = vec![(
        "Accept",
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    )];
    if let Some(b) = &basic {
        headers.push(("Authorization", b.as_str()));
    }
    let response = http(
        registry,
        "HEAD",
        &format!("/v2/{name}/manifests/{tag}"),
        &headers,
    )?;
    if response.status != 200 {
        return None;
    }
    response.headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("docker-content-digest")
            .then(|| v.trim().to_string())
    })
}

pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs")
}

/// The content of `path` inside the image `reference`, pulled fresh from the registry
/// (the local copy is removed first), or `None` when the image has no such file.
pub fn file_in_pulled_image(reference: &str, path: &str) -> Option<String> {
    let _ = docker(&["rmi", "-f", reference]);
    let pull = docker(&["pull", "-q", reference]);
    assert!(
        pull.status.success(),
        "docker pull {reference}: {}",
        String::from_utf8_lossy(&pull.stderr)
    );
    file_in_image(reference, path)
}

/// The content of `path` in a local image, or `None` when it has no such file.
pub fn file_in_image(reference: &str, path: &str) -> Option<String> {
    let created = docker(&["create", reference, "/none"]);
    assert!(
        created.status.success(),
        "docker create {reference}: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    let id = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let out = tempfile::tempdir().expect("temp dir");
    let dest = out.path().join("copied");
    let copied = docker(&["cp", &format!("{id}:{path}"), &dest.to_string_lossy()]);
    let _ = docker(&["rm", "-f", &id]);
    if !copied.status.success() {
        return None;
    }
    Some(std::fs::read_to_string(dest).expect("copied file is text"))
}

/// A fresh repository from `two_pipelines` whose image lives in `registry` under a name
/// no other test uses: (repository, image, that name).
pub fn managed_repo(registry: &str, name: &str, extra_config: &str) -> (Repo, String, String) {
    let name = unique(name);
    let image = format!("{registry}/{name}");
    let repo = Repo::new();
    two_pipelines(&repo, &image, extra_config);
    (repo, image, name)
}

/// A repository with two managed pipelines (montage reads edges' output, and is written
/// first in file order) served by one image built from `images/edges`.
pub fn two_pipelines(repo: &Repo, image: &str, extra_config: &str) {
    repo.write(
        "pachhook.toml",
        &format!(
            "[[build]]\nimage = \"{image}\"\ncontext = \"images/edges\"\n\n[deploy]\nenabled = true\npachctl = \"{}\"\ncontext = \"test-cluster\"\n{extra_config}\n",
            pachctl()
        ),
    );
    repo.write(
        "images/edges/Dockerfile",
        "FROM scratch\nCOPY message.txt /message.txt\n",
    );
    repo.write("images/edges/message.txt", "committed\n");
    repo.write(
        "pipelines/a_montage.json",
        &format!(
            r#"{{
  "pipeline": {{"name": "montage"}},
  "description": "reads the output of edges",
  "transform": {{"image": "{image}", "cmd": ["/montage"]}},
  "input": {{"cross": [{{"pfs": {{"repo": "edges", "glob": "/"}}}}, {{"pfs": {{"repo": "images", "glob": "/"}}}}]}}
}}
"#
        ),
    );
    repo.write(
        "pipelines/b_edges.json",
        &format!(
            r#"{{
  "pipeline": {{"name": "edges"}},
  "transform": {{"image": "{image}:dev", "cmd": ["/edges"], "env": {{"MODE": "fast"}}}},
  "input": {{"pfs": {{"repo": "images", "glob": "/*"}}}},
  "parallelism_spec": {{"constant": 2}}
}}
"#
        ),
    );
}
