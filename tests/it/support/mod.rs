//! Real git repositories in temporary directories, driven by the `git` CLI and the real
//! pachhook binary, isolated from the machine's git configuration and hooks.
#![allow(dead_code)] // each test file uses a part of it

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

pub const PACHHOOK: &str = env!("CARGO_BIN_EXE_pachhook");

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
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo {
            dir,
            home: self.path().to_path_buf(),
        };
        let mut args = vec!["init", "-q", "-b", "main"];
        args.extend_from_slice(init_args);
        repo.git(&args);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo
    }
}

/// A work tree, and the home directory its commands see.
#[derive(Clone)]
pub struct Repo {
    pub dir: PathBuf,
    pub home: PathBuf,
}

impl Repo {
    /// Another directory of the same repository (a linked worktree, a subdirectory).
    pub fn at(&self, dir: impl Into<PathBuf>) -> Repo {
        Repo {
            dir: dir.into(),
            home: self.home.clone(),
        }
    }

    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("NO_COLOR", "1")
            .env("GIT_EDITOR", "true")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("PACHHOOK")
            .env_remove("PACHHOOK_SKIP")
            .env_remove("PACHHOOK_MISSING");
        cmd
    }

    /// A git command with extra environment; its output, whatever its status.
    pub fn git_env(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
        let mut cmd = self.command("git");
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(cmd, stdin)
    }

    /// A git command that must succeed; its standard output.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_env(args, &[], None);
        assert!(
            out.status.success(),
            "git {args:?} failed in {}:\n{}{}",
            self.dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A git command that may fail (a commit a hook refuses).
    pub fn try_git(&self, args: &[&str]) -> Output {
        self.git_env(args, &[], None)
    }

    pub fn pachhook(&self, args: &[&str]) -> Output {
        self.pachhook_env(args, &[], None)
    }

    pub fn pachhook_env(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
        let mut cmd = self.command(PACHHOOK);
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(cmd, stdin)
    }

    pub fn write(&self, path: &str, text: &str) {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(path)).unwrap()
    }

    /// `git commit` of everything staged plus `paths`, which must succeed.
    /// Whether the repository has the branch `name`.
    pub fn has_branch(&self, name: &str) -> bool {
        let reference = format!("refs/heads/{name}");
        self.try_git(&["rev-parse", "--verify", "-q", &reference])
            .status
            .success()
    }

    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
    }

    /// The hooks directory git uses for this repository.
    pub fn hooks_dir(&self) -> PathBuf {
        let dir = self.git(&["rev-parse", "--path-format=absolute", "--git-path", "hooks"]);
        PathBuf::from(dir.trim())
    }

    /// Installs pachhook's hooks, which must succeed.
    pub fn install(&self) {
        let out = self.pachhook(&["install"]);
        assert_eq!(code(&out), 0, "install failed: {}", text(&out));
    }
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(input) = stdin {
        use std::io::Write;
        // A command may exit without reading it all (PACHHOOK=0): a broken pipe is fine.
        let mut pipe = child.stdin.take().expect("stdin");
        if let Err(e) = pipe.write_all(input.as_bytes()) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing stdin: {e}"
            );
        }
        drop(pipe);
    }
    child.wait_with_output().expect("wait")
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// Standard output and standard error together, as a user reads them.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
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
