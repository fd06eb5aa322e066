//! The `batch_full` and `batch_relaxed` groups: one run whose body batches
//! 1,000 trivial steps (`ctx.batch`) at concurrency 1, 8 and 64. Reports
//! steps/s, µs per step and the mean number of write operations per
//! commit of the group-commit writer while the batch runs: each completed
//! step is one journal write, so concurrent steps of one run share
//! commits the way concurrent runs do.

use cairn::config::Config;
use cairn::journal::Durability;
use cairn::runtime::Runtime;
use std::path::Path;
use std::sync::Arc;

use super::{emit, median, mode, reps, runtime_with, tempdir, timed_run, us};

/// Steps in the batch.
const BATCH_STEPS: u64 = 1000;
/// The batch's `max_concurrency` values.
const CONCURRENCY: [u32; 3] = [1, 8, 64];

/// A runtime whose host-wide limit does not bind, so the batch's own
/// `max_concurrency` is what is measured.
async fn runtime(db: &Path, d: Durability, wasm: &[u8]) -> Arc<Runtime> {
    let mut config = Config {
        db: db.to_path_buf(),
        durability: d,
        ..Config::default()
    };
    config.runtime.max_concurrent_steps = 64;
    runtime_with(config, wasm).await
}

pub async fn bench_batch(wasm: &[u8], d: Durability) {
    let dir = tempdir();
    let rt = runtime(&dir.path().join("cairn.db"), d, wasm).await;
    for c in CONCURRENCY {
        let input = format!(r#"{{"steps":{BATCH_STEPS},"max_concurrency":{c}}}"#);
        let (mut per_step, mut batch, mut commits) = (vec![], vec![], vec![]);
        for _ in 0..reps() {
            let (took, stats) = timed_run(&rt, "batch", &input, BATCH_STEPS).await;
            per_step.push(us(took) / BATCH_STEPS as f64);
            batch.push(stats.mean_batch());
            commits.push(stats.commits as f64);
        }
        let name = format!("batch_{}.c{c}", mode(d));
        let v = median(&mut per_step);
        emit(&format!("{name}.steps_per_s"), 1e6 / v, "steps/s");
        emit(&format!("{name}.us_per_step"), v, "us/step");
        emit(
            &format!("{name}.mean_batch"),
            median(&mut batch),
            "ops/commit",
        );
        emit(&format!("{name}.commits"), median(&mut commits), "commits");
    }
    rt.stop().await;
}
