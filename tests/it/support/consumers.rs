//! The real consumers of pachhook's reports, schema and completions that the tests drive
//! (SARIF Multitool, yaml-language-server, junitparser, bash-completion), installed by
//! `scripts/consumers.sh`: `$PACHHOOK_CONSUMERS` when scripts/test.sh set it, else the
//! script is run once here. A consumer that does not run fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory `scripts/consumers.sh` prints: `node_modules/`, `venv/`.
pub fn consumers() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("PACHHOOK_CONSUMERS") {
            return PathBuf::from(dir);
        }
        let out = Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/consumers.sh"))
            .output()
            .expect("run scripts/consumers.sh");
        assert!(
            out.status.success(),
            "scripts/consumers.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// SARIF Multitool's native executable. Its npm wrapper (`bin.js`) passes the arguments
/// through a shell, which would split `--rule-kind "Gh;Sarif"` at the `;`.
pub fn sarif_multitool() -> PathBuf {
    consumers().join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
}

/// The Python of the consumers' virtual environment (junitparser).
pub fn python() -> PathBuf {
    consumers().join("venv/bin/python")
}

/// A program of the npm packages (`yaml-language-server`).
pub fn npm_bin(name: &str) -> PathBuf {
    consumers().join("node_modules/.bin").join(name)
}
