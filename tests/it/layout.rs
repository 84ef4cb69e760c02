//! The shape of the code: dependencies between top-level modules point one way
//! (`scripts/module-graph.sh` reads them from the `crate::` paths).

use std::path::Path;
use std::process::Command;

#[test]
fn no_cycle_between_top_level_modules() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/module-graph.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--check")
        .output()
        .expect("bash runs the script");
    let graph = String::from_utf8_lossy(&out.stdout);
    assert!(
        graph.contains("commands -> check"),
        "the script found no edges:\n{graph}"
    );
    assert!(
        out.status.success(),
        "{}\n{graph}",
        String::from_utf8_lossy(&out.stderr)
    );
}
