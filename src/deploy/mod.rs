//! Deploy at push time: build each image from the pushed commit's tree, push it tagged
//! with the commit SHA, and point the pipelines at it with pachctl.
//!
//! A push deploys in two halves, split by time: the pre-push hook prepares (checks,
//! builds, pushes the images: harmless if the push then fails, as they are tagged by
//! SHA) and leaves a `pending` record; the pipelines are updated only once the remote
//! has accepted the push (`pending` says how that is seen). `pachhook deploy` does both
//! at once.
//!
//! The order of effects is the whole design, and `run` reads in that order:
//! settings and specs of the commit → plan → (confirm) → pachctl can run → for every
//! image: ask the registry, build, push → only then update the pipelines, upstream
//! first → record a git note. Because every image is in the registry before the first
//! pipeline is touched, no pipeline ever points at an image the registry does not have;
//! and once the first image is pushed, the note records whatever happens next.

mod against;
pub mod build;
mod buildkit;
pub mod context;
pub mod credentials;
pub mod dockerignore;
pub mod error;
mod lock;
pub mod pending;
pub mod plan;
pub mod push;
pub mod record;
mod show;
pub mod status;
pub mod ui;
pub mod update;

use std::collections::BTreeMap;

use anyhow::Result;
use git2::{Oid, Repository, Tree};

use crate::cluster::{Cluster, interrupt, process};
use crate::config::{Config, OnFailure, Pin};
use crate::error::{ExitStatus, StatusError};
use crate::repo::Repo;
use crate::repo::tree::CommitTree;
use context::Context;
pub use error::{DeployError, Failure};
use interrupt::Interrupt;
pub use plan::{Changes, Plan};
use ui::Ui;
pub use update::Status;

/// How the caller runs a deploy.
#[derive(Clone, Debug, Default)]
pub struct RunOpts {
    /// Show the images and rendered specs; build, push, update and record nothing.
    pub dry_run: bool,
    /// Run from the pre-push hook: `confirm` offers to push without deploying.
    pub from_push: bool,
    pub stage: Stage,
    /// The branch deployed, for `[deploy] clusters` (`None`: any mapped cluster).
    pub branch: Option<String>,
    /// Replace pipelines the cluster runs from commits this one does not contain.
    pub force: bool,
}

/// Which half of a deploy runs.
#[derive(Clone, Debug, Default)]
pub enum Stage {
    /// Both, now (`pachhook deploy`).
    #[default]
    All,
    /// Checks, builds and image pushes; the pipelines wait for the remote (pre-push).
    Prepare,
    /// The pipelines, with the images the prepare step put in the registry.
    Apply(Vec<ImageResult>),
}

/// What a deploy did (or, on a dry run, would do).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub commit: String,
    /// Seconds since the epoch.
    pub time: u64,
    pub dry_run: bool,
    /// `confirm` was answered "push without deploying".
    pub skipped: bool,
    pub images: Vec<ImageResult>,
    pub pipelines: Vec<PipelineResult>,
    pub pach_context: Option<String>,
    /// Why the deploy stopped, when it did (one line, for the note).
    pub error: Option<String>,
    /// The commit changed nothing to deploy.
    pub nothing: bool,
    /// The ID of the cluster deployed to (`pachctl inspect cluster`).
    pub cluster: Option<String>,
    /// Pipelines this repository deployed whose spec is gone, and whether each was
    /// deleted (`[deploy] prune`).
    pub removed: Vec<Removed>,
}

#[derive(Clone, Debug)]
pub struct Removed {
    pub project: String,
    pub name: String,
    /// The commit it runs from.
    pub commit: Option<String>,
    pub deleted: bool,
}

#[derive(Clone, Debug)]
pub struct ImageResult {
    /// The repository as `[[build]]` writes it, `registry.example.com/vision/edges`.
    pub image: String,
    /// `<image>:<sha>`.
    pub reference: String,
    pub digest: Option<String>,
    /// Built and pushed now; false when the registry already had the tag.
    pub built: bool,
}

#[derive(Clone, Debug)]
pub struct PipelineResult {
    pub project: String,
    pub name: String,
    pub file: String,
    /// The image the rendered spec names.
    pub image: Option<String>,
    pub digest: Option<String>,
    pub status: Status,
}

