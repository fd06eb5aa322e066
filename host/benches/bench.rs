//! `cargo bench -p cairn --bench cairn-bench [-- NAME...]`: the performance
//! figures of SPEC §12, one JSON object per line on stdout:
//! `{"bench": NAME, "value": NUMBER, "unit": UNIT}`. Notes for humans go to
//! stderr. With NAME arguments only the groups whose name contains one of
//! them run: `disk`, `floor_full`, `floor_relaxed`, `shape_full`,
//! `shape_relaxed`, `steps_full`, `steps_relaxed`, `concurrent_full`,
//! `concurrent_relaxed`, `replay`, `start`, `large_db`, `sleeping`,
//! `batch_full`, `batch_relaxed`, `python`, `js` (so `steps` runs both `steps_…`). A group that reports ratios to the floor
//! measures the floor first.
//!
//! Every group uses a fresh temporary database. Per-step figures are also
//! given as a ratio to the floor: a bare rusqlite insert + commit of one
//! step-sized journal row in the same durability mode, measured in the
//! same process just before.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cairn::config::Config;
use cairn::journal::sqlite::SqliteStore;
use cairn::journal::{CommitStats, Durability, Storage};
use cairn::runtime::{DeployOptions, Outcome, Runtime};
use rusqlite::{Connection, params};

#[path = "groups/batch.rs"]
mod batch;
#[path = "groups/disk.rs"]
mod disk;
#[path = "groups/guests.rs"]
mod guests;
#[path = "groups/replay_start.rs"]
mod replay_start;
#[path = "groups/runs.rs"]
mod runs;
#[path = "groups/scale.rs"]
mod scale;

use disk::{Floors, bench_fsync, bench_shape, now_ms};
use replay_start::{bench_replay, bench_start};
use runs::{bench_concurrent, bench_steps, timed_chain, timed_run};
use scale::{bench_large_db, bench_sleeping};

/// Steps of the single sequential run (`CAIRN_BENCH_STEPS` overrides it,
/// for profiling).
fn chain_steps() -> u64 {
    std::env::var("CAIRN_BENCH_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}
/// Rows committed one by one to measure the floor.
const FLOOR_COMMITS: u32 = 1000;
/// Concurrent runs × steps each.
const CONC_RUNS: usize = 100;
const CONC_STEPS: u64 = 100;
/// Entries of the replayed journal: 9,999 steps and the sleep.
const REPLAY_ENTRIES: u64 = 10_000;
/// Activations measured for the start time.
const START_RUNS: usize = 50;
/// Journal entries of the other runs in the large database.
const LARGE_RUNS: u64 = 1000;
const LARGE_ENTRIES_PER_RUN: u64 = 1000;
/// Sleeping runs whose memory is measured.
const SLEEPERS: usize = 10_000;
/// An hour: a sleep that is never due during the bench.
const LONG_SLEEP_MS: u64 = 3_600_000;

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));
    let wasm = guest();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut floors = Floors::default();
    tokio.block_on(async {
        if wanted("disk") {
            bench_fsync();
        }
        for d in [Durability::Full, Durability::Relaxed] {
            if wanted(&format!("floor_{}", mode(d))) {
                for _ in 0..reps() {
                    floors.sample(d);
                }
            }
        }
        for d in [Durability::Full, Durability::Relaxed] {
            if wanted(&format!("shape_{}", mode(d))) {
                bench_shape(d);
            }
        }
        for d in [Durability::Full, Durability::Relaxed] {
            if wanted(&format!("steps_{}", mode(d))) {
                bench_steps(&wasm, d, &mut floors).await;
            }
        }
        for d in [Durability::Full, Durability::Relaxed] {
            if wanted(&format!("concurrent_{}", mode(d))) {
                bench_concurrent(&wasm, d, &mut floors).await;
            }
        }
        if wanted("replay") {
            bench_replay(&wasm).await;
        }
        if wanted("start") {
            bench_start(&wasm).await;
        }
        if wanted("large_db") {
            bench_large_db(&wasm, &mut floors).await;
        }
        if wanted("sleeping") {
            bench_sleeping(&wasm).await;
        }
        for d in [Durability::Full, Durability::Relaxed] {
            if wanted(&format!("batch_{}", mode(d))) {
                batch::bench_batch(&wasm, d).await;
            }
        }
        if wanted("python") {
            guests::bench_guest(guests::Lang::Python, &wasm).await;
        }
        if wanted("js") {
            guests::bench_guest(guests::Lang::Js, &wasm).await;
        }
    });
    floors.report();
}

