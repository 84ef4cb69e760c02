//! What a test needs from outside the project (the Docker engine and registries, the
//! corpus of real specs, go-jsonnet, the SARIF schema, the hook managers), and the one
//! way a test may go without it.
//!
//! A missing need fails the test, with what is missing and how to get it. Skipping is
//! asked for explicitly, by naming the need in `PACHHOOK_TEST_SKIP` (comma-separated,
//! or `all`): the developer without Docker runs
//! `PACHHOOK_TEST_SKIP=docker scripts/test.sh`. A skipped test is not silent: it says so
//! on standard error and appends a line to `skipped-tests.txt` in the test binary's
//! scratch directory, which `scripts/test.sh` prints after the run. `.ci/run` clears the
//! variable, so CI never skips.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file every skipped test appends a line to; `scripts/test.sh` prints it.
pub fn skip_log() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt")
}

/// Whether `PACHHOOK_TEST_SKIP` names `need` (or is `all`).
fn skip_allowed(need: &str) -> bool {
    std::env::var("PACHHOOK_TEST_SKIP").is_ok_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|item| item == need || item == "all")
    })
}

/// `None`, recorded as a skip, when the developer asked to skip `need`; otherwise the
/// test fails with `what` is missing and `how` to provide it.
pub fn missing<T>(need: &str, what: &str, how: &str) -> Option<T> {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    assert!(
        skip_allowed(need),
        "{what}: {how}; to skip the tests that need it on purpose, set PACHHOOK_TEST_SKIP={need}"
    );
    eprintln!("skipped {test}: {what} (PACHHOOK_TEST_SKIP={need})");
    if let Ok(mut log) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(skip_log())
    {
        let _ = writeln!(log, "{test}: {what}");
    }
    None
}

/// A directory named by `variable`, which must exist.
fn directory(variable: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(variable)?);
    assert!(
        dir.is_dir(),
        "{variable}={} is not a directory",
        dir.display()
    );
    Some(dir)
}

/// The corpus of real specs (`$PACHHOOK_CORPUS`, which `.ci/run` sets to
/// `../shared/corpus`).
pub fn corpus() -> Option<PathBuf> {
    directory("PACHHOOK_CORPUS").or_else(|| {
        missing(
            "corpus",
            "PACHHOOK_CORPUS is not set",
            "point it at the corpus of real specs (../shared/corpus; .ci/run sets it)",
        )
    })
}

/// The spec files (`.json`, `.yaml`, `.yml`) directly in `dir`, sorted; at least `min`
/// of them, so that a loop over an empty or misplaced directory cannot pass.
pub fn corpus_files(dir: &Path, min: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= min,
        "{} holds {} spec files, expected at least {min}",
        dir.display(),
        files.len()
    );
    files
}

/// The OASIS SARIF 2.1.0 schema: `$PACHHOOK_SARIF_SCHEMA`, or `formats/` beside the
/// corpus.
pub fn sarif_schema() -> Option<PathBuf> {
    let path = match (
        std::env::var_os("PACHHOOK_SARIF_SCHEMA"),
        std::env::var_os("PACHHOOK_CORPUS"),
    ) {
        (Some(path), _) => PathBuf::from(path),
        (None, Some(corpus)) => Path::new(&corpus).join("../formats/sarif-schema-2.1.0.json"),
        (None, None) => {
            return missing(
                "sarif-schema",
                "PACHHOOK_SARIF_SCHEMA is not set",
                "point it at ../shared/formats/sarif-schema-2.1.0.json (.ci/run sets it)",
            );
        }
    };
    assert!(
        path.is_file(),
        "the SARIF schema {} is missing",
        path.display()
    );
    Some(path)
}

/// The python that imports `_gojsonnet` (`$PACHHOOK_GOJSONNET`, which
/// `scripts/gojsonnet.sh` installs and `scripts/test.sh` sets).
pub fn gojsonnet() -> Option<PathBuf> {
    match std::env::var_os("PACHHOOK_GOJSONNET") {
        Some(python) => Some(PathBuf::from(python)),
        None => missing(
            "gojsonnet",
            "PACHHOOK_GOJSONNET is not set",
            "run the tests with scripts/test.sh, which installs go-jsonnet and sets it",
        ),
    }
}