/// The commit a deploy ships.
struct Target<'r> {
    id: Oid,
    sha: String,
    tree: Tree<'r>,
    /// Commit time, for the build context's file times.
    time: u64,
}

/// Deploys `commit` with `config` (its settings: `Config::for_commit`): the pipelines and
/// images that `changes` (the pushed range) affect, or everything with `Changes::All`.
/// Errors are `DeployError`s (as `StatusError`s: `crate::error::status_of`); the caller decides whether one refuses the push.
pub fn run(
    repo: &Repo,
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
    let ui = Ui::new();
    let git = &repo.git;
    let target = read_target(git, commit).map_err(fail)?;
    let specs = check_specs(repo, config, commit, &target).map_err(fail)?;
    let mut summary = Summary {
        commit: sha.clone(),
        time: now(),
        dry_run: opts.dry_run,
        pach_context: config.deploy.context.clone(),
        ..Summary::default()
    };
    // What the cluster runs decides the work (not on a dry run, which reaches nothing).
    let (cluster, view) = if opts.dry_run {
        (None, against::View::default())
    } else {
        let (cluster, view) = reach(repo, config, opts.branch.as_deref()).map_err(fail)?;
        summary.pach_context = cluster.context.clone();
        summary.cluster = Some(view.id.clone());
        (Some(cluster), view)
    };
    let changes = against::changes(repo, &view, &specs, commit, changes);
    let plan = plan::decide(config, &specs, &changes, &target.sha).map_err(fail)?;
    if config.deploy.reprocess {
        warn_cron_reprocess(&plan, &ui);
    }
    let removed = against::removed(&view, &specs);
    for gone in &removed {
        ui.say(&format!(
            "pachhook: {} runs on the cluster (from {}) but no spec of {} names it (deleted or renamed): {}",
            gone.id(),
            short(gone.commit.as_deref().unwrap_or("?")),
            short(&sha),
            if config.deploy.prune {
                "it is deleted ([deploy] prune)"
            } else {
                "left running; delete it with `pachctl delete pipeline`, or set [deploy] prune = true"
            }
        ));
    }
    summary.removed = removed
        .iter()
        .map(|r| Removed {
            project: r.project.clone(),
            name: r.name.clone(),
            commit: r.commit.clone(),
            deleted: false,
        })
        .collect();
    if !opts.force
        && let Some((pipeline, running)) = against::backwards(repo, &view, &plan, commit)
    {
        return Err(fail(Failure::Backwards { pipeline, running }));
    }
    let prune = config.deploy.prune && !removed.is_empty();
    if plan.images.is_empty() && plan.pipelines.is_empty() && !prune {
        ui.say(&format!(
            "pachhook: nothing to deploy for {}: no build context, [[build]] block or pipeline spec changed",
            short(&sha)
        ));
        summary.nothing = true;
        return Ok(summary);
    }
    let contexts = collect_contexts(git, &target, &plan).map_err(fail)?;
    if opts.dry_run {
        show::dry_run(git, &target.tree, target.time, &plan, config, &sha)
            .map_err(|e| fail(Failure::Git(format!("{e:#}"))))?;
        return Ok(summary);
    }
    let applying = matches!(opts.stage, Stage::Apply(_));
    if config.deploy.confirm
        && !applying
        && !confirmed(&plan, &sha, opts.from_push, &ui).map_err(&fail)?
    {
        summary.skipped = true;
        return Ok(summary);
    }
    let Some(cluster) = cluster else {
        return Ok(summary);
    };
    let ship_with = Ship {
        repo,
        config,
        target: &target,
        plan: &plan,
        stage: &opts.stage,
        cluster: &cluster,
        repository: &view.repository,
        force: opts.force,
    };
    let stopped = ship(&ship_with, contexts, &ui, &mut summary).map_err(&fail)?;
    if matches!(opts.stage, Stage::Prepare) && stopped.is_none() {
        return Ok(summary);
    }
    let error = stopped.map(&fail);
    summary.error = error.as_ref().map(|e| format!("{e:#}"));
    // Once an image is pushed, the registry or the cluster has changed: record it.
    let changed = summary.images.iter().any(|i| i.built)
        || summary
            .pipelines
            .iter()
            .any(|p| p.status != Status::NotAttempted)
        || summary.removed.iter().any(|r| r.deleted);
    let unrecorded = if changed {
        record::record_or_keep(git, repo.common_dir(), commit, &summary).err()
    } else {
        None
    };
    if changed || error.is_none() {
        show::summary(&summary);
    }
    // A deploy that is not recorded is a failure: the next deploy decides from it.
    if error.is_none()
        && let Some(e) = unrecorded
    {
        return Err(StatusError::new(ExitStatus::Failed, UnrecordedError(format!("{e:#}"))).into());
    }
    if let (Some(_), Some(e)) = (&error, &unrecorded) {
        ui.say(&format!("pachhook: error: {e:#}"));
    }
    match error {
        Some(error) => Err(error),
        None => Ok(summary),
    }
}

