//! `[[build]]`: an image that deploy builds from a directory of the repository.
//!
//! The image is parsed into an `ImageRef` when the configuration loads, so every later
//! comparison (is a spec's image managed, which registry holds the credentials, what
//! deploy writes into the spec) uses the one grammar and its canonical form:
//! `docker.io/team/edges` and `team/edges` are one image.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Deserialize;

use super::{error_at, find_span, line_of};
use crate::image_ref::{self, ImageRef};

/// One `[[build]]` block, as loaded.
#[derive(Clone, Debug)]
pub struct Build {
    /// The image repository, without tag or digest: `registry.example.com/vision/edges`.
    pub image: ImageRef,
    /// Build context, a directory relative to the repository root.
    pub context: String,
    /// Relative to the context.
    pub dockerfile: String,
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    /// The platform to build for (`linux/amd64`), when it is not the engine's own.
    pub platform: Option<String>,
    /// The network `RUN` instructions get (`docker build --network`): `none` for a
    /// build that must not reach the network.
    pub network: Option<String>,
    /// Pipelines this image serves; default: every spec whose `transform.image` names
    /// this repository.
    pub pipelines: Option<Vec<String>>,
    /// Where the block is written, for messages: the file and the line of its `image`.
    pub file: PathBuf,
    pub line: usize,
}

impl Build {
    /// The repository as written in the configuration: what deploy tags and pushes.
    pub fn repository(&self) -> String {
        self.image.repository()
    }

    /// The repository in Docker's canonical spelling, for comparisons.
    pub fn canonical(&self) -> String {
        self.image.canonical_repository()
    }

    /// `file:line` of the block.
    pub fn origin(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }

    /// Whether two blocks build the same image from the same inputs (where they are
    /// written does not count): a change of any of these rebuilds the image.
    pub fn same_build(&self, other: &Build) -> bool {
        self.canonical() == other.canonical()
            && clean(&self.context) == clean(&other.context)
            && self.dockerfile == other.dockerfile
            && self.build_args == other.build_args
            && self.target == other.target
            && self.platform == other.platform
            && self.network == other.network
            && self.pipelines == other.pipelines
    }
}

/// A `[[build]]` block as the TOML reader gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BuildLayer {
    image: toml::Spanned<String>,
    context: String,
    #[serde(default = "default_dockerfile")]
    dockerfile: String,
    #[serde(default)]
    build_args: BTreeMap<String, String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    pipelines: Option<Vec<String>>,
}

fn default_dockerfile() -> String {
    "Dockerfile".to_string()
}

impl BuildLayer {
    /// The block checked and its image parsed; an error names `file:line:column`.
    pub(super) fn load(self, path: &Path, text: &str) -> Result<Build> {
        let span = self.image.span();
        // A reference may carry `user:pass@`: no message shows it.
        let written = &crate::redact::userinfo(self.image.get_ref());
        // The value's text starts after its opening quote.
        let value_start = span.start + 1;
        let image = image_ref::parse(self.image.get_ref()).map_err(|e| {
            error_at(
                path,
                text,
                value_start + e.offset..span.end,
                format!(
                    "[[build]] image `{written}`: {}",
                    crate::redact::userinfo(&e.message)
                ),
            )
        })?;
        if image.tag.is_some() || image.digest.is_some() {
            return Err(error_at(
                path,
                text,
                span.clone(),
                format!(
                    "[[build]] image `{written}`: name the repository without a tag or digest; deploy tags it with the commit SHA"
                ),
            ));
        }
        let at = |needle: &str| {
            let from = span.start.min(text.len());
            let found = find_span(&text[from..], needle);
            if found.end == 0 {
                span.clone()
            } else {
                from + found.start..from + found.end
            }
        };
        if self.context.starts_with('/') || self.context.split('/').any(|c| c == "..") {
            return Err(error_at(
                path,
                text,
                at(&self.context),
                format!(
                    "[[build]] context `{}` (image `{written}`): name a directory inside the repository, relative to its root",
                    self.context
                ),
            ));
        }
        if self.dockerfile.starts_with('/') || self.dockerfile.is_empty() {
            return Err(error_at(
                path,
                text,
                at(&self.dockerfile),
                format!(
                    "[[build]] dockerfile `{}` (image `{written}`): name a file relative to the context",
                    self.dockerfile
                ),
            ));
        }
        if let Some(platform) = &self.platform
            && !valid_platform(platform)
        {
            return Err(error_at(
                path,
                text,
                at(platform),
                format!(
                    "[[build]] platform `{}` (image `{written}`): write it as the engine does, `os/arch` or `os/arch/variant` (`linux/amd64`, `linux/arm64/v8`)",
                    platform.escape_debug()
                ),
            ));
        }
        Ok(Build {
            image,
            context: self.context,
            dockerfile: self.dockerfile,
            build_args: self.build_args,
            target: self.target,
            platform: self.platform,
            network: self.network,
            pipelines: self.pipelines,
            file: path.to_path_buf(),
            line: line_of(text, span.start),
        })
    }
}

/// `os/arch[/variant]`, each part lowercase letters, digits, `_` or `.`.
fn valid_platform(platform: &str) -> bool {
    let parts: Vec<&str> = platform.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
        })
}

/// One tag, one image: two blocks that push the same repository (whatever its
/// spelling) would both push `<image>:<sha>`, the second overwriting the first.
pub(super) fn check_unique(builds: &[Build]) -> Result<()> {
    for (i, later) in builds.iter().enumerate() {
        if let Some(first) = builds[..i]
            .iter()
            .find(|b| b.canonical() == later.canonical())
        {
            return Err(crate::error::ConfigError::new(
                &later.file,
                later.line,
                1,
                format!(
                    "[[build]] image `{}` is also built by the block at {}: both would push `{}:<commit>`, the second overwriting the first; use one image repository per [[build]] (for two targets of one Dockerfile, two repositories)",
                    later.repository(),
                    first.origin(),
                    later.repository()
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// A repository-relative path in one spelling: `a/./b/` → `a/b`; `a/../b` → `b`;
/// `.` and `` → ``. Config paths (`context`, `dockerfile`) are compared with tree paths
/// through it.
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}
