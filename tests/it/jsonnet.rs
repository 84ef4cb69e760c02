//! `pachhook render` against go-jsonnet, the evaluator pachd renders templates with:
//! every template of the corpus (`$PACHHOOK_CORPUS`) and of the project's fixtures is
//! rendered by both, with the same arguments, and the outputs must be the same JSON,
//! byte for byte. go-jsonnet comes from its Python binding (`gojsonnet` on PyPI), which
//! `scripts/gojsonnet.sh` installs and `scripts/test.sh` names in `PACHHOOK_GOJSONNET`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{corpus, gojsonnet};

fn render(template: &Path, args: &BTreeMap<String, String>) -> (i32, String, String) {
    let mut command = crate::support::isolated(crate::support::PACHHOOK);
    command.arg("render").arg(template);
    for (k, v) in args {
        command.arg("--arg").arg(format!("{k}={v}"));
    }
    let out = command.output().expect("pachhook runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Renders with go-jsonnet the way pachd's `pachtmpl.RenderTemplate` does: an anonymous
/// snippet named `main`, every argument a top-level string.
fn go_render(
    python: &Path,
    template: &Path,
    args: &BTreeMap<String, String>,
) -> Result<String, String> {
    let script = "import _gojsonnet, json, sys\n\
                  text = open(sys.argv[1]).read()\n\
                  args = json.loads(sys.argv[2])\n\
                  try:\n    sys.stdout.write(_gojsonnet.evaluate_snippet('main', text, tla_vars=args))\n\
                  except RuntimeError as e:\n    sys.stderr.write(str(e)); sys.exit(1)\n";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(template)
        .arg(serde_json::to_string(args).unwrap())
        .output()
        .expect("python runs");
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).expect("UTF-8"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn templates(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonnet"))
        .collect();
    found.sort();
    found
}

#[test]
fn render_agrees_with_go_jsonnet() {
    let Some(python) = gojsonnet() else { return };
    let Some(corpus) = corpus() else { return };
    let mut all =
        templates(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates"));
    for folder in ["pachyderm-2.x-examples", "pachyderm-2.x-internal"] {
        all.extend(templates(&corpus.join(folder)));
    }
    let mut compared = 0;
    for template in &all {
        // Each argument the template asks for gets a value, until it renders.
        let mut args = BTreeMap::new();
        let ours = loop {
            let (code, stdout, stderr) = render(template, &args);
            assert!(
                !stderr.contains("panicked"),
                "{}: {stderr}",
                template.display()
            );
            let wanted = stderr
                .split("needs the argument `")
                .nth(1)
                .and_then(|r| r.split('`').next());
            match (code, wanted) {
                (0, _) => break Ok(stdout),
                (1, Some(name)) if args.len() < 20 => {
                    args.insert(name.to_string(), format!("{}", args.len() + 1));
                }
                _ => break Err(stderr),
            }
        };
        let theirs = go_render(&python, template, &args);
        match (&ours, &theirs) {
            (Ok(ours), Ok(theirs)) => {
                assert_eq!(ours, theirs, "{} with {args:?}", template.display());
                compared += 1;
            }
            // Both refuse it (a template that fails on purpose).
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{} with {args:?}: pachhook {ours:?}, go-jsonnet {theirs:?}",
                template.display()
            ),
        }
    }
    assert!(compared >= 18, "only {compared} templates rendered");
}

#[test]
fn render_exit_codes_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t.jsonnet");
    std::fs::write(
        &template,
        "local lib = import 'lib.libsonnet';\nfunction(a) lib + { a: a }\n",
    )
    .unwrap();
    let mut args = BTreeMap::new();
    args.insert("a".to_string(), "1".to_string());
    let (code, stdout, stderr) = render(&template, &args);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("t.jsonnet:1:13: `import \"lib.libsonnet\"`"),
        "{stderr}"
    );
    assert!(stderr.contains("without local files"), "{stderr}");
    let out = crate::support::isolated(crate::support::PACHHOOK)
        .arg("render")
        .arg(&template)
        .args(["--arg", "novalue"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NAME=VALUE"));
    // An error message from the template is data: its control characters are escaped.
    std::fs::write(&template, "function() error 'bad\\u001b[31m'").unwrap();
    let (code, _, stderr) = render(&template, &BTreeMap::new());
    assert_eq!(code, 1);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.contains("\\033[31m"), "{stderr:?}");
}

/// The README's bounds, pinned through the binary: 500 nested calls (go-jsonnet's own
/// default), 10 seconds, 10 MB of JSON. Each is shown from both sides, so moving a bound
/// either way fails here.
#[test]
fn render_is_bounded_by_500_calls_10_seconds_and_10_mb() {
    let dir = tempfile::tempdir().unwrap();
    let render_text = |text: String| {
        let template = dir.path().join("t.jsonnet");
        std::fs::write(&template, text).unwrap();
        let started = std::time::Instant::now();
        let (code, stdout, stderr) = render(&template, &BTreeMap::new());
        (code, stdout.len(), stderr, started.elapsed())
    };
    let depth = |n: u32| {
        render_text(format!(
            "local f(n) = if n == 0 then 0 else 1 + f(n - 1);\n{{x: f({n})}}\n"
        ))
    };
    let (code, _, stderr, _) = depth(490);
    assert_eq!(code, 0, "490 nested calls render: {stderr}");
    let (code, _, stderr, _) = depth(499);
    assert_eq!(
        code, 1,
        "499 nested calls and the template's own frames pass 500"
    );
    assert!(stderr.contains("recursed too deeply"), "{stderr}");

    // A JSON string: n bytes and its quotes (the final newline is not counted).
    let sized = |n: usize| render_text(format!("std.repeat('x', {n})\n"));
    let (code, len, stderr, _) = sized((10 << 20) - 2);
    assert_eq!(
        (code, len),
        (0, (10 << 20) + 1),
        "exactly 10 MB of JSON renders: {stderr}"
    );
    let (code, _, stderr, _) = sized((10 << 20) - 1);
    assert_eq!(code, 1, "one byte over 10 MB is refused");
    assert!(stderr.contains("10 MB"), "{stderr}");

    // A loop in constant memory (a tail call): the time bound stops it, not the memory
    // bound (1 GiB), which an array of a billion numbers would reach first.
    let (code, _, stderr, elapsed) =
        render_text("local f(i) = if i < 0 then i else f(i + 1) tailstrict;\nf(0)\n".to_string());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("within 10 seconds"), "{stderr}");
    assert!(
        elapsed >= std::time::Duration::from_secs(9)
            && elapsed < std::time::Duration::from_secs(30),
        "stopped at the 10 s bound, not before nor long after: {elapsed:?}"
    );
}
