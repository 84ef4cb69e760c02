//! Image rules for `transform.image`.
//!
//! Pachyderm pulls worker images with the Kubernetes pull policy `IfNotPresent`: a node
//! that already holds `team/edges:latest` never pulls a newer one. A floating tag (or no
//! tag, which means `latest`) therefore runs whatever build a node happened to cache,
//! and `pachctl inspect pipeline` cannot tell which code produced an output. The fix is
//! the documented workflow: tag every image with the git commit SHA.
//!
//! - `invalid-image`: the reference does not follow the Docker grammar.
//! - `floating-tag`: no digest, and no tag or a tag in `Options::floating_tags`; with
//!   `require_digest`, any reference without a digest.
//! - `missing-image`: a transform without an image; the server substitutes its default.
//!
//! Managed images: a spec whose image repository is one `[[build]]` builds (in
//! `Options::managed_images`) is exempt from `floating-tag`, whatever tag it is
//! committed with (none, `latest`, an old SHA): deploy builds that image and writes the
//! commit SHA tag into the spec it sends to pachctl, so the committed tag never runs.

use super::{Findings, Options, Rule};
use crate::image_ref::{self, ImageRef};
use crate::spec::{Entry, Node, Pointer};

const HELP_SHA: &str = "tag it with the commit SHA (`team/edges:3f2a9c1`) or pin a digest; see `pachhook explain floating-tag`";

pub fn check(spec: &Node, opts: &Options, out: &mut Findings) {
    let Some((ptr, entry, text)) = transform_image(spec, out) else {
        return;
    };
    let span = entry.value.span;
    let image = match image_ref::parse(text) {
        Ok(image) => image,
        Err(e) => {
            out.push(
                Rule::InvalidImage,
                &ptr,
                span,
                format!("`{text}` is not a valid image: {e}"),
                "write `[registry[:port]/]path[:tag][@sha256:digest]`, path in lowercase (`team/edges:3f2a9c1`)",
            );
            return;
        }
    };
    if image.digest.is_some() || is_managed(&image, &opts.managed_images) {
        return;
    }
    if let Some(why) = floating(text, &image, opts) {
        out.push(
            Rule::FloatingTag,
            &ptr,
            span,
            format!(
                "{why}: Kubernetes nodes keep running whatever build they cached"
            ),
            if opts.require_digest {
                "pin it by digest (`@sha256:...`), or list its repository in `[[build]]` so deploy tags it"
            } else {
                HELP_SHA
            },
        );
    }
}

/// `transform.image` as text, with its pointer, when the spec has a `transform`;
/// `missing-image` when that has no image. A value of another type is the schema's.
fn transform_image<'a>(
    spec: &'a Node,
    out: &mut Findings,
) -> Option<(Pointer, &'a Entry, &'a str)> {
    let transform = spec.entry("transform").filter(|e| !e.value.is_null())?;
    transform.value.as_map()?;
    let transform_ptr = Pointer::root().key(&transform.written);
    let image = transform
        .value
        .entry("image")
        .filter(|e| !e.value.is_null());
    match image.map(|entry| (entry, entry.value.as_str())) {
        // A non-string image is a type error the schema reports.
        Some((_, None)) => None,
        Some((entry, Some(text))) if !text.is_empty() => {
            Some((transform_ptr.key(&entry.written), entry, text))
        }
        _ => {
            out.push(
                Rule::MissingImage,
                &transform_ptr,
                transform.key_span,
                "`transform` has no `image`: pachd runs the pipeline on its default Ubuntu image, which nobody chose",
                "set `transform.image` to the image that holds the pipeline's code, tagged with the commit SHA",
            );
            None
        }
    }
}

/// Why an image without a digest is not pinned, if it is not: no tag, a floating tag,
/// or any tag when `require_digest` is set.
fn floating(text: &str, image: &ImageRef, opts: &Options) -> Option<String> {
    let mut why = match &image.tag {
        None => format!("`{text}` has no tag, so it means `latest`, which moves"),
        Some(tag) if opts.floating_tags.iter().any(|t| t == tag) => {
            format!("`{text}` uses the floating tag `{tag}`")
        }
        Some(_) if opts.require_digest => {
            format!("`{text}` has no digest, and `require_digest` is set in pachhook.toml")
        }
        Some(_) => return None,
    };
    if opts.require_digest
        && image
            .tag
            .as_ref()
            .is_none_or(|t| opts.floating_tags.contains(t))
    {
        why.push_str(", and it has no digest, which `require_digest` asks for");
    }
    Some(why)
}

