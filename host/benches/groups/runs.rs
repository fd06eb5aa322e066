//! The `steps_*` and `concurrent_*` groups: one run of sequential steps, and
//! many runs at once.

use super::*;

/// One timed run of `chain` with `steps` steps on a runtime already warm:
/// (time of `drive`, commits it caused).
pub(crate) async fn timed_chain(rt: &Arc<Runtime>, steps: u64) -> (Duration, CommitStats) {
    let input = format!(r#"{{"steps":{steps}}}"#);
    timed_run(rt, "chain", &input, steps).await
}

/// One timed run of `workflow` on `input` that journals one entry per step.
pub(crate) async fn timed_run(
    rt: &Arc<Runtime>,
    workflow: &str,
    input: &str,
    steps: u64,
) -> (Duration, CommitStats) {
    let run = rt.create_run(workflow, input, None).await.expect("create");
    let id = run.id.clone();
    let before = rt.store.commit_stats();
    let t = Instant::now();
    let o = rt.drive(run, false).await;
    let took = t.elapsed();
    let stats = delta(rt.store.commit_stats(), before);
    expect_completed(o);
    let entries = rt.store.journal(&id).await.expect("journal").len() as u64;
    assert_eq!(entries, steps, "one journal entry per step");
    (took, stats)
}

/// (a) one run of 1,000 trivial sequential steps, repeated; each repetition
/// measures the floor just before, and is a new run on the same runtime.
pub(crate) async fn bench_steps(wasm: &[u8], d: Durability, floors: &mut Floors) {
    let dir = tempdir();
    let rt = runtime(&dir.path().join("cairn.db"), d, wasm).await;
    let steps = chain_steps();
    let (mut per_step, mut ratio, mut batch, mut commits) = (vec![], vec![], vec![], vec![]);
    for _ in 0..reps() {
        let floor = floors.sample(d);
        let (took, stats) = timed_chain(&rt, steps).await;
        let v = us(took) / steps as f64;
        per_step.push(v);
        ratio.push(v / floor);
        batch.push(stats.mean_batch());
        commits.push(stats.commits as f64 / steps as f64);
    }
    rt.stop().await;
    let name = format!("steps_{}", mode(d));
    let v = median(&mut per_step);
    emit(&format!("{name}.us_per_step"), v, "us/step");
    emit(&format!("{name}.steps_per_s"), 1e6 / v, "steps/s");
    emit(&format!("{name}.x_floor"), median(&mut ratio), "x floor");
    emit(
        &format!("{name}.mean_batch"),
        median(&mut batch),
        "ops/commit",
    );
    emit(
        &format!("{name}.commits_per_step"),
        median(&mut commits),
        "commits/step",
    );
}

// ---------------------------------------------------------------- concurrent

/// (b) 100 runs × 100 steps, all started together.
pub(crate) async fn bench_concurrent(wasm: &[u8], d: Durability, floors: &mut Floors) {
    let floor = floors.get(d);
    let dir = tempdir();
    let rt = runtime(&dir.path().join("cairn.db"), d, wasm).await;
    let input = format!(r#"{{"steps":{CONC_STEPS}}}"#);
    let mut runs = Vec::new();
    for _ in 0..CONC_RUNS {
        runs.push(rt.create_run("chain", &input, None).await.expect("create"));
    }
    let before = rt.store.commit_stats();
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for run in runs {
        let rt = rt.clone();
        set.spawn(async move { rt.drive(run, false).await });
    }
    while let Some(o) = set.join_next().await {
        expect_completed(o.expect("join"));
    }
    let took = t.elapsed();
    let stats = delta(rt.store.commit_stats(), before);
    rt.stop().await;
    let steps = (CONC_RUNS as u64 * CONC_STEPS) as f64;
    let name = format!("concurrent_{}", mode(d));
    emit(
        &format!("{name}.steps_per_s"),
        steps / took.as_secs_f64(),
        "steps/s",
    );
    emit(&format!("{name}.us_per_step"), us(took) / steps, "us/step");
    emit(
        &format!("{name}.x_floor"),
        us(took) / steps / floor,
        "x floor",
    );
    emit(
        &format!("{name}.mean_batch"),
        stats.mean_batch(),
        "ops/commit",
    );
    emit(&format!("{name}.commits"), stats.commits as f64, "commits");
}

// ---------------------------------------------------------------- replay
