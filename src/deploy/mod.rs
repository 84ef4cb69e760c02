//! Deploy at push time: build each image from the pushed commit's tree, push it tagged
//! with the commit SHA, and point the pipelines at it with pachctl.
//!
//! The order of effects is the whole design, and it is all in `run`:
//! check the commit's specs → plan → (confirm) → for every image: ask the registry, build,
//! push → only then update the pipelines, upstream first → record a git note. Because
//! every image is in the registry before the first pipeline is touched, no pipeline
//! ever points at an image the registry does not have.

pub mod build;
pub mod context;
pub mod credentials;
pub mod error;
pub mod plan;
pub mod push;
pub mod record;
mod show;
pub mod ui;
pub mod update;

use std::collections::BTreeMap;

use anyhow::Result;
use git2::{Oid, Repository, Tree};

use crate::check;
use crate::config::{Config, Pin};
use crate::error::{ExitStatus, StatusError};
use crate::repo::tree::CommitTree;
pub use error::{DeployError, Failure};
pub use plan::{Changes, Plan};
use ui::Ui;

/// How the caller runs a deploy.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOpts {
    /// Show the images and rendered specs; build, push, update and record nothing.
    pub dry_run: bool,
    /// A person may be asked (`[deploy] confirm`), on `/dev/tty` when there is one.
    pub interactive: bool,
}

/// What a deploy did (or, on a dry run, would do).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub commit: String,
    /// Seconds since the epoch.
    pub time: u64,
    pub dry_run: bool,
    pub images: Vec<ImageResult>,
    pub pipelines: Vec<PipelineResult>,
    pub pach_context: Option<String>,
    pub project: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ImageResult {
    /// The repository, `registry.example.com/vision/edges`.
    pub image: String,
    /// `<image>:<sha>`.
    pub reference: String,
    pub digest: Option<String>,
    /// Built and pushed now; false when the registry already had the tag.
    pub built: bool,
}

#[derive(Clone, Debug)]
pub struct PipelineResult {
    pub name: String,
    pub file: String,
    /// The image the rendered spec names.
    pub image: Option<String>,
    pub digest: Option<String>,
}

