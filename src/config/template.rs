//! `[[template]]`: instances of jsonnet pipeline templates, one per rendering.
//!
//! ```toml
//! [[template]]
//! path = "pipelines/edges.jsonnet"
//! args = { suffix = "1", src = "images" }
//! ```
//!
//! A template may be instantiated several times. `check`, the hooks and deploy render
//! each instance (see `crate::jsonnet`) and check the specs it produces like any other.
//! Arguments are strings, as pachctl's `--arg` passes them.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::Deserialize;

use crate::check::template::Instance;

/// One `[[template]]` block as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateLayer {
    path: toml::Spanned<String>,
    #[serde(default)]
    args: BTreeMap<String, toml::Spanned<String>>,
}

/// Checks the `[[template]]` blocks of one configuration file.
pub(super) fn parse(layers: Vec<TemplateLayer>, path: &Path, text: &str) -> Result<Vec<Instance>> {
    // `pachhook.toml`, also when read from a commit (`<sha>:pachhook.toml`): findings
    // at an instance are placed on the file as the repository names it.
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = file.rsplit(':').next().unwrap_or_default().to_string();
    let config_text = std::sync::Arc::new(text.to_string());
    let mut out = Vec::new();
    for layer in layers {
        let written = layer.path.get_ref().trim();
        let template = super::paths::file(written).and_then(|t| {
            if t.ends_with(".jsonnet") {
                Ok(t)
            } else {
                Err("a template is a `.jsonnet` file")
            }
        });
        let template = template.map_err(|why| {
            super::error_at(
                path,
                text,
                layer.path.span(),
                format!("[[template]] path `{written}`: {why}"),
            )
        })?;
        let (line, column) = super::file::position(text.as_bytes(), layer.path.span().start);
        out.push(Instance {
            path: template,
            args: layer
                .args
                .into_iter()
                .map(|(k, v)| (k, v.into_inner()))
                .collect(),
            config: file.clone(),
            config_text: config_text.clone(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        });
    }
    Ok(out)
}
