//! The human report as a user reads it, pinned by snapshots: a wide-character line (the
//! caret under the right column), lone-CR line endings (the frame is kept), and a hostile
//! spec whose keys, values and file name try to drive the terminal (OSC 52 clipboard,
//! window title, clear screen, a fake green "ok"): all escaped, nothing but text.

use std::process::Command;

use crate::support::{self, Sandbox, code};

fn human(name: &str, bytes: &[u8]) -> String {
    let sandbox = Sandbox::new();
    let path = sandbox.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(support::PACHHOOK)
        .args(["check", name])
        .current_dir(sandbox.path())
        .env("NO_COLOR", "1")
        .env_remove("PACHHOOK_SKIP")
        .output()
        .expect("run pachhook");
    assert_eq!(code(&out), 1);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 report");
    assert!(
        !stdout.bytes().any(|b| b == 0x1b || b == 0x07 || b == b'\r'),
        "control bytes reach the terminal: {stdout:?}"
    );
    stdout
}

#[test]
fn a_wide_character_line() {
    let spec = "pipeline: {name: edges}\ndescription: 日本語のパイプライン\ntransform: {image: \"team/日本:latest\", cmd: [x]}\ninput: {pfs: {repo: images, glob: /}}\n";
    insta::assert_snapshot!(human("wide.yaml", spec.as_bytes()));
}

#[test]
fn lone_cr_line_endings_keep_the_frame() {
    let spec = "pipeline:\r  name: edges\rtransform:\r  image: team/edges:latest\r  cmd: [x]\rinput: {pfs: {repo: images, glob: /}}\r";
    insta::assert_snapshot!(human("mac.yaml", spec.as_bytes()));
}

#[test]
fn a_hostile_spec_is_escaped() {
    let spec = "pipeline: {name: edges}\n\"\\e]52;c;cm0gLXJmIH4=\\a\\e]0;pwned\\a\": 1\n\"\\e[2J\\e[32mok: no problems found\\e[0m\": 2\ntransform: {image: \"team/edges:\\e[32mlatest\", cmd: [x]}\ninput: {pfs: {repo: images, glob: /}}\n";
    insta::assert_snapshot!(human("evil\u{1b}[2J.yaml", spec.as_bytes()));
}

#[test]
fn lone_cr_line_endings_in_json_keep_the_frame() {
    let spec = "{\r  \"pipeline\": {\"name\": \"e\"},\r  \"transform\": {\"image\": \"a/b:latest\", \"cmd\": [\"x\"]},\r  \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\"}}\r}\r";
    insta::assert_snapshot!(human("mac.json", spec.as_bytes()));
}
