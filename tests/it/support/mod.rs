//! The helpers every integration test shares: real git repositories in temporary
//! directories, driven by the `git` CLI and the real pachhook binary, isolated from the
//! machine's git configuration and hooks; every command's result as one `Run`. The
//! deploy tests' Docker engine, registries and pachctl stand-in are in `docker`.
#![allow(dead_code)] // each test file uses a part of it

mod consumers;
mod docker;
mod needs;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub use consumers::*;
pub use docker::*;
pub use needs::*;

pub const PACHHOOK: &str = env!("CARGO_BIN_EXE_pachhook");
/// The same binary, under the name the deploy tests used.
pub const BIN: &str = PACHHOOK;

/// How long any command of a test may run before the test fails.
const LIMIT: Duration = Duration::from_secs(600);

/// A spec every rule accepts.
pub const GOOD: &str = r#"{
  "pipeline": {"name": "edges"},
  "description": "A pipeline that finds edges in images.",
  "transform": {
    "cmd": ["python3", "/edges.py"],
    "image": "pachyderm/opencv:1.0.0"
  },
  "input": {"pfs": {"repo": "images", "glob": "/*"}}
}
"#;

/// A spec pachctl cannot read: the JSON stops in the middle.
pub const BAD: &str = r#"{
  "pipeline": {"name": "edges"},
  "transform": {"image": "pachyderm/opencv:1.0.0",
"#;

/// A directory holding test repositories; removed when dropped.
pub struct Sandbox {
    pub tmp: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// `git init` of a new repository at `name` inside the sandbox, with an identity.
    pub fn repo(&self, name: &str) -> Repo {
        self.repo_with(name, &[])
    }

    pub fn repo_with(&self, name: &str, init_args: &[&str]) -> Repo {
        Repo::init(
            self.path().join(name),
            self.path().to_path_buf(),
            None,
            init_args,
        )
    }
}

/// A work tree, the home directory its commands see, and a scratch directory (`aux`:
/// the Docker configuration, the pachctl stand-in's log, programs a test writes).
#[derive(Clone)]
pub struct Repo {
    pub dir: PathBuf,
    pub home: PathBuf,
    pub aux: Arc<TempDir>,
    /// The temporary directory of a repository made by `Repo::new`, kept while it lives.
    owned: Option<Arc<TempDir>>,
}

impl Repo {
    /// A new repository in its own temporary directory (on branch `main`).
    pub fn new() -> Repo {
        Repo::new_with(&[])
    }

    /// `Repo::new` with more `git init` arguments (`--bare` for a remote).
    pub fn new_with(init_args: &[&str]) -> Repo {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        Repo::init(root.join("repo"), root, Some(Arc::new(tmp)), init_args)
    }

    fn init(dir: PathBuf, home: PathBuf, owned: Option<Arc<TempDir>>, init_args: &[&str]) -> Repo {
        std::fs::create_dir_all(&dir).expect("repository directory");
        let repo = Repo {
            dir,
            home,
            aux: Arc::new(tempfile::tempdir().expect("temp dir")),
            owned,
        };
        std::fs::create_dir_all(repo.docker_config()).expect("docker config dir");
        let mut args = vec!["init", "-q", "-b", "main"];
        args.extend_from_slice(init_args);
        repo.git(&args);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// Another directory of the same repository (a linked worktree, a subdirectory).
    pub fn at(&self, dir: impl Into<PathBuf>) -> Repo {
        Repo {
            dir: dir.into(),
            ..self.clone()
        }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The Docker configuration every command of the repository sees (empty unless a
    /// test writes one), so no test reads the machine's credentials.
    pub fn docker_config(&self) -> PathBuf {
        self.aux.path().join("docker")
    }

    /// Where the pachctl stand-in records its calls.
    pub fn pachctl_log(&self) -> PathBuf {
        self.aux.path().join("pachctl.log")
    }

    /// A command run in the work tree, isolated from the machine as `isolated` is, with
    /// the repository's home, the test's Docker configuration and pachctl log.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = isolated(program);
        cmd.current_dir(&self.dir)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("DOCKER_CONFIG", self.docker_config())
            .env("PACHCTL_LOG", self.pachctl_log())
            .env("PATH", test_path());
        cmd
    }

    /// A git command with extra environment and standard input, whatever its status.
    pub fn git_env(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
        let mut cmd = self.command("git");
        cmd.args(args).envs(env.iter().copied());
        run_with(cmd, stdin, LIMIT)
    }

    /// A git command that must succeed; its standard output, without the final newline.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_env(args, &[], None);
        assert!(
            out.code == Some(0),
            "git {args:?} failed in {}:\n{out}",
            self.dir.display()
        );
        out.stdout.trim_end().to_string()
    }

    /// A git command that may fail (a commit a hook refuses).
    pub fn try_git(&self, args: &[&str]) -> Run {
        self.git_env(args, &[], None)
    }

    pub fn pachhook(&self, args: &[&str]) -> Run {
        self.pachhook_env(args, &[], None)
    }

    pub fn pachhook_env(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
        let mut cmd = self.command(PACHHOOK);
        cmd.args(args).envs(env.iter().copied());
        run_with(cmd, stdin, LIMIT)
    }

    /// `pachhook` without a controlling terminal (`setsid`), as from a GUI client or a
    /// script, whatever terminal the tests run in.
    pub fn pachhook_setsid(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command("setsid");
        cmd.arg("--wait").arg(PACHHOOK).args(args);
        run_with(cmd, stdin, LIMIT)
    }

    pub fn write(&self, path: &str, text: &str) {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a file in the repository")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    pub fn read(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(path)).expect("read")
    }

    /// Whether the repository has the branch `name`.
    pub fn has_branch(&self, name: &str) -> bool {
        let reference = format!("refs/heads/{name}");
        self.try_git(&["rev-parse", "--verify", "-q", &reference])
            .code
            == Some(0)
    }

    /// `git add -A` and a commit (hooks skipped) that must succeed; the commit's id.
    pub fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// The hooks directory git uses for this repository.
    pub fn hooks_dir(&self) -> PathBuf {
        let dir = self.git(&["rev-parse", "--path-format=absolute", "--git-path", "hooks"]);
        PathBuf::from(dir)
    }

    /// Installs pachhook's hooks, which must succeed.
    pub fn install(&self) {
        let out = self.pachhook(&["install"]);
        assert_eq!(code(&out), 0, "install failed: {out}");
    }
}

/// A scratch directory of this test process, outside any repository: the working
/// directory and home of `isolated` commands. Created once, left in the system's
/// temporary directory (tests that need their own use `Repo` or a `TempDir`).
pub fn scratch() -> &'static Path {
    static SCRATCH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pachhook-it-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("home")).expect("scratch directory");
        dir
    })
}

