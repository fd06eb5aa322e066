//! The `large_db` and `sleeping` groups: per-step cost on a database already
//! holding a million entries, and the memory of ten thousand sleeping runs.

use super::*;

/// The 1,000-step run on a database already holding a million journal
/// entries (and two events per entry) from 1,000 other, finished runs,
/// alternated with the same run on a fresh database.
pub(crate) async fn bench_large_db(wasm: &[u8], floors: &mut Floors) {
    let dir = tempdir();
    let db = dir.path().join("cairn.db");
    {
        let rt = runtime(&db, Durability::Relaxed, wasm).await;
        rt.stop().await;
    }
    let t = Instant::now();
    fill(&db);
    note(&format!(
        "large_db: {} entries written in {:.1} s, file {} MB",
        LARGE_RUNS * LARGE_ENTRIES_PER_RUN,
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&db).map(|m| m.len() >> 20).unwrap_or(0)
    ));
    let steps = chain_steps();
    for d in [Durability::Full, Durability::Relaxed] {
        let floor = floors.get(d);
        let fresh_dir = tempdir();
        let fresh = runtime(&fresh_dir.path().join("cairn.db"), d, wasm).await;
        let large = runtime(&db, d, wasm).await;
        let (mut on_fresh, mut on_large, mut ratio) = (vec![], vec![], vec![]);
        for _ in 0..reps() {
            let (f, _) = timed_chain(&fresh, steps).await;
            let (l, _) = timed_chain(&large, steps).await;
            on_fresh.push(us(f) / steps as f64);
            on_large.push(us(l) / steps as f64);
            ratio.push(l.as_secs_f64() / f.as_secs_f64());
        }
        fresh.stop().await;
        large.stop().await;
        let name = format!("large_db_{}", mode(d));
        let v = median(&mut on_large);
        emit(&format!("{name}.us_per_step"), v, "us/step");
        emit(
            &format!("{name}.fresh_us_per_step"),
            median(&mut on_fresh),
            "us/step",
        );
        emit(&format!("{name}.x_floor"), v / floor, "x floor");
        emit(&format!("{name}.x_fresh"), median(&mut ratio), "x fresh db");
    }
}

/// Writes the other runs straight into the tables, shaped as the host
/// writes them (a finished run, one `step` entry per step, a `started` and
/// a `completed` event per step).
pub(crate) fn fill(db: &Path) {
    let mut conn = Connection::open(db).expect("open");
    conn.pragma_update(None, "synchronous", "OFF")
        .expect("sync");
    let version: String = conn
        .query_row(
            "SELECT active_version FROM workflows WHERE name = 'chain'",
            [],
            |r| r.get(0),
        )
        .expect("deployed");
    let tx = conn.transaction().expect("tx");
    {
        let mut run = tx
            .prepare(
                "INSERT INTO runs (id, workflow, version, status, input, output, created_at,
                                   updated_at, activations, seed)
                 VALUES (?1, 'chain', ?2, 'completed', ?3, ?4, ?5, ?5, 1, ?6)",
            )
            .expect("prepare");
        let mut entry = tx
            .prepare(
                "INSERT INTO journal (run_id, seq, kind, name, occurrence, input_hash, ok,
                                      value, created_at)
                 VALUES (?1, ?2, 'step', 'noop', ?2, ?3, 1, ?4, ?5)",
            )
            .expect("prepare");
        let mut event = tx
            .prepare("INSERT INTO events (run_id, at, kind, data) VALUES (?1, ?2, 'step', ?3)")
            .expect("prepare");
        let now = now_ms();
        for r in 0..LARGE_RUNS {
            let id = uuid::Uuid::now_v7().to_string();
            run.execute(params![
                id,
                version,
                format!(r#"{{"steps":{LARGE_ENTRIES_PER_RUN}}}"#),
                r#"{"steps":1000,"sum":500500}"#,
                now,
                r as i64
            ])
            .expect("run");
            for s in 0..LARGE_ENTRIES_PER_RUN {
                let hash = format!("{:032x}", (r << 32) | s);
                entry
                    .execute(params![id, s as i64, hash, (s + 1).to_string(), now])
                    .expect("entry");
                for (state, extra) in [("started", ""), ("completed", r#""ms":0,"#)] {
                    let data = format!(
                        r#"{{{extra}"attempt":1,"occurrence":{s},"state":"{state}","step":"noop"}}"#
                    );
                    event.execute(params![id, now, data]).expect("event");
                }
            }
        }
    }
    tx.commit().expect("commit");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    drop(conn);
    // Nothing of the fill may still be on its way to the disk while the
    // runs are timed.
    std::fs::File::open(db)
        .and_then(|f| f.sync_all())
        .expect("sync the database");
}

// ---------------------------------------------------------------- sleeping

/// Resident memory of this process, in bytes.
pub(crate) fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Creates `n` runs that suspend at once on a long sleep, `width` at a
/// time.
pub(crate) async fn sleepers(rt: &Arc<Runtime>, n: usize, width: usize) {
    let input = format!(r#"{{"steps":0,"sleep_ms":{LONG_SLEEP_MS}}}"#);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        if set.len() >= width {
            let o: Outcome = set.join_next().await.expect("a task").expect("join");
            assert!(matches!(o, Outcome::Suspended { .. }), "{o:?}");
        }
        let rt = rt.clone();
        let input = input.clone();
        set.spawn(async move {
            let run = rt
                .create_run("chain_then_sleep", &input, None)
                .await
                .expect("create");
            rt.drive(run, false).await
        });
    }
    while let Some(o) = set.join_next().await {
        let o = o.expect("join");
        assert!(matches!(o, Outcome::Suspended { .. }), "{o:?}");
    }
}

/// 10,000 sleeping runs: the process's resident memory once they are all
/// suspended, against its memory before, and the marginal cost per run
/// between 5,000 and 10,000 (an allocator keeps what it once used, so the
/// second half shows what a sleeping run really holds).
pub(crate) async fn bench_sleeping(wasm: &[u8]) {
    const WIDTH: usize = 32;
    let dir = tempdir();
    let db = dir.path().join("cairn.db");
    let rt = runtime(&db, Durability::Relaxed, wasm).await;
    // Warm the allocator and caches with as many activations in flight as
    // later.
    sleepers(&rt, 2 * WIDTH, WIDTH).await;
    let r0 = rss();
    let t = Instant::now();
    sleepers(&rt, SLEEPERS / 2, WIDTH).await;
    let r1 = rss();
    sleepers(&rt, SLEEPERS / 2, WIDTH).await;
    let r2 = rss();
    let took = t.elapsed();
    assert_eq!(rt.active_count(), 0, "suspended runs hold no activation");
    rt.stop().await;
    note(&format!(
        "sleeping: {SLEEPERS} runs suspended in {:.1} s; RSS {:.1} -> {:.1} -> {:.1} MB",
        took.as_secs_f64(),
        r0 as f64 / 1048576.0,
        r1 as f64 / 1048576.0,
        r2 as f64 / 1048576.0
    ));
    emit("sleeping.rss_before_mb", r0 as f64 / 1048576.0, "MB");
    emit("sleeping.rss_after_mb", r2 as f64 / 1048576.0, "MB");
    emit(
        "sleeping.bytes_per_run",
        (r2 as f64 - r0 as f64) / SLEEPERS as f64,
        "bytes/run",
    );
    emit(
        "sleeping.marginal_bytes_per_run",
        (r2 as f64 - r1 as f64) / (SLEEPERS / 2) as f64,
        "bytes/run",
    );
}
