//! The `disk`, `floor_*` and `shape_*` groups: fsync latency, the floor (a bare
//! rusqlite insert + commit of a step-sized row) and the host's own per-step
//! commit replayed bare on its schema.

use super::*;

/// The disk's own latency: a 4 KiB overwrite followed by fsync, and by
/// fdatasync, on the filesystem the temporary databases live on.
pub(crate) fn bench_fsync() {
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
pub(crate) struct Floors {
    full: Vec<f64>,
    relaxed: Vec<f64>,
}

impl Floors {
    pub(crate) fn samples(&mut self, d: Durability) -> &mut Vec<f64> {
        match d {
            Durability::Full => &mut self.full,
            Durability::Relaxed => &mut self.relaxed,
        }
    }

    /// Measures the floor once more: µs per bare insert + commit in `d`.
    pub(crate) fn sample(&mut self, d: Durability) -> f64 {
        let v = floor(d);
        self.samples(d).push(v);
        v
    }

    /// The median floor so far (measured now if never).
    pub(crate) fn get(&mut self, d: Durability) -> f64 {
        if self.samples(d).is_empty() {
            self.sample(d);
        }
        median(&mut self.samples(d).clone())
    }

    pub(crate) fn report(&mut self) {
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
pub(crate) fn floor(d: Durability) -> f64 {
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

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// A diagnostic between the floor and the host: the commit the host makes
/// for one completed step, replayed bare on cairn's own schema (savepoint,
/// ownership fence, journal row, the step's two events), one per
/// transaction. What the host adds above this is not SQLite's.
pub(crate) fn bench_shape(d: Durability) {
    let mut samples: Vec<f64> = (0..reps()).map(|_| shape(d)).collect();
    emit(
        &format!("shape_{}.us_per_commit", mode(d)),
        median(&mut samples),
        "us/commit",
    );
}

/// One sample of [`bench_shape`]: µs per commit.
pub(crate) fn shape(d: Durability) -> f64 {
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
