//! Rules on the pipeline graph (`crate::graph`): `pipeline-cycle` and `unknown-input`.
//!
//! Both look across specs, so they run after every file is checked, on the pipelines of
//! the checked files plus `Settings::context`: the pipelines of the rest of the
//! repository, which the hooks add because they check only the files a change touches.
//! Findings go on the checked files only.
//!
//! `unknown-input` runs only when the team lists its source repositories
//! (`[graph] sources`): a repository that lists none cannot tell a source repository
//! filled by hand from a misspelt pipeline name, and gets no false alarm.

use std::collections::BTreeSet;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{FileReport, Findings, Options, Rule};
use crate::graph::{self, Pipeline};
use crate::source::Source;

/// What the caller knows about the graph beyond the checked files.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The project of a spec that names none: `[deploy] project`, else `default`.
    pub default_project: String,
    /// `[graph] sources`: globs of the source repositories.
    pub sources: Vec<String>,
    /// The pipelines of the repository's other files, each with its file's path. A file
    /// among the checked ones is taken from the check, never from here.
    pub context: Option<Arc<Vec<(String, Pipeline)>>>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            default_project: graph::DEFAULT_PROJECT.to_string(),
            sources: Vec::new(),
            context: None,
        }
    }
}

/// `[graph] sources` compiled: a glob with a `/` matches `project/repo`, one without
/// matches the repository's name in any project.
pub struct Sources {
    qualified: GlobSet,
    bare: GlobSet,
}

impl Sources {
    pub fn new(globs: &[String]) -> anyhow::Result<Sources> {
        let mut qualified = GlobSetBuilder::new();
        let mut bare = GlobSetBuilder::new();
        for glob in globs {
            let compiled = globset::GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .or_else(|_| Glob::new(glob))?;
            if glob.contains('/') {
                qualified.add(compiled);
            } else {
                bare.add(compiled);
            }
        }
        Ok(Sources {
            qualified: qualified.build()?,
            bare: bare.build()?,
        })
    }

    pub fn lists(&self, project: &str, repo: &str) -> bool {
        self.bare.is_match(repo) || self.qualified.is_match(format!("{project}/{repo}"))
    }
}

/// The pipelines of `sources` (the rest of a repository), read the way the check reads
/// them, in parallel; files that do not parse give none. Jsonnet
/// templates give the pipelines their `[[template]]` instances render, through the
/// check (few files; the rules' findings are dropped).
pub fn context(sources: Vec<Source>, opts: &Options) -> Arc<Vec<(String, Pipeline)>> {
    let (templates, specs): (Vec<Source>, Vec<Source>) = sources
        .into_iter()
        .partition(|s| super::template::is_template(&s.path));
    let found = crate::parallel::map(specs, |source| {
        let Ok(specs) = crate::spec::read::read(&source.bytes) else {
            return Vec::new();
        };
        specs
            .into_iter()
            // Not normalized: the keys the graph reads are spelled the same in both of
            // protobuf JSON's spellings, and normalizing would cost the hooks more than
            // reading does.
            .filter_map(|spec| {
                Pipeline::of(&spec, &opts.graph.default_project).map(|p| (source.path.clone(), p))
            })
            .collect()
    });
    let mut all: Vec<(String, Pipeline)> = found.into_iter().flatten().collect();
    if !templates.is_empty() {
        let mut light = opts.clone();
        light.policies = Vec::new();
        light.keep_trees = false;
        light.graph.context = None;
        light.graph.sources = Vec::new();
        let report = super::check(templates, &light);
        for file in report.files {
            for spec in file.specs {
                if let Some(p) = spec.pipeline {
                    all.push((file.source.path.clone(), p));
                }
            }
        }
    }
    Arc::new(all)
}

/// Whether either graph rule is on: only then does a hook read the rest of the
/// repository for `Settings::context`.
pub fn wanted(opts: &Options) -> bool {
    [Rule::PipelineCycle, Rule::UnknownInput]
        .iter()
        .any(|r| opts.levels.get(r) != Some(&super::Level::Off))
}

