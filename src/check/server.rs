//! pachd's create-pipeline rules: what the server refuses after pachctl has read the
//! spec. A spec can be perfectly valid protobuf JSON and still be rejected here, at
//! `pachctl update pipeline` time, which in a pre-push hook is exactly too late.
//!
//! The rules run on the normalized tree (canonical field names), report at the user's
//! spelling, and stay silent about values of the wrong type: the schema check owns
//! those, and one problem deserves one finding.

mod cron;
mod input;

use super::{Findings, Rule};
use crate::spec::{Entry, Node, Pointer, Span};

/// The longest pipeline or project name pachd accepts.
pub const NAME_MAX: usize = 51;
/// Kubernetes object names (`<project>-<pipeline>-v<version>`) are at most 63 characters.
pub const KUBE_NAME_MAX: usize = 63;
/// The project a pipeline belongs to when `pipeline.project` is not set.
pub const DEFAULT_PROJECT: &str = "default";

pub fn check(spec: &Node, out: &mut Findings) {
    if spec.as_map().is_none() {
        return;
    }
    let root = Pointer::root();
    names(spec, &root, out);
    required(spec, &root, out);
    secret_keys(spec, &root, out);
    combinations(spec, &root, out);
    values(spec, &root, out);
}

/// The entry with this canonical name unless it is absent or an explicit `null`, which
/// protobuf JSON reads as "unset".
pub(crate) fn field<'a>(node: &'a Node, name: &str) -> Option<&'a Entry> {
    node.entry(name).filter(|e| !e.value.is_null())
}

/// A boolean field set to `true`; a non-boolean is the schema's problem, not ours.
fn flag<'a>(node: &'a Node, name: &str) -> Option<&'a Entry> {
    field(node, name).filter(|e| e.value.as_bool() == Some(true))
}

/// Why `name` is not a valid pipeline or project name, if it is not.
fn name_problem(name: &str) -> Option<String> {
    let Some(first) = name.chars().next() else {
        return Some("is empty".into());
    };
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Some(format!(
            "contains {}: only letters, digits, `_` and `-` are allowed",
            if bad.is_whitespace() {
                format!("{bad:?}")
            } else {
                format!("`{bad}`")
            }
        ));
    }
    if !first.is_ascii_alphanumeric() {
        return Some(format!(
            "starts with `{first}`: it must start with a letter or digit"
        ));
    }
    None
}

/// `pipeline.name` and `pipeline.project.name`.
fn names(spec: &Node, root: &Pointer, out: &mut Findings) {
    let Some(pipeline) = field(spec, "pipeline") else {
        return;
    };
    let pipeline_ptr = root.key(&pipeline.written);
    let project = project_name(pipeline, &pipeline_ptr, out);
    let Some(name) = field(&pipeline.value, "name") else {
        return;
    };
    let Some(text) = name.value.as_str() else {
        return;
    };
    let ptr = pipeline_ptr.key(&name.written);
    let span = name.value.span;
    if let Some(problem) = name_problem(text) {
        out.push(
            Rule::InvalidName,
            &ptr,
            span,
            format!("pipeline name `{text}` {problem}"),
            "pachd refuses the pipeline: use letters, digits, `_` and `-`, starting with a letter or digit",
        );
        return;
    }
    let length = text.chars().count();
    if length > NAME_MAX {
        out.push(
            Rule::InvalidName,
            &ptr,
            span,
            format!("pipeline name `{text}` is {length} characters long; pachd accepts at most {NAME_MAX}"),
            format!("shorten the name to {NAME_MAX} characters or fewer"),
        );
        return;
    }
    if let Some(project) = project {
        kubernetes_name(project, text, &ptr, span, out);
    }
}

/// The pipeline's project (the default one when unset or empty), or `None` when its
/// name is invalid (reported here).
fn project_name<'a>(
    pipeline: &'a Entry,
    pipeline_ptr: &Pointer,
    out: &mut Findings,
) -> Option<&'a str> {
    let Some(project) = field(&pipeline.value, "project") else {
        return Some(DEFAULT_PROJECT);
    };
    let Some((name, text)) = field(&project.value, "name")
        .and_then(|name| name.value.as_str().map(|text| (name, text)))
        // An empty project name means the default project.
        .filter(|(_, text)| !text.is_empty())
    else {
        return Some(DEFAULT_PROJECT);
    };
    let Some(problem) = name_problem(text) else {
        return Some(text);
    };
    out.push(
        Rule::InvalidName,
        &pipeline_ptr.key(&project.written).key(&name.written),
        name.value.span,
        format!("project name `{text}` {problem}"),
        "pachd refuses the pipeline: name projects with letters, digits, `_` and `-`, starting with a letter or digit",
    );
    None
}

