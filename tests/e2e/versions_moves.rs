//! What the key rule of hot swap moves, one edit per test: each backs a
//! row of the README's table in "Changing a workflow safely". A run parked
//! on v1 meets a deploy of v2; these edits all move it.

use std::time::Duration;

use serde_json::json;

use crate::support::entries;
use crate::versions::{PARK, assert_moved, finish, parked, version_events};

#[test]
fn swapped_steps_the_run_had_both_done_move_it() {
    // `a → b → park` became `b → a → park`: both entries are journaled with
    // the same inputs, so each call gets the result it had.
    let (c, _v1, run) = parked("evolve_swap");
    let v2 = c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    assert_moved(&show, &v2, json!(["b1", "a1"]));
    assert!(crate::support::events(&show, "divergence").is_empty());
    assert_eq!(
        crate::support::step_names(&show),
        ["a", "b"],
        "nothing ran again"
    );
}

#[test]
fn a_new_sleep_of_the_same_duration_takes_the_parked_sleeps_entry() {
    // `a → park → b` became `a → park → n → park → b`: the first sleep of
    // v2 is keyed `sleep #0` with the same duration, so it is the sleep the
    // run is parked in; `n` and the second sleep are new work after it.
    let (c, _v1, run) = parked("evolve_sleep_same");
    let v2 = c.deploy("evolve_v2", &[]);
    std::thread::sleep(Duration::from_millis(PARK * 1000 + 100));
    let out = c.json(&["resume", &run]);
    assert_eq!(
        out["resumed"][0]["status"], "sleeping",
        "the new sleep: {out:#}"
    );
    let show = finish(&c, &run);
    assert_moved(&show, &v2, json!(["a1", "n1", "b1"]));
    let kinds: Vec<&str> = show["journal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["step", "sleep", "moved", "step", "sleep", "step"],
        "{show:#}"
    );
}

#[test]
fn a_change_inside_a_step_body_moves_and_later_calls_run_the_new_body() {
    let (c, _v1, run) = parked("evolve_step_body");
    let v2 = c.deploy("evolve_v2", &[]);
    // The call made on v1 keeps its journaled result; the next runs v2's body.
    assert_moved(&finish(&c, &run), &v2, json!(["d1", "d1-new"]));
}

#[test]
fn a_retry_policy_change_moves_and_later_attempts_follow_the_new_policy() {
    // v1 gives `e` one attempt (its first always fails); v2 gives it two.
    let (c, _v1, run) = parked("evolve_retry");
    let v2 = c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    // The failure journaled on v1 stands; the call after the move is retried.
    assert_moved(&show, &v2, json!(["gave up after 1 attempt(s)", "e1"]));
    assert_eq!(entries(&show, "step-attempt").len(), 1, "{show:#}");
}

#[test]
fn a_new_output_field_with_a_serde_default_moves() {
    let (c, _v1, run) = parked("evolve_default_field");
    let v2 = c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    // The journaled output has no `qty`: it reads as the default.
    assert_moved(&show, &v2, json!(["item1", "b1", "qty0"]));
    assert!(
        version_events(&show)[0]["data"]["moved"] == true,
        "{show:#}"
    );
}
