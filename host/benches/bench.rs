//! `cargo bench -p cairn --bench cairn-bench [-- NAME...]`: the performance
//! figures of SPEC §12, one JSON object per line on stdout:
//! `{"bench": NAME, "value": NUMBER, "unit": UNIT}`. Notes for humans go to
//! stderr. With NAME arguments only the groups whose name contains one of
//! them run: `disk`, `floor_full`, `floor_relaxed`, `shape_full`,
//! `shape_relaxed`, `steps_full`, `steps_relaxed`, `concurrent_full`,
//! `concurrent_relaxed`, `replay`, `start`, `large_db`, `sleeping`,
//! `batch_full`, `batch_relaxed` (so `steps` runs both `steps_…`). A group that reports ratios to the floor
//! measures the floor first.
//!
//! Every group uses a fresh temporary database. Per-step figures are also
//! given as a ratio to the floor: a bare rusqlite insert + commit of one
//! step-sized journal row in the same durability mode, measured in the
//! same process just before.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cairn::config::Config;
use cairn::journal::sqlite::SqliteStore;
use cairn::journal::{CommitStats, Durability, Storage};
use cairn::runtime::{DeployOptions, Outcome, Runtime};
use rusqlite::{Connection, params};

#[path = "groups/batch.rs"]
mod batch;

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
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the host crate lives in the repository")
        .to_path_buf();
    let target = repo.join("target/wasm");
    let wasm = target.join("wasm32-wasip2/release/bench.wasm");
    let src = repo.join("tests/guests/bench/src/lib.rs");
    let stale = match (modified(&wasm), modified(&src)) {
        (Some(w), Some(s)) => w < s,
        _ => true,
    };
    if stale {
        note("building the bench guest component");
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "-p",
                "bench",
            ])
            .arg("--manifest-path")
            .arg(repo.join("tests/guests/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .expect("run cargo");
        assert!(status.success(), "building the bench guest failed");
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
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cairn-bench-")
        .tempdir()
        .expect("temporary directory")
}

// ---------------------------------------------------------------- fsync

/// The disk's own latency: a 4 KiB overwrite followed by fsync, and by
/// fdatasync, on the filesystem the temporary databases live on.
fn bench_fsync() {
    let dir = tempdir();
    let path = dir.path().join("fsync.bin");
    let mut f = std::fs::File::create(&path).expect("create");
    let block = vec![0x5au8; 4096];
    f.write_all(&block).expect("write");
    f.sync_all().expect("fsync");
    for (name, data_only) in [("fsync", false), ("fdatasync", true)] {
        let mut samples = Vec::new();
        for _ in 0..200 {
            use std::io::{Seek, SeekFrom};
            let t = Instant::now();
            f.seek(SeekFrom::Start(0)).expect("seek");
            f.write_all(&block).expect("write");
            if data_only {
                f.sync_data().expect("fdatasync");
            } else {
                f.sync_all().expect("fsync");
            }
            samples.push(us(t.elapsed()));
        }
        emit(&format!("disk.{name}_4k_us"), median(&mut samples), "us");
    }
}

// ---------------------------------------------------------------- floor

/// The floor samples taken in this process, per durability mode; the
/// median of all of them is reported at the end.
#[derive(Default)]
struct Floors {
    full: Vec<f64>,
    relaxed: Vec<f64>,
}

impl Floors {
    fn samples(&mut self, d: Durability) -> &mut Vec<f64> {
        match d {
            Durability::Full => &mut self.full,
            Durability::Relaxed => &mut self.relaxed,
        }
    }

    /// Measures the floor once more: µs per bare insert + commit in `d`.
    fn sample(&mut self, d: Durability) -> f64 {
        let v = floor(d);
        self.samples(d).push(v);
        v
    }

    /// The median floor so far (measured now if never).
    fn get(&mut self, d: Durability) -> f64 {
        if self.samples(d).is_empty() {
            self.sample(d);
        }
        median(&mut self.samples(d).clone())
    }

    fn report(&mut self) {
        for d in [Durability::Full, Durability::Relaxed] {
            if !self.samples(d).is_empty() {
                let v = self.get(d);
                emit(&format!("floor_{}.us_per_commit", mode(d)), v, "us/commit");
            }
        }
    }
}

/// A bare rusqlite insert + commit of one step-sized journal row (the
/// journal table's own shape and key), WAL, `synchronous` as in `d`.
fn floor(d: Durability) -> f64 {
    let dir = tempdir();
    let conn = Connection::open(dir.path().join("floor.db")).expect("open");
    let wal: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("wal");
    assert_eq!(wal, "wal");
    let sync = match d {
        Durability::Full => "FULL",
        Durability::Relaxed => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync).expect("sync");
    conn.execute_batch(
        "CREATE TABLE journal (
            run_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
            name TEXT NOT NULL, occurrence INTEGER NOT NULL, input_hash TEXT,
            ok INTEGER NOT NULL, value TEXT, created_at INTEGER NOT NULL,
            PRIMARY KEY (run_id, seq)) WITHOUT ROWID;",
    )
    .expect("schema");
    let run_id = uuid::Uuid::now_v7().to_string();
    let hash = "0123456789abcdef0123456789abcdef";
    let mut total = Duration::ZERO;
    for i in 0..FLOOR_COMMITS {
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        conn.prepare_cached(
            "INSERT INTO journal (run_id, seq, kind, name, occurrence, input_hash, ok, value,
                                  created_at) VALUES (?1, ?2, 'step', 'noop', ?2, ?3, 1, ?4, ?5)",
        )
        .expect("prepare")
        .execute(params![run_id, i, hash, (i + 1).to_string(), now_ms()])
        .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        total += t.elapsed();
    }
    us(total) / f64::from(FLOOR_COMMITS)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// A diagnostic between the floor and the host: the commit the host makes
