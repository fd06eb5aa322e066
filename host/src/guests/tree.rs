//! What the non-Rust guest builders share: a hash of a source tree (the
//! cache key of a built guest) and running a toolchain command.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::BuildError;

/// Files under `dir` (recursively, sorted), skipping caches and outputs.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name == "__pycache__"
                || name == "node_modules"
                || name.ends_with(".wasm")
                || name.starts_with('.')
            {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A hash of the files under each of `dirs`, names and contents.
pub fn tree_hash(dirs: &[&Path]) -> String {
    let mut h = Sha256::new();
    for dir in dirs {
        for f in files(dir) {
            h.update(
                f.strip_prefix(dir)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .as_bytes(),
            );
            h.update([0]);
            h.update(std::fs::read(&f).unwrap_or_default());
            h.update([0]);
        }
    }
    hex::encode(&h.finalize()[..8])
}

/// Runs `cmd`; its output in the error when it fails.
pub fn run(cmd: &mut Command, what: &str) -> Result<(), BuildError> {
    let out = cmd
        .output()
        .map_err(|e| BuildError::Io(format!("cannot run {what}"), e))?;
    if !out.status.success() {
        return Err(BuildError::Toolchain(format!(
            "{what} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}