/// A command isolated from the machine and from whoever runs the tests: its working
/// directory and home are a scratch directory outside any repository (so neither the
/// project's nor a developer's `pachhook.toml`/`pachhook.local.toml` applies), no global
/// or system git configuration (`commit.gpgsign`, `core.hooksPath`, `core.autocrlf` of
/// the machine change nothing), none of git's variables (the tests may run inside a git
/// hook, which sets `GIT_DIR` and `GIT_INDEX_FILE`), none of pachhook's or the pachctl
/// stand-in's variables, and no colour. Tests set what they need on top.
pub fn isolated(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if ["GIT_", "PACHHOOK", "PACHCTL_", "CLICOLOR"]
            .iter()
            .any(|prefix| name_text.starts_with(prefix))
        {
            cmd.env_remove(&name);
        }
    }
    let home = scratch().join("home");
    cmd.current_dir(scratch())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NO_COLOR", "1")
        .env("GIT_EDITOR", "true");
    cmd
}

/// The project's own directory (fixtures, examples, scripts), as an absolute path.
pub fn project(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The pachctl stand-in as `pachhook.toml` names it: the command `pachctl` on the
/// `PATH` every command of a test repository gets (`test_path`), as the team's file
/// may name only a command, never a path.
pub fn pachctl() -> String {
    "pachctl".to_string()
}

/// The directory of the pachctl stand-in (tests/it/support/pachctl).
pub fn pachctl_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support")
}

/// `PATH` with the pachctl stand-in's directory first.
pub fn test_path() -> String {
    format!(
        "{}:{}",
        pachctl_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// What a command did: its exit code (`None` when a signal ended it), its output as
/// text, and how long it took.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Standard output, then standard error, on separate lines.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A finished command as tests read it: a `Run`, or the `Output` of a `Command` a test
/// ran itself.
pub trait Outcome {
    /// The exit code; -1 when a signal ended the command.
    fn code(&self) -> i32;
    /// Standard output and standard error together, as a user reads them.
    fn text(&self) -> String;
}

impl Outcome for Run {
    fn code(&self) -> i32 {
        self.code.unwrap_or(-1)
    }

    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Outcome for Output {
    fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    fn text(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

pub fn code(out: &impl Outcome) -> i32 {
    out.code()
}

/// Standard output and standard error together, as a user reads them.
pub fn text(out: &impl Outcome) -> String {
    out.text()
}

/// `pachhook check <args> --format json` run in `dir`, with none of pachhook's
/// variables set: the exit code and the parsed report. A panic, or output that is not a
/// JSON report, fails the test.
pub fn check_json<S: AsRef<OsStr>>(
    dir: &Path,
    args: impl IntoIterator<Item = S>,
) -> (i32, serde_json::Value) {
    let mut cmd = isolated(PACHHOOK);
    cmd.current_dir(dir)
        .arg("check")
        .args(args)
        .args(["--format", "json"]);
    let out = run(cmd, LIMIT);
    assert!(
        !out.stderr.contains("panicked"),
        "pachhook panicked:\n{out}"
    );
    let report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}):\n{out}"));
    (code(&out), report)
}

/// Runs a command to completion with no standard input, killing it after `limit`.
pub fn run(command: Command, limit: Duration) -> Run {
    run_with(command, None, limit)
}

/// Runs a command to completion, giving it `stdin` (or nothing), killing it after
/// `limit`.
pub fn run_with(mut command: Command, stdin: Option<&str>, limit: Duration) -> Run {
    let start = Instant::now();
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    if let Some(input) = stdin {
        // A command may exit without reading it all (PACHHOOK=0): a broken pipe is fine.
        let mut pipe = child.stdin.take().expect("stdin");
        if let Err(e) = pipe.write_all(input.as_bytes()) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing stdin: {e}"
            );
        }
    }
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("command did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        stdout: out_thread.join().unwrap_or_default(),
        stderr: err_thread.join().unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}

/// Runs a command whose program was just copied by this test process. Until every
/// process forked meanwhile by another test thread has exec'd, one of them may still
/// hold the copy's write descriptor, and Linux refuses to run it ("Text file busy"):
/// retry that error only.
pub fn output_of_copied(command: &mut Command) -> Output {
    for _ in 0..100 {
        match command.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.expect("run the copied program"),
        }
    }
    panic!("the copied program stayed busy (ETXTBSY) for two seconds");
}