/// pachd names the pipeline's Kubernetes objects `<project>-<name>-v<version>`,
/// lowercased with `_` turned into `-`; Kubernetes caps names at 63 characters.
fn kubernetes_name(project: &str, name: &str, ptr: &Pointer, span: Span, out: &mut Findings) {
    let kube = format!("{project}-{name}-v99")
        .to_lowercase()
        .replace('_', "-");
    if kube.len() > KUBE_NAME_MAX {
        out.push(
            Rule::InvalidName,
            ptr,
            span,
            format!(
                "pipeline `{name}` in project `{project}` is too long: its Kubernetes name `{kube}` has {} characters, the limit is {KUBE_NAME_MAX}",
                kube.len()
            ),
            format!(
                "shorten the pipeline or project name by {} characters",
                kube.len() - KUBE_NAME_MAX
            ),
        );
    }
}

/// `transform`, and `input` unless the pipeline is a spout.
fn required(spec: &Node, root: &Pointer, out: &mut Findings) {
    if field(spec, "transform").is_none() {
        out.push(
            Rule::MissingField,
            root,
            spec.span,
            "the spec has no `transform`: pachd refuses a pipeline without one",
            "add a `transform` with the `image` and `cmd` the pipeline runs",
        );
    }
    let spout = field(spec, "spout");
    match (field(spec, "input"), spout) {
        (None, None) => out.push(
            Rule::MissingField,
            root,
            spec.span,
            "the spec has no `input`: only a spout may go without one",
            "add an `input` (for example `{\"pfs\": {\"repo\": \"...\", \"glob\": \"/*\"}}`), or make the pipeline a `spout`",
        ),
        (Some(input), Some(spout)) if field(&spout.value, "service").is_none() => out.push(
            Rule::InvalidInput,
            &root.key(&input.written),
            input.key_span,
            "a spout without a service must not have an input",
            "remove `input`: a spout brings its own data in (or give the spout a `service`)",
        ),
        (Some(entry), _) => input::check(&entry.value, &root.key(&entry.written), out),
        (None, Some(_)) => {}
    }
}

/// A secret given to an environment variable names the key of the secret to read: pachd
/// 2.3 and later refuse the pipeline without it ("secret S has env_var set but is missing
/// key", `validateSecret` in pachd's pps API server); earlier releases start workers
/// that cannot read it.
fn secret_keys(spec: &Node, root: &Pointer, out: &mut Findings) {
    let Some(transform) = field(spec, "transform") else {
        return;
    };
    let Some(secrets) = field(&transform.value, "secrets") else {
        return;
    };
    let list = root.key(&transform.written).key(&secrets.written);
    for (i, secret) in secrets
        .value
        .as_seq()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let named = |name: &str| {
            field(secret, name)
                .and_then(|e| e.value.as_str())
                .filter(|t| !t.is_empty())
        };
        if named("env_var").is_some() && named("key").is_none() {
            let which = named("name").map_or(String::new(), |n| format!(" `{n}`"));
            out.push(
                Rule::MissingField,
                &list.index(i),
                secret.span,
                format!("the secret{which} sets `env_var` but no `key`: pachd refuses it"),
                "add `key`: the key inside the Kubernetes secret whose value the variable gets",
            );
        }
    }
}

