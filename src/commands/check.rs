//! `pachhook check`: the engine on files the user names, or on the repository's specs.

use std::path::Path;

use anyhow::Result;

use std::sync::Arc;

use crate::check::{self, Level, Options, Rule, Severity, builds};
use crate::cli::CheckArgs;
use crate::config::{self, Config, Judged, policy};
use crate::error::{ExitStatus, UsageError};
use crate::repo::Repo;
use crate::report::Format;
use crate::select;
use crate::{discover, report};

pub fn run(args: CheckArgs) -> Result<ExitStatus> {
    // Outside a repository, named files are still checked, with the defaults.
    let repo = Repo::discover().ok();
    let root = repo
        .as_ref()
        .and_then(|r| r.work_tree().ok())
        .map(Path::to_path_buf);
    // Each object by its own settings: the index for `--staged`, the work tree else
    // (`--from-ref` loads its end commit's below).
    let config = match (&repo, &root) {
        _ if args.from_ref.is_some() => Config::default(),
        (Some(repo), Some(_)) if args.staged => Config::judging(repo, Judged::Index)?,
        (Some(repo), Some(_)) => Config::judging(repo, Judged::WorkTree)?,
        _ => Config::default(),
    };
    let mut opts = options(&config, args.pachyderm.as_deref())?;
    let whole_repository =
        !args.staged && args.from_ref.is_none() && (args.paths.is_empty() || args.all);
    // `unused-build` needs every spec's image.
    if whole_repository && !config.builds.is_empty() {
        opts.keep_trees = true;
    }
    let selection = if let Some(from) = &args.from_ref {
        // The pre-push selection for CI: the specs a range changes, as they are at its
        // end, with the settings and policies of that commit.
        let repo = repo.ok_or_else(|| UsageError("--from-ref: not in a git repository".into()))?;
        let to = repo.commit_named(args.to_ref.as_deref().unwrap_or("HEAD"))?;
        let from = repo.commit_named(from)?;
        let config = Config::judging(&repo, Judged::Commit(to))?;
        opts = options(&config, args.pachyderm.as_deref())?;
        opts.policies = policy::load(&config.policies, &mut policy::Files::commit(&repo, to))?;
        let base = repo.merge_base(from, to)?;
        let mut selection = select::changed_between(&repo, base, to, &config.selector()?)?;
        selection.sort();
        if check::graph::wanted(&opts) {
            let all = select::in_tree(&repo, to, &config.selector()?)?;
            opts.graph.context = Some(check::graph::context(all.sources, &opts));
        }
        selection
    } else if args.staged {
        // The pre-commit hook's selection: the staged content of the changed specs, and
        // the policies as staged.
        let repo = repo.ok_or_else(|| UsageError("--staged: not in a git repository".into()))?;
        opts.policies = policy::load(&config.policies, &mut policy::Files::index(&repo))?;
        let selector = config.selector()?;
        if check::graph::wanted(&opts) {
            let all = select::index(&repo, &selector)?;
            opts.graph.context = Some(check::graph::context(all.sources, &opts));
        }
        select::staged(&repo, &selector, &repo.merge_sources(false)?)?
    } else if args.paths.is_empty() || args.all {
        let root = root.as_ref().ok_or_else(|| {
            UsageError(
                "not in a git repository: name the spec files or directories to check".into(),
            )
        })?;
        super::work_tree_specs(repo.as_ref(), root, &config.selector()?)?
    } else {
        if let Some(root) = &root {
            opts.path_base = Some(check::policy::PathBase {
                root: root.canonicalize().unwrap_or_else(|_| root.clone()),
                cwd: std::env::current_dir()?,
            });
        }
        // The graph rules see the named specs among the repository's (its work tree).
        if let Some(root) = &root
            && check::graph::wanted(&opts)
        {
            let all = super::work_tree_specs(repo.as_ref(), root, &config.selector()?)?;
            opts.graph.context = Some(check::graph::context(all.sources, &opts));
        }
        if args.only_specs {
            let selector = config.selector()?;
            discover::named_by_hook(&args.paths, root.as_deref(), &selector)?
        } else {
            discover::from_paths(&args.paths)?
        }
    };
    if let (Some(root), false, None) = (&root, args.staged, &args.from_ref) {
        opts.policies = policy::load(&config.policies, &mut policy::Files::work_tree(root))?;
    }
    if whole_repository && let Some(root) = &root {
        templates_exist(&opts, root)?;
    }
    crate::hooks::warn(selection.warning());
    let mut report = check::check(selection.sources, &opts);
    if whole_repository && let Some(root) = &root {
        add_unused_builds(&mut report, &config, root, &opts)?;
    }
    // CI systems resolve paths from the repository root, whatever directory the job ran
    // `check` in; the terminal keeps the paths as the user typed them.
    if (args.format != Format::Human || args.output.is_some())
        && let Some(base) = &opts.path_base
    {
        report::paths_from_root(&mut report, base);
    }
    match &args.output {
        // The file for the CI system, the human report for the log.
        Some(path) => {
            report::save(&report, args.format, path)?;
            report::print(&report, Format::Human)?;
        }
        None => report::print(&report, args.format)?,
    }
    let status = if report.has_errors() {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    };
    // The process ends right after this: freeing every tree of a large run one node at
    // a time would only delay the exit (measured with scripts/bench-check.sh).
    std::mem::forget(report);
    Ok(status)
}

