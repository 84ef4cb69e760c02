//! What a check says: the rules (their ids are the stable names users put in `[rules]`,
//! `PACHHOOK_SKIP` and read in JSON reports), how bad a finding is, and the finding.
//!
//! A leaf: the checks produce these, the reports print them, the configuration names
//! the rules; none of those is needed to say what a finding is.

use crate::source::Span;

/// How bad a finding is. Errors fail `check` and the hooks; warnings are shown only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What a team configures for a rule: a severity, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    Error,
    Warning,
    Off,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "error" => Some(Level::Error),
            "warning" => Some(Level::Warning),
            "off" => Some(Level::Off),
            _ => None,
        }
    }
}

macro_rules! rules {
    ($($variant:ident => $id:literal, $level:ident, $doc:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $(#[doc = $doc] $variant,)*
        }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            pub fn default_level(self) -> Level {
                match self { $(Rule::$variant => Level::$level,)* }
            }

            /// The severity of the rule's findings when `[rules]` does not set one.
            pub fn default_severity(self) -> Severity {
                match self.default_level() {
                    Level::Warning => Severity::Warning,
                    Level::Error | Level::Off => Severity::Error,
                }
            }

            /// One line on what the rule catches, for `pachhook rules` and the README.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $doc,)* }
            }

            pub fn from_id(id: &str) -> Option<Rule> {
                match id { $($id => Some(Rule::$variant),)* _ => None }
            }
        }
    };
}

rules! {
    ParseError => "parse-error", Error, "the file is not a spec pachctl can read (syntax, aliases, tags, concatenated JSON)";
    UnknownField => "unknown-field", Error, "a key that is not a field of the Pachyderm 2.x spec";
    RemovedField => "removed-field", Error, "a Pachyderm 1.x field that 2.x rejects";
    UnavailableField => "unavailable-field", Error, "a field the target Pachyderm release does not have yet";
    InvalidValue => "invalid-value", Error, "a value of the wrong type, or not one of the allowed values";
    MissingField => "missing-field", Error, "a required field is absent";
    InvalidName => "invalid-name", Error, "a pipeline or project name that Pachyderm rejects";
    InvalidInput => "invalid-input", Error, "an input that breaks pachd's input rules";
    FloatingTag => "floating-tag", Error, "an image with no tag, or a tag that moves (`latest`)";
    InvalidImage => "invalid-image", Error, "an image reference Docker would refuse";
    MissingImage => "missing-image", Warning, "no `transform.image`: the server runs a default image nobody chose";
    DuplicatePipeline => "duplicate-pipeline", Error, "the same pipeline defined twice: in one file, or in two files of a repository that deploys (a warning otherwise)";
    DuplicateKey => "duplicate-key", Warning, "a key given twice in one mapping: pachctl 2.8+ keeps the last value (before 2.8 it is a parse error)";
    DryRunField => "dry-run-field", Error, "`dry_run` in a spec: pachctl 2.8+ reads it as the reprocess flag and creates the pipeline for real";
    CronReprocess => "cron-reprocess", Warning, "`[deploy] reprocess = true` on a pipeline with a cron input: every past tick is replayed";
    TemplateError => "template-error", Error, "a jsonnet template that does not render (pachd would refuse it), or a `[[template]]` naming no file";
    UncheckedTemplate => "unchecked-template", Warning, "a jsonnet template no `[[template]]` instance gives arguments to: only its syntax is checked";
    UnusedBuild => "unused-build", Warning, "a `[[build]]` no spec of the repository uses (`check --all` only)";
    PipelineCycle => "pipeline-cycle", Error, "pipelines that read each other's output in a cycle: pachd cannot create them";
    UnknownInput => "unknown-input", Error, "an input repository no pipeline writes and `[graph] sources` does not list (only when it is set)";
    Policy => "policy", Error, "a spec that breaks one of the team's policies (`[[policy]]` JSON Schemas); each policy sets its level";
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One thing wrong with a spec file.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// Index of the spec in its file (documents and list elements counted in order);
    /// `None` for findings about the whole file, such as `parse-error`.
    pub spec: Option<usize>,
    /// JSON pointer inside the spec, in the file's own key spelling.
    pub pointer: String,
    pub span: Span,
    pub message: String,
    /// What to do about it.
    pub help: String,
}
