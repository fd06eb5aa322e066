//! The test harness: builds the guest components once per test binary,
//! gives each test a temporary directory with its own database, and runs
//! the `cairn` binary there.

#![allow(dead_code)] // each test module uses a different part of it

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    cairn::guests::repo_root()
}

/// Builds both guest workspaces (once) and returns the component `name`:
/// the crate's, or the one `CAIRN_GUEST_NAME` names (any toolchain's,
/// see `cairn::guests::prebuilt`).
pub fn wasm(name: &str) -> PathBuf {
    if let Some(path) = cairn::guests::prebuilt(name) {
        assert!(
            path.exists(),
            "{} (from {}) is not there",
            path.display(),
            cairn::guests::prebuilt_var(name)
        );
        return path;
    }
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        for workspace in ["examples", "tests/guests"] {
            cairn::guests::build(workspace, None).unwrap_or_else(|e| panic!("{e}"));
        }
    });
    let path = cairn::guests::component(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// The Python guest in `dir` (`examples/python/order`), built once per
/// source (cached in `target/python-guests` across runs; see
/// `cairn::guests::python`). Builds are one at a time: each takes most of
/// the machine for 20–60 s.
pub fn python(dir: &str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _one = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    cairn::guests::python::build(Path::new(dir)).unwrap_or_else(|e| panic!("{e}"))
}

/// The JavaScript guest in `dir` (`examples/js/order`), built once per
/// source (cached in `target/js-guests`; see `cairn::guests::js`). Builds
/// are one at a time: the first runs `npm ci` in `guest-sdk-js`.
pub fn js(dir: &str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _one = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    cairn::guests::js::build(Path::new(dir)).unwrap_or_else(|e| panic!("{e}"))
}

/// The machine-level compile cache every command of the suite shares, so
/// that a component (a Python one above all) is compiled once per run of
/// the suite, not once per test database.
pub fn compile_cache() -> PathBuf {
    repo().join("target/compile-cache")
}

/// What a command did.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn from(o: Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// The stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts the exit code.
    pub fn code(self, code: i32) -> Out {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        assert!(
            !self.stderr.contains("panicked"),
            "cairn panicked: {self:#?}"
        );
        self
    }
}

/// A temporary directory with a cairn database in it.
pub struct Cairn {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    envs: Vec<(String, String)>,
}

impl Cairn {
    pub fn new() -> Cairn {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cairn.db");
        Cairn {
            dir,
            db,
            envs: Vec::new(),
        }
    }

    /// Sets an environment variable for every command.
    pub fn env(mut self, k: &str, v: &str) -> Cairn {
        self.envs.push((k.into(), v.into()));
        self
    }

