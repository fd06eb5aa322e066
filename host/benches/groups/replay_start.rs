//! The `replay` and `start` groups: replaying a long journal, and the time
//! from an activation's start to the body's first host call.

use super::*;

/// (c) re-activation of a run whose journal holds 10,000 entries: it
/// replays them all and suspends again at the sleep that is not due.
pub(crate) async fn bench_replay(wasm: &[u8]) {
    let dir = tempdir();
    let db = dir.path().join("cairn.db");
    let steps = REPLAY_ENTRIES - 1;
    // Write the journal fast (relaxed), then measure with the default.
    let id = {
        let rt = runtime(&db, Durability::Relaxed, wasm).await;
        let input = format!(r#"{{"steps":{steps},"sleep_ms":{LONG_SLEEP_MS}}}"#);
        let run = rt
            .create_run("chain_then_sleep", &input, None)
            .await
            .expect("create");
        let id = run.id.clone();
        let t = Instant::now();
        let o = rt.drive(run, false).await;
        assert!(matches!(o, Outcome::Suspended { .. }), "{o:?}");
        note(&format!(
            "replay: writing the {REPLAY_ENTRIES}-entry journal took {:.0} ms (relaxed)",
            ms(t.elapsed())
        ));
        rt.stop().await;
        id
    };
    let rt = runtime(&db, Durability::Full, wasm).await;
    let entries = rt.store.journal(&id).await.expect("journal").len() as u64;
    assert_eq!(entries, REPLAY_ENTRIES);
    let mut samples = Vec::new();
    let mut reads = Vec::new();
    for i in 0..6 {
        let t = Instant::now();
        let n = rt.store.journal(&id).await.expect("journal").len();
        reads.push(ms(t.elapsed()));
        assert_eq!(n as u64, REPLAY_ENTRIES);
        let run = rt
            .claim(&id, None)
            .await
            .expect("claim")
            .expect("the suspended run is free");
        let t = Instant::now();
        let o = rt.activate(run).await;
        let took = ms(t.elapsed());
        assert!(matches!(o, Outcome::Suspended { .. }), "{o:?}");
        if i == 0 {
            emit("replay.first_ms", took, "ms");
        } else {
            samples.push(took);
        }
    }
    rt.stop().await;
    emit("replay.ms", median(&mut samples), "ms");
    emit("replay.journal_read_ms", median(&mut reads), "ms");
}

// ---------------------------------------------------------------- start

/// (d) activation start (before instantiation) to the body's first host
/// call, on a deployed version: warm (loaded in this process) and cold
/// (a new runtime loading the precompiled artefact from the database).
pub(crate) async fn bench_start(wasm: &[u8]) {
    let dir = tempdir();
    let db = dir.path().join("cairn.db");
    {
        let rt = runtime(&db, Durability::Full, wasm).await;
        let (m0, n0) = rt.metrics.mean_first_host_call();
        let mut wall = Vec::new();
        for _ in 0..START_RUNS {
            let run = rt
                .create_run("chain", r#"{"steps":1}"#, None)
                .await
                .expect("create");
            let t = Instant::now();
            expect_completed(rt.drive(run, false).await);
            wall.push(ms(t.elapsed()));
        }
        let (m1, n1) = rt.metrics.mean_first_host_call();
        let total = m1.as_secs_f64() * n1 as f64 - m0.as_secs_f64() * n0 as f64;
        emit(
            "start.first_host_call_ms",
            total / (n1 - n0) as f64 * 1e3,
            "ms",
        );
        emit("start.one_step_run_ms", median(&mut wall), "ms");
        rt.stop().await;
    }
    // A new process's view: a new engine, the artefact read from the
    // database and deserialised, then the run.
    let store = SqliteStore::open(&db, Durability::Full).expect("open");
    let config = Config {
        db: db.clone(),
        ..Config::default()
    };
    let t = Instant::now();
    let rt = Runtime::start(Arc::new(store) as Arc<dyn Storage>, config)
        .await
        .expect("start");
    let boot = t.elapsed();
    let run = rt
        .create_run("chain", r#"{"steps":1}"#, None)
        .await
        .expect("create");
    let t = Instant::now();
    expect_completed(rt.drive(run, false).await);
    let cold_run = t.elapsed();
    let (m, n) = rt.metrics.mean_first_host_call();
    assert_eq!(n, 1);
    emit("start.runtime_boot_ms", ms(boot), "ms");
    // The metric starts after the version is loaded; the run's wall time
    // includes reading and deserialising the artefact.
    emit("start.cold_first_host_call_ms", ms(m), "ms");
    emit("start.cold_one_step_run_ms", ms(cold_run), "ms");
    rt.stop().await;
}

// ---------------------------------------------------------------- large db
