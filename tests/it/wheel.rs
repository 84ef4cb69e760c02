//! The Python wheel (`pyproject.toml`, maturin's `bin` bindings): built as pip, pipx, uv
//! and pre-commit's `language: python` hook build it, installed into a fresh virtual
//! environment with no Rust toolchain on PATH, and run. The build uses `pyproject.toml`'s
//! settings (`locked = true`: the versions of Cargo.lock) with the `dev` profile and this
//! checkout's target directory, so the test costs seconds, not a second build of every
//! crate on CI's two cores; the release wheel differs only in the profile.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{Run, Sandbox, consumers, python, run};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn maturin() -> PathBuf {
    consumers().join("venv/bin/maturin")
}

fn ok(run: &Run) {
    assert_eq!(run.code, Some(0), "{run}");
}

/// Builds the wheel into `out` and returns its path.
fn build_wheel(out: &Path) -> PathBuf {
    let mut build = Command::new(maturin());
    build
        .args(["build", "--profile", "dev", "--out"])
        .arg(out)
        .current_dir(ROOT);
    ok(&run(build, Duration::from_secs(1800)));
    let wheels: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    wheels.into_iter().next().unwrap()
}

/// A file of the wheel (a zip archive), read with Python's zipfile.
fn read_from_wheel(wheel: &Path, name: &str) -> String {
    let mut py = Command::new(python());
    py.args([
        "-c",
        "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())",
    ])
    .arg(wheel)
    .arg(name);
    let out = run(py, Duration::from_secs(60));
    ok(&out);
    out.stdout
}

#[test]
fn the_wheel_installs_a_working_pachhook_with_the_locked_dependencies() {
    let sandbox = Sandbox::new();
    let wheel = build_wheel(&sandbox.path().join("dist"));
    let version = env!("CARGO_PKG_VERSION");
    let name = wheel.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with(&format!("pachhook-{version}-py3-none-")),
        "{name}"
    );

    // A fresh virtual environment; PATH without cargo or rustc.
    let venv = sandbox.path().join("venv");
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(&venv);
    ok(&run(create, Duration::from_secs(120)));
    let mut install = Command::new(venv.join("bin/python"));
    install
        .args(["-m", "pip", "install", "--no-index", "--no-deps", "-q"])
        .arg(&wheel);
    ok(&run(install, Duration::from_secs(300)));
    let mut pachhook = crate::support::isolated(venv.join("bin/pachhook"));
    pachhook.arg("--version").env(
        "PATH",
        format!("{}:/usr/bin:/bin", venv.join("bin").display()),
    );
    let out = run(pachhook, Duration::from_secs(60));
    ok(&out);
    assert_eq!(out.stdout.trim(), format!("pachhook {version}"));
    let mut check = crate::support::isolated(venv.join("bin/pachhook"));
    check
        .args(["check", "examples/pipelines/edges.json"])
        .current_dir(ROOT);
    ok(&run(check, Duration::from_secs(60)));

    // Which versions were built: the wheel's SBOM (CycloneDX, written by maturin) names
    // every crate compiled into the binary; each is Cargo.lock's version.
    let sbom: serde_json::Value = serde_json::from_str(&read_from_wheel(
        &wheel,
        &format!("pachhook-{version}.dist-info/sboms/pachhook.cyclonedx.json"),
    ))
    .unwrap();
    let lock: toml::Table =
        toml::from_str(&std::fs::read_to_string(Path::new(ROOT).join("Cargo.lock")).unwrap())
            .expect("Cargo.lock is TOML");
    let locked: Vec<(String, String)> = lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let built = sbom["components"].as_array().unwrap();
    assert!(built.len() > 100, "{} components", built.len());
    for component in built {
        let pair = (
            component["name"].as_str().unwrap().to_string(),
            component["version"].as_str().unwrap().to_string(),
        );
        assert!(
            locked.contains(&pair),
            "{pair:?} is not Cargo.lock's version"
        );
    }
    for name in ["clap", "git2", "serde_json"] {
        assert!(
            built.iter().any(|c| c["name"] == name),
            "{name} missing from the SBOM"
        );
    }
}

#[test]
fn building_from_source_refuses_a_lock_file_that_is_out_of_date() {
    // What pip runs for pre-commit's `language: python` hook (`pip install .`): the
    // build backend reads pyproject.toml's `locked = true`. With a Cargo.lock that does
    // not match Cargo.toml, the build stops instead of resolving newer versions.
    let sandbox = Sandbox::new();
    let copy = sandbox.path().join("pachhook");
    std::fs::create_dir_all(&copy).unwrap();
    for file in [
        "Cargo.toml",
        "pyproject.toml",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        std::fs::copy(Path::new(ROOT).join(file), copy.join(file)).unwrap();
    }
    let mut cp = Command::new("cp");
    cp.args(["-r", "src"])
        .arg(copy.join("src"))
        .current_dir(ROOT);
    ok(&run(cp, Duration::from_secs(60)));
    let lock = std::fs::read_to_string(Path::new(ROOT).join("Cargo.lock")).unwrap();
    let stale = lock.replacen("name = \"strsim\"", "name = \"strsim-renamed\"", 1);
    assert_ne!(stale, lock);
    std::fs::write(copy.join("Cargo.lock"), stale).unwrap();
    let mut pip = Command::new(python());
    pip.args([
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-w",
    ])
    .arg(sandbox.path().join("dist"))
    .arg(&copy)
    .env("CARGO_TARGET_DIR", sandbox.path().join("target"))
    // The backend runs `maturin` from PATH, as in pip's isolated build environment.
    .env(
        "PATH",
        format!(
            "{}:{}",
            consumers().join("venv/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let out = run(pip, Duration::from_secs(600));
    assert_ne!(out.code, Some(0), "{out}");
    assert!(out.all().contains("--locked"), "{out}");
}

#[test]
fn the_pre_commit_hook_is_built_by_pip_from_pyproject() {
    let hooks = std::fs::read_to_string(Path::new(ROOT).join(".pre-commit-hooks.yaml")).unwrap();
    let hook = hooks
        .split("- id: ")
        .find(|h| h.starts_with("pachhook\n"))
        .expect("the pachhook hook");
    assert!(hook.contains("language: python"), "{hook}");
    let pyproject = std::fs::read_to_string(Path::new(ROOT).join("pyproject.toml")).unwrap();
    let pyproject: toml::Table = toml::from_str(&pyproject).expect("pyproject.toml is TOML");
    assert_eq!(
        pyproject["tool"]["maturin"]["bindings"].as_str(),
        Some("bin")
    );
    assert_eq!(pyproject["tool"]["maturin"]["locked"].as_bool(), Some(true));
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
}