    /// A prepared `cairn` command in this directory, on this database.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cairn"));
        c.current_dir(self.dir.path())
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("CAIRN_DB")
            .env_remove("RUST_LOG")
            .env("CAIRN_ENGINE_COMPILE_CACHE", compile_cache());
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        c
    }

    /// Runs `cairn args` on another database file.
    pub fn run_on(&self, db: &Path, args: &[&str]) -> Out {
        let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .current_dir(self.dir.path())
            .arg("--db")
            .arg(db)
            .args(args)
            .output()
            .unwrap();
        Out::from(out)
    }

    /// Runs `cairn args` to the end.
    pub fn run(&self, args: &[&str]) -> Out {
        Out::from(self.cmd(args).output().unwrap())
    }

    /// Runs `cairn args --json`, expects exit 0, returns the JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        self.run(&a).code(0).json()
    }

    /// Starts `cairn args` in the background.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Deploys a component; returns its version.
    pub fn deploy(&self, name: &str, extra: &[&str]) -> String {
        self.deploy_file(&wasm(name), extra)
    }

    /// Deploys the component file `path` (built by any toolchain).
    pub fn deploy_file(&self, path: &Path, extra: &[&str]) -> String {
        let mut args = vec!["deploy", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let v = self.json(&args);
        v["version"].as_str().unwrap().to_string()
    }

    /// `runs show RUN --json`.
    pub fn show(&self, run: &str) -> Value {
        self.json(&["runs", "show", run])
    }

    /// Waits until a sleeping run's wake time has passed (by this machine's
    /// clock, which the host also reads), so that a `resume` finds it due
    /// however fast the steps before it were.
    pub fn wait_until_due(&self, run: &str) {
        let show = self.show(run);
        let Some(wake_at) = show["wake_at"].as_i64() else {
            return;
        };
        let now = now_ms();
        if wake_at >= now {
            std::thread::sleep(Duration::from_millis((wake_at - now) as u64 + 20));
        }
    }

    /// The newest run's id, waiting for one to exist (a process started in
    /// the background creates it).
    pub fn newest_run(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(id) = self.json(&["runs"])["runs"][0]["run_id"].as_str() {
                return id.to_string();
            }
            assert!(Instant::now() < deadline, "no run was created");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts `cairn serve` on an ephemeral loopback port; the server is
    /// killed when the returned value is dropped.
    pub fn serve(&self) -> Served {
        let mut child = self.spawn(&["serve", "--listen", "127.0.0.1:0", "--json"]);
        Served {
            base: listening(&mut child),
            child,
        }
    }

    /// Polls `runs show` until `pred` holds (or panics after `secs`).
    pub fn wait_for(&self, run: &str, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.show(run);
            if pred(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting on run: {v:#}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A `cairn serve` started by [`Cairn::serve`].
pub struct Served {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub child: Child,
}

impl Drop for Served {
    fn drop(&mut self) {
        kill9(&mut self.child);
    }
}

/// Reads the address a `cairn serve --json` prints first, as a URL.
pub fn listening(child: &mut Child) -> String {
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let v: Value = serde_json::from_str(&first)
        .unwrap_or_else(|e| panic!("serve did not start ({e}): {first:?}"));
    format!("http://{}", v["listening"].as_str().unwrap())
}

/// The names of the journaled steps of a `runs show --json`, in journal order.
pub fn step_names(show: &Value) -> Vec<String> {
    entries(show, "step")
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

/// The journal entries of a `runs show --json` of the given kind.
pub fn entries<'a>(show: &'a Value, kind: &str) -> Vec<&'a Value> {
    show["journal"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// The events of a `runs show --json` of the given kind.
pub fn events<'a>(show: &'a Value, kind: &str) -> Vec<&'a Value> {
    show["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// Kills a child with SIGKILL and reaps it.
pub fn kill9(child: &mut Child) {
    child.kill().unwrap(); // Child::kill sends SIGKILL on Unix
    child.wait().unwrap();
}

/// One request the side-effect server saw.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub idempotency_key: Option<String>,
    pub body: String,
}

/// A loopback HTTP server that records every request: the side effects
/// of steps. Requests to paths in `hold` are answered only after that delay.
/// It also counts the requests it is handling at once (`max_in_flight`);
/// after `gather(n)` every request waits until `n` have been in flight at
/// once, so a test of a concurrency limit does not depend on timing.
#[derive(Clone)]
pub struct SideEffects {
    pub port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
    hold: Arc<Mutex<HashMap<String, Duration>>>,
    fail: Arc<Mutex<HashMap<String, usize>>>,
    gather: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl SideEffects {
    pub fn start() -> SideEffects {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = SideEffects {
            port,
            hits: Arc::default(),
            hold: Arc::default(),
            fail: Arc::default(),
            gather: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        };
        let server = s.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let server = server.clone();
                std::thread::spawn(move || server.handle(conn));
            }
        });
        s
    }

    /// The URL of this server.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The allow-list entry for it.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Answers requests to `path` only after `d`.
    pub fn hold(&self, path: &str, d: Duration) {
        self.hold.lock().unwrap().insert(path.into(), d);
    }

    /// Answers the next `n` requests to `path` with 503.
    pub fn fail(&self, path: &str, n: usize) {
        self.fail.lock().unwrap().insert(path.into(), n);
    }

    /// Holds every request until `n` requests have been in flight at once
    /// (then no more): the caller's limit is reached however loaded the
    /// machine is. Gives up after 60 s, so a limit below `n` shows as a
    /// smaller `max_in_flight` instead of a hang.
    pub fn gather(&self, n: usize) {
        self.gather.store(n, Ordering::SeqCst);
    }

    /// The most requests that were being handled at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// How many requests are being handled (held, not yet answered) now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// How many requests `path` received.
    pub fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|h| h.path == path).count()
    }

    /// How many requests had a body containing `needle`.
    pub fn count_body(&self, needle: &str) -> usize {
        self.hits()
            .iter()
            .filter(|h| h.body.contains(needle))
            .count()
    }

    /// Waits until `path` has been requested at least `n` times.
    pub fn wait_count(&self, path: &str, n: usize, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.count(path) < n {
            assert!(
                Instant::now() < deadline,
                "{path} was not requested {n} times: {:?}",
                self.hits()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn handle(&self, mut conn: TcpStream) {
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut len = 0usize;
        let mut key = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((&h, ""));
            let value = value.trim().to_string();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => len = value.parse().unwrap_or(0),
                "idempotency-key" => key = Some(value),
                _ => {}
            }
        }
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        let body = String::from_utf8_lossy(&body).into_owned();
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.hits.lock().unwrap().push(Hit {
            path: path.clone(),
            idempotency_key: key,
            body,
        });
        let gather = self.gather.load(Ordering::SeqCst);
        let give_up = Instant::now() + Duration::from_secs(60);
        while self.max_in_flight.load(Ordering::SeqCst) < gather && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(5));
        }
        let hold = self.hold.lock().unwrap().get(&path).copied();
        if let Some(d) = hold {
            std::thread::sleep(d);
        }
        let failing = {
            let mut fail = self.fail.lock().unwrap();
            match fail.get_mut(&path) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            }
        };
        let (status, reply) = if failing {
            ("503 Service Unavailable", format!("try again {path}"))
        } else {
            ("200 OK", format!("ok {path}"))
        };
        // Out of the gauge before the answer leaves, so the step's next
        // request can never be counted together with this one.
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let _ = write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
            reply.len()
        );
    }
}

/// This machine's clock in epoch milliseconds, as the host reads it.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
