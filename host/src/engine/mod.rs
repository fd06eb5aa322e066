//! wasmtime, configured for cairn: determinism, limits, the two sandboxes
//! and component loading.
//!
//! This layer knows nothing of the journal. The runtime gives it store
//! data implementing [`HostView`] and gets back instances whose every
//! outside effect goes through that data.

pub mod bindings;
pub mod cache;
pub mod http_policy;
pub mod limits;
mod linker;
pub mod output;
pub mod sandbox;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::Component;
use wasmtime::{
    Config, InstanceAllocationStrategy, PoolingAllocationConfig, Store, UpdateDeadline,
};

use limits::{Deadline, Limits};
pub use linker::{SandboxKind, linker};
use sandbox::Sandbox;

/// How often the epoch advances; the granularity of deadlines and of
/// yielding to other runs.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What the store data of any cairn instance provides.
pub trait HostView:
    wasmtime_wasi::WasiView + wasmtime_wasi_http::WasiHttpView + Send + 'static
{
    /// The instance's sandbox.
    fn sandbox(&mut self) -> &mut Sandbox;
    /// The body's deadline between host calls; `None` for steps, whose
    /// timeout is enforced from outside.
    fn deadline(&self) -> Option<&Deadline>;
}

/// Why a file could not be loaded as a workflow component.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a WebAssembly file (it does not start with the `\\0asm` magic bytes)")]
    NotWasm,
    #[error(
        "a core WebAssembly module, not a component: build the workflow with \
         `cargo build --target wasm32-wasip2` (which produces a component)"
    )]
    CoreModule,
    #[error("the component does not compile: {0}")]
    Compile(String),
    #[error(
        "the component does not implement the cairn:workflow/workflow world: {0}; \
         build it against cairn-sdk"
    )]
    WrongWorld(String),
}

/// The wasmtime engine and its epoch ticker.
pub struct CairnEngine {
    engine: wasmtime::Engine,
    hash: String,
    stop: Arc<AtomicBool>,
    cache: cache::CompileCache,
}

impl Drop for CairnEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Use the pooling instance allocator (falls back to on-demand when
    /// the machine cannot reserve the address space).
    pub pooling: bool,
    /// Instances the pool holds at once.
    pub pool_instances: u32,
    pub limits: Limits,
    /// Where compiled components are kept across databases.
    pub compile_cache: cache::CompileCache,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            pooling: true,
            pool_instances: 1000,
            limits: Limits::default(),
            compile_cache: cache::CompileCache::off(),
        }
    }
}

fn base_config() -> Config {
    let mut cfg = Config::new();
    cfg.wasm_component_model(true)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .epoch_interruption(true);
    cfg
}

impl CairnEngine {
    /// Builds the engine and starts its epoch ticker.
    pub fn new(config: &EngineConfig) -> wasmtime::Result<CairnEngine> {
        let mut engine = None;
        if config.pooling {
            let mut pool = PoolingAllocationConfig::default();
            let n = config.pool_instances;
            pool.total_component_instances(n)
                .total_core_instances(n * 4)
                .total_memories(n * 2)
                .total_tables(n * 4)
                .total_stacks(n)
                .max_memory_size((config.limits.memory_mb as usize) << 20)
                // Every step attempt is a fresh instance. Without these, each
                // one unmaps and re-faults its memory, and every unmap flushes
                // the other CPUs' TLBs: a third of a step's cost, measured.
                // `pagemap_scan` (Linux 6.7+) resets only the dirty pages of
                // what stays resident; the two settings pay only together.
                .linear_memory_keep_resident(4 << 20)
                .table_keep_resident(4 << 20)
                .async_stack_keep_resident(64 << 10)
                .pagemap_scan(wasmtime::Enabled::Auto);
            let mut cfg = base_config();
            cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
            match wasmtime::Engine::new(&cfg) {
                Ok(e) => engine = Some(e),
                Err(e) => {
                    tracing::warn!(error = %e, "pooling allocator unavailable, using on-demand")
                }
            }
        }
        let engine = match engine {
            Some(e) => e,
            None => wasmtime::Engine::new(&base_config())?,
        };
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            engine.precompile_compatibility_hash().hash(&mut h);
            format!("{:016x}", h.finish())
        };
        let stop = Arc::new(AtomicBool::new(false));
        let weak = engine.weak();
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("cairn-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(e) => e.increment_epoch(),
                        None => break,
                    }
                }
            })
            .expect("spawn the epoch thread");
        Ok(CairnEngine {
            engine,
            hash,
            stop,
            cache: config.compile_cache.clone(),
        })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &wasmtime::Engine {
        &self.engine
    }

    /// Identifies compiled artefacts this engine can load.
    pub fn compat_hash(&self) -> &str {
        &self.hash
    }

    /// Compiles component bytes, telling apart the ways a file can be wrong.
    pub fn compile(&self, bytes: &[u8]) -> Result<Component, LoadError> {
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
            return Err(LoadError::NotWasm);
        }
        if bytes[4..8] == [1, 0, 0, 0] {
            return Err(LoadError::CoreModule);
        }
        if let Some(c) = self.cached(bytes) {
            return Ok(c);
        }
        let _lock = self.cache.lock(&self.hash, bytes);
        if let Some(c) = self.cached(bytes) {
            return Ok(c); // another process compiled it while this one waited
        }
        // Compiling takes from a second (Rust) to a minute (Python); the
        // lines show when both caches missed, and what it cost.
        tracing::info!(bytes = bytes.len(), "compiling component");
        let started = std::time::Instant::now();
        let component = Component::new(&self.engine, bytes)
            .map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "compiled component"
        );
        if let Ok(cwasm) = component.serialize() {
            self.cache.put(&self.hash, bytes, &cwasm);
        }
        Ok(component)
    }

    /// The artefact of `bytes` from the machine's cache.
    fn cached(&self, bytes: &[u8]) -> Option<Component> {
        let cwasm = self.cache.get(&self.hash, bytes)?;
        match self.deserialize(&cwasm) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "a cached artefact is unusable, compiling");
                None
            }
        }
    }

    /// Serializes a compiled component for the cache.
    pub fn serialize(&self, component: &Component) -> wasmtime::Result<Vec<u8>> {
        component.serialize()
    }

    /// Loads an artefact this host serialized earlier.
    ///
    /// Only bytes cairn serialized itself, keyed by this engine's
    /// compatibility hash, are passed here: from the database's `compiled`
    /// table or the machine's cache ([`cache`]).
    #[allow(unsafe_code)] // deserializing skips validation; the bytes are our own
    pub fn deserialize(&self, cwasm: &[u8]) -> wasmtime::Result<Component> {
        // SAFETY: the bytes were produced by `serialize` on an engine with the
        // same compatibility hash and read back from cairn's database or
        // its cache directory, both the user's own files.
        unsafe { Component::deserialize(&self.engine, cwasm) }
    }

    /// A store for one instance, with limits and the epoch callback set.
    pub fn store<T: HostView>(&self, data: T) -> Store<T> {
        let mut store = Store::new(&self.engine, data);
        store.limiter(|s| &mut s.sandbox().limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            if let Some(d) = ctx.data().deadline() {
                d.check().map_err(wasmtime::Error::new)?;
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }
}