/// `https://user:token@host/path` as `https://host/path`: the annotation is visible to
/// anyone who can read the cluster.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// A deploy that did its work but could not be recorded.
#[derive(Debug)]
struct UnrecordedError(String);

impl std::fmt::Display for UnrecordedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnrecordedError {}

/// `[deploy] confirm`: whether to go on. `Ok(false)`: the person chose to push without
/// deploying; a refusal, or no terminal to ask on, is a failure.
fn confirmed(plan: &Plan, sha: &str, from_push: bool, ui: &Ui) -> Result<bool, Failure> {
    match show::confirm(plan, sha, from_push) {
        show::Answer::Deploy => Ok(true),
        show::Answer::Skip => {
            ui.say(&format!(
                "pachhook: not deploying {} (your answer); the push goes on. Deploy it later with `pachhook deploy {sha}`",
                short(sha)
            ));
            Ok(false)
        }
        show::Answer::Refuse => Err(Failure::Declined { push: from_push }),
        show::Answer::NoTerminal => Err(Failure::NoTerminal),
    }
}

/// What `ship` works on.
struct Ship<'a, 'r> {
    repo: &'a Repo,
    config: &'a Config,
    target: &'a Target<'r>,
    plan: &'a Plan,
    stage: &'a Stage,
    cluster: &'a Cluster,
    /// The annotation that names this repository.
    repository: &'a str,
    force: bool,
}

