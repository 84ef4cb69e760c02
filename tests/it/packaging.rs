//! What the package promises: a `rust-version` the dependencies really allow (the
//! newest among them, from `cargo metadata`), the licence files the `license` names.
//!
//! `cargo metadata` runs online (`--locked`, never `--offline`): the resolve covers every
//! platform's packages, and a Linux build leaves the Windows-only ones (`windows-sys`,
//! `anstyle-wincon`) out of the local cache, so `--offline` passed only on a machine whose
//! cache happened to hold them. The registry is reachable wherever the tests build.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn version(text: &str) -> Vec<u32> {
    text.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[test]
fn rust_version_is_the_newest_the_dependencies_need() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = meta["resolve"]["root"].as_str().unwrap().to_string();
    let nodes: Vec<&Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let node = |id: &str| *nodes.iter().find(|n| n["id"] == id).unwrap();
    // The packages a build of pachhook compiles: normal and build dependencies.
    let mut seen = HashSet::new();
    let mut todo = vec![root.clone()];
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        for dep in node(&id)["deps"].as_array().unwrap() {
            let kinds = dep["dep_kinds"].as_array().unwrap();
            if kinds
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build")
            {
                todo.push(dep["pkg"].as_str().unwrap().to_string());
            }
        }
    }
    let packages = meta["packages"].as_array().unwrap();
    let (mut newest, mut who) = (vec![0], String::new());
    let mut ours = None;
    for package in packages
        .iter()
        .filter(|p| seen.contains(p["id"].as_str().unwrap()))
    {
        let Some(rv) = package["rust_version"].as_str() else {
            continue;
        };
        if package["id"] == root.as_str() {
            ours = Some(version(rv));
        } else if version(rv) > newest {
            (newest, who) = (version(rv), package["name"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        ours,
        Some(newest.clone()),
        "rust-version should be {newest:?} ({who})"
    );
    for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(file).is_file(),
            "{file}"
        );
    }
}
