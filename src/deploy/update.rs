//! Rendering a spec with the image deploy built, and handing it to
//! `pachctl update pipeline -f -` (which also creates a pipeline that does not exist).
//!
//! The rendered spec is the normalized spec as written, with only `transform.image`
//! replaced: what reviewers read in the repository is what runs.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::error::Failure;
use super::ui::Ui;
use crate::config::Deploy;
use crate::spec::{Entry, Node, Span, Value};

/// The spec as pachctl will receive it, `transform.image` set to `image` when given.
pub fn render(spec: &Node, image: Option<&str>) -> serde_json::Value {
    let Some(image) = image else {
        return spec.to_json();
    };
    let mut spec = spec.clone();
    set_image(&mut spec, image);
    spec.to_json()
}

fn set_image(spec: &mut Node, image: &str) {
    let Value::Map(entries) = &mut spec.value else {
        return;
    };
    let transform = match entries.iter().position(|e| e.name() == "transform") {
        Some(i) => &mut entries[i].value,
        None => {
            entries.push(entry("transform", Value::Map(Vec::new())));
            match entries.last_mut() {
                Some(e) => &mut e.value,
                None => return,
            }
        }
    };
    if transform.is_null() {
        transform.value = Value::Map(Vec::new());
    }
    let Value::Map(fields) = &mut transform.value else {
        return;
    };
    let value = Value::String(image.to_string());
    match fields.iter_mut().find(|e| e.name() == "image") {
        Some(e) => e.value.value = value,
        None => fields.insert(0, entry("image", value)),
    }
}

fn entry(name: &str, value: Value) -> Entry {
    Entry::new(
        name.to_string(),
        Span::default(),
        Node::new(value, Span::default()),
    )
}

/// One pipeline to hand to pachctl.
pub struct Update<'a> {
    pub name: &'a str,
    pub spec: &'a serde_json::Value,
}

/// Runs pachctl for each pipeline in order and returns the names updated. On the first
/// failure it stops, shows pachctl's standard error, and says which were already updated.
pub fn apply(
    deploy: &Deploy,
    workdir: Option<&Path>,
    updates: &[Update<'_>],
    ui: &Ui,
) -> Result<Vec<String>, Failure> {
    let program = resolve(&deploy.pachctl, workdir);
    let mut updated = Vec::new();
    for update in updates {
        let mut command = Command::new(&program);
        command.args(["update", "pipeline", "-f", "-"]);
        if deploy.reprocess {
            command.arg("--reprocess");
        }
        if let Some(project) = &deploy.project {
            command.args(["--project", project]);
        }
        if let Some(context) = &deploy.context {
            command.env("PACH_CONTEXT", context);
        }
        if let Some(dir) = workdir {
            command.current_dir(dir);
        }
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let failed = |message: String, updated: &[String]| Failure::Pachctl {
            pipeline: update.name.to_string(),
            message,
            updated: updated.to_vec(),
        };
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(failed(
                    format!(
                        "`{}` not found: install pachctl or set [deploy] pachctl to its path",
                        deploy.pachctl
                    ),
                    &updated,
                ));
            }
            Err(e) => {
                return Err(failed(
                    format!("cannot run `{}`: {e}", deploy.pachctl),
                    &updated,
                ));
            }
        };
        let text = serde_json::to_string_pretty(update.spec).unwrap_or_default();
        if let Some(mut stdin) = child.stdin.take() {
            // pachctl that exits early is judged by its status below.
            let _ = stdin.write_all(text.as_bytes());
            let _ = stdin.write_all(b"\n");
        }
        let out = match child.wait_with_output() {
            Ok(out) => out,
            Err(e) => return Err(failed(format!("pachctl did not finish: {e}"), &updated)),
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            ui.say(&format!("pachctl update pipeline {} failed:", update.name));
            for line in stderr.lines().chain(stdout.lines()) {
                ui.say(&format!("  | {line}"));
            }
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no error message");
            let status = match out.status.code() {
                Some(code) => format!("exit status {code}"),
                None => "killed by a signal".to_string(),
            };
            return Err(failed(format!("{} ({status})", last.trim()), &updated));
        }
        for line in stdout
            .lines()
            .chain(stderr.lines())
            .filter(|l| !l.trim().is_empty())
        {
            ui.say(&format!("  | {line}"));
        }
        ui.say(&format!("updated pipeline {}", update.name));
        updated.push(update.name.to_string());
    }
    Ok(updated)
}

/// A relative path with a `/` is relative to the repository; a bare name is looked up on
/// `PATH`.
fn resolve(pachctl: &str, workdir: Option<&Path>) -> std::path::PathBuf {
    let path = Path::new(pachctl);
    match workdir {
        Some(dir) if pachctl.contains('/') && path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Node {
        crate::spec::read::read(text.as_bytes()).unwrap().remove(0)
    }

    #[test]
    fn replaces_only_the_image() {
        let s = spec(
            r#"{"pipeline":{"name":"edges"},"transform":{"cmd":["python3","/edges.py"],"image":"r.io/edges"},"input":{"pfs":{"repo":"images","glob":"/*"}}}"#,
        );
        let out = render(&s, Some("r.io/edges:abc"));
        assert_eq!(out["transform"]["image"], "r.io/edges:abc");
        assert_eq!(out["transform"]["cmd"][1], "/edges.py");
        assert_eq!(out["input"], s.to_json()["input"]);
    }

    #[test]
    fn adds_a_missing_image() {
        let s = spec(r#"{"pipeline":{"name":"edges"},"transform":{"cmd":["x"]}}"#);
        assert_eq!(
            render(&s, Some("r.io/e:1"))["transform"]["image"],
            "r.io/e:1"
        );
        let s = spec(r#"{"pipeline":{"name":"edges"}}"#);
        assert_eq!(
            render(&s, Some("r.io/e:1"))["transform"]["image"],
            "r.io/e:1"
        );
    }
}
