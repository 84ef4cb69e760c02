//! Writing a report file (`check --output`) atomically: the report goes to a temporary
//! file beside the target, which is renamed over it once complete. A CI step that reads
//! the file never sees half a report, and a failed run leaves the previous one intact.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

pub fn write_atomically(
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("--output {}: not a file name", path.display()))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".pachhook-{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let result = (|| -> Result<()> {
        let file = fs::File::create(&temp)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
        let mut out = BufWriter::new(file);
        render(&mut out).with_context(|| format!("writing {}", temp.display()))?;
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {}", temp.display()))?;
        file.sync_all()
            .with_context(|| format!("writing {}", temp.display()))?;
        fs::rename(&temp, path)
            .with_context(|| format!("cannot write the report to {}", path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
