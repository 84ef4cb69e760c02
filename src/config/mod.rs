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

mod build;
mod deploy;

use build::BuildLayer;
pub use build::{Build, clean};
use deploy::DeployLayer;
pub use deploy::{DEFAULT_PACHCTL_TIMEOUT, Deploy, LOCAL_KEYS, OnFailure, Pin};

use crate::check::{Level, Options, Rule};
pub use crate::error::ConfigError;
use crate::release::Release;
use crate::repo::{Oid, Repo};

pub mod file;
pub mod paths;
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
    /// `[graph] sources`: globs of the source repositories the team fills (`project/repo`,
    /// or `repo` in any project); set, `unknown-input` reports the others.
    pub graph_sources: Vec<String>,
    /// The files the configuration came from, for `status` and messages.
    pub files: Vec<PathBuf>,
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
    build: Option<Vec<BuildLayer>>,
    #[serde(default)]
    deploy: Option<DeployLayer>,
    #[serde(default)]
    policy: Option<Vec<policy::PolicyLayer>>,
    #[serde(default)]
    template: Option<Vec<template::TemplateLayer>>,
    #[serde(default)]
    graph: GraphLayer,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphLayer {
    sources: Option<Vec<String>>,
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

/// What a command judges, and so where its settings (`pachhook.toml`, the policies and
/// templates it names) come from: the object itself, never another one. A commit made
/// with `git add -p` is judged by the `pachhook.toml` it stages, a push by the pushed
/// commit's, `check` by the work tree's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judged {
    /// The work tree: `check`, `check --all`, `render`, `schema`.
    WorkTree,
    /// The index a commit is being made from (`GIT_INDEX_FILE` honoured): the
    /// pre-commit hook, `check --staged`.
    Index,
    /// A commit: a pushed tip, `check --from-ref`, deploy.
    Commit(Oid),
}

impl Config {
    /// The settings that judge `judged`: its `pachhook.toml`, then this clone's
    /// `pachhook.local.toml` (see `local_file`). The one place every command loads its
    /// configuration from.
    pub fn judging(repo: &Repo, judged: Judged) -> Result<Config> {
        let mut config = Config::default();
        if let Some((path, text)) = team_file(repo, judged)? {
            config.apply(parse_layer(&path, &text)?, &path, &text)?;
            config.files.push(path);
        }
        if let Some((path, text)) = local_file(repo, judged)? {
            let layer = parse_layer(&path, &text)?;
            check_local(&layer, &path, &text)?;
            config.apply(layer, &path, &text)?;
            config.files.push(path);
        }
        Ok(config)
    }

    /// The settings that judge the work tree of the repository at `root`
    /// (`judging(WorkTree)`), for callers holding a path rather than a `Repo`.
    pub fn load(root: &Path) -> Result<Config> {
        Config::judging(&Repo::open(root)?, Judged::WorkTree)
    }

    /// The settings for deploying `commit`: `pachhook.toml` as that commit's tree has
    /// it (not the working tree's, not the checked-out branch's), then from
    /// `pachhook.local.toml` only the `[deploy]` keys that say how this machine reaches
    /// the cluster (`LOCAL_KEYS`). The commit's file is named `<short sha>:pachhook.toml`
    /// in messages, which is how `git show` reads it.
    pub fn for_commit(repo: &Repo, commit: Oid) -> Result<Config> {
        let judged = Judged::Commit(commit);
        let mut config = Config::default();
        if let Some((path, text)) = team_file(repo, judged)? {
            config.apply(parse_layer(&path, &text)?, &path, &text)?;
            config.files.push(path);
        }
        if let Some((path, text)) = local_file(repo, judged)? {
            let layer = parse_layer(&path, &text)?;
            check_local(&layer, &path, &text)?;
            if let Some(deploy) = layer.deploy {
                config.deploy.apply(deploy, &path, &text)?;
            }
            config.files.push(path);
        }
        Ok(config)
    }

