//! The team's settings: `pachhook.toml` at the repository root, committed, and
//! `pachhook.local.toml` beside it for one developer (git-ignored), which overrides the
//! team file key by key. Without either file the defaults serve: zero config works.
//!
//! Each file is parsed on its own into a `Layer` whose fields are all optional, so an
//! error names the file, line and key it comes from; the layers are then merged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Deserialize;

use crate::check::{Level, Options, Rule};
pub use crate::error::ConfigError;
use crate::release::Release;

pub mod file;
pub mod policy;
pub mod template;

pub const TEAM_FILE: &str = "pachhook.toml";
pub const LOCAL_FILE: &str = "pachhook.local.toml";

/// The merged configuration, defaults filled in.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub release: Option<Release>,
    /// `[specs] paths`: globs, relative to the repository root, of the spec files.
    pub spec_paths: Vec<String>,
    pub floating_tags: Option<Vec<String>>,
    pub require_digest: bool,
    pub rules: BTreeMap<Rule, Level>,
    pub builds: Vec<Build>,
    pub deploy: Deploy,
    /// `[[policy]]`: the team's JSON Schemas for its specs.
    pub policies: Vec<policy::PolicyConfig>,
    /// `[[template]]`: jsonnet templates and the arguments of each rendering.
    pub templates: Vec<crate::check::template::Instance>,
    /// The files the configuration came from, for `status` and messages.
    pub files: Vec<PathBuf>,
}

/// `[[build]]`: an image that deploy builds from a directory of the repository.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// Repository of the image, without a tag: `registry.example.com/vision/edges`.
    pub image: String,
    /// Build context, a directory relative to the repository root.
    pub context: String,
    /// Relative to the context.
    #[serde(default = "default_dockerfile")]
    pub dockerfile: String,
    #[serde(default)]
    pub build_args: BTreeMap<String, String>,
    #[serde(default)]
    pub target: Option<String>,
    /// Pipelines this image serves; default: every spec whose `transform.image` names
    /// this repository.
    #[serde(default)]
    pub pipelines: Option<Vec<String>>,
}

fn default_dockerfile() -> String {
    "Dockerfile".to_string()
}

/// `[deploy]`: what a push to a deploy branch does.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Deploy {
    pub enabled: bool,
    /// Globs of branch names whose pushes deploy.
    pub branches: Vec<String>,
    /// The pachctl command or path.
    pub pachctl: String,
    pub pin: Pin,
    pub reprocess: bool,
    pub project: Option<String>,
    /// The pachctl context (`PACH_CONTEXT`) to deploy to.
    pub context: Option<String>,
    pub on_failure: OnFailure,
    pub confirm: bool,
}

