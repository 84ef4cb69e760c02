//! `[deploy]`: what a push to a deploy branch does, and how this machine reaches the
//! cluster.
//!
//! Deploy reads `[deploy]` and `[[build]]` from the `pachhook.toml` of the commit it
//! deploys. `pachhook.local.toml` may set only the keys that say how this machine
//! reaches the cluster (`LOCAL_KEYS`); what goes into an image or a spec is the
//! commit's alone, so that "tag = commit SHA" names exactly one image.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use serde::Deserialize;

use super::{LOCAL_FILE, TEAM_FILE, error_at, find_span};

/// The `[deploy]` keys `pachhook.local.toml` may set.
pub const LOCAL_KEYS: [&str; 8] = [
    "pachctl",
    "registry_timeout",
    "remote",
    "contexts",
    "context",
    "confirm",
    "on_failure",
    "pachctl_timeout",
];

/// The bound of one pachctl call when `[deploy] pachctl_timeout` is not set.
pub const DEFAULT_PACHCTL_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The bound of one exchange with a registry when `[deploy] registry_timeout` is not set.
pub const DEFAULT_REGISTRY_TIMEOUT: Duration = Duration::from_secs(3 * 60);

/// The remote whose pushes deploy when `[deploy] remote` is not set.
pub const DEFAULT_REMOTE: &str = "origin";

/// `[deploy]`, merged.
#[derive(Clone, Debug, PartialEq)]
pub struct Deploy {
    pub enabled: bool,
    /// Globs of branch names whose pushes deploy.
    pub branches: Vec<String>,
    /// The pachctl command or path.
    pub pachctl: String,
    pub pin: Pin,
    pub reprocess: bool,
    pub project: Option<String>,
    /// The pachctl context (`PACH_CONTEXT`) to deploy to.
    pub context: Option<String>,
    pub on_failure: OnFailure,
    pub confirm: bool,
    /// The longest one pachctl call may take.
    pub pachctl_timeout: Duration,
    /// The remote whose acceptance of a push deploys (`origin`): a push anywhere else
    /// never updates the cluster.
    pub remote: String,
    /// Deploy branch (a glob) → the ID of the cluster it deploys to
    /// (`pachctl inspect cluster`), in file order: the team's file alone says it.
    pub clusters: Vec<(String, String)>,
    /// Cluster ID → the pachctl context this machine reaches it with (local file).
    pub contexts: std::collections::BTreeMap<String, String>,
    /// Delete the pipelines whose spec the deployed range removed.
    pub prune: bool,
    /// The longest a registry may take to answer (a lookup, or the next step of a push).
    pub registry_timeout: Duration,
}