/// The effects, in order: pachctl can run, every image into the registry, then (unless
/// preparing) the deploy lock and the pipelines upstream first. `Err`: stopped before
/// anything changed. `Ok(Some(_))`: stopped after something may have (what was done is
/// in `summary`).
fn ship(
    with: &Ship<'_, '_>,
    contexts: Vec<Context>,
    ui: &Ui,
    summary: &mut Summary,
) -> Result<Option<Failure>, Failure> {
    let Ship {
        repo,
        config,
        target,
        plan,
        stage,
        cluster,
        repository,
        force,
    } = *with;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Docker(format!("cannot start the async runtime: {e}")))?;
    let mut interrupt = runtime.block_on(async { Interrupt::install() });
    // Applying a prepared deploy: the images the prepare step put in the registry,
    // when they are the plan's (else they are asked for again, and built if missing).
    let prepared = match stage {
        Stage::Apply(images) => plan
            .images
            .iter()
            .map(|i| images.iter().find(|p| p.reference == i.reference).cloned())
            .collect::<Option<Vec<_>>>(),
        _ => None,
    };
    let published = match prepared {
        Some(images) => {
            summary.images = images;
            Ok(())
        }
        None => runtime.block_on(async {
            tokio::select! {
                result = publish(target, plan, contexts, ui, &mut summary.images, config.deploy.registry_timeout) => result,
                _ = interrupt.recv() => Err(Failure::Interrupted),
            }
        }),
    };
    if let Err(failure) = published {
        let statuses = vec![Status::NotAttempted; plan.pipelines.len()];
        summary.pipelines = results(config, plan, &summary.images, statuses);
        return Ok(Some(failure));
    }
    if matches!(stage, Stage::Prepare) {
        return Ok(None);
    }
    let not_attempted = |summary: &mut Summary| {
        let statuses = vec![Status::NotAttempted; plan.pipelines.len()];
        summary.pipelines = results(config, plan, &summary.images, statuses);
    };
    let _lock = match lock::acquire(
        repo.common_dir(),
        summary.cluster.as_deref().unwrap_or("default"),
        &target.sha,
        config.deploy.pachctl_timeout,
        ui,
        // The wait between two looks at the lock, in the runtime that hears Ctrl-C:
        // `true` when it came.
        &mut |pause| {
            runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => true,
                    _ = tokio::time::sleep(pause) => false,
                }
            })
        },
    ) {
        Ok(lock) => lock,
        Err(failure) => {
            not_attempted(summary);
            return Ok(Some(failure));
        }
    };
    // Under the lock, what the cluster runs now: never backwards, whatever happened
    // since the work was decided (a teammate's deploy while this push was sent).
    let now_running = runtime.block_on(cluster.list());
    match now_running {
        Ok(all) if !force => {
            let view = against::View {
                all,
                ..against::View::default()
            };
            if let Some((pipeline, running)) = against::backwards(repo, &view, plan, target.id) {
                not_attempted(summary);
                return Ok(Some(Failure::Backwards { pipeline, running }));
            }
        }
        Ok(_) => {}
        Err(e) => {
            not_attempted(summary);
            return Ok(Some(Failure::Cluster(e.to_string())));
        }
    }
    let updates: Vec<update::Update<'_>> = plan
        .pipelines
        .iter()
        .zip(render(config, plan, &summary.images))
        .map(|(work, (mut spec, _, _))| {
            update::annotate(&mut spec, &target.sha, repository);
            update::Update { work, spec }
        })
        .collect();
    let outcome = runtime.block_on(update::apply(
        &config.deploy,
        cluster,
        &updates,
        ui,
        &mut interrupt,
    ));
    summary.pipelines = results(config, plan, &summary.images, outcome.statuses);
    if outcome.failure.is_some() || !config.deploy.prune {
        return Ok(outcome.failure);
    }
    // The pipelines whose spec is gone, downstream first.
    for removed in &mut summary.removed {
        if interrupt.seen() {
            return Ok(Some(Failure::Interrupted));
        }
        let id = format!("{}/{}", removed.project, removed.name);
        let step = ui.step(&format!("deleting pipeline {id}: its spec is gone"));
        match runtime.block_on(cluster.delete(&removed.project, &removed.name)) {
            Ok(()) => {
                step.finish(&format!("deleted pipeline {id}"));
                removed.deleted = true;
            }
            Err(e) => {
                step.abandon();
                return Ok(Some(Failure::Cluster(e.to_string())));
            }
        }
    }
    Ok(None)
}

fn read_target(git: &Repository, commit: Oid) -> Result<Target<'_>, Failure> {
    let sha = commit.to_string();
    let object = git
        .find_commit(commit)
        .map_err(|e| Failure::Git(format!("cannot read commit {sha}: {e}")))?;
    let tree = object
        .tree()
        .map_err(|e| Failure::Git(format!("cannot read the tree of {sha}: {e}")))?;
    Ok(Target {
        id: commit,
        time: u64::try_from(object.time().seconds()).unwrap_or(0),
        sha,
        tree,
    })
}

/// Checks the commit's specs (any error finding stops the deploy, the findings
/// printed).
fn check_specs(
    repo: &Repo,
    config: &Config,
    commit: Oid,
    target: &Target<'_>,
) -> Result<plan::Specs, Failure> {
    let specs = plan::check_commit(repo, commit, &target.tree, config)?;
    if specs.report.has_errors() {
        let mut err = std::io::stderr().lock();
        let _ = crate::report::human::write(&mut err, &specs.report, false);
        return Err(Failure::Findings {
            errors: specs.report.count(crate::diagnostic::Severity::Error),
        });
    }
    Ok(specs)
}