impl Default for Deploy {
    fn default() -> Deploy {
        Deploy {
            enabled: false,
            branches: vec!["main".to_string()],
            pachctl: "pachctl".to_string(),
            pin: Pin::Tag,
            reprocess: false,
            project: None,
            context: None,
            on_failure: OnFailure::Block,
            confirm: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Pin {
    Tag,
    Digest,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    Block,
    Warn,
}

/// One file's settings, everything optional so that layers merge key by key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layer {
    #[serde(default)]
    pachyderm: PachydermLayer,
    #[serde(default)]
    specs: SpecsLayer,
    #[serde(default)]
    images: ImagesLayer,
    #[serde(default)]
    rules: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    build: Option<Vec<Build>>,
    #[serde(default)]
    deploy: Option<DeployLayer>,
    #[serde(default)]
    policy: Option<Vec<policy::PolicyLayer>>,
    #[serde(default)]
    template: Option<Vec<template::TemplateLayer>>,
}

/// `[deploy]` of one file: every key optional so the local file overrides key by key,
/// and typed so that a wrong key or value is reported at its line by the TOML reader.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeployLayer {
    enabled: Option<bool>,
    branches: Option<Vec<toml::Spanned<String>>>,
    pachctl: Option<toml::Spanned<String>>,
    pin: Option<Pin>,
    reprocess: Option<bool>,
    project: Option<String>,
    context: Option<String>,
    on_failure: Option<OnFailure>,
    confirm: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PachydermLayer {
    version: Option<toml::Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecsLayer {
    paths: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImagesLayer {
    floating_tags: Option<Vec<String>>,
    require_digest: Option<bool>,
}

impl Config {
    /// Loads `pachhook.toml` and `pachhook.local.toml` from `root`, either or both of
    /// which may be absent.
    pub fn load(root: &Path) -> Result<Config> {
        let mut config = Config::default();
        for name in [TEAM_FILE, LOCAL_FILE] {
            let path = root.join(name);
            let Some(text) = file::read_text(&path)? else {
                continue;
            };
            let layer = parse_layer(&path, &text)?;
            config.apply(layer, &path, &text)?;
            config.files.push(path);
        }
        Ok(config)
    }

    /// Parses one configuration text as the only layer; for tests and `init`.
    pub fn from_str(path: &Path, text: &str) -> Result<Config> {
        let mut config = Config::default();
        config.apply(parse_layer(path, text)?, path, text)?;
        config.files.push(path.to_path_buf());
        Ok(config)
    }

    fn apply(&mut self, layer: Layer, path: &Path, text: &str) -> Result<()> {
        if let Some(version) = layer.pachyderm.version {
            let release = version.get_ref().parse::<Release>().map_err(|m| {
                error_at(
                    path,
                    text,
                    version.span(),
                    format!("[pachyderm] version: {m}"),
                )
            })?;
            self.release = Some(release);
        }
        if let Some(paths) = layer.specs.paths {
            for glob in &paths {
                globset::Glob::new(glob).map_err(|e| {
                    let span = find_span(text, glob);
                    error_at(
                        path,
                        text,
                        span,
                        format!("[specs] paths: `{glob}` is not a valid glob: {}", e.kind()),
                    )
                })?;
            }
            self.spec_paths = paths;
        }
        if let Some(tags) = layer.images.floating_tags {
            self.floating_tags = Some(tags);
        }
        if let Some(require) = layer.images.require_digest {
            self.require_digest = require;
        }
        for (id, level) in layer.rules {
            let rule = Rule::from_id(&id).ok_or_else(|| {
                let known: Vec<_> = Rule::ALL.iter().map(|r| r.id()).collect();
                error_at(
                    path,
                    text,
                    find_span(text, &id),
                    format!("[rules]: unknown rule `{id}` (rules: {})", known.join(", ")),
                )
            })?;
            let parsed = Level::parse(level.get_ref()).ok_or_else(|| {
                error_at(
                    path,
                    text,
                    level.span(),
                    format!(
                        "[rules] {id}: `{}` is not a level: use \"error\", \"warning\" or \"off\"",
                        level.get_ref()
                    ),
                )
            })?;
            self.rules.insert(rule, parsed);
        }
        if let Some(builds) = layer.build {
            for build in &builds {
                check_build(build)
                    .map_err(|m| error_at(path, text, find_span(text, &build.image), m))?;
            }
            self.builds = builds;
        }
        if let Some(deploy) = layer.deploy {
            self.deploy.apply(deploy, path, text)?;
        }
        if let Some(templates) = layer.template {
            self.templates = template::parse(templates, path, text)?;
        }
        if let Some(policies) = layer.policy {
            self.policies = policy::parse(policies, path, text)?;
        }
        Ok(())
    }

    /// The engine options for this command: the configuration plus `PACHHOOK_SKIP` from
    /// the environment. Every command that checks specs comes through here, so the
    /// variable means the same everywhere; a bad rule id is a usage error (exit 2).
    pub fn engine_options(&self) -> Result<Options> {
        let skip = std::env::var("PACHHOOK_SKIP").ok();
        self.options(skip.as_deref())
            .map_err(|e| crate::error::UsageError(e.to_string()).into())
    }

    /// The engine options this configuration asks for. `skip` is `PACHHOOK_SKIP`: rule
    /// ids to turn off for one command.
    pub fn options(&self, skip: Option<&str>) -> Result<Options> {
        let mut opts = Options::default();
        if let Some(release) = self.release {
            opts.release = release;
        }
        if let Some(tags) = &self.floating_tags {
            opts.floating_tags = tags.clone();
        }
        opts.require_digest = self.require_digest;
        opts.managed_images = self.builds.iter().map(|b| b.image.clone()).collect();
        opts.managed_pipelines = self
            .builds
            .iter()
            .flat_map(|b| b.pipelines.iter().flatten().cloned())
            .collect();
        opts.deploys = self.deploy.enabled;
        opts.reprocess = self.deploy.reprocess;
        opts.templates = self.templates.clone();
        opts.levels = self.rules.clone();
        for id in skip
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let rule = Rule::from_id(id)
                .ok_or_else(|| anyhow::anyhow!("PACHHOOK_SKIP: unknown rule `{id}`"))?;
            opts.levels.insert(rule, Level::Off);
        }
        Ok(opts)
    }
}

fn parse_layer(path: &Path, text: &str) -> Result<Layer> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        error_at(path, text, span, e.message().to_string())
    })
}

