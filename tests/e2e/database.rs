//! Database problems (issue 9, item 11): a missing directory, a read-only
//! directory, a file another process holds locked, a full disk and damaged
//! pages each end the command with exit 2, the path and what to do — not
//! "the run failed" — and nothing is lost or written into a damaged file.
//!
//! The read-only and full-disk cases mount a small tmpfs (the suite runs
//! as root in CI: permissions alone do not stop root, a read-only mount
//! does). Where mounting is not allowed the read-only case falls back to
//! `chmod` (which stops anyone but root) and the full-disk case says it
//! is skipped; `journal::sqlite::error`'s unit tests cover the mapping of
//! SQLITE_FULL there.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Cairn, Out, wasm};

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`4m`) on `dir`, if this process may.
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmpfs {
            dir: dir.to_path_buf(),
        })
    }

    fn remount(&self, mode: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(status.success(), "remount {mode} failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    unsafe {
        libc::geteuid() == 0
    }
}

/// Exit 2, `needles` in the message, and the path named.
fn refused(out: Out, db: &Path, needles: &[&str]) -> Out {
    let out = out.code(2);
    let shown = db.display().to_string();
    assert!(out.stderr.contains(&shown), "the path is named: {out:#?}");
    for n in needles {
        assert!(out.stderr.contains(n), "the message says {n:?}: {out:#?}");
    }
    out
}

/// The `--json` error code of a refused command.
fn json_code(c: &Cairn, db: &Path, args: &[&str]) -> String {
    let mut a = args.to_vec();
    a.push("--json");
    let out = c.run_on(db, &a).code(2);
    out.json()["error"]["code"].as_str().unwrap().to_string()
}

fn deploy_and_run(c: &Cairn, db: &Path) {
    let w = wasm("counter");
    c.run_on(db, &["deploy", w.to_str().unwrap()]).code(0);
    c.run_on(db, &["run", "counter", "--session", "s"]).code(0);
}

fn run_count(c: &Cairn, db: &Path) -> usize {
    let out = c.run_on(db, &["runs", "--json"]).code(0);
    out.json()["runs"].as_array().unwrap().len()
}

#[test]
fn a_missing_directory_or_a_directory_given_as_the_file_exits_2() {
    let c = Cairn::new();
    let db = c.dir.path().join("nowhere/cairn.db");
    refused(
        c.run_on(&db, &["runs"]),
        &db,
        &["does not exist", "mkdir -p"],
    );
    let w = wasm("counter");
    refused(c.run_on(&db, &["deploy", w.to_str().unwrap()]), &db, &[]);
    assert_eq!(json_code(&c, &db, &["runs"]), "database-unavailable");
    assert!(!db.parent().unwrap().exists(), "nothing was created");
    let dir = c.dir.path().to_path_buf();
    refused(c.run_on(&dir, &["runs"]), &dir, &["is a directory"]);
}

