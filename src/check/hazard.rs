//! Pachyderm behaviours that accept a spec and then do something its author did not ask
//! for: `dry-run-field` and `cron-reprocess`.
//!
//! `dry_run` in a spec. pachctl 2.8 to 2.12 (`src/server/pps/cmds/cmds.go`,
//! `pipelineHelper`) decodes each spec into a map and copies `update`, `reprocess`,
//! `dry_run` and `dryRun` out of it; the two dry-run keys are assigned to `reprocess`
//! (`reprocess = specDryRun`, v2.12.0 lines 2050-2063). The request's `DryRun` comes from
//! the `--dry-run` flag only, and pachd's `createPipeline` (`src/server/pps/server/
//! api_server.go`) honours only that request flag: the spec is created for real, with
//! every datum reprocessed when the key is true, and `--reprocess` turned off when it is
//! false. pachd 2.7 accepts the field and reads it nowhere: created for real too.
//!
//! A cron input replays every tick it ever produced when the pipeline is updated with
//! `--reprocess` (Pachyderm issue 6218): a deploy with `[deploy] reprocess = true` can
//! start hundreds of jobs, each of which may call an external service.

use super::{Findings, Options, Rule};
use crate::release::Release;
use crate::spec::{Node, Pointer, Span};

/// The first release whose pachctl reads `dry_run` in a spec as `reprocess`.
const DRY_RUN_IS_REPROCESS: Release = Release::new(2, 8);
/// The first release that has the `dry_run` field at all; before, it is an
/// `unavailable-field`.
const DRY_RUN_FIELD: Release = Release::new(2, 7);

pub fn check(spec: &Node, opts: &Options, out: &mut Findings) {
    dry_run(spec, opts.release, out);
    if opts.deploys && opts.reprocess {
        cron_reprocess(spec, out);
    }
}

fn dry_run(spec: &Node, release: Release, out: &mut Findings) {
    if release < DRY_RUN_FIELD {
        return;
    }
    let Some(entry) = spec.entry("dry_run") else {
        return;
    };
    let key = &entry.written;
    let pointer = Pointer::root().key(key);
    let (message, help) = if release < DRY_RUN_IS_REPROCESS {
        (
            format!(
                "pachd {release} ignores `{key}` in a spec: the pipeline is created or updated \
                 for real"
            ),
            "remove it; to see what would change, use a test cluster (Pachyderm 2.8 adds \
             `pachctl update pipeline --dry-run`)"
                .to_string(),
        )
    } else {
        let effect = match entry.value.as_bool() {
            Some(true) => ", reprocessing every datum",
            Some(false) => ", with `--reprocess` off",
            None => "",
        };
        (
            format!("pachctl {release} reads `{key}` as `--reprocess`: the update is real{effect}"),
            "remove it; for a dry run use `pachctl update pipeline --dry-run`, and to \
             reprocess use `--reprocess` (`[deploy] reprocess`)"
                .to_string(),
        )
    };
    out.push(Rule::DryRunField, &pointer, entry.key_span, message, help);
}

/// What `cron-reprocess` says; deploy prints it too, for the pipelines it updates.
pub const CRON_REPROCESS: &str =
    "`[deploy] reprocess = true` replays every past tick of this cron input (Pachyderm issue 6218)";

fn cron_reprocess(spec: &Node, out: &mut Findings) {
    if let Some((pointer, span)) = cron_input(spec) {
        out.push(
            Rule::CronReprocess,
            &pointer,
            span,
            CRON_REPROCESS,
            "set `[deploy] reprocess = false`, or reprocess this pipeline by hand when you mean \
             to",
        );
    }
}

/// The first cron input of a normalized spec: its pointer and the span of its key.
pub fn cron_input(spec: &Node) -> Option<(Pointer, Span)> {
    let input = spec.entry("input")?;
    find_cron(&input.value, Pointer::root().key(&input.written))
}

/// The first cron input in an input tree: its pointer and the span of its key. Input
/// trees nest a few levels (a join of crosses), bounded by the readers' depth limit.
fn find_cron(input: &Node, at: Pointer) -> Option<(Pointer, Span)> {
    for entry in input.as_map()? {
        let here = at.key(&entry.written);
        match entry.name() {
            "cron" if !entry.value.is_null() => return Some((here, entry.key_span)),
            "cross" | "union" | "join" | "group" => {
                for (i, child) in entry.value.as_seq().unwrap_or_default().iter().enumerate() {
                    if let Some(found) = find_cron(child, here.index(i)) {
                        return Some(found);
                    }
                }
            }
            _ => {}
        }
    }
    None
}