/// Whether deploy builds this image: its repository names one in `managed`, compared
/// the way Docker resolves names (`ubuntu` is `docker.io/library/ubuntu`).
pub fn is_managed(image: &ImageRef, managed: &[String]) -> bool {
    let canonical = image.canonical_repository();
    managed.iter().any(|m| match image_ref::parse(m) {
        Ok(m) => m.canonical_repository() == canonical,
        Err(_) => *m == image.repository(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Finding;
    use crate::spec::json;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn run(transform: &str, opts: &Options) -> Vec<Finding> {
        let text = format!(r#"{{"pipeline": {{"name": "p"}}, "transform": {transform}}}"#);
        let spec = json::parse(&text).expect("valid test JSON");
        let mut out = Findings::new(Some(0));
        check(&spec, opts, &mut out);
        out.into_vec()
    }

    fn rules(image: &str, opts: &Options) -> Vec<(Rule, String)> {
        run(&format!(r#"{{"image": "{image}"}}"#), opts)
            .into_iter()
            .map(|f| (f.rule, f.pointer))
            .collect()
    }

    fn floating() -> Vec<(Rule, String)> {
        vec![(Rule::FloatingTag, "/transform/image".into())]
    }

    #[test]
    fn pinned_tags_and_digests_pass() {
        let opts = Options::default();
        for image in [
            "team/edges:3f2a9c1".to_string(),
            "localhost:5000/team/edges:v1".into(),
            format!("team/edges@sha256:{SHA}"),
            format!("team/edges:latest@sha256:{SHA}"),
            "ubuntu:22.04".into(),
        ] {
            assert_eq!(rules(&image, &opts), vec![], "{image}");
        }
    }

    #[test]
    fn no_tag_and_latest_float() {
        let opts = Options::default();
        for image in [
            "team/edges",
            "team/edges:latest",
            "localhost:5000/team/edges",
        ] {
            assert_eq!(rules(image, &opts), floating(), "{image}");
        }
        let found = run(r#"{"image": "localhost:5000/edges"}"#, &opts);
        assert!(
            found[0].message.contains("has no tag"),
            "{}",
            found[0].message
        );
        assert!(found[0].message.contains("cached"));
        assert!(found[0].help.contains("commit SHA"));
        // Tags are case-sensitive: `Latest` is a different tag.
        assert_eq!(rules("team/edges:Latest", &opts), vec![]);
    }

    #[test]
    fn configured_floating_tags() {
        let opts = Options {
            floating_tags: vec!["latest".into(), "dev".into(), "main".into()],
            ..Options::default()
        };
        assert_eq!(rules("team/edges:dev", &opts), floating());
        assert_eq!(rules("team/edges:main", &opts), floating());
        assert_eq!(rules("team/edges:v1", &opts), vec![]);
    }

    #[test]
    fn require_digest() {
        let opts = Options {
            require_digest: true,
            ..Options::default()
        };
        assert_eq!(rules("team/edges:v1", &opts), floating());
        let found = run(r#"{"image": "team/edges:v1"}"#, &opts);
        assert!(
            found[0].message.contains("require_digest"),
            "{}",
            found[0].message
        );
        assert_eq!(rules(&format!("team/edges:v1@sha256:{SHA}"), &opts), vec![]);
        let found = run(r#"{"image": "team/edges"}"#, &opts);
        assert!(found[0].message.contains("no tag"), "{}", found[0].message);
        assert!(
            found[0].message.contains("require_digest"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn managed_images_may_float() {
        let opts = Options {
            managed_images: vec![
                "registry.example.com/team/edges".into(),
                "docker.io/library/tool".into(),
            ],
            require_digest: true,
            ..Options::default()
        };
        for image in [
            "registry.example.com/team/edges",
            "registry.example.com/team/edges:latest",
            "registry.example.com/team/edges:0ld5ha",
            "tool",
        ] {
            assert_eq!(rules(image, &opts), vec![], "{image}");
        }
        assert_eq!(rules("registry.example.com/team/other", &opts), floating());
        assert_eq!(rules("other.example.com/team/edges", &opts), floating());
    }

    #[test]
    fn invalid_references() {
        let opts = Options::default();
        for image in [
            "Team/edges:v1",
            "team/edges@sha256:abc",
            "team//edges",
            "$IMAGE",
        ] {
            let found = run(&format!(r#"{{"image": "{image}"}}"#), &opts);
            assert_eq!(found.len(), 1, "{image}");
            assert_eq!(found[0].rule, Rule::InvalidImage);
            assert!(
                found[0].message.contains("at character"),
                "{}",
                found[0].message
            );
        }
    }

    #[test]
    fn missing_image() {
        let opts = Options::default();
        for transform in [
            r#"{"cmd": ["sh"]}"#,
            r#"{"image": null}"#,
            r#"{"image": ""}"#,
        ] {
            let found = run(transform, &opts);
            assert_eq!(found.len(), 1, "{transform}");
            assert_eq!(
                (found[0].rule, found[0].pointer.as_str()),
                (Rule::MissingImage, "/transform")
            );
        }
        // Not a string, or no transform at all: other rules speak.
        assert_eq!(run(r#"{"image": 5}"#, &opts), vec![]);
        assert_eq!(run("null", &opts), vec![]);
        assert_eq!(run("[]", &opts), vec![]);
    }
}
