//! A worker paused past its lease (SIGSTOP, a suspended VM) starts no step
//! attempt after it resumes: three `cairn serve` processes on one SQLite
//! file, one stopped while its steps are in flight, the others taking its
//! runs over, then the stopped one resumed.
//!
//! The steps call a loopback server written here, which records which
//! process called (each worker passes its name to its steps through the
//! step environment), when each call arrived and when it was answered,
//! and which answer it gave (a token, which the step returns, so the
//! journal shows which call's answer it holds).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Cairn, kill9};

/// One call a step made.
#[derive(Debug, Clone)]
struct Call {
    worker: String,
    /// `<run-id>/hit/<occurrence>`.
    key: String,
    arrived: Instant,
    answered: Option<Instant>,
    token: String,
}

#[derive(Default)]
struct RecorderState {
    calls: Vec<Call>,
    /// Workers whose calls are held, unanswered, until thawed.
    frozen: HashSet<String>,
}

/// The loopback server the steps call.
#[derive(Clone)]
struct Recorder {
    port: u16,
    state: Arc<(Mutex<RecorderState>, Condvar)>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let r = Recorder {
            port: listener.local_addr().unwrap().port(),
            state: Arc::default(),
        };
        let server = r.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let server = server.clone();
                std::thread::spawn(move || server.handle(conn));
            }
        });
        r
    }

    fn calls(&self) -> Vec<Call> {
        self.state.0.lock().unwrap().calls.clone()
    }

    fn freeze(&self, worker: &str) {
        self.state.0.lock().unwrap().frozen.insert(worker.into());
    }

    fn thaw(&self, worker: &str) {
        self.state.0.lock().unwrap().frozen.remove(worker);
        self.state.1.notify_all();
    }

    /// Calls of `worker` that arrived and are not answered yet.
    fn held(&self, worker: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.worker == worker && c.answered.is_none())
            .count()
    }

    fn handle(&self, mut conn: TcpStream) {
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let (mut len, mut key) = (0usize, String::new());
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((&h, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => len = value.trim().parse().unwrap_or(0),
                "idempotency-key" => key = value.trim().to_string(),
                _ => {}
            }
        }
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        let body: Value = serde_json::from_slice(&body).unwrap_or_default();
        let worker = body["worker"].as_str().unwrap_or("?").to_string();
        let (lock, cvar) = &*self.state;
        let index = {
            let mut s = lock.lock().unwrap();
            let token = format!("token-{}", s.calls.len());
            s.calls.push(Call {
                worker: worker.clone(),
                key,
                arrived: Instant::now(),
                answered: None,
                token,
            });
            s.calls.len() - 1
        };
        // A little work, so several calls are in flight at once.
        std::thread::sleep(Duration::from_millis(20));
        let token = {
            let mut s = lock.lock().unwrap();
            while s.frozen.contains(&worker) {
                s = cvar.wait(s).unwrap();
            }
            s.calls[index].answered = Some(Instant::now());
            s.calls[index].token.clone()
        };
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{token}",
            token.len()
        );
    }
}

/// A `cairn serve` whose steps say they ran in `name`.
struct Worker {
    name: String,
    id: String,
    base: String,
    child: Child,
    /// What it writes to stderr, read as it comes (a full pipe would
    /// block it).
    stderr: std::thread::JoinHandle<String>,
}

impl Worker {
    fn start(c: &Cairn, name: &str) -> Worker {
        let mut child = c
            .cmd(&["serve", "--listen", "127.0.0.1:0", "--json"])
            .env("CAIRN_TEST_WORKER", name)
            .env("RUST_LOG", "cairn=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let v: Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("serve did not start ({e}): {first:?}"));
        let mut pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut err = String::new();
            let _ = pipe.read_to_string(&mut err);
            err
        });
        Worker {
            name: name.into(),
            id: v["worker"].as_str().unwrap().into(),
            base: v["listening"].as_str().unwrap().into(),
            child,
            stderr,
        }
    }

    /// Sends `sig` (`STOP`, `CONT`) with kill(1).
    fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Kills it and returns what it wrote to stderr.
    fn finish(mut self) -> String {
        kill9(&mut self.child);
        self.stderr.join().unwrap()
    }
}