impl Default for Deploy {
    fn default() -> Deploy {
        Deploy {
            enabled: false,
            branches: vec!["main".to_string()],
            pachctl: "pachctl".to_string(),
            pin: Pin::Tag,
            reprocess: false,
            project: None,
            context: None,
            on_failure: OnFailure::Block,
            confirm: false,
            pachctl_timeout: DEFAULT_PACHCTL_TIMEOUT,
            remote: DEFAULT_REMOTE.to_string(),
            clusters: Vec::new(),
            contexts: std::collections::BTreeMap::new(),
            prune: false,
            registry_timeout: DEFAULT_REGISTRY_TIMEOUT,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Pin {
    Tag,
    Digest,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    Block,
    Warn,
}

/// `[deploy]` of one file: every key optional so the local file overrides key by key,
/// and typed so that a wrong key or value is reported at its line by the TOML reader.
/// The keys the local file may not set keep their span, to say where they are.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeployLayer {
    enabled: Option<toml::Spanned<bool>>,
    branches: Option<toml::Spanned<Vec<toml::Spanned<String>>>>,
    pachctl: Option<toml::Spanned<String>>,
    pin: Option<toml::Spanned<Pin>>,
    reprocess: Option<toml::Spanned<bool>>,
    project: Option<toml::Spanned<String>>,
    context: Option<String>,
    on_failure: Option<OnFailure>,
    confirm: Option<bool>,
    pachctl_timeout: Option<toml::Spanned<String>>,
    remote: Option<toml::Spanned<String>>,
    clusters: Option<toml::Spanned<toml::Table>>,
    contexts: Option<std::collections::BTreeMap<String, String>>,
    prune: Option<toml::Spanned<bool>>,
    registry_timeout: Option<toml::Spanned<String>>,
}

impl DeployLayer {
    /// The first key a local file may not set, with its span: `enabled`, `branches`,
    /// `pin`, `reprocess`, `project`.
    pub(super) fn team_only_key(&self) -> Option<(&'static str, std::ops::Range<usize>)> {
        if let Some(v) = &self.enabled {
            return Some(("enabled", v.span()));
        }
        if let Some(v) = &self.branches {
            return Some(("branches", v.span()));
        }
        if let Some(v) = &self.pin {
            return Some(("pin", v.span()));
        }
        if let Some(v) = &self.reprocess {
            return Some(("reprocess", v.span()));
        }
        if let Some(v) = &self.project {
            return Some(("project", v.span()));
        }
        if let Some(v) = &self.clusters {
            return Some(("clusters", v.span()));
        }
        if let Some(v) = &self.prune {
            return Some(("prune", v.span()));
        }
        None
    }
}

/// The error for a key `pachhook.local.toml` may not set: what and why.
pub(super) fn local_refusal(
    path: &Path,
    text: &str,
    span: std::ops::Range<usize>,
    key: &str,
) -> anyhow::Error {
    let span = if span.end == 0 {
        find_span(text, key)
    } else {
        span
    };
    error_at(
        path,
        text,
        span,
        format!(
            "{key} cannot be set in {LOCAL_FILE}: what goes into an image or a spec comes from the {TEAM_FILE} of the deployed commit; set it there and commit it ({LOCAL_FILE} may set only [deploy] {})",
            LOCAL_KEYS.join(", ")
        ),
    )
}

impl Deploy {
    pub(super) fn apply(&mut self, layer: DeployLayer, path: &Path, text: &str) -> Result<()> {
        if let Some(branches) = layer.branches {
            let branches = branches.into_inner();
            for glob in &branches {
                globset::Glob::new(glob.get_ref()).map_err(|e| {
                    error_at(
                        path,
                        text,
                        glob.span(),
                        format!(
                            "[deploy] branches: `{}` is not a valid glob: {}",
                            glob.get_ref(),
                            e.kind()
                        ),
                    )
                })?;
            }
            self.branches = branches
                .into_iter()
                .map(toml::Spanned::into_inner)
                .collect();
        }
        if let Some(pachctl) = layer.pachctl {
            if pachctl.get_ref().trim().is_empty() {
                return Err(error_at(
                    path,
                    text,
                    pachctl.span(),
                    "[deploy] pachctl: empty; name the pachctl command or its path".into(),
                ));
            }
            // A plain `git push` runs it: the team's file may name a command on PATH,
            // never a program the repository ships; the developer's own file may name
            // any path.
            let local = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(LOCAL_FILE));
            if !local && pachctl.get_ref().contains(['/', '\\']) {
                return Err(error_at(
                    path,
                    text,
                    pachctl.span(),
                    format!(
                        "[deploy] pachctl: `{}` is a path; {TEAM_FILE} may name only a command found on PATH (such as \"pachctl\"), never a program of the repository: a push would run it. Name the path in {LOCAL_FILE} instead",
                        crate::escape::escape(pachctl.get_ref())
                    ),
                ));
            }
            self.pachctl = pachctl.into_inner();
        }
        if let Some(timeout) = layer.pachctl_timeout {
            self.pachctl_timeout = parse_duration(timeout.get_ref()).ok_or_else(|| {
                error_at(
                    path,
                    text,
                    timeout.span(),
                    format!(
                        "[deploy] pachctl_timeout: `{}` is not a duration: write a number of seconds, minutes or hours, such as \"90s\", \"5m\" or \"1h\" (at most 24h)",
                        timeout.get_ref()
                    ),
                )
            })?;
        }
        if let Some(remote) = layer.remote {
            let name = remote.get_ref();
            // A remote's name, not its URL or path (git allows `/` inside names).
            if name.trim().is_empty()
                || name.contains(':')
                || name.starts_with(['/', '.'])
                || name.chars().any(char::is_whitespace)
            {
                return Err(error_at(
                    path,
                    text,
                    remote.span(),
                    format!(
                        "[deploy] remote: `{}` is not the name of a git remote: write the name `git remote` lists, such as \"origin\"",
                        crate::escape::escape(name)
                    ),
                ));
            }
            self.remote = remote.into_inner();
        }
        if let Some(clusters) = layer.clusters {
            let span = clusters.span();
            let mut mapped = Vec::new();
            for (branch, id) in clusters.into_inner() {
                let bad = |why: String| error_at(path, text, span.clone(), why);
                globset::Glob::new(&branch).map_err(|e| {
                    bad(format!(
                        "[deploy] clusters: `{}` is not a valid branch glob: {}",
                        crate::escape::escape(&branch),
                        e.kind()
                    ))
                })?;
                let Some(id) = id.as_str().filter(|id| !id.trim().is_empty()) else {
                    return Err(bad(format!(
                        "[deploy] clusters: `{}` must map to a cluster ID, the `id` that `pachctl inspect cluster` prints, as a string",
                        crate::escape::escape(&branch)
                    )));
                };
                mapped.push((branch, id.to_string()));
            }
            self.clusters = mapped;
        }
        if let Some(contexts) = layer.contexts {
            self.contexts = contexts;
        }
        if let Some(timeout) = layer.registry_timeout {
            self.registry_timeout = parse_duration(timeout.get_ref()).ok_or_else(|| {
                error_at(
                    path,
                    text,
                    timeout.span(),
                    format!(
                        "[deploy] registry_timeout: `{}` is not a duration: write a number of seconds, minutes or hours, such as \"90s\", \"5m\" or \"1h\" (at most 24h)",
                        crate::escape::escape(timeout.get_ref())
                    ),
                )
            })?;
        }
        if let Some(prune) = layer.prune {
            self.prune = prune.into_inner();
        }
        let DeployLayer {
            enabled,
            pin,
            reprocess,
            project,
            context,
            on_failure,
            confirm,
            ..
        } = layer;
        self.enabled = enabled.map_or(self.enabled, toml::Spanned::into_inner);
        self.pin = pin.map_or(self.pin, toml::Spanned::into_inner);
        self.reprocess = reprocess.map_or(self.reprocess, toml::Spanned::into_inner);
        self.project = project
            .map(toml::Spanned::into_inner)
            .or(self.project.take());
        self.context = context.or(self.context.take());
        self.on_failure = on_failure.unwrap_or(self.on_failure);
        self.confirm = confirm.unwrap_or(self.confirm);
        Ok(())
    }

    /// The cluster ID that `branch` deploys to, when `[deploy] clusters` maps it.
    pub fn cluster_of(&self, branch: &str) -> Option<&str> {
        self.clusters
            .iter()
            .find(|(glob, _)| {
                globset::Glob::new(glob).is_ok_and(|g| g.compile_matcher().is_match(branch))
            })
            .map(|(_, id)| id.as_str())
    }

    /// The context that reaches cluster `id` from this machine: `[deploy] contexts` of
    /// the local file, else `[deploy] context`.
    pub fn context_for(&self, id: Option<&str>) -> Option<String> {
        id.and_then(|id| self.contexts.get(id))
            .cloned()
            .or_else(|| self.context.clone())
    }

    /// Whether a push of this branch (short name, `main`) deploys.
    pub fn deploys_branch(&self, branch: &str) -> bool {
        self.enabled
            && self
                .branches
                .iter()
                .filter_map(|g| globset::Glob::new(g).ok())
                .any(|g| g.compile_matcher().is_match(branch))
    }
}

/// `"90s"`, `"5m"`, `"1h"`, `"1m30s"`: a positive duration of at most a day.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.trim().chars() {
        if let Some(d) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(u64::from(d))?,
            );
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
        total = total.checked_add(number.take()?.checked_mul(unit)?)?;
    }
    if number.is_some() || total == 0 || total > 24 * 3600 {
        return None;
    }
    Some(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(text: &str) -> Result<Deploy> {
        crate::config::Config::from_str(Path::new(TEAM_FILE), text).map(|c| c.deploy)
    }

    #[test]
    fn clusters_contexts_and_the_team_remote() {
        let deploy = team(
            "[deploy]\nremote = \"upstream/team\"\nprune = true\nregistry_timeout = \"90s\"\nclusters = { main = \"c-prod\", \"release/*\" = \"c-rel\" }\ncontexts = { c-prod = \"prod-east\" }\ncontext = \"fallback\"\n",
        )
        .unwrap();
        assert_eq!(deploy.remote, "upstream/team");
        assert!(deploy.prune);
        assert_eq!(deploy.registry_timeout, Duration::from_secs(90));
        assert_eq!(deploy.cluster_of("main"), Some("c-prod"));
        assert_eq!(deploy.cluster_of("release/2.1"), Some("c-rel"));
        assert_eq!(deploy.cluster_of("feature"), None);
        assert_eq!(
            deploy.context_for(Some("c-prod")).as_deref(),
            Some("prod-east")
        );
        assert_eq!(
            deploy.context_for(Some("c-rel")).as_deref(),
            Some("fallback")
        );
        for bad in [
            "[deploy]\nremote = \"https://example.com/x.git\"\n",
            "[deploy]\nremote = \"/srv/git/x\"\n",
            "[deploy]\nclusters = { main = 3 }\n",
            "[deploy]\nclusters = { \"[\" = \"c\" }\n",
            "[deploy]\nregistry_timeout = \"soon\"\n",
        ] {
            assert!(team(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_team_file_names_pachctl_only_as_a_command() {
        assert_eq!(
            team("[deploy]\npachctl = \"pachctl-2.12\"\n")
                .unwrap()
                .pachctl,
            "pachctl-2.12"
        );
        for path in ["tools/pachctl", "./pachctl", "/usr/local/bin/pachctl"] {
            let error = team(&format!("[deploy]\npachctl = \"{path}\"\n")).unwrap_err();
            assert!(format!("{error:#}").contains("only a command"), "{error:#}");
        }
        let local = crate::config::Config::from_str(
            Path::new(LOCAL_FILE),
            "[deploy]\npachctl = \"/opt/pachctl/bin/pachctl\"\n",
        )
        .unwrap();
        assert_eq!(local.deploy.pachctl, "/opt/pachctl/bin/pachctl");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        for bad in [
            "",
            "5",
            "0s",
            "m",
            "5 minutes",
            "25h",
            "-1s",
            "99999999999999999999s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
