//! The command line, and nothing else: clap definitions that `main` dispatches on.

use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use crate::diagnostic::Rule;
use crate::release::Release;

use crate::hooks::HookName;
use crate::report::Format;
use crate::report::style::ColorChoice;

#[derive(Debug, Parser)]
#[command(
    name = "pachhook",
    version,
    about = "Checks Pachyderm pipeline specs in git hooks, and deploys them tagged with the commit SHA"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to use colour: auto is on a terminal, unless NO_COLOR is set (CLICOLOR_FORCE
    /// forces it).
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Reports show the findings only: no summary line, nothing for a clean check.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check pipeline spec files (default: the specs of the current repository).
    Check(CheckArgs),
    /// Write the pre-commit and pre-push hooks into this repository.
    Install(HookArgs),
    /// Remove pachhook's hooks, restoring any hook they had replaced.
    Uninstall(HookArgs),
    /// Show which hooks are installed, where, and whether they are current
    /// (`--cluster`: what the cluster runs of this repository).
    Status(StatusArgs),
    /// Create pachhook.toml for this repository.
    Init(InitArgs),
    /// Run a hook's logic by hand (the installed hooks call this).
    Run(RunArgs),
    /// Build, push and update the pipelines of a commit (default: HEAD).
    Deploy(DeployArgs),
    /// List the rules, their default severity and what they catch.
    Rules,
    /// Print a JSON Schema of the spec, for editors (YAML language server, VS Code).
    Schema(SchemaArgs),
    /// Print the JSON a jsonnet pipeline template renders to, as pachd would render it.
    Render(RenderArgs),
    /// Print the pipeline graph (Mermaid, dot or JSON); --from-ref marks what a change
    /// reprocesses.
    Graph(GraphArgs),
    /// Evaluates one jsonnet template request from standard input, bounded (the child
    /// process of `render` and the checks: `jsonnet::isolated`).
    #[command(name = "__evaluate-template", hide = true)]
    EvaluateTemplate,
    /// Explain a rule: why it matters, an example, how to fix it.
    Explain {
        /// The rule's id, as in findings (`floating-tag`).
        #[arg(value_parser = Completed(rules), hide_possible_values = true)]
        rule: String,
    },
    /// Print the completion script for a shell.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff): `pachhook man > ~/.local/share/man/man1/pachhook.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Spec files, or directories searched for *.json, *.yaml and *.yml spec files.
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to this file (atomically); the human report goes to the terminal.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Pachyderm release the specs must work on (default: [pachyderm] version, else 2.12).
    #[arg(long, value_name = "RELEASE", value_parser = Completed(releases), hide_possible_values = true)]
    pub pachyderm: Option<String>,
    /// Check the staged content of the spec files, as the pre-commit hook does.
    #[arg(long, conflicts_with_all = ["paths", "all"])]
    pub staged: bool,
    /// Of the files named, check only the spec files, picked as the hooks pick them
    /// ([specs] paths, else files holding a spec): for hook managers (pre-commit,
    /// lefthook) that pass every changed JSON and YAML file.
    #[arg(long, requires = "paths")]
    pub only_specs: bool,
    /// With --to-ref: check the spec files changed since this commit (from the merge base
    /// of the two, as a pull request shows them), as they are at --to-ref.
    #[arg(long, value_name = "REV", conflicts_with_all = ["paths", "all", "staged"])]
    pub from_ref: Option<String>,
    /// The end of the --from-ref range (default: HEAD).
    #[arg(long, value_name = "REV", requires = "from_ref")]
    pub to_ref: Option<String>,
    /// Check every spec file of the repository at HEAD's working tree.
    #[arg(long, conflicts_with = "paths")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Spec files, or directories searched for spec files (default: the specs of the
    /// current repository).
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// Mark the pipelines the range from this commit (its merge base with --to-ref)
    /// changes, as deploy decides, and those downstream of them; the graph is --to-ref's.
    #[arg(long, value_name = "REV", conflicts_with = "paths")]
    pub from_ref: Option<String>,
    /// The end of the --from-ref range (default: HEAD).
    #[arg(long, value_name = "REV", requires = "from_ref")]
    pub to_ref: Option<String>,
}

/// How `pachhook graph` writes the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (GitHub and GitLab draw it in Markdown).
    Mermaid,
    /// Graphviz dot.
    Dot,
    /// The JSON contract (version 1, see the README).
    Json,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// Only this hook (default: both).
    #[arg(long, value_enum)]
    pub hook: Option<HookName>,
    /// Replace or remove a hook of pachhook's that was edited (a copy is kept).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Accept the proposed answers without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Pachyderm release of the cluster.
    #[arg(long, value_name = "RELEASE", value_parser = Completed(releases), hide_possible_values = true)]
    pub pachyderm: Option<String>,
    /// Globs of the spec files (repeatable).
    #[arg(long = "specs", value_name = "GLOB")]
    pub specs: Vec<String>,
    /// Overwrite an existing pachhook.toml.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(value_enum)]
    pub hook: HookName,
    /// Arguments git passed to the hook (pre-push: remote name and URL).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The template (`*.jsonnet`): a top-level function of string arguments.
    pub template: PathBuf,
    /// A top-level argument, passed as a string, as `pachctl --arg` does (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// What the cluster this branch deploys to runs: each pipeline's commit and image,
    /// drift from the repository's spec, and the cluster's pipelines no spec names.
    #[arg(long)]
    pub cluster: bool,
    /// With --cluster: `human` or `json`.
    #[arg(long, value_enum, default_value_t = StatusFormat::Human, requires = "cluster")]
    pub format: StatusFormat,
}

/// The formats of `status --cluster`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The commit to deploy (default: HEAD).
    pub rev: Option<String>,
    /// Show the images that would be built and the rendered specs; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace pipelines the cluster runs from a commit this one does not contain (a
    /// newer deploy, another branch's).
    #[arg(long)]
    pub force: bool,
    /// Also treat the repository path as this (for tests and CI checkouts).
    #[arg(long, hide = true)]
    pub repo: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The Pachyderm release whose fields the schema allows (default: [pachyderm] version,
    /// else 2.12).
    #[arg(long, value_name = "RELEASE", value_parser = Completed(releases), hide_possible_values = true)]
    pub pachyderm: Option<String>,
}

/// The shells `completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

/// A free-form value whose likely values the shell completions offer: `--pachyderm`
/// completes to the releases pachhook knows, `explain` to the rule ids. The value is
/// passed on as typed, and the command judges it (`v2.12.0-rc.3` is a release too, and an
/// unknown rule gets `explain`'s own message listing the rules).
#[derive(Clone, Copy)]
pub struct Completed(fn() -> Vec<PossibleValue>);

impl TypedValueParser for Completed {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new((self.0)().into_iter()))
    }
}

fn releases() -> Vec<PossibleValue> {
    // clap takes `&'static str` names: made once per process.
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            Release::all()
                .map(|r| &*Box::leak(r.to_string().into_boxed_str()))
                .collect()
        })
        .iter()
        .map(|name| PossibleValue::new(*name))
        .collect()
}

fn rules() -> Vec<PossibleValue> {
    Rule::ALL
        .iter()
        .map(|r| PossibleValue::new(r.id()).help(r.summary()))
        .collect()
}
