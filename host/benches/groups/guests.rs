//! `python` and `js`: a guest in another language beside the Rust one, in
//! the same sitting (`LANG` below is `python` or `js`).
//!
//! - `LANG.compile_s`: compiling the component (`tests/guests/python/bench`,
//!   about 19 MB; `tests/guests/js/bench`, about 1.7 MB) with no cache, and
//!   `LANG.artefact_mb` its size; `LANG.load_ms`: loading the compiled
//!   artefact again (a new process's first use of a version), and
//!   `LANG.cached_compile_ms`: `compile` when the machine's cache has it
//!   (a deploy to a second database).
//! - `{LANG,rust}.run1_ms`: a whole 1-step run of `chain` on a warm
//!   runtime (the version loaded: what every run after the first costs),
//!   median of [`RUNS`]; `{LANG,rust}.extra_step_ms`: the cost of each
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

/// A guest language the group measures.
#[derive(Clone, Copy)]
pub(crate) enum Lang {
    Python,
    Js,
}

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }

    fn build(self) -> std::path::PathBuf {
        let r = match self {
            Lang::Python => {
                cairn::guests::python::build(std::path::Path::new("tests/guests/python/bench"))
            }
            Lang::Js => cairn::guests::js::build(std::path::Path::new("tests/guests/js/bench")),
        };
        r.unwrap_or_else(|e| panic!("{e}"))
    }
}

pub(crate) async fn bench_guest(lang: Lang, rust_wasm: &[u8]) {
    let lang_name = lang.name();
    note(&format!(
        "building the {lang_name} bench guest (cached by source)"
    ));
    let wasm = std::fs::read(lang.build()).expect("read the bench guest");
    compile_figures(lang_name, &wasm);
    let cache = tempdir();
    for (name, bytes) in [("rust", rust_wasm), (lang_name, &wasm[..])] {
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

fn compile_figures(lang: &str, wasm: &[u8]) {
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
    emit(&format!("{lang}.compile_s"), t.elapsed().as_secs_f64(), "s");
    let cwasm = cold.serialize(&component).expect("serialize");
    emit(
        &format!("{lang}.artefact_mb"),
        cwasm.len() as f64 / 1e6,
        "MB",
    );
    let t = Instant::now();
    cold.deserialize(&cwasm).expect("deserialize");
    emit(&format!("{lang}.load_ms"), ms(t.elapsed()), "ms");
    let cached = engine(CompileCache::new(&dir.path().display().to_string()));
    cached.compile(wasm).expect("compile into the cache");
    let t = Instant::now();
    cached.compile(wasm).expect("compile from the cache");
    emit(&format!("{lang}.cached_compile_ms"), ms(t.elapsed()), "ms");
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