/// Deploys `commit`: the pipelines and images that `changes` (the paths the push
/// changed) affect, or everything with `Changes::All`. Errors are `DeployError`s (as `StatusError`s:
/// `crate::error::status_of`); the caller decides whether one refuses the push.
pub fn run(
    repo: &Repository,
    config: &Config,
    commit: Oid,
    changes: Changes,
    opts: RunOpts,
) -> Result<Summary> {
    let sha = commit.to_string();
    let fail = |failure: Failure| -> anyhow::Error {
        StatusError::from(DeployError {
            failure,
            commit: sha.clone(),
        })
        .into()
    };
    let git = |e: anyhow::Error| fail(Failure::Git(format!("{e:#}")));
    let ui = Ui::new();

    let commit_obj = repo
        .find_commit(commit)
        .map_err(|e| git(anyhow::anyhow!("cannot read commit {sha}: {e}")))?;
    let tree = commit_obj.tree().map_err(|e| git(e.into()))?;
    let commit_time = commit_obj.time().seconds().max(0) as u64;

    // 1. The specs at the commit must pass their checks.
    let sources = plan::spec_sources(repo, &tree, &config.spec_paths).map_err(git)?;
    let mut check_opts = config
        .engine_options()
        .map_err(|e| fail(Failure::Config(format!("{e:#}"))))?;
    // Deploy renders the specs it updates from their trees.
    check_opts.keep_trees = true;
    check_opts.deploys = true;
    // The policies as they are in the commit, like the specs.
    if !config.policies.is_empty() {
        let repo = crate::repo::Repo::open(repo.path()).map_err(git)?;
        let mut files = crate::config::policy::Files::commit(&repo, commit);
        check_opts.policies = crate::config::policy::load(&config.policies, &mut files)
            .map_err(|e| fail(Failure::Config(format!("{e:#}"))))?;
    }
    let report = check::check(sources, &check_opts);
    if report.has_errors() {
        let mut err = std::io::stderr().lock();
        let _ = crate::report::human::write(&mut err, &report, false);
        return Err(fail(Failure::Findings {
            errors: report.count(check::Severity::Error),
        }));
    }

    // 2. The work.
    let plan = plan::decide(config, &report, &changes, &sha).map_err(fail)?;
    if config.deploy.reprocess {
        for pipeline in &plan.pipelines {
            if check::hazard::cron_input(&pipeline.spec).is_some() {
                ui.say(&format!(
                    "pachhook: warning: {} ({}): {}",
                    pipeline.name,
                    pipeline.file,
                    check::hazard::CRON_REPROCESS
                ));
            }
        }
    }
    let mut summary = Summary {
        commit: sha.clone(),
        time: now(),
        dry_run: opts.dry_run,
        pach_context: config.deploy.context.clone(),
        project: config.deploy.project.clone(),
        ..Summary::default()
    };
    if plan.images.is_empty() && plan.pipelines.is_empty() {
        ui.say(&format!(
            "pachhook: nothing to deploy for {}: no build context and no pipeline spec changed",
            short(&sha)
        ));
        return Ok(summary);
    }
    // Every context must exist in the commit before anything happens.
    for image in &plan.images {
        context::collect(
            &CommitTree::new(repo, &tree),
            commit_time,
            &image.build.context,
            &image.build.dockerfile,
        )
        .map_err(|e| {
            fail(Failure::Config(format!(
                "[[build]] {}: {e:#}",
                image.build.image
            )))
        })?;
    }

    if opts.dry_run {
        show::dry_run(repo, &tree, commit_time, &plan, config, &sha).map_err(git)?;
        return Ok(summary);
    }
    if config.deploy.confirm && opts.interactive && !show::confirm(&plan, &sha) {
        return Err(fail(Failure::Declined));
    }

    // 3–4. Every image into the registry, or stop with nothing updated.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            fail(Failure::Docker(format!(
                "cannot start the async runtime: {e}"
            )))
        })?;
    let images = runtime.block_on(async {
        let interrupt = interrupt();
        tokio::select! {
            result = publish(repo, &tree, commit_time, &plan, &ui) => result,
            _ = interrupt => Err(Failure::Interrupted),
        }
    });
    drop(runtime);
    summary.images = images.map_err(fail)?;

    // 5. The pipelines, upstream first.
    let mut rendered = Vec::new();
    for pipeline in &plan.pipelines {
        let (image, digest) = match pipeline.image.and_then(|i| summary.images.get(i)) {
            Some(built) => {
                let image = match (config.deploy.pin, &built.digest) {
                    (Pin::Digest, Some(digest)) => format!("{}@{digest}", built.image),
                    _ => built.reference.clone(),
                };
                (Some(image), built.digest.clone())
            }
            None => (plan::image_of(&pipeline.spec).map(str::to_string), None),
        };
        let spec = match pipeline.image {
            Some(_) => update::render(&pipeline.spec, image.as_deref()),
            None => update::render(&pipeline.spec, None),
        };
        rendered.push(spec);
        summary.pipelines.push(PipelineResult {
            name: pipeline.name.clone(),
            file: pipeline.file.clone(),
            image,
            digest,
        });
    }
    let updates: Vec<update::Update<'_>> = plan
        .pipelines
        .iter()
        .zip(&rendered)
        .map(|(p, spec)| update::Update {
            name: &p.name,
            spec,
        })
        .collect();
    update::apply(&config.deploy, repo.workdir(), &updates, &ui).map_err(fail)?;

    // 6. The record and the summary.
    if let Err(e) = record::record(repo, commit, &summary) {
        ui.say(&format!("pachhook: warning: {e:#}"));
    }
    show::summary(&summary);
    Ok(summary)
}