/// Reaches the cluster before anything is built: pachctl runs, the context answers
/// with the cluster `[deploy] clusters` maps the branch to, and what it runs.
pub(crate) fn reach(
    repo: &Repo,
    config: &Config,
    branch: Option<&str>,
) -> Result<(Cluster, against::View), Failure> {
    let deploy = &config.deploy;
    let expected = branch.and_then(|b| deploy.cluster_of(b));
    let cluster = Cluster::new(
        &deploy.pachctl,
        deploy.context_for(expected),
        repo.git.workdir(),
        deploy.pachctl_timeout,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Docker(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(update::preflight(&cluster))?;
    let id = runtime
        .block_on(cluster.identity())
        .map_err(|e| Failure::Cluster(e.to_string()))?;
    let mut cluster = cluster;
    if cluster.context.is_none() {
        // Pinned for every later call: the cluster checked is the one updated.
        cluster.context = runtime.block_on(cluster.active_context());
    }
    let context = || {
        cluster
            .context
            .clone()
            .unwrap_or_else(|| "(the active context)".into())
    };
    match expected {
        Some(expected) if expected != id => {
            return Err(Failure::WrongCluster {
                branch: branch.unwrap_or_default().to_string(),
                expected: expected.to_string(),
                found: id,
                context: context(),
            });
        }
        // A deploy by hand of no mapped branch: any cluster the team named.
        None if !deploy.clusters.is_empty() && !deploy.clusters.iter().any(|(_, c)| *c == id) => {
            return Err(Failure::WrongCluster {
                branch: branch.map_or_else(|| "this commit".to_string(), str::to_string),
                expected: deploy
                    .clusters
                    .iter()
                    .map(|(_, c)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                found: id,
                context: context(),
            });
        }
        _ => {}
    }
    let all = runtime
        .block_on(cluster.list())
        .map_err(|e| Failure::Cluster(e.to_string()))?;
    let repository = repository_of(repo, config);
    Ok((
        cluster,
        against::View {
            id,
            all,
            repository,
        },
    ))
}

/// What the annotations call this repository: the URL of its deploy remote (userinfo
/// redacted), else the name of its top directory.
fn repository_of(repo: &Repo, config: &Config) -> String {
    match repo.remote_url(&config.deploy.remote) {
        Some(url) => without_userinfo(&url),
        None => repo
            .git
            .workdir()
            .and_then(|d| d.file_name())
            .map_or_else(|| "repository".into(), |n| n.to_string_lossy().into_owned()),
    }
}

/// `--reprocess` with a cron input reprocesses every past tick: say so (the pipelines
/// are the team's to judge; this is a warning).
fn warn_cron_reprocess(plan: &Plan, ui: &Ui) {
    for pipeline in &plan.pipelines {
        if crate::check::hazard::cron_input(&pipeline.spec).is_some() {
            ui.say(&format!(
                "pachhook: warning: {} ({}): {}",
                pipeline.id(),
                pipeline.file,
                crate::check::hazard::CRON_REPROCESS
            ));
        }
    }
}

/// The build context of each image of the plan, in its order, collected before anything
/// happens: a context missing from the commit (or an LFS object, a submodule commit)
/// stops the deploy before the first build, and the build then uses what was collected.
fn collect_contexts(
    git: &Repository,
    target: &Target<'_>,
    plan: &Plan,
) -> Result<Vec<Context>, Failure> {
    let tree = CommitTree::new(git, &target.tree);
    plan.images
        .iter()
        .map(|image| {
            context::collect(
                &tree,
                target.time,
                &image.build.context,
                &image.build.dockerfile,
            )
            .map_err(|e| {
                Failure::Config(format!(
                    "[[build]] {} ({}): {e:#}",
                    image.build.repository(),
                    image.build.origin()
                ))
            })
        })
        .collect()
}

/// The spec of each pipeline as pachctl will get it, with the image and digest it names.
fn render(
    config: &Config,
    plan: &Plan,
    images: &[ImageResult],
) -> Vec<(serde_json::Value, Option<String>, Option<String>)> {
    plan.pipelines
        .iter()
        .map(
            |pipeline| match pipeline.image.and_then(|i| images.get(i)) {
                Some(built) => {
                    let image = match (config.deploy.pin, &built.digest) {
                        (Pin::Digest, Some(digest)) => format!("{}@{digest}", built.image),
                        _ => built.reference.clone(),
                    };
                    let spec = update::render(&pipeline.spec, Some(&image));
                    (spec, Some(image), built.digest.clone())
                }
                None => (
                    update::render(&pipeline.spec, None),
                    plan::image_of(&pipeline.spec).map(str::to_string),
                    None,
                ),
            },
        )
        .collect()
}

fn results(
    config: &Config,
    plan: &Plan,
    images: &[ImageResult],
    statuses: Vec<Status>,
) -> Vec<PipelineResult> {
    render(config, plan, images)
        .into_iter()
        .zip(&plan.pipelines)
        .zip(statuses)
        .map(|(((_, image, digest), work), status)| PipelineResult {
            project: work.project.clone(),
            name: work.name.clone(),
            file: work.file.clone(),
            image,
            digest,
            status,
        })
        .collect()
}

/// One ref a push updates: `refs/heads/<branch>` from `old` (`None`: a new branch) to
/// `new`.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub branch: String,
    pub old: Option<Oid>,
    pub new: Oid,
}

/// Where a push goes, as the pre-push hook knows it.
#[derive(Clone, Copy, Debug)]
pub struct PushTarget<'a> {
    /// The remote's name as git gave it to the hook (a URL for a push by URL).
    pub remote: &'a str,
    /// Whether this clone can be told of the remote's acceptance (the acceptance hook
    /// can be armed: a hooks directory that is neither the team's committed one nor
    /// one shared with other repositories through a link).
    pub can_wait: bool,
}

/// What the pre-push hook's deploy half did.
#[derive(Debug, PartialEq, Eq)]
pub struct OnPush {
    /// The hook's exit status: `Ok` lets the push go on.
    pub status: ExitStatus,
    /// A deploy was prepared and waits for the remote's acceptance (`pending`): the
    /// caller arms the acceptance hook.
    pub waiting: bool,
}

impl OnPush {
    fn status(status: ExitStatus) -> OnPush {
        OnPush {
            status,
            waiting: false,
        }
    }
}

/// What the pre-push hook calls once the checks passed: prepares the deploy of the
/// pushed branches that the settings of their pushed commit opt in (`[deploy] enabled`,
/// `branches`), when the push goes to `[deploy] remote` and moves the branch forward.
/// The pipelines are not touched here: a `pending` record waits for the remote's
/// acceptance. A failed preparation refuses the push, unless `on_failure = "warn"`.
/// Several deploy branches at different commits deploy none: one push, one commit on
/// the cluster.
pub fn on_push(repo: &Repo, to: PushTarget<'_>, pushed: &[Pushed]) -> OnPush {
    let ui = Ui::new();
    // The push target as messages show it: a push by URL may carry a token.
    let shown = crate::escape::escape(&crate::redact::userinfo(to.remote)).into_owned();
    let mut deploys = Vec::new();
    for push in pushed {
        let config = match Config::for_commit(repo, push.new) {
            Ok(config) => config,
            Err(error) => {
                crate::error::print(&error);
                return OnPush::status(crate::error::status_of(&error));
            }
        };
        if !config.deploy.deploys_branch(&push.branch) {
            continue;
        }
        let sha = push.new.to_string();
        let later = format!("to deploy it anyway: `pachhook deploy {sha}`");
        if to.remote != config.deploy.remote {
            ui.say(&format!(
                "pachhook: not deploying {}: this push goes to `{shown}`, and only pushes to `{}` deploy ([deploy] remote); {later}",
                short(&sha),
                crate::escape::escape(&crate::redact::userinfo(&config.deploy.remote)),
            ));
            continue;
        }
        if let Some(old) = push.old.filter(|old| *old != push.new)
            && repo.merge_base(old, push.new).ok().flatten() != Some(old)
        {
            ui.say(&format!(
                "pachhook: not deploying {}: {shown} has {} on {}, which this commit does not contain (a forced push, or someone pushed since your last fetch); once the remote has it, {later}",
                short(&sha),
                short(&old.to_string()),
                crate::escape::escape(&push.branch),
            ));
            continue;
        }
        let tracking = repo.tracking_ref(to.remote, &format!("refs/heads/{}", push.branch));
        // The acceptance hook hears only of refs under `refs/remotes/` (it forks nothing
        // for other ref updates): a refspec mapping elsewhere cannot be waited for.
        let tracking = tracking.filter(|t| t.starts_with("refs/remotes/") && to.can_wait);
        let Some(tracking) = tracking else {
            ui.say(&format!(
                "pachhook: not deploying {}: this clone cannot see whether {shown} accepts the push (no remote-tracking ref under refs/remotes/ for {}, or a committed hooks directory, or one shared with other repositories); after the push, deploy with `pachhook deploy {sha}`",
                short(&sha),
                crate::escape::escape(&push.branch),
            ));
            continue;
        };
        deploys.push((push, config, tracking));
    }
    let mut commits: Vec<Oid> = deploys.iter().map(|(p, _, _)| p.new).collect();
    commits.sort();
    commits.dedup();
    if commits.len() > 1 {
        let branches = deploys
            .iter()
            .map(|(p, _, _)| format!("{} at {}", p.branch, short(&p.new.to_string())))
            .collect();
        let error = anyhow::Error::from(StatusError::from(DeployError {
            failure: Failure::ManyBranches(branches),
            commit: commits[0].to_string(),
        }));
        // Each branch's own on_failure: the push goes on only if every one says warn.
        let warn = deploys
            .iter()
            .all(|(_, c, _)| c.deploy.on_failure == OnFailure::Warn);
        return OnPush::status(failed(&error, warn));
    }
    // One commit: prepare it once (the first branch's range decides the work).
    let Some((push, config, tracking)) = deploys.into_iter().next() else {
        return OnPush::status(ExitStatus::Ok);
    };
    let result = Changes::between(repo, push.old, push.new).and_then(|changes| {
        run(
            repo,
            &config,
            push.new,
            changes,
            RunOpts {
                dry_run: false,
                from_push: true,
                stage: Stage::Prepare,
                branch: Some(push.branch.clone()),
                force: false,
            },
        )
    });
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            let warn = config.deploy.on_failure == OnFailure::Warn;
            return OnPush::status(failed(&error, warn));
        }
    };
    if summary.skipped || summary.nothing {
        return OnPush::status(ExitStatus::Ok);
    }
    let sha = push.new.to_string();
    let record = pending::Pending {
        version: pending::VERSION,
        remote: to.remote.to_string(),
        branch: push.branch.clone(),
        tracking_ref: tracking,
        old: push.old.map(|o| o.to_string()),
        commit: sha.clone(),
        created: now(),
        images: summary
            .images
            .iter()
            .map(pending::PendingImage::of)
            .collect(),
    };
    if let Err(error) = pending::write(repo.common_dir(), &record) {
        let error = error.context(format!(
            "the images of {} are in the registry, but the deploy cannot wait for the push; after the push, deploy with `pachhook deploy {sha}`",
            short(&sha)
        ));
        let warn = config.deploy.on_failure == OnFailure::Warn;
        return OnPush::status(failed(&error, warn));
    }
    ui.say(&format!(
        "pachhook: {} is ready to deploy: its pipelines are updated once {shown} accepts the push; if it does not, nothing is deployed (later: `pachhook deploy {sha}`)",
        short(&sha),
    ));
    OnPush {
        status: ExitStatus::Ok,
        waiting: true,
    }
}