/// for one completed step, replayed bare on cairn's own schema (savepoint,
/// ownership fence, journal row, the step's two events), one per
/// transaction. What the host adds above this is not SQLite's.
fn bench_shape(d: Durability) {
    let mut samples: Vec<f64> = (0..reps()).map(|_| shape(d)).collect();
    emit(
        &format!("shape_{}.us_per_commit", mode(d)),
        median(&mut samples),
        "us/commit",
    );
}

/// One sample of [`bench_shape`]: µs per commit.
fn shape(d: Durability) -> f64 {
    let dir = tempdir();
    let db = dir.path().join("cairn.db");
    drop(SqliteStore::open(&db, d).expect("create the schema"));
    let conn = Connection::open(&db).expect("open");
    let _: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("wal");
    let sync = match d {
        Durability::Full => "FULL",
        Durability::Relaxed => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync).expect("sync");
    let run_id = uuid::Uuid::now_v7().to_string();
    let owner = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO runs (id, workflow, version, status, input, created_at, updated_at, owner,
                           activations, seed)
         VALUES (?1, 'chain', 'v', 'running', '{}', ?2, ?2, ?3, 1, 0)",
        params![run_id, now_ms(), owner],
    )
    .expect("run");
    let hash = "0123456789abcdef0123456789abcdef";
    let mut total = Duration::ZERO;
    for i in 0..FLOOR_COMMITS {
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE; SAVEPOINT op")
            .expect("begin");
        let (o, _status): (String, String) = conn
            .prepare_cached("SELECT owner, status FROM runs WHERE id = ?1")
            .expect("prepare")
            .query_row([&run_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("fence");
        assert_eq!(o, owner);
        conn.prepare_cached(
            "INSERT INTO journal (run_id, seq, kind, name, occurrence, input_hash, ok, value,
                                  created_at) VALUES (?1, ?2, 'step', 'noop', ?2, ?3, 1, ?4, ?5)",
        )
        .expect("prepare")
        .execute(params![run_id, i, hash, (i + 1).to_string(), now_ms()])
        .expect("insert");
        for (state, extra) in [("started", ""), ("completed", r#""ms":0,"#)] {
            let data = format!(
                r#"{{{extra}"attempt":1,"occurrence":{i},"state":"{state}","step":"noop"}}"#
            );
            conn.prepare_cached(
                "INSERT INTO events (run_id, at, kind, data) VALUES (?1, ?2, 'step', ?3)",
            )
            .expect("prepare")
            .execute(params![run_id, now_ms(), data])
            .expect("event");
        }
        conn.execute_batch("RELEASE op; COMMIT").expect("commit");
        total += t.elapsed();
    }
    us(total) / f64::from(FLOOR_COMMITS)
}

// ---------------------------------------------------------------- steps

/// One timed run of `chain` with `steps` steps on a runtime already warm:
/// (time of `drive`, commits it caused).
async fn timed_chain(rt: &Arc<Runtime>, steps: u64) -> (Duration, CommitStats) {
    let input = format!(r#"{{"steps":{steps}}}"#);
    timed_run(rt, "chain", &input, steps).await
}

/// One timed run of `workflow` on `input` that journals one entry per step.
async fn timed_run(
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
    let entries = rt.store.journal(&id).expect("journal").len() as u64;
    assert_eq!(entries, steps, "one journal entry per step");
    (took, stats)
}

/// (a) one run of 1,000 trivial sequential steps, repeated; each repetition
/// measures the floor just before, and is a new run on the same runtime.
async fn bench_steps(wasm: &[u8], d: Durability, floors: &mut Floors) {
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
async fn bench_concurrent(wasm: &[u8], d: Durability, floors: &mut Floors) {
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

/// (c) re-activation of a run whose journal holds 10,000 entries: it
/// replays them all and suspends again at the sleep that is not due.
async fn bench_replay(wasm: &[u8]) {
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
    let entries = rt.store.journal(&id).expect("journal").len() as u64;
    assert_eq!(entries, REPLAY_ENTRIES);
    let mut samples = Vec::new();
    let mut reads = Vec::new();
    for i in 0..6 {
        let t = Instant::now();
        let n = rt.store.journal(&id).expect("journal").len();
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
async fn bench_start(wasm: &[u8]) {
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

/// The 1,000-step run on a database already holding a million journal
/// entries (and two events per entry) from 1,000 other, finished runs,
/// alternated with the same run on a fresh database.
async fn bench_large_db(wasm: &[u8], floors: &mut Floors) {
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
fn fill(db: &Path) {
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
fn rss() -> u64 {
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
async fn sleepers(rt: &Arc<Runtime>, n: usize, width: usize) {
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
async fn bench_sleeping(wasm: &[u8]) {
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
