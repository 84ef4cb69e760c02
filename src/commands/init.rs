//! `init`: writes a starting `pachhook.toml` from `templates/pachhook.toml`.
//!
//! It looks at the repository first (spec files, Dockerfiles) and proposes settings from
//! what it finds: asked one by one on a terminal, taken from the flags and the proposals
//! otherwise (`--yes`, or no terminal). The text it writes is loaded with `Config` before
//! it is written, so `init` never leaves a file the hooks would reject.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use dialoguer::{Confirm, Input};

use crate::cli::InitArgs;
use crate::config::{Config, TEAM_FILE};
use crate::error::{ExitStatus, UsageError};
use crate::release::Release;
use crate::repo::Repo;
use crate::{discover, spec};

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
    let root = match Repo::discover() {
        Ok(repo) => repo.work_tree()?.to_path_buf(),
        Err(_) => std::env::current_dir()?,
    };
    let path = root.join(TEAM_FILE);
    if path.exists() && !args.force {
        return Err(UsageError(format!(
            "{} exists already: edit it, or pass --force to replace it",
            path.display()
        ))
        .into());
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

    let specs = if args.specs.is_empty() {
        let proposed = spec_globs(&root)?;
        let keep = !proposed.is_empty()
            && (!ask
                || Confirm::new()
                    .with_prompt(format!(
                        "Check only the files matching {}?",
                        proposed.join(", ")
                    ))
                    .default(true)
                    .interact()?);
        if keep { proposed } else { Vec::new() }
    } else {
        args.specs.clone()
    };

    let mut builds = Vec::new();
    for dockerfile in dockerfiles(&root) {
        let shown = Path::new(&dockerfile.context).join(&dockerfile.file);
        let image = default_image(&root, &dockerfile.context);
        if ask
            && Confirm::new()
                .with_prompt(format!("Build an image from {}?", shown.display()))
                .default(true)
                .interact()?
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
    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    if specs.is_empty() {
        println!("  specs: every JSON and YAML file holding a pipeline spec");
    } else {
        println!("  specs: {}", specs.join(", "));
    }
    if write_new(&root.join(POLICY_PATH), POLICY_TEMPLATE.as_bytes())? {
        println!(
            "wrote {} (a starter team policy, off until [[policy]] names it)",
            root.join(POLICY_PATH).display()
        );
    }
    println!("  next: `pachhook install` to check specs on every commit and push");
    Ok(ExitStatus::Ok)
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
fn write_new(path: &Path, bytes: &[u8]) -> Result<bool> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("cannot write {}", path.display())),
    };
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(true)
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

/// One glob per directory and extension of the files that hold pipeline specs.
fn spec_globs(root: &Path) -> Result<Vec<String>> {
    let mut globs = BTreeSet::new();
    for source in discover::from_repo(root, &[])? {
        let holds = spec::read::read(&source.bytes).is_ok_and(|s| spec::read::holds_specs(&s));
        if !holds {
            continue;
        }
        let path = PathBuf::from(&source.path);
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("json");
        let glob = match path
            .parent()
            .and_then(|p| p.to_str())
            .filter(|p| !p.is_empty())
        {
            Some(dir) => format!("{}/*.{ext}", dir.replace('\\', "/")),
            None => format!("*.{ext}"),
        };
        globs.insert(glob);
    }
    Ok(globs.into_iter().collect())
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

/// `registry.example.com/<context's directory name>`: a placeholder the team replaces.
fn default_image(root: &Path, context: &str) -> String {
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
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("registry.example.com/{name}")
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
