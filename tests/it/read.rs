//! Every real spec in the corpus reads through `spec::read::read` exactly as pachctl would
//! read it: no ReadError, and the JSON fast path builds the same tree as the YAML reader.
//!
//! The corpus is outside the project: set PACHHOOK_CORPUS to its directory. Without it the
//! test fails, unless skipped on purpose (`PACHHOOK_TEST_SKIP=corpus`, see
//! `support::needs`).

use std::path::{Path, PathBuf};

use pachhook::spec::{read, yaml};

use crate::support::corpus;

const FOLDERS: [&str; 2] = ["pachyderm-2.x-examples", "pachyderm-1.13-examples"];

/// 1.13 examples that Pachyderm 2.x refuses to read, with where and why. Pachyderm 1.x
/// accepted JSON objects one after another; 2.x needs `---` between them. The SQS spout
/// example is missing a comma after `"env": {...}` upstream.
const REFUSED: [(&str, u32, u32, &str); 4] = [
    (
        "examples__ml__tensorflow__training_and_export_gpu.json",
        32,
        1,
        "Pachyderm 2.x needs",
    ),
    (
        "examples__ml__tensorflow__pre-processing_and_generation.json",
        20,
        1,
        "Pachyderm 2.x needs",
    ),
    (
        "examples__ml__tensorflow__training_and_export.json",
        24,
        1,
        "Pachyderm 2.x needs",
    ),
    (
        "examples__spouts__SQS-S3__sqs-spout.json",
        19,
        9,
        "expected `,` or `}`",
    ),
];

fn spec_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            spec_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_spec_reads() {
    let Some(root) = corpus() else { return };
    let mut files = Vec::new();
    for folder in FOLDERS {
        spec_files(&root.join(folder), &mut files);
    }
    assert!(
        files.len() > 50,
        "only {} spec files under {}",
        files.len(),
        root.display()
    );
    let mut failures = Vec::new();
    let mut specs = 0;
    let mut refused = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        match read::read(&bytes) {
            Ok(found) => {
                specs += found.len();
                // The fast path and the YAML reader agree, positions included.
                let text = std::str::from_utf8(&bytes).unwrap();
                let by_yaml: Vec<_> = yaml::parse(text)
                    .unwrap()
                    .into_iter()
                    .flat_map(|doc| match doc.value {
                        pachhook::spec::Value::Seq(items) => items,
                        _ => vec![doc],
                    })
                    .collect();
                if by_yaml != found {
                    failures.push(format!("{}: JSON and YAML trees differ", path.display()));
                }
            }
            Err(e) => {
                let name = path.file_name().unwrap().to_str().unwrap();
                let expected = REFUSED.iter().find(|r| r.0 == name).is_some_and(|r| {
                    (r.1, r.2) == (e.pos.line, e.pos.column) && e.message.contains(r.3)
                });
                if expected {
                    refused.push(name.to_string());
                } else {
                    failures.push(format!(
                        "{}:{}:{}: {}",
                        path.display(),
                        e.pos.line,
                        e.pos.column,
                        e.message
                    ));
                }
            }
        }
    }
    assert_eq!(refused.len(), REFUSED.len(), "refused: {refused:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        specs >= files.len() - REFUSED.len(),
        "{specs} specs in {} files",
        files.len()
    );
}