/// What the pre-push hook calls for one pushed ref (`refs/heads/<branch>`, from `old`
/// to `new`; `old` is `None` for a new branch). Deploys when `[deploy]` is enabled for
/// the branch, and returns the hook's exit status: `Ok` lets the push go on. A failed deploy
/// refuses the push, unless `on_failure = "warn"`.
pub fn on_push(
    repo: &Repository,
    config: &Config,
    branch: &str,
    old: Option<Oid>,
    new: Oid,
    interactive: bool,
) -> ExitStatus {
    if !config.deploy.deploys_branch(branch) {
        return ExitStatus::Ok;
    }
    let result = Changes::between(repo, old, new).and_then(|changes| {
        run(
            repo,
            config,
            new,
            changes,
            RunOpts {
                dry_run: false,
                interactive,
            },
        )
    });
    match result {
        Ok(_) => ExitStatus::Ok,
        Err(error) => {
            eprintln!("pachhook: {error:#}");
            if config.deploy.on_failure == crate::config::OnFailure::Warn {
                eprintln!(
                    "pachhook: warning: [deploy] on_failure = \"warn\": the push goes on without the deploy"
                );
                ExitStatus::Ok
            } else {
                crate::error::status_of(&error)
            }
        }
    }
}

/// Asks the registry about every image first (so a registry that is down or refuses
/// the credentials stops the deploy before any build), then builds and pushes the
/// images it does not have.
async fn publish(
    repo: &Repository,
    tree: &Tree<'_>,
    commit_time: u64,
    plan: &Plan,
    ui: &Ui,
) -> Result<Vec<ImageResult>, Failure> {
    let docker = build::connect().await?;
    let mut creds = BTreeMap::new();
    let mut known = Vec::with_capacity(plan.images.len());
    for image in &plan.images {
        let registry = credentials::registry_of(&image.build.image);
        if !creds.contains_key(&registry) {
            let found = credentials::for_registry(&registry)
                .map_err(|e| Failure::Config(format!("{e:#}")))?;
            creds.insert(registry.clone(), found);
        }
        let cred = creds.get(&registry).and_then(Option::as_ref);
        let digest = push::lookup(&docker, &image.reference, &registry, cred).await?;
        known.push(digest);
    }

    let mut results = Vec::with_capacity(plan.images.len());
    for (image, digest) in plan.images.iter().zip(known) {
        let repository = &image.build.image;
        if let Some(digest) = digest {
            ui.say(&format!(
                "{}: already in the registry ({digest}), not rebuilt",
                image.reference
            ));
            results.push(ImageResult {
                image: repository.clone(),
                reference: image.reference.clone(),
                digest: Some(digest),
                built: false,
            });
            continue;
        }
        let registry = credentials::registry_of(repository);
        let cred = creds.get(&registry).and_then(Option::as_ref);
        let context = context::collect(
            &CommitTree::new(repo, tree),
            commit_time,
            &image.build.context,
            &image.build.dockerfile,
        )
        .map_err(|e| Failure::Config(format!("[[build]] {repository}: {e:#}")))?;
        let step = ui.step(&format!("building {}", image.reference));
        if let Err(e) = build::build(&docker, context, &image.build, &image.reference, &step).await
        {
            step.abandon();
            return Err(e);
        }
        step.finish(&format!("built {}", image.reference));
        let tag = image
            .reference
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        let step = ui.step(&format!("pushing {}", image.reference));
        let digest = match push::push(&docker, repository, &tag, &registry, cred, &step).await {
            Ok(digest) => digest,
            Err(e) => {
                step.abandon();
                return Err(e);
            }
        };
        step.finish(&format!("pushed {} ({digest})", image.reference));
        results.push(ImageResult {
            image: repository.clone(),
            reference: image.reference.clone(),
            digest: Some(digest),
            built: true,
        });
    }
    Ok(results)
}

/// Resolves on Ctrl-C. The handler is installed when this is called (not when first
/// polled), so a signal that comes at any point of the builds and pushes is caught.
fn interrupt() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let stream = signal(SignalKind::interrupt()).ok();
        async move {
            match stream {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
