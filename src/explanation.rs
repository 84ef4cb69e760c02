//! The long story of each rule, which findings leave out so that each stays one short
//! line: why it matters, an example, and how to fix it. Data, for every view of it:
//! `pachhook explain` prints it, the SARIF report carries it as each rule's help (what
//! GitHub code scanning shows beside an alert).
//!
//! A leaf beside `diagnostic`: the commands and the reports read it; it reads neither.

use crate::diagnostic::Rule;

/// What `pachhook explain RULE` says, in three parts of plain text (lines of at most
/// about 90 characters; code in backticks).
#[derive(Clone, Copy, Debug)]
pub struct Explanation {
    pub why: &'static str,
    pub example: &'static str,
    pub fix: &'static str,
}

impl Explanation {
    /// The three parts as plain text, headed, for viewers that show text.
    pub fn text(&self) -> String {
        format!(
            "Why\n{}\n\nExample\n{}\n\nHow to fix\n{}",
            indent(self.why),
            indent(self.example),
            indent(self.fix)
        )
    }

    /// The three parts as Markdown (GitHub renders a rule's help this way): the example
    /// as a code block, prose as it is.
    pub fn markdown(&self) -> String {
        let fence = if self.example.contains("```") {
            "~~~~"
        } else {
            "```"
        };
        format!(
            "**Why.** {}\n\n**Example**\n\n{fence}\n{}\n{fence}\n\n**How to fix.** {}",
            self.why, self.example, self.fix
        )
    }
}

