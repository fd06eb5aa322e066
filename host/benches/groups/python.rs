//! `python`: a Python guest beside the Rust one, in the same sitting.
//!
//! - `python.compile_s`: compiling the component (`tests/guests/python/bench`,
//!   about 19 MB) with no cache, and `python.artefact_mb` its size;
//!   `python.load_ms`: loading the compiled artefact again (a new
//!   process's first use of a version), and `python.cached_compile_ms`:
//!   `compile` when the machine's cache has it (a deploy to a second
//!   database).
//! - `{python,rust}.run1_ms`: a whole 1-step run of `chain` on a warm
//!   runtime (the version loaded: what every run after the first costs),
//!   median of [`RUNS`]; `{python,rust}.extra_step_ms`: the cost of each
//!   step beyond the first, from 11-step runs.

use std::sync::Arc;
use std::time::Instant;

use cairn::config::Config;
use cairn::engine::cache::CompileCache;
use cairn::engine::{CairnEngine, EngineConfig};
use cairn::journal::Durability;
use cairn::runtime::Runtime;

use super::{emit, median, ms, note, runtime_with, tempdir, timed_chain};

/// Runs timed per figure.
const RUNS: usize = 15;
/// Steps of the longer run.
const LONG: u64 = 11;

pub(crate) async fn bench_python(rust_wasm: &[u8]) {
    note("building the Python bench guest (cached by source)");
    let path = cairn::guests::python::build(std::path::Path::new("tests/guests/python/bench"))
        .unwrap_or_else(|e| panic!("{e}"));
    let wasm = std::fs::read(&path).expect("read the Python bench guest");
    compile_figures(&wasm);
    let cache = tempdir();
    for (name, bytes) in [("rust", rust_wasm), ("python", &wasm[..])] {
        let dir = tempdir();
        let mut config = Config {
            db: dir.path().join("cairn.db"),
            durability: Durability::Relaxed,
            ..Config::default()
        };
        config.engine.compile_cache = cache.path().display().to_string();
        let rt = runtime_with(config, bytes).await;
        let (run1, extra) = run_figures(&rt).await;
        emit(&format!("{name}.run1_ms"), run1, "ms");
        emit(&format!("{name}.extra_step_ms"), extra, "ms");
    }
}

fn compile_figures(wasm: &[u8]) {
    let dir = tempdir();
    let engine = |cache: CompileCache| {
        CairnEngine::new(&EngineConfig {
            compile_cache: cache,
            ..EngineConfig::default()
        })
        .expect("engine")
    };
    let cold = engine(CompileCache::off());
    let t = Instant::now();
    let component = cold.compile(wasm).expect("compile");
    emit("python.compile_s", t.elapsed().as_secs_f64(), "s");
    let cwasm = cold.serialize(&component).expect("serialize");
    emit("python.artefact_mb", cwasm.len() as f64 / 1e6, "MB");
    let t = Instant::now();
    cold.deserialize(&cwasm).expect("deserialize");
    emit("python.load_ms", ms(t.elapsed()), "ms");
    let cached = engine(CompileCache::new(&dir.path().display().to_string()));
    cached.compile(wasm).expect("compile into the cache");
    let t = Instant::now();
    cached.compile(wasm).expect("compile from the cache");
    emit("python.cached_compile_ms", ms(t.elapsed()), "ms");
}

/// The median 1-step run, and the median cost of each further step.
async fn run_figures(rt: &Arc<Runtime>) -> (f64, f64) {
    let (mut one, mut long) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        one.push(ms(timed_chain(rt, 1).await.0));
        long.push(ms(timed_chain(rt, LONG).await.0));
    }
    let run1 = median(&mut one);
    let extra = (median(&mut long) - run1) / (LONG - 1) as f64;
    (run1, extra)
}
