//! `cairn run --wait` on a terminal (issue 9, item 7): the run id first,
//! then each step, the sleep, the prompt with the command that answers
//! it, under a spinner; Ctrl-C says the run goes on and how to follow it.
//! The terminal is a real pseudo-terminal, made by util-linux `script`.
//! Quiet when not a terminal or with `--json`.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::Cairn;

/// `cairn args` on a pseudo-terminal; what it draws is collected.
struct Pty {
    child: Child,
    stdin: ChildStdin,
    seen: Arc<Mutex<String>>,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Pty {
    fn start(c: &Cairn, args: &[&str]) -> Pty {
        let mut line = format!(
            "exec env TERM=xterm {} --db {}",
            quote(env!("CARGO_BIN_EXE_cairn")),
            quote(c.db.to_str().unwrap())
        );
        for a in args {
            line.push(' ');
            line.push_str(&quote(a));
        }
        let mut child = Command::new("script")
            .args(["-qefc", &line, "/dev/null"])
            .current_dir(c.dir.path())
            .env_remove("CAIRN_DB")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("util-linux `script` runs the command on a pseudo-terminal");
        let seen = Arc::new(Mutex::new(String::new()));
        let mut out = child.stdout.take().unwrap();
        let sink = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdin = child.stdin.take().unwrap();
        Pty { child, stdin, seen }
    }

    fn seen(&self) -> String {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until the terminal shows `needle`.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let seen = self.seen();
            if seen.contains(needle) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never showed in {seen:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the command to end; its exit code and all it drew.
    fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        // The reader thread drains what is left.
        std::thread::sleep(Duration::from_millis(200));
        (status.code().unwrap_or(-1), self.seen())
    }
}

fn only_run(c: &Cairn) -> String {
    c.newest_run()
}

#[test]
fn run_wait_on_a_terminal_shows_the_run_id_first_then_its_steps_and_sleep() {
    let c = Cairn::new();
    c.deploy("follow_up", &[]);
    let input = json!({"user": "ana", "delay_secs": 2}).to_string();
    let pty = Pty::start(&c, &["run", "follow_up", "--input", &input, "--wait"]);
    let (code, seen) = pty.finish();
    assert_eq!(code, 0, "{seen}");
    let run = only_run(&c);
    let at = |needle: &str| {
        seen.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not in {seen:?}"))
    };
    let first = at(&format!("run {run} (follow_up) started"));
    let welcome = at("step send_welcome done");
    let sleeping = at("sleeping until");
    let follow_up = at("step send_follow_up done");
    let completed = at(&format!("run {run} (follow_up) completed"));
    assert!(first < welcome && welcome < sleeping, "{seen}");
    assert!(sleeping < follow_up && follow_up < completed, "{seen}");
    assert!(seen.contains("welcomed"), "the emitted event: {seen}");
}

#[test]
fn run_wait_on_a_terminal_says_how_to_answer_a_waiting_prompt() {
    let c = Cairn::new();
    c.deploy("approval", &[]);
    let input = json!({"order_id": "A-1", "amount": 12.5}).to_string();
    let pty = Pty::start(&c, &["run", "approval", "--input", &input, "--wait"]);
    let run = only_run(&c);
    pty.wait_for(&format!(
        "waiting for a person: answer with `cairn respond {run} VALUE`"
    ));
    c.run(&["respond", &run, "approve", "--by", "ana"]).code(0);
    let (code, seen) = pty.finish();
    assert_eq!(code, 0, "{seen}");
    assert!(seen.contains("answered \"approve\" by ana"), "{seen}");
    assert!(
        seen.contains(&format!("run {run} (approval) completed")),
        "{seen}"
    );
}

#[test]
fn ctrl_c_stops_following_and_the_run_goes_on() {
    let c = Cairn::new();
    c.deploy("follow_up", &[]);
    let input = json!({"user": "ana", "delay_secs": 600}).to_string();
    let mut pty = Pty::start(&c, &["run", "follow_up", "--input", &input, "--wait"]);
    pty.wait_for("sleeping until");
    let run = only_run(&c);
    pty.stdin.write_all(b"\x03").unwrap(); // Ctrl-C, through the terminal
    pty.stdin.flush().unwrap();
    let (code, seen) = pty.finish();
    assert_eq!(code, 130, "{seen}");
    assert!(
        seen.contains(&format!("stopped following run {run}; the run goes on")),
        "{seen}"
    );
    assert!(seen.contains(&format!("cairn runs watch {run}")), "{seen}");
    let show = c.show(&run);
    assert_eq!(show["status"], "sleeping", "{show:#}");
    assert_eq!(
        show["owner"],
        serde_json::Value::Null,
        "released for any worker: {show:#}"
    );
}

#[test]
fn run_wait_is_quiet_when_not_on_a_terminal_or_with_json() {
    let c = Cairn::new();
    c.deploy("follow_up", &[]);
    let input = json!({"user": "bo", "delay_secs": 0}).to_string();
    let out = c
        .run(&["run", "follow_up", "--input", &input, "--wait"])
        .code(0);
    assert!(out.stderr.is_empty(), "{out:?}");
    assert!(
        !out.stdout.contains("started;") && !out.stdout.contains('\x1b'),
        "{out:?}"
    );
    let pty = Pty::start(
        &c,
        &["run", "follow_up", "--input", &input, "--wait", "--json"],
    );
    let (code, seen) = pty.finish();
    assert_eq!(code, 0, "{seen}");
    assert!(
        !seen.contains("started;") && !seen.contains("step send_welcome"),
        "{seen}"
    );
    let v: serde_json::Value =
        serde_json::from_str(seen.trim()).unwrap_or_else(|e| panic!("{e}: {seen:?}"));
    assert_eq!(v["status"], "completed");
}
