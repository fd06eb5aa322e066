//! The `batch_full` and `batch_relaxed` groups: one run whose body batches
//! 1,000 trivial steps (`ctx.batch`) at concurrency 1, 8 and 64. Reports
//! steps/s, µs per step and the mean number of write operations per
//! commit of the group-commit writer while the batch runs: each completed
//! step is one journal write, so concurrent steps of one run share
//! commits the way concurrent runs do.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use cairn::config::Config;
use cairn::journal::Durability;
use cairn::runtime::Runtime;

use super::{delta, emit, expect_completed, median, mode, reps, runtime_with, tempdir, us};

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
            let run = rt.create_run("batch", &input, None).await.expect("create");
            let id = run.id.clone();
            let before = rt.store.commit_stats();
            let t = Instant::now();
            let o = rt.drive(run, false).await;
            let took = t.elapsed();
            let stats = delta(rt.store.commit_stats(), before);
            expect_completed(o);
            let entries = rt.store.journal(&id).expect("journal").len() as u64;
            assert_eq!(entries, BATCH_STEPS, "one journal entry per step");
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