/// Repetitions of the groups that repeat (`CAIRN_BENCH_REPS`, default 3):
/// they report the median.
fn reps() -> usize {
    std::env::var("CAIRN_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3)
}

// ---------------------------------------------------------------- output

fn emit(bench: &str, value: f64, unit: &str) {
    // Written by hand to keep the keys in this order.
    let line = format!(
        r#"{{"bench":{},"value":{},"unit":{}}}"#,
        serde_json::Value::from(bench),
        serde_json::Value::from(round(value)),
        serde_json::Value::from(unit)
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn round(v: f64) -> f64 {
    if v.abs() >= 100.0 {
        (v * 10.0).round() / 10.0
    } else {
        (v * 1000.0).round() / 1000.0
    }
}

fn note(msg: &str) {
    eprintln!("# {msg}");
}

fn mode(d: Durability) -> &'static str {
    match d {
        Durability::Full => "full",
        Durability::Relaxed => "relaxed",
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---------------------------------------------------------------- setup

/// The `bench` guest component, built if missing or older than its source.
fn guest() -> Vec<u8> {
    let wasm = cairn::guests::component("bench");
    let src = cairn::guests::repo_root().join("tests/guests/bench/src/lib.rs");
    let stale = match (modified(&wasm), modified(&src)) {
        (Some(w), Some(s)) => w < s,
        _ => true,
    };
    if stale {
        note("building the bench guest component");
        cairn::guests::build("tests/guests", Some("bench")).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::read(&wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()))
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// A runtime on `db`, with `wasm` deployed and its version loaded (one
/// throw-away run, so compilation and loading are not measured).
async fn runtime(db: &Path, durability: Durability, wasm: &[u8]) -> Arc<Runtime> {
    let config = Config {
        db: db.to_path_buf(),
        durability,
        ..Config::default()
    };
    runtime_with(config, wasm).await
}

/// [`runtime`] with a configuration of its own (`db` and `durability`
/// taken from it).
async fn runtime_with(config: Config, wasm: &[u8]) -> Arc<Runtime> {
    let store = SqliteStore::open(&config.db, config.durability).expect("open the store");
    let rt = Runtime::start(Arc::new(store) as Arc<dyn Storage>, config)
        .await
        .expect("start the runtime");
    rt.deploy(wasm.to_vec(), &DeployOptions::default())
        .await
        .expect("deploy the bench guest");
    let run = rt
        .create_run("chain", r#"{"steps":1}"#, None)
        .await
        .expect("create the warm-up run");
    expect_completed(rt.drive(run, false).await);
    rt
}

fn expect_completed(o: Outcome) {
    assert!(
        matches!(o, Outcome::Completed { .. }),
        "run did not complete: {o:?}"
    );
}

fn delta(after: CommitStats, before: CommitStats) -> CommitStats {
    CommitStats {
        commits: after.commits - before.commits,
        ops: after.ops - before.ops,
        commit_ns: after.commit_ns - before.commit_ns,
        commit_buckets: std::array::from_fn(|i| after.commit_buckets[i] - before.commit_buckets[i]),
        ops_buckets: std::array::from_fn(|i| after.ops_buckets[i] - before.ops_buckets[i]),
        queued: after.queued,
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cairn-bench-")
        .tempdir()
        .expect("temporary directory")
}

// ---------------------------------------------------------------- fsync
