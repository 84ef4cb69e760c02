//! The README's first command, `pachhook check examples/`, does what the README shows:
//! the clean example passes, the one with mistakes on purpose gets exactly these, and
//! the output is the README's block, byte for byte.

use crate::support::{PACHHOOK, Sandbox, check_json, code, isolated, project, text};

/// A copy of the bundled examples in a directory of their own, so that nothing of the
/// project's directory (a developer's `pachhook.local.toml`) applies.
fn examples() -> Sandbox {
    let sandbox = Sandbox::new();
    let to = sandbox.path().join("examples/pipelines");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(project("examples/pipelines")).unwrap() {
        let from = entry.unwrap().path();
        std::fs::copy(&from, to.join(from.file_name().unwrap())).unwrap();
    }
    sandbox
}

#[test]
fn the_bundled_examples_report_what_the_readme_shows() {
    let sandbox = examples();
    let (code, report) = check_json(sandbox.path(), ["examples/"]);
    assert_eq!(code, 1);
    let mut seen: Vec<(String, String, u64, u64)> = Vec::new();
    for file in report["files"].as_array().unwrap() {
        for f in file["findings"].as_array().unwrap() {
            let path = file["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            seen.push((
                path,
                f["rule"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            ));
        }
    }
    seen.sort();
    let expected = [
        ("montage.yaml", "floating-tag", 14, 10),
        ("montage.yaml", "invalid-value", 18, 15),
        ("montage.yaml", "removed-field", 19, 1),
    ]
    .map(|(p, r, l, c)| (p.to_string(), r.to_string(), l, c));
    assert_eq!(seen, expected);
    assert_eq!(report["summary"]["specs"], 2);
}

/// The README's `text` block after "checks the bundled examples".
fn readme_block() -> String {
    let readme = std::fs::read_to_string(project("README.md")).unwrap();
    let from = readme
        .find("checks the bundled examples")
        .expect("the README shows the examples' check");
    let block = &readme[from..];
    let start = block.find("```text\n").expect("a text block") + "```text\n".len();
    let end = start + block[start..].find("```\n").expect("the block ends");
    block[start..end].to_string()
}

#[test]
fn the_readme_shows_the_examples_output_as_printed() {
    let sandbox = examples();
    let out = isolated(PACHHOOK)
        .args(["check", "examples/"])
        .current_dir(sandbox.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), readme_block());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
