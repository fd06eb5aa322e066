//! Schedules (`cron(...)` triggers) fired by `cairn serve`: one run per
//! tick across workers, the overlap policies, catch-up after downtime, and
//! a bad expression refused at deploy with its position. The guest's
//! schedules fire every second (six-field expressions), so each test
//! watches a few seconds of real ticks.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Cairn, kill9, now_ms, wasm};

/// The view of `workflow` in `cairn schedules --json`.
fn schedule(c: &Cairn, workflow: &str) -> Value {
    let v = c.json(&["schedules", workflow]);
    let list = v["schedules"].as_array().expect("schedules").clone();
    assert_eq!(list.len(), 1, "one schedule of {workflow}: {v:#}");
    list[0].clone()
}

/// The recent ticks, oldest first, as (at, runs).
fn ticks(s: &Value) -> Vec<(i64, Vec<String>)> {
    let mut out: Vec<(i64, Vec<String>)> = s["recent"]
        .as_array()
        .expect("recent")
        .iter()
        .map(|t| {
            let runs = t["runs"].as_array().expect("runs").iter();
            let runs = runs.map(|r| r.as_str().unwrap().to_string()).collect();
            (t["at"].as_i64().unwrap(), runs)
        })
        .collect();
    out.reverse();
    out
}

/// Waits until `workflow`'s schedule has handled at least `n` ticks.
fn wait_ticks(c: &Cairn, workflow: &str, n: usize, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while ticks(&schedule(c, workflow)).len() < n {
        assert!(
            Instant::now() < deadline,
            "fewer than {n} ticks of {workflow}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The runs of `workflow`, newest first.
fn runs_of(c: &Cairn, workflow: &str) -> Vec<Value> {
    let v = c.json(&["runs", "--workflow", workflow, "--limit", "200"]);
    v["runs"].as_array().expect("runs").clone()
}

#[test]
fn two_workers_start_one_run_per_tick() {
    let c = Cairn::new();
    c.deploy("schedules", &[]);
    let a = c.serve();
    let b = c.serve();
    wait_ticks(&c, "every_second", 4, 30);
    drop((a, b));
    let s = schedule(&c, "every_second");
    let ticks = ticks(&s);
    assert!(ticks.len() < 20, "all ticks are in the view: {s:#}");
    // Every tick since the schedule was first seen, each exactly once.
    let since = s["since"].as_i64().expect("since");
    let first = (since / 1000 + 1) * 1000;
    let expected: Vec<i64> = (0..ticks.len() as i64).map(|i| first + i * 1000).collect();
    let at: Vec<i64> = ticks.iter().map(|t| t.0).collect();
    assert_eq!(at, expected, "{s:#}");
    let mut started = HashSet::new();
    for (tick, runs) in &ticks {
        assert_eq!(runs.len(), 1, "tick {tick} started one run: {s:#}");
        assert!(started.insert(runs[0].clone()), "a run for two ticks");
    }
    let listed: HashSet<String> = runs_of(&c, "every_second")
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, started, "no run besides the ticks' runs");
}

#[test]
fn overlap_skips_while_running_and_cancel_previous_replaces() {
    let c = Cairn::new();
    c.deploy("schedules", &[]);
    let served = c.serve();
    wait_ticks(&c, "slow", 7, 30);
    wait_ticks(&c, "replaced", 3, 30);
    drop(served);

    // `slow` sleeps 2.5 s: the ticks while a run is going start nothing,
    // and a run starts only after the one before it ended.
    let slow = ticks(&schedule(&c, "slow"));
    assert!(
        slow.iter().any(|t| t.1.is_empty()),
        "a tick was skipped: {slow:?}"
    );
    let runs = runs_of(&c, "slow");
    let started: Vec<&(i64, Vec<String>)> = slow.iter().filter(|t| !t.1.is_empty()).collect();
    assert!(started.len() >= 2, "{slow:?}");
    for pair in started.windows(2) {
        let run = |id: &str| runs.iter().find(|r| r["run_id"] == id).unwrap().clone();
        let (before, after) = (run(&pair[0].1[0]), run(&pair[1].1[0]));
        assert_eq!(before["status"], "completed", "{before:#}");
        assert!(
            before["updated_at"].as_i64() <= after["created_at"].as_i64(),
            "a run started while the previous one was going: {before:#} {after:#}"
        );
    }

    // `replaced` sleeps a minute: each tick cancels the run before it.
    let runs = runs_of(&c, "replaced");
    assert!(runs.len() >= 3);
    let (newest, older) = runs.split_first().unwrap();
    assert_ne!(newest["status"], "cancelled", "{newest:#}");
    for r in older {
        assert_eq!(r["status"], "cancelled", "{r:#}");
    }
}

#[test]
fn missed_ticks_are_caught_up_after_downtime() {
    let c = Cairn::new();
    c.deploy("schedules", &[]);
    let mut first = c.serve();
    wait_ticks(&c, "catch_all", 1, 30);
    kill9(&mut first.child);
    let down_from = ticks(&schedule(&c, "catch_all")).last().unwrap().0;
    // Down for at least two ticks of `catch_all` (every two seconds).
    std::thread::sleep(Duration::from_millis(5000));
    let served = c.serve();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = ticks(&schedule(&c, "catch_all"));
        let after: Vec<_> = t.iter().filter(|t| t.0 > down_from).collect();
        if after.len() >= 4 {
            break;
        }
        assert!(Instant::now() < deadline, "no catch-up: {t:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(served);
    // Every two-second tick from the first on has its run: those missed
    // while no worker ran (catch_up = "all") as well as the later ones.
    let t = ticks(&schedule(&c, "catch_all"));
    let at: Vec<i64> = t.iter().map(|t| t.0).collect();
    let expected: Vec<i64> = (0..at.len() as i64).map(|i| at[0] + i * 2000).collect();
    assert_eq!(at, expected, "{t:?}");
    assert!(t.iter().all(|t| t.1.len() == 1), "{t:?}");
    // `every_second` catches up one run (the default) for its missed ticks:
    // a gap in its ticks across the downtime.
    let every = ticks(&schedule(&c, "every_second"));
    let gaps = every.windows(2).filter(|w| w[1].0 - w[0].0 > 1000).count();
    assert!(gaps >= 1, "{every:?}");
}

#[test]
fn a_bad_expression_is_refused_at_deploy_with_its_position() {
    let c = Cairn::new();
    let path = wasm("schedules_bad");
    let out = c.run(&["deploy", path.to_str().unwrap()]).code(2);
    assert!(
        out.stderr.contains(
            "cron expression \"0 9 * * 8\": day-of-week at column 9: 8 is out of range 0-7"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("workflow `nightly`"), "{}", out.stderr);
    // Nothing was deployed.
    let v = c.json(&["versions"]);
    assert_eq!(v["versions"].as_array().unwrap().len(), 0, "{v:#}");
}

/// A Python or JavaScript guest's `yearly` workflow (`cron("0 0 1 1 *")`
/// in Paris, `catch_up` skip) is listed with its next fire times: the
/// other SDKs put a schedule in the manifest extension as the Rust one does.
pub fn assert_yearly_listed(c: &Cairn) {
    let s = schedule(c, "yearly");
    assert_eq!(
        (&s["cron"], &s["tz"], &s["catch_up"], &s["overlap"]),
        (
            &json!("0 0 1 1 *"),
            &json!("Europe/Paris"),
            &json!("skip"),
            &json!("skip")
        ),
        "{s:#}"
    );
    const DAY: i64 = 86_400_000;
    let next: Vec<i64> = s["next"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    assert_eq!(next.len(), 5, "{s:#}");
    assert!(next[0] > now_ms());
    for pair in next.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap == 365 * DAY || gap == 366 * DAY,
            "a year apart: {next:?}"
        );
    }
    // Midnight in Paris in January (+01:00) is 23:00 UTC.
    assert_eq!(next[0].rem_euclid(DAY), 23 * 3_600_000, "{next:?}");
}
