//! Building Python guests: `examples/python/*` and `tests/guests/python/*`.
//!
//! A virtualenv under `target/python-venv` holds cairn-sdk for Python
//! (`guest-sdk-python/`, which pins componentize-py); it is made on first
//! use and the SDK reinstalled when its sources change. Each guest is a
//! directory with an `app.py`, built by `python -m cairn build` into
//! `target/python-guests/NAME-HASH.wasm`, where HASH covers the guest's
//! files, the SDK's and the pin: an unchanged guest is never rebuilt, which
//! matters because one build takes 20–60 s.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::tree::{run, tree_hash};
use super::{BuildError, repo_root};

/// The environment variable naming the Python interpreter that makes the
/// virtualenv (default `python3`).
pub const PYTHON_VAR: &str = "CAIRN_PYTHON";

fn target() -> PathBuf {
    repo_root().join("target")
}

/// The virtualenv's interpreter.
pub fn venv_python() -> PathBuf {
    target().join("python-venv/bin/python")
}

fn sdk_dir() -> PathBuf {
    repo_root().join("guest-sdk-python")
}

/// Makes the virtualenv and installs the SDK into it, unless the SDK
/// installed there is the one in the repository.
pub fn ensure_venv() -> Result<PathBuf, BuildError> {
    let python = venv_python();
    let stamp = target().join("python-venv/.cairn-sdk");
    let want = tree_hash(&[&sdk_dir()]);
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        return Ok(python);
    }
    if !python.exists() {
        let base = std::env::var(PYTHON_VAR).unwrap_or_else(|_| "python3".into());
        let status = Command::new(&base).arg("--version").output();
        if !status.is_ok_and(|o| o.status.success()) {
            return Err(BuildError::Missing(format!(
                "Python guests need Python 3.10 or newer with venv (`{base}` was not found): \
                 apt-get install python3 python3-venv, or set {PYTHON_VAR}"
            )));
        }
        run(
            Command::new(&base)
                .args(["-m", "venv"])
                .arg(target().join("python-venv")),
            "making the virtualenv target/python-venv (apt-get install python3-venv)",
        )?;
    }
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(sdk_dir()),
        "pip install guest-sdk-python (it needs PyPI for componentize-py)",
    )?;
    std::fs::write(&stamp, want).map_err(|e| BuildError::Io(stamp.display().to_string(), e))?;
    Ok(python)
}

/// Where the component of the guest in `dir` is (or will be) built.
pub fn output(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "guest".into());
    let hash = tree_hash(&[dir, &sdk_dir()]);
    target()
        .join("python-guests")
        .join(format!("{name}-{hash}.wasm"))
}

/// Builds the guest in `dir` (a directory holding `app.py`, relative to
/// the repository root or absolute) unless it is built already; returns
/// the component.
pub fn build(dir: &Path) -> Result<PathBuf, BuildError> {
    let dir = repo_root().join(dir);
    let app = dir.join("app.py");
    if !app.exists() {
        return Err(BuildError::NoSources(app.display().to_string()));
    }
    let out = output(&dir);
    if out.exists() {
        return Ok(out);
    }
    build_to(&dir, &out, None)?;
    Ok(out)
}

/// Builds the guest in `dir` into `out`, always (a rebuild), with the SDK's
/// default hash seed or `hash_seed`.
pub fn build_to(dir: &Path, out: &Path, hash_seed: Option<&str>) -> Result<(), BuildError> {
    let python = ensure_venv()?;
    let tmp = out.with_extension("wasm.partial");
    let mut cmd = Command::new(python);
    cmd.args(["-m", "cairn", "build", "-q"])
        .arg(dir.join("app.py"))
        .arg("-o")
        .arg(&tmp)
        .env("CAIRN_SDK_CACHE", target().join("python-cache"));
    if let Some(seed) = hash_seed {
        cmd.args(["--hash-seed", seed]);
    }
    run(
        &mut cmd,
        &format!("python -m cairn build {}", dir.display()),
    )?;
    std::fs::rename(&tmp, out).map_err(|e| BuildError::Io(out.display().to_string(), e))
}