impl Deploy {
    fn apply(&mut self, layer: DeployLayer, path: &Path, text: &str) -> Result<()> {
        if let Some(branches) = layer.branches {
            for glob in &branches {
                globset::Glob::new(glob.get_ref()).map_err(|e| {
                    error_at(
                        path,
                        text,
                        glob.span(),
                        format!(
                            "[deploy] branches: `{}` is not a valid glob: {}",
                            glob.get_ref(),
                            e.kind()
                        ),
                    )
                })?;
            }
            self.branches = branches
                .into_iter()
                .map(toml::Spanned::into_inner)
                .collect();
        }
        if let Some(pachctl) = layer.pachctl {
            if pachctl.get_ref().trim().is_empty() {
                return Err(error_at(
                    path,
                    text,
                    pachctl.span(),
                    "[deploy] pachctl: empty; name the pachctl command or its path".into(),
                ));
            }
            self.pachctl = pachctl.into_inner();
        }
        let DeployLayer {
            enabled,
            pin,
            reprocess,
            project,
            context,
            on_failure,
            confirm,
            ..
        } = layer;
        self.enabled = enabled.unwrap_or(self.enabled);
        self.pin = pin.unwrap_or(self.pin);
        self.reprocess = reprocess.unwrap_or(self.reprocess);
        self.project = project.or(self.project.take());
        self.context = context.or(self.context.take());
        self.on_failure = on_failure.unwrap_or(self.on_failure);
        self.confirm = confirm.unwrap_or(self.confirm);
        Ok(())
    }

    /// Whether a push of this branch (short name, `main`) deploys.
    pub fn deploys_branch(&self, branch: &str) -> bool {
        self.enabled
            && self
                .branches
                .iter()
                .filter_map(|g| globset::Glob::new(g).ok())
                .any(|g| g.compile_matcher().is_match(branch))
    }
}

/// What a `[[build]]` must be for deploy to tag it: a repository without tag or digest,
/// and a context inside the repository.
fn check_build(build: &Build) -> Result<(), String> {
    let image = build.image.as_str();
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.is_empty() {
        return Err("[[build]] image: empty; name the image repository".into());
    }
    if image.contains('@') || last.contains(':') {
        return Err(format!(
            "[[build]] image `{image}`: name the repository without a tag or digest; deploy tags it with the commit SHA"
        ));
    }
    if build.context.starts_with('/') || build.context.split('/').any(|c| c == "..") {
        return Err(format!(
            "[[build]] context `{}` (image `{image}`): name a directory inside the repository, relative to its root",
            build.context
        ));
    }
    if build.dockerfile.starts_with('/') || build.dockerfile.is_empty() {
        return Err(format!(
            "[[build]] dockerfile `{}` (image `{image}`): name a file relative to the context",
            build.dockerfile
        ));
    }
    Ok(())
}

fn find_span(text: &str, needle: &str) -> std::ops::Range<usize> {
    text.find(needle).map_or(0..0, |i| i..i + needle.len())
}

fn error_at(
    path: &Path,
    text: &str,
    span: std::ops::Range<usize>,
    message: String,
) -> anyhow::Error {
    let (line, column) = file::position(text.as_bytes(), span.start);
    ConfigError::new(path, line, column, message).into()
}
