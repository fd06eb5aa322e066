//! The machine's cache of compiled components, beside each database's own.
//!
//! Each database keeps the artefacts of its versions (the `compiled`
//! table), but a component deployed to a second database, checked by
//! `cairn replay --with`, or deployed again after `versions gc` would be
//! compiled afresh. For a Rust guest that is a fraction of a second; a
//! Python guest (an 18 MB component holding CPython) takes 20–60 s on two
//! cores. So the engine also keeps every artefact it compiles in a
//! directory, by engine compatibility hash and the sha256 of the
//! component's bytes: one compilation per version and machine.
//!
//! `engine.compile_cache` (`CAIRN_ENGINE_COMPILE_CACHE`) names the
//! directory (`off` turns it off); empty, the default, means
//! `$XDG_CACHE_HOME/cairn/compiled`, else `~/.cache/cairn/compiled`.
//! Nothing is evicted: delete the directory to reclaim the space.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Where artefacts are kept; `None` when the cache is off or no
/// directory can be found.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

impl CompileCache {
    /// The cache the setting names: a directory, `off`, or empty for the
    /// user's cache directory.
    pub fn new(setting: &str) -> CompileCache {
        let dir = match setting {
            "off" => None,
            "" => std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
                .map(|d| d.join("cairn").join("compiled")),
            dir => Some(PathBuf::from(dir)),
        };
        CompileCache { dir }
    }

    /// No cache.
    pub fn off() -> CompileCache {
        CompileCache { dir: None }
    }

    fn path(&self, engine_hash: &str, bytes: &[u8]) -> Option<PathBuf> {
        let sha = hex::encode(Sha256::digest(bytes));
        Some(
            self.dir
                .as_ref()?
                .join(engine_hash)
                .join(format!("{sha}.cwasm")),
        )
    }

    /// The artefact of `bytes`, if this machine compiled it before.
    pub fn get(&self, engine_hash: &str, bytes: &[u8]) -> Option<Vec<u8>> {
        std::fs::read(self.path(engine_hash, bytes)?).ok()
    }

    /// Holds the machine-wide lock on compiling `bytes` until dropped, so
    /// that two processes deploying one component compile it once: the
    /// second waits, then finds the first one's artefact. `None` when the
    /// cache is off or the lock cannot be taken (then both compile).
    pub fn lock(&self, engine_hash: &str, bytes: &[u8]) -> Option<CompileLock> {
        let path = self.path(engine_hash, bytes)?.with_extension("lock");
        std::fs::create_dir_all(path.parent()?).ok()?;
        let file = std::fs::File::create(&path).ok()?;
        // SAFETY: flock on a descriptor this function owns; it is released
        // when the file is closed (on drop, or when the process dies).
        #[allow(unsafe_code)]
        let locked =
            unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) == 0 };
        locked.then_some(CompileLock { _file: file })
    }

    /// Keeps an artefact. Failing to is not an error: the next deploy
    /// compiles again, as without a cache.
    pub fn put(&self, engine_hash: &str, bytes: &[u8], cwasm: &[u8]) {
        let Some(path) = self.path(engine_hash, bytes) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            let dir = path.parent().expect("a cache path has a directory");
            std::fs::create_dir_all(dir)?;
            // Written aside and renamed, so a reader never sees half a file.
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(&mut tmp, cwasm)?;
            tmp.persist(&path).map_err(|e| e.error)?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::debug!(error = %e, path = %path.display(), "keeping a compiled artefact failed");
        }
    }
}

/// The lock of [`CompileCache::lock`], released on drop.
pub struct CompileLock {
    _file: std::fs::File,
}