/// Text indented by four spaces, blank lines left blank.
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The explanation of `rule`. The match is exhaustive: a new rule does not compile until
/// it is explained here.
pub fn of(rule: Rule) -> Explanation {
    match rule {
        Rule::ParseError => Explanation {
            why: "pachctl reads every spec file with a YAML decoder (JSON is YAML to it) and then\n\
                  decodes each document as protobuf JSON. What that decoder refuses never reaches\n\
                  the cluster: `pachctl create pipeline` fails, or, for YAML features pachctl\n\
                  handles differently (anchors, tags, `0x1F`), the spec means something else.",
            example: "{\"pipeline\": {\"name\": \"a\"}, ...}\n\
                      {\"pipeline\": {\"name\": \"b\"}, ...}     <- a second JSON document with no `---`",
            fix: "Fix the syntax at the position shown. Separate documents with a `---` line, write\n\
                  integers in decimal, and spell out repeated values instead of anchors and aliases.",
        },
        Rule::UnknownField => Explanation {
            why: "pachctl refuses a key that is no field of the message it is in, so a typo stops\n\
                  the deploy; a key at the wrong level (`name` at the top instead of under\n\
                  `pipeline`) is refused the same way.",
            example: "parallelism: {constant: 4}     <- the field is `parallelism_spec`",
            fix: "Use the field the message suggests (\"did you mean ...\"), or move the key where\n\
                  it belongs; both spellings work (`parallelism_spec` or `parallelismSpec`).",
        },
        Rule::RemovedField => Explanation {
            why: "Pachyderm 2.x dropped fields that 1.x specs still carry (`enable_stats`,\n\
                  `standby`, `input.atom`, `chunk_spec`, ...). pachctl 2.x refuses them.",
            example: "input:\n  atom: {repo: images, glob: \"/*\"}     <- 1.x; 2.x reads `pfs`",
            fix: "Follow the help line: rename to the 2.x replacement (`atom` -> `pfs`, `standby`\n\
                  -> `autoscaling`) or remove the field when 2.x has none.",
        },
        Rule::UnavailableField => Explanation {
            why: "Fields were added during 2.x (`tolerations` in 2.5, `maximum_expected_uptime` in\n\
                  2.9). An older cluster's pachctl refuses a field it does not know.",
            example: "maximum_expected_uptime: \"3600s\"     <- checked against a 2.8 cluster",
            fix: "Remove the field, or, if the cluster is newer, set `[pachyderm] version` in\n\
                  pachhook.toml (or pass `--pachyderm`) to its release.",
        },
        Rule::InvalidValue => Explanation {
            why: "protobuf JSON is strict about values: durations are seconds with an `s`\n\
                  (\"300s\", not \"5m\"), integers are whole numbers, enums are exact names, and\n\
                  `pod_spec`/`pod_patch` are JSON text inside a string. pachd adds its own checks\n\
                  (`reprocess_spec`, `service.type`, cron expressions, service and s3_out limits).",
            example: "datum_timeout: 5m     <- pachctl wants \"300s\"",
            fix: "Write the value the message asks for; the help line gives the converted value\n\
                  where there is one.",
        },
        Rule::MissingField => Explanation {
            why: "pachctl refuses a spec without `pipeline` or `pipeline.name`, and pachd refuses\n\
                  a pipeline without `transform`, or without `input` unless it is a spout, and\n\
                  (2.3 and later) a secret with an `env_var` but no `key`.",
            example: "pipeline: {name: edges}\ntransform: {image: team/edges:3f2a9c1}     <- no input",
            fix: "Add the field named in the message.",
        },
        Rule::InvalidName => Explanation {
            why: "pachd accepts pipeline and project names of letters, digits, `_` and `-`, starting\n\
                  with a letter or digit, at most 51 characters. Kubernetes then names the pipeline's\n\
                  objects `<project>-<name>-v<version>`, which must fit in 63 characters.",
            example: "pipeline: {name: edge.detect}     <- `.` is not allowed",
            fix: "Rename the pipeline (or project) within those limits.",
        },
        Rule::InvalidInput => Explanation {
            why: "pachd validates inputs when the pipeline is created: exactly one kind per input,\n\
                  a pfs input needs `repo` and `glob`, input names must be unique and cannot be\n\
                  `out`, S3 inputs have their own limits.",
            example: "input:\n  pfs: {repo: a, glob: /}\n  cron: {name: tick, spec: \"@daily\"}     <- two kinds in one input",
            fix: "Combine several inputs with `cross` (every combination) or `union` (one after\n\
                  another), and give colliding inputs distinct `name`s.",
        },
        Rule::FloatingTag => Explanation {
            why: "Kubernetes pulls worker images with `IfNotPresent`: a node that already holds\n\
                  `team/edges:latest` runs the build it cached, whatever was pushed since. Workers\n\
                  on different nodes then run different code, and nobody can tell which code\n\
                  produced an output. An image without a tag means `latest`.",
            example: "transform:\n  image: team/edges:latest",
            fix: "Tag images with the git commit SHA (`team/edges:3f2a9c1`) or pin them by digest\n\
                  (`team/edges@sha256:...`). List the image in a `[[build]]` block and\n\
                  `pachhook deploy` builds, tags and writes it for you. Which tags float is\n\
                  `[images] floating_tags`; `[images] require_digest` demands digests.",
        },
        Rule::InvalidImage => Explanation {
            why: "Docker refuses references with uppercase repository paths, bad tags or malformed\n\
                  digests: the worker pod fails to pull and the pipeline never starts.",
            example: "image: Team/Edges:v1     <- repository paths are lowercase",
            fix: "Write `registry/path:tag` or `registry/path@sha256:<64 hex>`, path in lowercase.",
        },
        Rule::MissingImage => Explanation {
            why: "Without `transform.image`, pachd runs the pipeline on its default Ubuntu image:\n\
                  rarely what anyone meant, and never the code in the repository.",
            example: "transform:\n  cmd: [python3, /edges.py]     <- which image?",
            fix: "Set `transform.image` to the image holding the pipeline's code, tagged with the\n\
                  commit SHA.",
        },
        Rule::DuplicatePipeline => Explanation {
            why: "Two specs with the same project and pipeline name are two versions of one\n\
                  pipeline: whichever is created last replaces the other on the cluster.",
            example: "pipelines/edges.json and pipelines/edges-v2.json both define `edges`",
            fix: "Rename one of them, or delete the stale copy.",
        },
        Rule::DuplicateKey => Explanation {
            why: "A key given twice in one mapping: pachctl 2.8 and later keep the last value\n\
                  silently; before 2.8 the file does not parse at all.",
            example: "transform:\n  image: team/edges:1\n  image: team/edges:2",
            fix: "Keep one of the two keys.",
        },
        Rule::DryRunField => Explanation {
            why: "pachctl 2.8 to 2.12 read a spec's `dry_run` as the reprocess flag: the pipeline\n\
                  is created for real (every datum reprocessed when it is true). Only the\n\
                  `--dry-run` flag makes a dry run; pachd 2.7 ignores the field.",
            example: "dry_run: true     <- creates the pipeline, reprocessing everything",
            fix: "Remove `dry_run` from the spec; pass `--dry-run` to pachctl instead.",
        },
        Rule::TemplateError => Explanation {
            why: "pachd renders a jsonnet template when `pachctl create pipeline --jsonnet` sends\n\
                  it: a template that fails to render (an error, a missing argument, a local\n\
                  `import`) is refused by the cluster, at deploy time, not before.",
            example: "[[template]]\npath = \"pipelines/edges.jsonnet\"\nargs = { suffix = \"1\" }     <- the template also needs `src`",
            fix: "Fix the template at the line shown, or give the instance in pachhook.toml the\n\
                  arguments it needs (`pachhook render T --arg k=v` shows what it renders).",
        },
        Rule::UncheckedTemplate => Explanation {
            why: "A template is a function of its arguments: without them pachhook can read its\n\
                  syntax but not the specs it produces, so no other rule has looked at it.",
            example: "pipelines/edges.jsonnet, with no [[template]] naming it in pachhook.toml",
            fix: "Add a `[[template]]` block with `path` and `args` for each way the team renders it.",
        },
        Rule::Policy => Explanation {
            why: "The team's own standards, written as JSON Schemas in `[[policy]]` blocks (a\n\
                  registry, resource limits, labels): Pachyderm accepts the spec, the team does not.",
            example: "image: docker.io/team/edges:1.0     <- the policy wants registry.example.com/...",
            fix: "Change the spec as the message says (the policy's `description`), or change the\n\
                  policy file the help line points at.",
        },
        Rule::UnusedBuild => Explanation {
            why: "Deploy builds and pushes every `[[build]]` image a pushed change touches: a block\n\
                  whose image no spec names (and no pipeline in its `pipelines`) costs a build and\n\
                  a push for nothing, and usually means a spec names the image differently.",
            example: "[[build]]\nimage = \"registry.example.com/vision/edge\"     <- the specs say `.../edges`",
            fix: "Make the spec's `transform.image` name the block's repository, or remove the block.",
        },
        Rule::CronReprocess => Explanation {
            why: "Updating a pipeline with `--reprocess` replays every tick its cron input ever\n\
                  produced (Pachyderm issue 6218): one deploy can start hundreds of jobs, each of\n\
                  which may call an outside service.",
            example: "[deploy]\nreprocess = true     <- with a spec that has input.cron",
            fix: "Set `[deploy] reprocess = false`, or reprocess such pipelines by hand.",
        },
        Rule::PipelineCycle => Explanation {
            why: "Each pipeline reads repositories and writes its own. pachd creates a pipeline\n\
                  only when every repository it reads exists, so pipelines that read each\n\
                  other's output in a cycle can never all be created: the deploy stops halfway\n\
                  with \"repo not found\", and had it not, every commit would go round forever.",
            example: "edges reads montage, montage reads edges     <- default/edges -> default/montage -> default/edges",
            fix: "Break the cycle: one of the pipelines reads another repository (often the source\n\
                  repository the first pipeline reads). `pachhook graph` draws the pipelines.",
        },
        Rule::UnknownInput => Explanation {
            why: "An input repository that no pipeline of the repository writes is either a source\n\
                  repository the team fills, or a misspelt pipeline name that pachd refuses at\n\
                  deploy time (\"repo not found\"). Once the team lists its source repositories\n\
                  in `[graph] sources`, anything else is a mistake; without that list this rule\n\
                  stays silent.",
            example: "[graph]\nsources = [\"images\"]\n\ninput:\n  pfs: {repo: egdes, glob: \"/*\"}     <- the pipeline is `edges`",
            fix: "Fix the repository's name, or add it to `[graph] sources` in pachhook.toml\n\
                  (globs: `raw-*` in any project, `vision/*` in one).",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_explained() {
        for rule in Rule::ALL {
            let text = of(*rule);
            assert!(!text.why.is_empty() && !text.example.is_empty() && !text.fix.is_empty());
            assert!(text.markdown().contains(text.example));
        }
    }
}