/// Every `[[template]]` names a regular file of the work tree: the walk reads only those,
/// so an instance of a missing template (a typo, a FIFO) would otherwise pass unchecked.
/// A configuration error at its `path =`, as for a `[[policy]]` schema.
fn templates_exist(opts: &Options, root: &Path) -> Result<()> {
    for instance in &opts.templates {
        let regular = std::fs::symlink_metadata(root.join(&instance.path))
            .is_ok_and(|m| m.file_type().is_file());
        if !regular {
            return Err(crate::error::ConfigError::new(
                &root.join(&instance.config),
                usize::try_from(instance.line).unwrap_or(usize::MAX),
                usize::try_from(instance.column).unwrap_or(usize::MAX),
                format!(
                    "[[template]] path: `{}` is not a file in the work tree",
                    instance.path
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// `unused-build` findings on the configuration, at their rule's level.
fn add_unused_builds(
    report: &mut check::Report,
    config: &Config,
    root: &Path,
    opts: &Options,
) -> Result<()> {
    if config.builds.is_empty() || opts.levels.get(&Rule::UnusedBuild) == Some(&Level::Off) {
        return Ok(());
    }
    let mut declared = Vec::new();
    let mut texts: Vec<(std::path::PathBuf, Arc<Vec<u8>>)> = Vec::new();
    for build in &config.builds {
        let text = match texts.iter().find(|(p, _)| *p == build.file) {
            Some((_, text)) => text.clone(),
            None => {
                let text = Arc::new(config::file::read_bytes(&build.file)?.unwrap_or_default());
                texts.push((build.file.clone(), text.clone()));
                text
            }
        };
        declared.push(builds::Declared {
            canonical: build.canonical(),
            repository: build.repository(),
            pipelines: build.pipelines.clone(),
            file: build
                .file
                .strip_prefix(root)
                .unwrap_or(&build.file)
                .to_string_lossy()
                .into_owned(),
            text,
            line: u32::try_from(build.line).unwrap_or(u32::MAX),
        });
    }
    let mut found = builds::unused(&report.files, &declared);
    if let Some(Level::Error) = opts.levels.get(&Rule::UnusedBuild) {
        for finding in found.iter_mut().flat_map(|f| &mut f.findings) {
            finding.severity = Severity::Error;
        }
    }
    for file in found {
        match report
            .files
            .iter_mut()
            .find(|f| f.source.path == file.source.path)
        {
            Some(same) => same.findings.extend(file.findings),
            None => report.files.push(file),
        }
    }
    report
        .files
        .sort_by(|a, b| a.source.path.cmp(&b.source.path));
    Ok(())
}

/// Engine options from the configuration, `PACHHOOK_SKIP` and a `--pachyderm` flag.
fn options(config: &Config, release: Option<&str>) -> Result<Options> {
    let mut opts = config.engine_options()?;
    if let Some(release) = release {
        opts.release = release
            .parse()
            .map_err(|m| UsageError(format!("--pachyderm: {m}")))?;
    }
    Ok(opts)
}
