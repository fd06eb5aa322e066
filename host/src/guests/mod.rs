//! Building the repository's guest components from source: the examples
//! (`cairn quickstart`), and the test and bench guests.
//!
//! Both Rust guest workspaces build for `wasm32-wasip2` into one target
//! directory, `target/wasm`, apart from the host's (a nested cargo would
//! otherwise wait on the outer one's lock). Python guests are built by
//! [`python`], JavaScript guests by [`js`]. Any guest may instead be a component built elsewhere, by
//! any toolchain: [`prebuilt`] names it, and [`component`] returns it, so
//! the same scenarios run against a guest written in another language.

pub mod js;
pub mod python;
mod tree;

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
    /// A tool a guest's language needs is not installed.
    #[error("{0}")]
    Missing(String),
    /// A non-Rust toolchain failed; the message says which and why.
    #[error("{0}")]
    Toolchain(String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
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

/// The component of crate `name`: the one [`prebuilt`] names, or where
/// [`build`] puts it.
pub fn component(name: &str) -> PathBuf {
    prebuilt(name).unwrap_or_else(|| out_dir().join(format!("{}.wasm", name.replace('-', "_"))))
}

/// The environment variable that replaces guest `name` by a component
/// built elsewhere: `CAIRN_GUEST_` and the name in capitals, `-` as `_`
/// (`CAIRN_GUEST_ORDER=/path/to/order.wasm`).
pub fn prebuilt_var(name: &str) -> String {
    format!("CAIRN_GUEST_{}", name.replace('-', "_").to_uppercase())
}

/// The component that replaces guest `name`, when [`prebuilt_var`] is set.
pub fn prebuilt(name: &str) -> Option<PathBuf> {
    std::env::var_os(prebuilt_var(name))
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
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
