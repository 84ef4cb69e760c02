//! `init`: writes a starting `pachhook.toml` from `templates/pachhook.toml`.
//!
//! It looks at the repository first (spec files, Dockerfiles) and proposes settings from
//! what it finds: asked one by one on a terminal, taken from the flags and the proposals
//! otherwise (`--yes`, or no terminal). The text it writes is loaded with `Config` before
//! it is written, so `init` never leaves a file the hooks would reject. It writes only a
//! regular file of its own at the top of the work tree, through a temporary file and a
//! rename, never through a link.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use dialoguer::{Confirm, Input};

use crate::cli::InitArgs;
use crate::config::{self, Config, LOCAL_FILE, TEAM_FILE};
use crate::deploy::plan;
use crate::error::{ExitStatus, UsageError};
use crate::release::Release;
use crate::repo::Repo;
use crate::select::Selector;
use crate::{atomic_write, discover, image_ref, spec};

const TEMPLATE: &str = include_str!("../../templates/pachhook.toml");
/// The starter team policy `init` offers, and where it writes it (README, "Team
/// policies"); the `[[policy]]` block naming it is written commented out.
const POLICY_TEMPLATE: &str = include_str!("../../templates/policy.yaml");
const POLICY_PATH: &str = "policy/pipelines.policy.yaml";

/// A Dockerfile found in the repository: a candidate `[[build]]`.
struct Dockerfile {
    /// The build context, relative to the root (`.` for the root itself).
    context: String,
    /// The file's name inside the context.
    file: String,
}

pub fn run(args: InitArgs) -> Result<ExitStatus> {
    let repo = Repo::discover().ok();
    let root = match &repo {
        Some(repo) => repo.work_tree()?.to_path_buf(),
        None => std::env::current_dir()?,
    };
    let path = root.join(TEAM_FILE);
    // What is there itself, a link not followed: a dangling `pachhook.toml` link must not
    // make init create a file wherever it points, nor `--force` overwrite its target.
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if !meta.is_file() => {
            return Err(UsageError(format!(
                "{} is {}, not a regular file: init writes only a file of its own there; \
                 remove it, then run init again",
                path.display(),
                if meta.file_type().is_symlink() {
                    "a symbolic link"
                } else {
                    "something else"
                }
            ))
            .into());
        }
        Ok(_) if !args.force => {
            return Err(UsageError(format!(
                "{} exists already: edit it, or pass --force to replace it",
                path.display()
            ))
            .into());
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let ask = !args.yes && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();

    let release = match &args.pachyderm {
        Some(text) => text
            .parse::<Release>()
            .map_err(|m| UsageError(format!("--pachyderm: {m}")))?,
        None if ask => Input::<String>::new()
            .with_prompt("Pachyderm release of the cluster")
            .default(Release::NEWEST.to_string())
            .validate_with(|s: &String| s.parse::<Release>().map(|_| ()))
            .interact_text()?
            .parse::<Release>()
            .map_err(UsageError)?,
        None => Release::NEWEST,
    };

    let found = Found::scan(&root)?;
    let specs = if args.specs.is_empty() {
        let proposed = found.globs.clone();
        let keep = !proposed.is_empty()
            && (!ask
                || confirm(&format!(
                    "Check only the files matching {}?",
                    proposed.join(", ")
                ))?);
        if keep { proposed } else { Vec::new() }
    } else {
        args.specs.clone()
    };

    let mut builds = Vec::new();
    for dockerfile in dockerfiles(&root) {
        let shown = Path::new(&dockerfile.context).join(&dockerfile.file);
        let image = found.image_for(&root, &dockerfile.context);
        if ask
            && confirm(&format!(
                "Build an image from {}?",
                crate::escape::path(&shown)
            ))?
        {
            let image: String = Input::new()
                .with_prompt("Image repository (no tag)")
                .default(image)
                .interact_text()?;
            builds.push(build_block(&image, &dockerfile, false));
        } else {
            builds.push(build_block(&image, &dockerfile, true));
        }
    }

    let text = render(release, &specs, &builds);
    Config::from_str(&path, &text)?;
    atomic_write::replace(&path, text.as_bytes(), None)?;
    crate::outln!("wrote {}", crate::escape::path(&path))?;
    if specs.is_empty() {
        crate::outln!("  specs: every JSON and YAML file holding a pipeline spec")?;
    } else {
        crate::outln!("  specs: {}", crate::escape::escape(&specs.join(", ")))?;
    }
    match ignore_local_file(repo.as_ref(), &root) {
        Ok(Some(note)) => crate::outln!("  {note}")?,
        Ok(None) => {}
        Err(e) => crate::outln!("  add {LOCAL_FILE} to .gitignore yourself: {e:#}")?,
    }
    match write_new(&root, POLICY_PATH, POLICY_TEMPLATE.as_bytes()) {
        Ok(true) => crate::outln!(
            "wrote {} (a starter team policy, off until [[policy]] names it)",
            crate::escape::path(&root.join(POLICY_PATH))
        )?,
        Ok(false) => {}
        // pachhook.toml is written: the starter policy is an offer, not the job.
        Err(e) => crate::outln!("  no starter policy written: {e:#}")?,
    }
    crate::outln!("  next: `pachhook install` to check specs on every commit and push")?;
    Ok(ExitStatus::Ok)
}

/// A yes/no question answered with Enter: the key alone would leave its Enter to answer
/// the next question.
fn confirm(prompt: &str) -> Result<bool> {
    Ok(Confirm::new()
        .with_prompt(prompt)
        .default(true)
        .wait_for_newline(true)
        .interact()?)
}

/// Adds `pachhook.local.toml` to the `.gitignore` at the top of the work tree unless git
/// ignores it already: one developer's overrides are not committed. A `.gitignore` that
/// is not a regular file is left alone. What was done, to tell the user.
fn ignore_local_file(repo: Option<&Repo>, root: &Path) -> Result<Option<String>> {
    if let Some(repo) = repo
        && repo.is_ignored(Path::new(LOCAL_FILE))?
    {
        return Ok(None);
    }
    let path = root.join(".gitignore");
    if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
        return Err(anyhow::anyhow!(
            "{} is not a regular file (a link?): left as it is",
            path.display()
        ));
    }
    let mut text = config::file::read_bytes(&path)?.unwrap_or_default();
    let listed = text
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .any(|l| l == LOCAL_FILE.as_bytes() || l == format!("/{LOCAL_FILE}").as_bytes());
    if listed {
        return Ok(None);
    }
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(format!("{LOCAL_FILE}\n").as_bytes());
    atomic_write::replace(&path, &text, None)?;
    Ok(Some(format!(
        "added {LOCAL_FILE} (one developer's settings) to {}",
        path.display()
    )))
}