/// The second half of a pushed deploy, once the remote accepted `record.commit`: the
/// pipelines, with the images the pre-push hook put in the registry, and the note.
/// Returns the exit status of the deploy (git ignores it; the output is what counts).
pub fn apply_pending(repo: &Repo, record: &pending::Pending) -> ExitStatus {
    let result = (|| -> Result<Summary> {
        let commit = repo.parse_oid(&record.commit)?;
        let old = record
            .old
            .as_deref()
            .map(|o| repo.parse_oid(o))
            .transpose()?;
        let config = Config::for_commit(repo, commit)?;
        Ui::new().say(&format!(
            "pachhook: {} accepted {}: updating its pipelines",
            crate::escape::escape(&crate::redact::userinfo(&record.remote)),
            short(&record.commit)
        ));
        let changes = Changes::between(repo, old, commit)?;
        let images = record
            .images
            .iter()
            .map(pending::PendingImage::result)
            .collect();
        run(
            repo,
            &config,
            commit,
            changes,
            RunOpts {
                dry_run: false,
                from_push: true,
                stage: Stage::Apply(images),
                branch: Some(record.branch.clone()),
                force: false,
            },
        )
    })();
    match result {
        Ok(_) => ExitStatus::Ok,
        Err(error) => {
            crate::error::print(&error);
            crate::error::status_of(&error)
        }
    }
}