/// `POST {base}/v1/runs` with `body`; returns the run id.
fn start_run(base: &str, body: &Value) -> String {
    let body = body.to_string();
    let mut s = TcpStream::connect(base).unwrap();
    write!(
        s,
        "POST /v1/runs HTTP/1.1\r\nHost: {base}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let (_, json) = reply.split_once("\r\n\r\n").unwrap();
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {reply}"));
    v["run_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{reply}"))
        .into()
}

/// True when another process can take SQLite's write lock: a process
/// stopped inside a write transaction would hold it, and nobody could
/// take its runs over until it resumed. The wait is short, so that a
/// worker stopped while it is probed stays well within its lease.
fn writable(db: &std::path::Path) -> bool {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_millis(100)).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").is_ok()
}

fn until(what: &str, secs: u64, mut pred: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !pred() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_worker_paused_past_its_lease_starts_no_step_after_it_resumes() {
    let rec = Recorder::start();
    let c = Cairn::new();
    std::fs::write(
        c.dir.path().join("cairn.toml"),
        "durability = \"relaxed\"\n\
         [runtime]\nlease_secs = 2\npoll_ms = 50\nmax_concurrent_steps = 4\n\
         [workflows.fanout]\nenv = [\"CAIRN_TEST_WORKER\"]\n",
    )
    .unwrap();
    c.deploy(
        "effects",
        &["--allow-http", &format!("127.0.0.1:{}", rec.port)],
    );

    // Worker `a` alone claims every run; its calls are held, so all four of
    // its step slots end up inside calls the server has seen: when it is
    // stopped, no attempt of it is between its start and its call.
    rec.freeze("a");
    let a = Worker::start(&c, "a");
    let url = format!("http://127.0.0.1:{}", rec.port);
    let runs: Vec<String> = (0..6)
        .map(|_| {
            let input = json!({"url": url, "n": 24, "max_concurrency": 8});
            start_run(&a.base, &json!({"workflow": "fanout", "input": input}))
        })
        .collect();
    until("a holds four calls", 60, || rec.held("a") == 4);
    a.signal("STOP");
    // Stopped inside a write transaction, it would hold SQLite's lock:
    // let it run a moment and stop it again (each stop far shorter than
    // its lease, so it notices nothing).
    let mut tries = 0;
    while !writable(&c.db) {
        tries += 1;
        assert!(tries < 20, "worker a keeps the database locked");
        a.signal("CONT");
        std::thread::sleep(Duration::from_millis(20));
        a.signal("STOP");
    }
    assert_eq!(rec.held("a"), 4, "worker a started more calls meanwhile");
    // Its calls are answered while it is stopped: it reads the answers
    // when it resumes, long after the others took its runs.
    rec.thaw("a");
    until("a's calls are answered", 10, || rec.held("a") == 0);

    let b = Worker::start(&c, "b");
    let w3 = Worker::start(&c, "c");
    for run in &runs {
        c.wait_for(run, 120, |v| v["status"] == "completed");
    }
    let resumed_at = Instant::now();
    a.signal("CONT");
    // It notices its lease lapsed, abandons the runs and renews its
    // heartbeat; then it is an ordinary worker again and runs new work.
    let a_id = a.id.clone();
    until("a heartbeats again", 30, || {
        let conn = rusqlite::Connection::open(&c.db).unwrap();
        let beat: i64 = conn
            .query_row(
                "SELECT heartbeat_at FROM workers WHERE id = ?1",
                [&a_id],
                |r| r.get(0),
            )
            .unwrap();
        cairn::clock::now_ms() - beat < 1000
    });
    let after = start_run(
        &a.base,
        &json!({"workflow": "fanout", "input": {"url": url, "n": 8}}),
    );
    c.wait_for(&after, 60, |v| v["status"] == "completed");

    let names: HashMap<String, String> = [&a, &b, &w3]
        .iter()
        .map(|w| (w.id.clone(), w.name.clone()))
        .collect();
    let shows: Vec<Value> = runs.iter().map(|r| c.show(r)).collect();
    let a_err = a.finish();
    b.finish();
    w3.finish();
    let calls = rec.calls();
    let ours = |c: &&Call| runs.iter().any(|r| c.key.starts_with(r.as_str()));

    // 1. The resumed worker called nothing for the runs taken from it.
    let late: Vec<&Call> = calls
        .iter()
        .filter(ours)
        .filter(|c| c.worker == "a" && c.arrived >= resumed_at)
        .collect();
    let describe = |k: &str| -> Vec<String> {
        calls
            .iter()
            .filter(|c| c.key == k)
            .map(|c| {
                let at = |t: Instant| {
                    t.duration_since(resumed_at.min(t)).as_millis() as i64
                        - resumed_at.duration_since(t.min(resumed_at)).as_millis() as i64
                };
                format!(
                    "{} {} {:?} {}",
                    c.worker,
                    at(c.arrived),
                    c.answered.map(at),
                    c.token
                )
            })
            .collect()
    };
    let history = |k: &str| -> Vec<String> {
        let run = k.split('/').next().unwrap();
        let i = runs.iter().position(|r| r == run).unwrap();
        shows[i]["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["kind"] == "status" || e["kind"] == "step" && e["data"]["occurrence"] == 1
            })
            .map(|e| e["data"].to_string())
            .collect()
    };
    assert!(
        late.is_empty(),
        "{} calls from worker a after it resumed (ms from the resume; {tries} stops; \
         workers {names:?}): {:#?}\nits log: {a_err}",
        late.len(),
        late.iter()
            .map(|c| (&c.key, describe(&c.key), history(&c.key)))
            .collect::<Vec<_>>()
    );
    assert!(
        a_err.contains("lease"),
        "worker a should say why it abandoned its runs: {a_err}"
    );

    // 2. No step executed on two workers at once.
    let mut by_key: HashMap<&str, Vec<&Call>> = HashMap::new();
    for call in calls.iter().filter(ours) {
        by_key.entry(&call.key).or_default().push(call);
    }
    for (key, list) in &by_key {
        for x in list {
            for y in list {
                if x.worker == y.worker {
                    continue;
                }
                let x_end = x.answered.expect("every call was answered");
                assert!(
                    x_end <= y.arrived || y.answered.unwrap() <= x.arrived,
                    "{key} ran on {} and {} at once",
                    x.worker,
                    y.worker
                );
            }
        }
    }

    // 3. Every journaled result is the answer given to the worker that
    // owned the run when the result was written.
    let token_to: HashMap<&str, &str> = calls
        .iter()
        .map(|c| (c.token.as_str(), c.worker.as_str()))
        .collect();
    for show in &shows {
        let mut owner: Option<&str> = None;
        let mut written_by: HashMap<u64, &str> = HashMap::new();
        for ev in show["events"].as_array().unwrap() {
            if ev["kind"] == "status"
                && let Some(w) = ev["data"]["worker"].as_str()
            {
                owner = Some(names[w].as_str());
            }
            if ev["kind"] == "step" && ev["data"]["state"] == "completed" {
                let occ = ev["data"]["occurrence"].as_u64().unwrap();
                written_by.insert(occ, owner.expect("a claim precedes every step"));
            }
        }
        let steps = crate::support::entries(show, "step");
        assert_eq!(steps.len(), 24, "{show:#}");
        for e in steps {
            let occ = e["occurrence"].as_u64().unwrap();
            let value = &e["value"];
            let worker = value["worker"].as_str().unwrap();
            let token = value["reply"].as_str().unwrap();
            assert_eq!(token_to[token], worker, "{e:#}");
            assert_eq!(written_by[&occ], worker, "{e:#}");
        }
    }
}