/// Fields pachd refuses outright or in combination.
fn combinations(spec: &Node, root: &Pointer, out: &mut Findings) {
    if let Some(tf_job) = field(spec, "tf_job") {
        out.push(
            Rule::InvalidValue,
            &root.key(&tf_job.written),
            tf_job.key_span,
            "`tf_job` is not supported: pachd refuses any pipeline that sets it",
            "remove `tf_job` and run the training code in `transform`",
        );
    }
    let spout = field(spec, "spout");
    let service = field(spec, "service");
    if let Some(s3_out) = flag(spec, "s3_out")
        && let Some(other) = service.or(spout)
    {
        out.push(
            Rule::InvalidValue,
            &root.key(&s3_out.written),
            s3_out.key_span,
            format!("`s3_out` cannot be combined with `{}`", other.written),
            format!("remove `s3_out` or `{}`", other.written),
        );
    }
    if let (Some(autoscaling), Some(spout)) = (flag(spec, "autoscaling"), spout) {
        out.push(
            Rule::InvalidValue,
            &root.key(&autoscaling.written),
            autoscaling.key_span,
            format!(
                "`autoscaling` cannot be combined with `{}`: a spout runs all the time",
                spout.written
            ),
            "remove `autoscaling`",
        );
    }
    if let Some(service) = service {
        service_parallelism(spec, &service.written, root, out);
    }
}

/// A service runs exactly one worker.
fn service_parallelism(spec: &Node, service: &str, root: &Pointer, out: &mut Findings) {
    let Some(parallelism) = field(spec, "parallelism_spec") else {
        return;
    };
    let Some(constant) = field(&parallelism.value, "constant") else {
        return;
    };
    // 0 is protobuf's "unset": pachd then uses 1.
    match constant.value.as_i64() {
        Some(n) if n != 0 && n != 1 => out.push(
            Rule::InvalidValue,
            &root.key(&parallelism.written).key(&constant.written),
            constant.value.span,
            format!("a pipeline with a `{service}` must run exactly 1 worker, not {n}"),
            "set `constant` to 1 or remove `parallelism_spec`",
        ),
        _ => {}
    }
}

/// String fields with a fixed set of values or a syntax of their own.
fn values(spec: &Node, root: &Pointer, out: &mut Findings) {
    reprocess_spec(spec, root, out);
    service_types(spec, root, out);
    pod_json(spec, root, out);
}

fn reprocess_spec(spec: &Node, root: &Pointer, out: &mut Findings) {
    if let Some(entry) = field(spec, "reprocess_spec")
        && let Some(text) = entry.value.as_str()
        && !matches!(text, "" | "until_success" | "every_job")
    {
        out.push(
            Rule::InvalidValue,
            &root.key(&entry.written),
            entry.value.span,
            format!("`reprocess_spec` is `{text}`; pachd accepts `until_success` or `every_job`"),
            "use `until_success` (the default) or `every_job`",
        );
    }
}

/// `service.type` and `spout.service.type`: the Kubernetes service types pachd knows.
fn service_types(spec: &Node, root: &Pointer, out: &mut Findings) {
    let service = field(spec, "service").map(|s| (root.key(&s.written), s));
    let spout_service = field(spec, "spout").and_then(|spout| {
        let service = field(&spout.value, "service")?;
        Some((root.key(&spout.written).key(&service.written), service))
    });
    for (ptr, service) in service.into_iter().chain(spout_service) {
        let Some(kind) = field(&service.value, "type") else {
            continue;
        };
        if let Some(text) = kind.value.as_str()
            && !matches!(text, "" | "ClusterIP" | "NodePort" | "LoadBalancer")
        {
            out.push(
                Rule::InvalidValue,
                &ptr.key(&kind.written),
                kind.value.span,
                format!("service type `{text}` is not one pachd accepts"),
                "use `ClusterIP`, `NodePort` or `LoadBalancer` (the spelling is case-sensitive)",
            );
        }
    }
}

/// `pod_spec` and `pod_patch` are strings that must hold JSON.
fn pod_json(spec: &Node, root: &Pointer, out: &mut Findings) {
    for name in ["pod_spec", "pod_patch"] {
        let Some(entry) = field(spec, name) else {
            continue;
        };
        let Some(text) = entry.value.as_str() else {
            continue;
        };
        if text.is_empty() {
            continue;
        }
        if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
            out.push(
                Rule::InvalidValue,
                &root.key(&entry.written),
                entry.value.span,
                format!(
                    "`{}` is not valid JSON: {e} (inside the string)",
                    entry.written
                ),
                format!(
                    "`{}` is a string holding a JSON {}; check its quoting and escapes",
                    entry.written,
                    if name == "pod_spec" {
                        "object (a Kubernetes PodSpec)"
                    } else {
                        "patch (RFC 6902)"
                    }
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