#[test]
fn a_read_only_directory_exits_2_and_says_the_wal_needs_it_writable() {
    let c = Cairn::new();
    let dir = c.dir.path().join("ro");
    let db = dir.join("cairn.db");
    let mount = Tmpfs::mount(&dir, "16m");
    if mount.is_none() {
        assert!(
            !is_root(),
            "root could not mount a tmpfs: cannot make a read-only directory"
        );
        std::fs::create_dir_all(&dir).unwrap();
    }
    deploy_and_run(&c, &db);
    let make_read_only = |ro: bool| match &mount {
        Some(m) => m.remount(if ro { "ro" } else { "rw" }),
        None => {
            use std::os::unix::fs::PermissionsExt;
            let mode = if ro { 0o555 } else { 0o755 };
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    };
    make_read_only(true);
    let needles = ["cairn.db-wal", "directory", "not writable"];
    refused(c.run_on(&db, &["runs"]), &db, &needles);
    refused(
        c.run_on(&db, &["run", "counter", "--session", "s"]),
        &db,
        &needles,
    );
    assert_eq!(json_code(&c, &db, &["runs"]), "database-read-only");
    // A new database in a read-only directory is refused the same way.
    let fresh = dir.join("new.db");
    refused(
        c.run_on(&fresh, &["runs"]),
        &fresh,
        &["directory", "writable"],
    );
    // `cairn doctor` still reads it, and says the same.
    let out = c.run_on(&db, &["doctor"]).code(2);
    assert!(out.stdout.contains("integrity  ok"), "{out:#?}");
    assert!(out.stdout.contains("cairn.db-wal"), "{out:#?}");
    make_read_only(false);
    assert_eq!(run_count(&c, &db), 1, "the run written before is there");
}

#[test]
fn a_database_locked_by_another_process_exits_2_after_the_lock_timeout() {
    let c = Cairn::new().env("CAIRN_DB_LOCK_TIMEOUT_MS", "300");
    deploy_and_run(&c, &c.db);
    // This test process is the other process: it holds a write
    // transaction, as a `sqlite3` shell with an open BEGIN would.
    let holder = rusqlite::Connection::open(&c.db).unwrap();
    holder
        .execute_batch(
            "BEGIN IMMEDIATE; \
             INSERT INTO workers VALUES ('someone', 'elsewhere', 1, NULL, 0, 0);",
        )
        .unwrap();
    let out = c
        .run(&["run", "counter", "--session", "s", "--json"])
        .code(2);
    let v = out.json();
    assert_eq!(v["error"]["code"], "database-locked", "{v:#}");
    let message = v["error"]["message"].as_str().unwrap();
    for needle in ["locked", "300ms", "db_lock_timeout_ms", "fuser"] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    assert!(message.contains(&c.db.display().to_string()), "{message}");
    // Reading goes on while another process writes (WAL).
    assert_eq!(run_count(&c, &c.db), 1);
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(run_count(&c, &c.db), 1, "the refused run was not written");
    c.run(&["run", "counter", "--session", "s"]).code(0);
    assert_eq!(run_count(&c, &c.db), 2);
}

#[test]
fn a_full_disk_exits_2_and_loses_nothing() {
    let c = Cairn::new();
    let dir = c.dir.path().join("small");
    let Some(_mount) = Tmpfs::mount(&dir, "4m") else {
        eprintln!("skipped: cannot mount a tmpfs here (not root?), so no disk can be filled");
        return;
    };
    let db = dir.join("cairn.db");
    deploy_and_run(&c, &db);
    // The WAL keeps its size after a checkpoint, so a small transaction
    // could be written into space the file already has: truncate it, so
    // the next write must allocate.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    // Fill what is left, to the last byte.
    let fill = dir.join("fill");
    let mut f = std::fs::File::create(&fill).unwrap();
    for size in [64 << 10, 4 << 10, 512, 1] {
        let block = vec![0u8; size];
        while std::io::Write::write_all(&mut f, &block).is_ok() {}
    }
    drop(f);
    let needles = ["no space left", "free some space"];
    refused(
        c.run_on(&db, &["run", "counter", "--session", "s"]),
        &db,
        &needles,
    );
    assert_eq!(
        json_code(&c, &db, &["run", "counter", "--session", "s"]),
        "disk-full"
    );
    std::fs::remove_file(&fill).unwrap();
    assert_eq!(run_count(&c, &db), 1, "the committed run is there");
    c.run_on(&db, &["run", "counter", "--session", "s"]).code(0);
    assert_eq!(run_count(&c, &db), 2);
}

/// Overwrites the pages of `tables` with garbage (a fixed pseudo-random
/// pattern, so every run damages the same bytes).
fn damage(db: &Path, tables: &[&str]) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    let page_size = page_size as u64;
    let roots: Vec<i64> = tables
        .iter()
        .map(|t| {
            conn.query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = ?1",
                [t],
                |r| r.get(0),
            )
            .unwrap()
        })
        .collect();
    drop(conn);
    let mut file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    let mut x: u32 = 0x2545_f491;
    let garbage: Vec<u8> = (0..page_size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    for root in roots {
        use std::io::{Seek, SeekFrom, Write};
        file.seek(SeekFrom::Start((root as u64 - 1) * page_size))
            .unwrap();
        file.write_all(&garbage).unwrap();
    }
}

#[test]
fn damaged_pages_are_refused_at_open_and_nothing_is_written_into_the_file() {
    let c = Cairn::new();
    deploy_and_run(&c, &c.db);
    c.run(&["run", "counter", "--session", "t"]).code(0);
    damage(&c.db, &["journal", "events"]);
    let before = std::fs::read(&c.db).unwrap();
    let needles = ["damaged", "cairn doctor", "backup"];
    refused(c.run(&["runs"]), &c.db, &needles);
    refused(
        c.run(&["run", "counter", "--session", "s"]),
        &c.db,
        &needles,
    );
    assert_eq!(json_code(&c, &c.db, &["runs"]), "database-corrupt");
    assert!(
        std::fs::read(&c.db).unwrap() == before,
        "nothing was written into the damaged file"
    );
    // The doctor names the damaged tables and exits 2.
    let out = c.run(&["doctor"]).code(2);
    assert!(out.stdout.contains("damaged"), "{out:#?}");
    assert!(out.stdout.contains("table journal"), "{out:#?}");
    let out = c.run(&["doctor", "--json"]).code(2);
    let v = out.json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["kind"], "database-corrupt", "{v:#}");
    assert!(
        std::fs::read(&c.db).unwrap() == before,
        "the doctor wrote nothing"
    );
}

#[test]
fn doctor_reports_a_healthy_database_and_a_missing_one() {
    let c = Cairn::new();
    let out = c.run(&["doctor"]).code(3);
    assert!(out.stdout.contains("no database here"), "{out:#?}");
    deploy_and_run(&c, &c.db);
    let out = c.run(&["doctor"]).code(0);
    assert!(out.stdout.contains("healthy"), "{out:#?}");
    assert!(out.stdout.contains("integrity  ok"), "{out:#?}");
    let v = c.json(&["doctor"]);
    assert_eq!(v["ok"], true);
    assert_eq!(v["runs"], 1);
    assert_eq!(v["versions"], 1);
    assert_eq!(v["lock_free"], true);
    assert_eq!(v["schema_version"], v["supported_schema_version"]);
}