pub fn check(files: &mut [FileReport], opts: &Options) {
    // (file index or None for the context, spec index, pipeline)
    let checked: BTreeSet<&str> = files.iter().map(|f| f.source.path.as_str()).collect();
    let mut all: Vec<(Option<usize>, usize, &Pipeline)> = Vec::new();
    for (f, file) in files.iter().enumerate() {
        for spec in &file.specs {
            if let Some(p) = &spec.pipeline {
                all.push((Some(f), spec.index, p));
            }
        }
    }
    if let Some(context) = &opts.graph.context {
        for (path, p) in context.iter() {
            if !checked.contains(path.as_str()) {
                all.push((None, 0, p));
            }
        }
    }
    let mut found: Vec<(usize, usize, super::Finding)> = Vec::new();
    let pipelines: Vec<&Pipeline> = all.iter().map(|(_, _, p)| *p).collect();
    for cycle in graph::cycles(&pipelines) {
        let (Some(f), index, p) = all[cycle.start] else {
            continue;
        };
        let Some(input) = p.inputs.get(cycle.closing) else {
            continue;
        };
        let names = shorten(cycle.len(), cycle.way().map(|i| pipelines[i].id()), p.id());
        let mut out = Findings::new(Some(index));
        out.push(
            Rule::PipelineCycle,
            &input.pointer,
            input.span,
            format!("pipeline cycle: {names}"),
            "pachd cannot create pipelines that read their own output: read another repository",
        );
        found.extend(out.into_vec().into_iter().map(|x| (f, index, x)));
    }
    if !opts.graph.sources.is_empty()
        && let Ok(sources) = Sources::new(&opts.graph.sources)
    {
        let written: BTreeSet<String> = pipelines.iter().map(|p| p.id()).collect();
        for &(f, index, p) in &all {
            let Some(f) = f else { continue };
            for input in &p.inputs {
                if written.contains(&input.id()) || sources.lists(&input.project, &input.repo) {
                    continue;
                }
                let help = match closest(&input.repo, &input.project, &pipelines) {
                    Some(name) => format!(
                        "did you mean `{name}`? Otherwise add `{}` to [graph] sources in pachhook.toml",
                        input.id()
                    ),
                    None => format!(
                        "fix the name, or add `{}` to [graph] sources in pachhook.toml",
                        input.id()
                    ),
                };
                let mut out = Findings::new(Some(index));
                out.push(
                    Rule::UnknownInput,
                    &input.pointer,
                    input.span,
                    format!(
                        "input repository `{}` is written by no pipeline and is not a source",
                        input.id()
                    ),
                    help,
                );
                found.extend(out.into_vec().into_iter().map(|x| (f, index, x)));
            }
        }
    }
    for (f, _, finding) in found {
        files[f].findings.push(finding);
    }
}

/// A cycle as `a -> b -> a`: `len` names then the first again, at most eight in all
/// (the middle elided), so a message stays one line.
fn shorten(len: usize, names: impl Iterator<Item = String>, first: String) -> String {
    let mut shown: Vec<String> = Vec::new();
    for (i, name) in names.enumerate() {
        if len <= 7 || i < 4 || i + 3 > len {
            shown.push(name);
        } else if i == 4 {
            shown.push("...".to_string());
        }
    }
    shown.push(first);
    shown.join(" -> ")
}

/// The pipeline of `project` whose name is nearest a misspelt repository's.
fn closest(repo: &str, project: &str, pipelines: &[&Pipeline]) -> Option<String> {
    pipelines
        .iter()
        .filter(|p| p.project == project)
        .map(|p| (strsim::damerau_levenshtein(repo, &p.name), &p.name))
        .filter(|(d, name)| *d <= 2.max(name.len() / 4))
        .min()
        .map(|(_, name)| name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_cycle_is_shortened_to_one_line() {
        let names = |n: usize| (0..n).map(|i| format!("p{i}"));
        assert_eq!(shorten(3, names(3), "p0".into()), "p0 -> p1 -> p2 -> p0");
        assert_eq!(
            shorten(100, names(100), "p0".into()),
            "p0 -> p1 -> p2 -> p3 -> ... -> p98 -> p99 -> p0"
        );
    }

    #[test]
    fn sources_with_and_without_a_project() {
        let sources = Sources::new(&["raw-*".into(), "vision/*".into()]).unwrap();
        assert!(sources.lists("any", "raw-images"));
        assert!(sources.lists("vision", "edges"));
        assert!(!sources.lists("default", "edges"));
        assert!(!sources.lists("vision-2", "edges"));
    }
}