/// The template with the answers filled in.
fn render(release: Release, specs: &[String], builds: &[String]) -> String {
    let specs = if specs.is_empty() {
        "# paths = [\"pipelines/*.json\"]".to_string()
    } else {
        let quoted: Vec<String> = specs.iter().map(|s| toml_string(s)).collect();
        format!("paths = [{}]", quoted.join(", "))
    };
    let builds = if builds.is_empty() {
        "# [[build]]\n# image = \"registry.example.com/team/edges\"\n# context = \"edges\""
            .to_string()
    } else {
        builds.join("\n\n")
    };
    TEMPLATE
        .replace("{{release}}", &release.to_string())
        .replace("{{specs}}", &specs)
        .replace("{{builds}}", &builds)
        .replace("{{policy}}", POLICY_PATH)
}

/// Writes a new file, synced; never over an existing one (a policy the team already has
/// stays as it is). Whether it wrote.
fn write_new(root: &Path, relative: &str, bytes: &[u8]) -> Result<bool> {
    // Every directory on the way is a real directory of the repository: a link there
    // (committed in a cloned repository) must not lead the file out of it.
    let mut dir = root.to_path_buf();
    for part in Path::new(relative)
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
    {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(UsageError(format!(
                    "{} is not a directory of the repository (a link?): init writes nothing \
                     through it; remove it, or write {relative} yourself",
                    dir.display()
                ))
                .into());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        }
    }
    let path = root.join(relative);
    match atomic_write::create_new(&path, bytes, 0o666) {
        Ok(()) => Ok(true),
        // Something is there already, a dangling link included: left as it is.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

fn build_block(image: &str, dockerfile: &Dockerfile, commented: bool) -> String {
    let mut lines = vec![
        "[[build]]".to_string(),
        format!("image = {}", toml_string(image)),
        format!("context = {}", toml_string(&dockerfile.context)),
    ];
    if dockerfile.file != "Dockerfile" {
        lines.push(format!("dockerfile = {}", toml_string(&dockerfile.file)));
    }
    let prefix = if commented { "# " } else { "" };
    lines
        .iter()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// What the repository's specs say: where they are and which images they run.
struct Found {
    /// One glob per directory and extension of the files that hold pipeline specs.
    globs: Vec<String>,
    /// The repositories (no tag or digest) of the specs' `transform.image`.
    images: BTreeSet<String>,
}

impl Found {
    fn scan(root: &Path) -> Result<Found> {
        let mut globs = BTreeSet::new();
        let mut images = BTreeSet::new();
        for source in discover::from_repo(root, &Selector::new(&[])?, &[]).sources {
            let Ok(specs) = spec::read::read(&source.bytes) else {
                continue;
            };
            if !spec::read::holds_specs(&specs) {
                continue;
            }
            for spec in &specs {
                // One image grammar: the repository as `image_ref` reads it.
                if let Some(image) = plan::image_of(spec).and_then(|i| image_ref::parse(i).ok()) {
                    images.insert(image.repository());
                }
            }
            let path = PathBuf::from(&source.path);
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("json");
            let glob = match path
                .parent()
                .and_then(|p| p.to_str())
                .filter(|p| !p.is_empty())
            {
                Some(dir) => format!("{}/*.{ext}", dir.replace('\\', "/")),
                // gitignore conventions: a glob without `/` would match at any depth.
                None => format!("/*.{ext}"),
            };
            globs.insert(glob);
        }
        Ok(Found {
            globs: globs.into_iter().collect(),
            images,
        })
    }

    /// The image to build from `context`: the specs' image whose last path component is
    /// the context's directory name (`registry/team/edges` for `edges/`), or the only
    /// image of the specs for a context at the root; else a placeholder.
    fn image_for(&self, root: &Path, context: &str) -> String {
        let name = directory_name(root, context);
        let named = self
            .images
            .iter()
            .find(|i| i.rsplit('/').next().is_some_and(|last| last == name));
        if let Some(image) = named {
            return image.clone();
        }
        if context == "." && self.images.len() == 1 {
            return self.images.iter().next().cloned().unwrap_or_default();
        }
        format!("registry.example.com/{name}")
    }
}

/// Dockerfiles in the repository (`Dockerfile`, `Dockerfile.*`, `*.Dockerfile`), skipping
/// git-ignored trees.
fn dockerfiles(root: &Path) -> Vec<Dockerfile> {
    let mut found = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .follow_links(false)
        .build()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy();
        let is_dockerfile = name == "Dockerfile"
            || name.starts_with("Dockerfile.")
            || name.ends_with(".Dockerfile");
        if !is_dockerfile || !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let dir = entry.path().parent().unwrap_or(root);
        let context = dir
            .strip_prefix(root)
            .unwrap_or(dir)
            .to_string_lossy()
            .replace('\\', "/");
        found.push(Dockerfile {
            context: if context.is_empty() {
                ".".into()
            } else {
                context
            },
            file: name.into_owned(),
        });
    }
    found.sort_by(|a, b| (&a.context, &a.file).cmp(&(&b.context, &b.file)));
    found
}

/// The context's directory name as an image name component: lower case, characters
/// outside `[a-z0-9._-]` as `-`.
fn directory_name(root: &Path, context: &str) -> String {
    let dir = if context == "." {
        root
    } else {
        Path::new(context)
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "app".into());
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_template_loads() {
        let dockerfile = Dockerfile {
            context: "edges".into(),
            file: "Dockerfile.gpu".into(),
        };
        for commented in [true, false] {
            let builds = vec![build_block(
                "registry.example.com/edges",
                &dockerfile,
                commented,
            )];
            let text = render(Release::NEWEST, &["pipelines/*.json".into()], &builds);
            let config = Config::from_str(Path::new("pachhook.toml"), &text).unwrap();
            assert_eq!(config.spec_paths, vec!["pipelines/*.json".to_string()]);
            assert_eq!(config.builds.len(), usize::from(!commented));
        }
        let text = render(Release::NEWEST, &[], &[]);
        let config = Config::from_str(Path::new("pachhook.toml"), &text).unwrap();
        assert!(config.spec_paths.is_empty() && config.builds.is_empty());
        assert_eq!(config.release, Some(Release::NEWEST));
    }
}