    /// Which files are spec files under this configuration: `[specs] paths`, and the
    /// `[[template]]` files whatever the globs say. Every command picks files with it.
    pub fn selector(&self) -> Result<crate::select::Selector> {
        Ok(crate::select::Selector::new(&self.spec_paths)?
            .with_files(self.templates.iter().map(|t| t.path.as_str())))
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
        if let Some(globs) = layer.specs.paths {
            let mut normalised = Vec::with_capacity(globs.len());
            for glob in &globs {
                let span = || find_span(text, glob);
                let glob = paths::glob(glob).map_err(|why| {
                    error_at(path, text, span(), format!("[specs] paths `{glob}`: {why}"))
                })?;
                // Validated by the matcher that will use it (`select`: gitignore rules).
                crate::select::Selector::new(std::slice::from_ref(&glob))
                    .map_err(|e| error_at(path, text, span(), format!("[specs] paths: {e:#}")))?;
                normalised.push(glob);
            }
            self.spec_paths = normalised;
        }
        if let Some(sources) = layer.graph.sources {
            for glob in &sources {
                crate::check::graph::Sources::new(std::slice::from_ref(glob)).map_err(|e| {
                    let span = find_span(text, glob);
                    error_at(path, text, span, format!("[graph] sources: {e:#}"))
                })?;
            }
            self.graph_sources = sources;
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
            self.builds = builds
                .into_iter()
                .map(|b| b.load(path, text))
                .collect::<Result<_>>()?;
            build::check_unique(&self.builds)?;
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
        opts.managed_images = self.builds.iter().map(Build::canonical).collect();
        opts.managed_pipelines = self
            .builds
            .iter()
            .flat_map(|b| b.pipelines.iter().flatten().cloned())
            .collect();
        opts.deploys = self.deploy.enabled;
        opts.reprocess = self.deploy.reprocess;
        opts.templates = self.templates.clone();
        opts.levels = self.rules.clone();
        opts.graph.sources = self.graph_sources.clone();
        if let Some(project) = &self.deploy.project {
            opts.graph.default_project = project.clone();
        }
        for id in skip
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let rule = Rule::from_id(id)
                .ok_or_else(|| anyhow::anyhow!("PACHHOOK_SKIP: unknown rule `{id}`"))?;
            opts.levels.insert(rule, Level::Off);
            if !opts.skipped.contains(&rule) {
                opts.skipped.push(rule);
            }
        }
        Ok(opts)
    }
}

/// `pachhook.toml` as `judged` holds it, named for messages: the work tree's path for
/// the work tree and the index (whose content is the staged one), `<short sha>:pachhook.toml`
/// for a commit.
fn team_file(repo: &Repo, judged: Judged) -> Result<Option<(PathBuf, String)>> {
    let root = repo.work_tree()?;
    let (path, bytes) = match judged {
        Judged::WorkTree => {
            let path = root.join(TEAM_FILE);
            return Ok(file::read_text(&path)?.map(|text| (path, text)));
        }
        Judged::Index => (root.join(TEAM_FILE), repo.staged_file(TEAM_FILE)?),
        Judged::Commit(commit) => {
            let hex = commit.to_string();
            let path = PathBuf::from(format!("{}:{TEAM_FILE}", &hex[..hex.len().min(12)]));
            (path, repo.file_at_commit(commit, TEAM_FILE)?)
        }
    };
    let Some(bytes) = bytes else { return Ok(None) };
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = file::position(e.as_bytes(), e.utf8_error().valid_up_to());
        ConfigError::new(
            &path,
            line,
            column,
            "not UTF-8: TOML files are UTF-8 text".into(),
        )
    })?;
    Ok(Some((path, text)))
}

/// This clone's `pachhook.local.toml`: one developer's settings, read from the top of
/// the main worktree (`Repo::clone_dir`) whichever worktree runs, and only while git
/// does not track it. A tracked one (staged, or in the judged commit) would turn the
/// team's rules off in every clone: it is refused, whatever the command.
fn local_file(repo: &Repo, judged: Judged) -> Result<Option<(PathBuf, String)>> {
    let path = repo.clone_dir()?.join(LOCAL_FILE);
    let tracked = match judged {
        Judged::Commit(commit) => repo
            .file_at_commit(commit, LOCAL_FILE)
            .is_ok_and(|f| f.is_some()),
        Judged::WorkTree | Judged::Index => false,
    } || repo
        .staged_entry(LOCAL_FILE)?
        .is_some_and(|(mode, _)| crate::repo::is_regular_file(mode));
    if tracked {
        let shown = repo.work_tree()?.join(LOCAL_FILE);
        return Err(ConfigError::file(
            &shown,
            format!(
                "is tracked by git: {LOCAL_FILE} holds one developer's settings and applies \
                 only untracked (committed, it would change the rules in every clone); \
                 untrack it with `git rm --cached {LOCAL_FILE}` and add it to .gitignore, \
                 or move its settings to {TEAM_FILE}"
            ),
        )
        .into());
    }
    Ok(file::read_text(&path)?.map(|text| (path, text)))
}

/// `pachhook.local.toml` says how this machine reaches the cluster and how strict its
/// own checks are; it never changes what goes into an image or a spec.
fn check_local(layer: &Layer, path: &Path, text: &str) -> Result<()> {
    if layer.build.is_some() {
        let span = find_span(text, "[[build]]");
        let span = if span.end == 0 {
            find_span(text, "build")
        } else {
            span
        };
        return Err(deploy::local_refusal(path, text, span, "[[build]]"));
    }
    if let Some((key, span)) = layer.deploy.as_ref().and_then(DeployLayer::team_only_key) {
        return Err(deploy::local_refusal(
            path,
            text,
            span,
            &format!("[deploy] {key}"),
        ));
    }
    Ok(())
}

fn parse_layer(path: &Path, text: &str) -> Result<Layer> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        error_at(path, text, span, e.message().to_string())
    })
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

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    file::position(text.as_bytes(), offset).0
}