fn failed(error: &anyhow::Error, warn: bool) -> ExitStatus {
    crate::error::print(error);
    if warn {
        eprintln!(
            "pachhook: warning: [deploy] on_failure = \"warn\": the push goes on without the deploy"
        );
        ExitStatus::Ok
    } else {
        crate::error::status_of(error)
    }
}

/// Asks the registry about every image first (so a registry that is down or refuses
/// the credentials stops the deploy before any build), then builds and pushes the
/// images it does not have. Each image is added to `done` as soon as the registry has
/// it, so a later failure still knows (and records) what was pushed.
async fn publish(
    target: &Target<'_>,
    plan: &Plan,
    contexts: Vec<Context>,
    ui: &Ui,
    done: &mut Vec<ImageResult>,
    limit: std::time::Duration,
) -> Result<(), Failure> {
    let docker = build::connect().await?;
    let mut creds = BTreeMap::new();
    let mut known = Vec::with_capacity(plan.images.len());
    for image in &plan.images {
        let registry = credentials::registry_of(&image.build.image);
        if !creds.contains_key(&registry) {
            let found = credentials::for_registry(&registry).await?;
            creds.insert(registry.clone(), found);
        }
        let cred = creds.get(&registry).and_then(Option::as_ref);
        let digest = push::lookup(&docker, &image.reference, &registry, cred, limit).await?;
        known.push(digest);
    }

    for ((image, digest), context) in plan.images.iter().zip(known).zip(contexts) {
        let repository = image.build.repository();
        let label = label(&image.build.image, &target.sha);
        if let Some(digest) = digest {
            ui.say(&format!(
                "{label}: already in the registry ({digest}), not rebuilt"
            ));
            done.push(ImageResult {
                image: repository,
                reference: image.reference.clone(),
                digest: Some(digest),
                built: false,
            });
            continue;
        }
        let registry = credentials::registry_of(&image.build.image);
        let cred = creds.get(&registry).and_then(Option::as_ref);
        let step = ui.step(&format!("building {label}"));
        if let Err(e) = build::build(&docker, context, &image.build, &image.reference, &step).await
        {
            step.abandon();
            return Err(e);
        }
        step.finish(&format!("built {label}"));
        let step = ui.step(&format!("pushing {label}"));
        let digest = match push::push(
            &docker,
            &repository,
            &image.tag,
            &registry,
            cred,
            &step,
            limit,
        )
        .await
        {
            Ok(digest) => digest,
            Err(e) => {
                step.abandon();
                return Err(e);
            }
        };
        step.finish(&format!("pushed {label} ({digest})"));
        done.push(ImageResult {
            image: repository,
            reference: image.reference.clone(),
            digest: Some(digest),
            built: true,
        });
    }
    Ok(())
}

/// An image in progress labels: the repository's last component and the short SHA,
/// so that a label and its bar fit an 80-column terminal.
fn label(image: &crate::image_ref::ImageRef, sha: &str) -> String {
    const NAME_MAX: usize = 40;
    // The last component of the parsed path: `edges` of `r.io/vision/edges`.
    let name = image.path.rsplit('/').next().unwrap_or(&image.path);
    if name.chars().count() > NAME_MAX {
        let cut: String = name.chars().take(NAME_MAX - 1).collect();
        format!("{cut}…:{}", short(sha))
    } else {
        format!("{name}:{}", short(sha))
    }
}

/// The short SHA of messages and labels (the full SHA is in the summary and the note).
/// Counted in characters: a record read from disk may hold anything.
pub(crate) fn short(sha: &str) -> &str {
    match sha.char_indices().nth(12) {
        Some((end, _)) => &sha[..end],
        None => sha,
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_cuts_characters_not_bytes() {
        assert_eq!(super::short(&"a".repeat(40)), "a".repeat(12));
        assert_eq!(super::short("abc"), "abc");
        // A record read from disk may hold anything: no panic inside a character.
        assert_eq!(super::short(&"é".repeat(20)), "é".repeat(12));
    }
}
