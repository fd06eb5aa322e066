//! Building the repository's guest components from source: the examples
//! (`cairn quickstart`), and the test and bench guests.
//!
//! Both guest workspaces build for `wasm32-wasip2` into one target
//! directory, `target/wasm`, apart from the host's (a nested cargo would
//! otherwise wait on the outer one's lock).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why guests could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0} is not there (guests are built from a clone of the cairn repository)")]
    NoSources(String),
    #[error("cannot run cargo: {0}")]
    Cargo(std::io::Error),
    #[error(
        "building {0} failed (is the wasm32-wasip2 target installed? \
         `rustup target add wasm32-wasip2`)"
    )]
    Failed(String),
}

/// The repository this host was built from.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the host crate lives in the repository")
        .to_path_buf()
}

/// Where built components land.
pub fn out_dir() -> PathBuf {
    repo_root().join("target/wasm/wasm32-wasip2/release")
}

/// The built component of crate `name`.
pub fn component(name: &str) -> PathBuf {
    out_dir().join(format!("{}.wasm", name.replace('-', "_")))
}

/// Builds the workspace at `workspace` (`examples` or `tests/guests`, from
/// the repository root), or only its crate `package`.
pub fn build(workspace: &str, package: Option<&str>) -> Result<(), BuildError> {
    let root = repo_root();
    let manifest = root.join(workspace).join("Cargo.toml");
    if !manifest.exists() {
        return Err(BuildError::NoSources(manifest.display().to_string()));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--manifest-path")
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", root.join("target/wasm"));
    if let Some(p) = package {
        cmd.args(["-p", p]);
    }
    let status = cmd.status().map_err(BuildError::Cargo)?;
    if !status.success() {
        let what = match package {
            Some(p) => format!("{workspace}/{p}"),
            None => workspace.to_string(),
        };
        return Err(BuildError::Failed(what));
    }
    Ok(())
}
