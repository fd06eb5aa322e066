//! Building JavaScript guests: `examples/js/*` and `tests/guests/js/*`.
//!
//! cairn-sdk for JavaScript (`guest-sdk-js/`) pins componentize-qjs in its
//! `package-lock.json`; `npm ci` installs it into `guest-sdk-js/node_modules`
//! on first use and again when the lock file changes. Each guest is a
//! directory with an `app.js`, built by `guest-sdk-js/bin/build.mjs` into
//! `target/js-guests/NAME-HASH.wasm`, where HASH covers the guest's files
//! and the SDK's: an unchanged guest is never rebuilt.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::tree::{run, tree_hash};
use super::{BuildError, repo_root};

/// The environment variable naming the Node.js binary (default `node`).
pub const NODE_VAR: &str = "CAIRN_NODE";

fn sdk_dir() -> PathBuf {
    repo_root().join("guest-sdk-js")
}

fn node() -> String {
    std::env::var(NODE_VAR).unwrap_or_else(|_| "node".into())
}

/// Installs the SDK's pinned toolchain unless the lock file installed is
/// the one in the repository.
pub fn ensure_sdk() -> Result<(), BuildError> {
    let lock = sdk_dir().join("package-lock.json");
    let stamp = sdk_dir().join("node_modules/.cairn-lock");
    let want = std::fs::read(&lock).map_err(|e| BuildError::Io(lock.display().to_string(), e))?;
    if std::fs::read(&stamp).is_ok_and(|got| got == want) {
        return Ok(());
    }
    let version = Command::new(node()).arg("--version").output();
    if !version.is_ok_and(|o| o.status.success()) {
        return Err(BuildError::Missing(format!(
            "JavaScript guests need Node.js 18 or newer with npm (`{}` was not found): \
             apt-get install nodejs npm, or set {NODE_VAR}",
            node()
        )));
    }
    run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(sdk_dir()),
        "npm ci in guest-sdk-js (it needs the npm registry for componentize-qjs)",
    )?;
    std::fs::write(&stamp, want).map_err(|e| BuildError::Io(stamp.display().to_string(), e))
}

/// Where the component of the guest in `dir` is (or will be) built.
pub fn output(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "guest".into());
    let hash = tree_hash(&[dir, &sdk_dir().join("src"), &sdk_dir().join("wit")]);
    repo_root()
        .join("target/js-guests")
        .join(format!("{name}-{hash}.wasm"))
}

/// Builds the guest in `dir` (a directory holding `app.js`, relative to the
/// repository root or absolute) unless it is built already; returns the
/// component.
pub fn build(dir: &Path) -> Result<PathBuf, BuildError> {
    let dir = repo_root().join(dir);
    let app = dir.join("app.js");
    if !app.exists() {
        return Err(BuildError::NoSources(app.display().to_string()));
    }
    let out = output(&dir);
    if out.exists() {
        return Ok(out);
    }
    build_to(&dir, &out)?;
    Ok(out)
}

/// Builds the guest in `dir` into `out`, always (a rebuild).
pub fn build_to(dir: &Path, out: &Path) -> Result<(), BuildError> {
    ensure_sdk()?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| BuildError::Io(parent.display().to_string(), e))?;
    }
    let tmp = out.with_extension("wasm.partial");
    run(
        Command::new(node())
            .arg(sdk_dir().join("bin/build.mjs"))
            .arg(dir.join("app.js"))
            .arg("-o")
            .arg(&tmp)
            .arg("-q"),
        &format!("cairn-build-js {}", dir.display()),
    )?;
    std::fs::rename(&tmp, out).map_err(|e| BuildError::Io(out.display().to_string(), e))
}
