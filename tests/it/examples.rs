//! The README's first command, `pachhook check examples/`, does what the README shows:
//! the clean example passes, the one with mistakes on purpose gets exactly these.

use std::path::Path;

use crate::support::check_json;

#[test]
fn the_bundled_examples_report_what_the_readme_shows() {
    let (code, report) = check_json(Path::new(env!("CARGO_MANIFEST_DIR")), ["examples/"]);
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
