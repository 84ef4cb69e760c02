//! Hostile and broken inputs given to the real binary: each must end quickly with a clear
//! finding (exit 1, one parse error at the right place) or a clean result (exit 0), and
//! never with a panic, a stack overflow or a memory blow-up.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Generous for a debug build on a busy machine; a hang or a quadratic blow-up on these
/// inputs takes far longer.
const LIMIT: Duration = Duration::from_secs(30);

const CLEAN_SPEC: &str = "pipeline:\n  name: edges\ntransform:\n  image: registry.example.com/team/edges:3f2a9c1\n  cmd: [python3, /edges.py]\ninput:\n  pfs:\n    repo: images\n    glob: /*\n";

struct Run {
    code: i32,
    report: Value,
}

fn check(path: &Path) -> Run {
    let started = Instant::now();
    let out = crate::support::isolated(crate::support::PACHHOOK)
        .arg("check")
        .arg(path)
        .args(["--format", "json"])
        .output()
        .expect("run pachhook");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "panic on {}: {stderr}",
        path.display()
    );
    assert!(
        !stderr.contains("overflow"),
        "overflow on {}: {stderr}",
        path.display()
    );
    assert!(elapsed < LIMIT, "{} took {elapsed:?}", path.display());
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report for {} ({e}): {}\n{stderr}",
            path.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    });
    Run {
        code: out.status.code().expect("exit code"),
        report,
    }
}

fn findings(report: &Value) -> Vec<&Value> {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .flat_map(|f| f["findings"].as_array().expect("findings"))
        .collect()
}

/// Exit 1 and exactly one finding: a parse error at `line`:`column` whose message says
/// `says`.
fn assert_parse_error(run: &Run, line: u64, column: u64, says: &str) {
    let found = findings(&run.report);
    assert_eq!(run.code, 1, "{:#}", run.report);
    assert_eq!(found.len(), 1, "{:#}", run.report);
    let f = found[0];
    assert_eq!(f["rule"], "parse-error", "{f:#}");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(line), Some(column)),
        "{f:#}"
    );
    let message = f["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{message}");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_10_mb_spec_is_read_in_both_syntaxes() {
    let dir = tempfile::tempdir().unwrap();
    // `transform` last, so the long `stdin` list can be appended to it.
    let mut yaml = String::from(
        "pipeline:\n  name: edges\ninput:\n  pfs:\n    repo: images\n    glob: /*\ntransform:\n  image: registry.example.com/team/edges:3f2a9c1\n  stdin:\n",
    );
    let mut json = String::from(
        "{\"pipeline\": {\"name\": \"edges\"}, \"input\": {\"pfs\": {\"repo\": \"images\", \"glob\": \"/*\"}},\n \"transform\": {\"image\": \"registry.example.com/team/edges:3f2a9c1\", \"stdin\": [\n",
    );
    let mut i = 0;
    while yaml.len() < 10_000_000 {
        yaml.push_str(&format!("    - echo line {i} of a very long script\n"));
        json.push_str(&format!("  \"echo line {i} of a very long script\",\n"));
        i += 1;
    }
    json.push_str("  \"done\"]}}\n");
    for (name, text) in [("big.yaml", yaml), ("big.json", json)] {
        let run = check(&write(dir.path(), name, text.as_bytes()));
        assert_eq!(run.code, 0, "{name}: {:#}", run.report);
        assert!(findings(&run.report).is_empty(), "{name}");
        assert_eq!(run.report["summary"]["specs"], 1, "{name}");
    }
}

#[test]
fn nesting_10000_deep_is_refused_where_it_gets_too_deep() {
    let dir = tempfile::tempdir().unwrap();
    // The 256th collection is one too many; it opens at column 256 of `[[[...`.
    let json = "[".repeat(10_000) + &"]".repeat(10_000);
    let run = check(&write(dir.path(), "deep.json", json.as_bytes()));
    assert_parse_error(&run, 1, 256, "nested");
    // Objects: `{"a":` is 5 characters, so the 256th opens at column 5 * 255 + 1.
    let objects = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    let run = check(&write(dir.path(), "objects.json", objects.as_bytes()));
    assert_parse_error(&run, 1, 1276, "nested");
    // Block YAML: `- - - ...` nests a list per `- `, the 256th at column 2 * 255 + 1.
    let block = "- ".repeat(10_000) + "x\n";
    let run = check(&write(dir.path(), "deep.yaml", block.as_bytes()));
    assert_parse_error(&run, 1, 511, "nested");
    // Flow YAML after a key: saphyr's own limit, reported the same way.
    let flow = "pipeline: ".to_string() + &"[".repeat(10_000);
    let run = check(&write(dir.path(), "flow.yaml", flow.as_bytes()));
    assert_parse_error(&run, 1, 266, "nested");
    // Indented block mappings, one level per line (1,000 deep: 10,000 would be 50 MB of
    // indentation).
    let mappings: String = (0..1_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let run = check(&write(dir.path(), "mappings.yaml", mappings.as_bytes()));
    assert_parse_error(&run, 256, 256, "nested");
}

#[test]
fn an_alias_bomb_stops_at_the_first_alias() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    bomb.push_str("pipeline: {name: lol}\n");
    let run = check(&write(dir.path(), "bomb.yaml", bomb.as_bytes()));
    assert_parse_error(&run, 2, 8, "aliases");
}

#[test]
fn invalid_utf8_binary_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let run = check(&write(
        dir.path(),
        "latin1.yaml",
        b"pipeline:\n  name: caf\xe9\n",
    ));
    assert_parse_error(&run, 2, 12, "UTF-8");
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let run = check(&write(dir.path(), "binary.json", &binary));
    assert_parse_error(&run, 1, 1, "control character");
    let run = check(&write(dir.path(), "nul.yaml", b"pipeline:\n  name: a\0b\n"));
    assert_parse_error(&run, 2, 10, "U+0000");
    let run = check(&write(dir.path(), "empty.json", b""));
    assert_eq!(run.code, 0, "{:#}", run.report);
    assert!(findings(&run.report).is_empty());
    let run = check(&write(dir.path(), "comments.yaml", b"# nothing yet\n\n"));
    assert_eq!(run.code, 0, "{:#}", run.report);
    assert!(findings(&run.report).is_empty());
}

#[test]
fn a_directory_with_a_symlink_loop_is_checked_once() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir(&specs).unwrap();
    write(&specs, "edges.yaml", CLEAN_SPEC.as_bytes());
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(".", specs.join("loop")).unwrap();
        std::os::unix::fs::symlink(&specs, specs.join("nested")).unwrap();
    }
    let run = check(&specs);
    assert_eq!(run.code, 0, "{:#}", run.report);
    assert_eq!(run.report["summary"]["specs"], 1, "{:#}", run.report);
}

#[test]
fn concatenated_json_documents_get_the_2_0_message() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"pipeline\": {\"name\": \"a\"}}\n{\"pipeline\": {\"name\": \"b\"}}\n";
    let run = check(&write(dir.path(), "two.json", text.as_bytes()));
    assert_parse_error(&run, 2, 1, "Pachyderm 2.x needs");
}
