//! Waiting for a person: the `approval` example's two paths, every answer
//! `cairn respond` refuses, racing answers, an answer given while no
//! process runs the run, and prompt timeouts.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Cairn, entries, kill9, step_names};

/// Starts `workflow` on `input` with `cairn run` (no `--wait`) and returns
/// its run id; the run must end up `waiting`.
fn start_waiting(c: &Cairn, workflow: &str, input: &Value) -> String {
    let out = c.json(&["run", workflow, "--input", &input.to_string()]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    out["run_id"].as_str().unwrap().to_string()
}

/// The one pending prompt of `run`, from `cairn prompts --json`.
fn pending(c: &Cairn, run: &str) -> Value {
    let all = c.json(&["prompts"]);
    let mine: Vec<&Value> = all["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["run_id"] == run)
        .collect();
    assert_eq!(mine.len(), 1, "{all:#}");
    mine[0].clone()
}

#[test]
fn approval_approved_is_fulfilled() {
    let c = Cairn::new();
    c.deploy("approval", &[]);
    let run = start_waiting(
        &c,
        "approval",
        &json!({"order_id": "A-1", "amount": 42.5, "customer": "ana"}),
    );
    let p = pending(&c, &run);
    assert_eq!(p["workflow"], "approval");
    assert_eq!(p["input_type"], "approval");
    assert_eq!(p["question"], "Approve Order A-1: 42.50 for ana?");
    assert_eq!(
        p["options"],
        json!([{"id": "approve", "label": "Approve"}, {"id": "reject", "label": "Reject"}])
    );
    assert_eq!(p["context"]["customer"], "ana");
    assert!(p["deadline"].is_null());
    assert!(p["age_ms"].as_i64().unwrap() >= 0);
    // The human listing shows the same.
    let text = c.run(&["prompts"]).code(0).stdout;
    assert!(
        text.contains("Approve Order A-1") && text.contains("`approve`"),
        "{text}"
    );

    let show = c.show(&run);
    assert_eq!(show["status"], "waiting");
    assert!(
        show["owner"].is_null(),
        "a waiting run is unloaded: {show:#}"
    );
    assert!(
        show["wake_at"].is_null(),
        "no deadline, never polled: {show:#}"
    );

    let out = c.json(&["respond", &run, "approve", "--by", "ana"]);
    assert_eq!(out["value"], "approve");
    assert_eq!(out["by"], "ana");
    // Durable before the command returned: the journal has it now.
    let show = c.show(&run);
    let answers = entries(&show, "answer");
    assert_eq!(answers.len(), 1, "{show:#}");
    assert_eq!(answers[0]["value"]["by"], "ana");
    assert_eq!(answers[0]["value"]["value"], "approve");
    assert!(
        c.json(&["prompts"])["prompts"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let resumed = c.json(&["resume"]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(&run);
    assert_eq!(show["output"]["status"], "fulfilled", "{show:#}");
    assert_eq!(show["output"]["approved_by"], "ana");
    assert_eq!(show["state"]["status"], "fulfilled");
    assert_eq!(show["prompts"][0]["answer"]["by"], "ana");
    assert_eq!(show["prompts"][0]["pending"], false);
    let steps = step_names(&show);
    assert_eq!(steps, ["prepare_summary", "fulfil_order"]);
    let text = c.run(&["runs", "show", &run]).code(0).stdout;
    assert!(text.contains("answered \"approve\" by ana"), "{text}");
}

#[test]
fn approval_rejected_stops_and_run_wait_picks_up_the_answer() {
    let c = Cairn::new();
    c.deploy("approval", &[]);
    let input = json!({"order_id": "B-2", "amount": 10.0}).to_string();
    // `run --wait` stays while the run waits, and resumes it once answered.
    let child = c.spawn(&["run", "approval", "--input", &input, "--wait", "--json"]);
    let run = c.newest_run();
    c.wait_for(&run, 60, |v| v["status"] == "waiting");
    c.run(&["respond", &run, "reject", "--by", "bo"]).code(0);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "completed", "{v:#}");
    assert_eq!(v["output"]["status"], "rejected");
    assert_eq!(v["output"]["by"], "bo");
    assert_eq!(v["output"]["timed_out"], false);
    let show = c.show(&run);
    assert_eq!(
        entries(&show, "step").len(),
        1,
        "nothing was fulfilled: {show:#}"
    );
    assert_eq!(show["state"]["status"], "rejected");
}

/// Answers `run` with `args` and checks it is refused with exit 2 and a
/// message containing each of `expect`, and that the prompt stays pending.
fn check_refused(c: &Cairn, run: &str, args: &[&str], expect: &[&str]) {
    let mut a = vec!["respond", run];
    a.extend_from_slice(args);
    let out = c.run(&a).code(2);
    // With --json the error is JSON on stdout.
    let said = format!("{}{}", out.stderr, out.stdout);
    for e in expect {
        assert!(said.contains(e), "{args:?}: expected {e:?} in {said:?}");
    }
    let show = c.show(run);
    assert_eq!(show["status"], "waiting");
    assert!(entries(&show, "answer").is_empty(), "{show:#}");
    pending(c, run);
}

#[test]
fn answers_that_do_not_fit_are_refused() {
    let c = Cairn::new();
    c.deploy("human", &[]);

    let run = start_waiting(&c, "ask", &json!({"type": "approval"}));
    check_refused(
        &c,
        &run,
        &["maybe"],
        &[
            "`maybe` is not one of the options",
            "`approve` (Approve)",
            "`reject` (Reject)",
        ],
    );
    // JSON that is not an option id.
    check_refused(
        &c,
        &run,
        &["--json-value", "42"],
        &["not one of the options"],
    );

    let run = start_waiting(
        &c,
        "ask",
        &json!({"type": "choice", "options": [["air", "By air"], ["sea", "By sea"]]}),
    );
    check_refused(&c, &run, &["rail"], &["`air` (By air), `sea` (By sea)"]);

    let run = start_waiting(&c, "ask", &json!({"type": "number", "min": 1, "max": 10}));
    check_refused(
        &c,
        &run,
        &["ten"],
        &["`ten` is not a number", "from 1 to 10"],
    );
    check_refused(
        &c,
        &run,
        &["11"],
        &["out of range", "answer a number from 1 to 10"],
    );
    check_refused(&c, &run, &["--", "-3"], &["out of range"]);

    let run = start_waiting(&c, "ask", &json!({"type": "json"}));
    check_refused(&c, &run, &["--json-value", "{oops"], &["not valid JSON"]);
    check_refused(&c, &run, &["{oops"], &["not valid JSON"]);

    let schema = json!({"type": "object", "required": ["street"],
                        "properties": {"street": {"type": "string"}}});
    let run = start_waiting(&c, "ask", &json!({"type": "json", "schema": schema}));
    check_refused(
        &c,
        &run,
        &["--json-value", r#"{"street": 12}"#],
        &["does not match the prompt's JSON Schema", "/street"],
    );
    check_refused(
        &c,
        &run,
        &["--json-value", "{}"],
        &["JSON Schema", "street"],
    );
    // And a fitting answer is then accepted.
    let ok = c.json(&["respond", &run, r#"{"street": "Main St 1"}"#]);
    assert_eq!(ok["value"]["street"], "Main St 1");
    let done = c.json(&["resume", &run]);
    assert_eq!(done["resumed"][0]["status"], "completed", "{done:#}");
    assert_eq!(c.show(&run)["output"]["value"]["street"], "Main St 1");
}

#[test]
fn runs_not_waiting_and_unknown_runs_are_refused() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let out = c.run(&["respond", "no-such-run", "approve"]).code(3);
    assert!(out.stderr.contains("no-such-run"), "{out:?}");

    // A run that waits for a signal, not for a person.
    let run = start_waiting(&c, "await_signal", &json!({"name": "go"}));
    let out = c.run(&["respond", &run, "approve"]).code(2);
    assert!(out.stderr.contains("not for a person"), "{out:?}");

    // A finished run.
    let run = start_waiting(&c, "ask", &json!({"type": "text"}));
    c.run(&["respond", &run, "hello there"]).code(0);
    let out = c.run(&["respond", &run, "again"]).code(2);
    assert!(out.stderr.contains("already answered"), "{out:?}");
    c.json(&["resume", &run]);
    assert_eq!(c.show(&run)["output"]["value"], "hello there");
    let out = c.run(&["respond", &run, "late"]).code(2);
    assert!(out.stderr.contains("has ended (completed)"), "{out:?}");
    let out = c.run(&["respond", &run, "late", "--json"]).code(2).json();
    assert_eq!(out["error"]["code"], "bad-input");
}

#[test]
fn two_racing_answers_one_wins() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    for _ in 0..3 {
        let run = start_waiting(&c, "ask", &json!({"type": "approval"}));
        let a = c.spawn(&["respond", &run, "approve", "--by", "a"]);
        let b = c.spawn(&["respond", &run, "reject", "--by", "b"]);
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let codes = [a.status.code().unwrap(), b.status.code().unwrap()];
        assert!(codes.contains(&0) && codes.contains(&2), "{a:?} {b:?}");
        let loser = if codes[0] == 2 { &a } else { &b };
        let msg = String::from_utf8_lossy(&loser.stderr);
        assert!(msg.contains("already answered"), "{msg}");
        let show = c.show(&run);
        let answers = entries(&show, "answer");
        assert_eq!(answers.len(), 1, "{show:#}");
        let winner = if codes[0] == 0 { "a" } else { "b" };
        assert_eq!(answers[0]["value"]["by"], winner);
    }
}

#[test]
fn an_answer_given_while_no_process_runs_the_run_is_picked_up_by_the_next_worker() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let input = json!({"type": "number", "max": 100}).to_string();
    let mut child = c.spawn(&["run", "ask", "--input", &input, "--wait"]);
    let run = c.newest_run();
    c.wait_for(&run, 60, |v| v["status"] == "waiting");
    kill9(&mut child);
    // Nobody runs the run now; the answer is recorded all the same.
    let out = c.json(&["respond", &run, "42", "--by", "night-shift"]);
    assert_eq!(out["value"], 42);
    let show = c.show(&run);
    assert_eq!(show["status"], "waiting");
    assert!(
        show["wake_at"].as_i64().is_some(),
        "the answer made it due: {show:#}"
    );
    // The next worker resumes it.
    let resumed = c.json(&["resume"]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(&run);
    assert_eq!(show["output"]["value"], 42);
    assert_eq!(show["output"]["by"], "night-shift");
    assert_eq!(entries(&show, "prompt").len(), 1, "asked once: {show:#}");
}

#[test]
fn a_prompt_timeout_returns_the_default() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let input = json!({"type": "approval", "timeout_ms": 1500, "default": "reject"}).to_string();
    let started = Instant::now();
    let out = c.json(&["run", "ask", "--input", &input, "--wait"]);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["value"], "reject");
    assert_eq!(out["output"]["by"], "timeout");
    assert_eq!(out["output"]["timed_out"], true);
    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(show["prompts"][0]["answer"]["timed_out"], true);
    assert!(show["prompts"][0]["deadline"].as_i64().is_some());
}

#[test]
fn a_prompt_timeout_without_default_fails_the_wait() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let input = json!({"type": "text", "timeout_ms": 1200}).to_string();
    let out = c
        .run(&["run", "ask", "--input", &input, "--wait", "--json"])
        .code(1)
        .json();
    assert_eq!(out["status"], "failed", "{out:#}");
    assert_eq!(out["error"]["code"], "timeout");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody answered"),
        "{out:#}"
    );
    // An answer after the deadline finds nothing to answer.
    let run = out["run_id"].as_str().unwrap();
    c.run(&["respond", run, "too late"]).code(2);
}

#[test]
fn malformed_prompts_fail_with_bad_prompt() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let out = c
        .run(&["run", "ask", "--input", r#"{"type": "choice"}"#, "--json"])
        .code(1)
        .json();
    assert_eq!(out["error"]["code"], "bad-prompt", "{out:#}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least one option")
    );
    let input = json!({"type": "number", "max": 5, "timeout_ms": 1000, "default": 9});
    let out = c
        .run(&["run", "ask", "--input", &input.to_string(), "--json"])
        .code(1)
        .json();
    assert_eq!(out["error"]["code"], "bad-prompt", "{out:#}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("default")
    );
}

#[test]
fn an_answer_after_the_deadline_is_refused_and_the_default_wins() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let run = start_waiting(
        &c,
        "ask",
        &json!({"type": "text", "timeout_ms": 800, "default": "nobody said"}),
    );
    let show = c.show(&run);
    assert!(
        show["wake_at"].as_i64().is_some(),
        "due at the deadline: {show:#}"
    );
    std::thread::sleep(Duration::from_millis(900));
    let out = c.run(&["respond", &run, "too late"]).code(2);
    assert!(out.stderr.contains("timed out"), "{out:?}");
    let resumed = c.json(&["resume"]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(&run);
    assert_eq!(show["output"]["value"], "nobody said");
    assert_eq!(show["output"]["timed_out"], true);
    let text = c.run(&["runs", "watch", &run]).code(0).stdout;
    assert!(text.contains("asks a person: Well? [text]"), "{text}");
    assert!(text.contains("the prompt timed out"), "{text}");
}
