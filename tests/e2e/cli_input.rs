//! The command line's inputs and outputs (issue 9, items 8, 9 and 12):
//! values from files and standard input, `--json` (machine output) apart
//! from `--json-value` (the value is JSON), shell completions, paging of
//! `cairn runs`, host names for `--listen`, and `--by`'s default.

use std::io::Write;
use std::process::Stdio;

use serde_json::{Value, json};

use crate::support::{Cairn, Out};

/// Runs `cairn args` with `stdin` as its standard input.
fn with_stdin(c: &Cairn, args: &[&str], stdin: &[u8]) -> Out {
    let mut child = c
        .cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    // Written from a thread: a refused input is not read to its end.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&bytes);
    });
    let out = Out::from(child.wait_with_output().unwrap());
    writer.join().unwrap();
    out
}

fn waiting(c: &Cairn, input: &Value) -> String {
    let out = c.json(&["run", "ask", "--input", &input.to_string()]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    out["run_id"].as_str().unwrap().to_string()
}

fn run_count(c: &Cairn) -> usize {
    c.json(&["runs"])["runs"].as_array().unwrap().len()
}

/// A JSON payload of about `mb` MB: `{"email": ..., "padding": "xxx…"}`.
fn big_payload(mb: usize) -> String {
    json!({"email": "ana@example.com", "padding": "x".repeat(mb << 20)}).to_string()
}

#[test]
fn a_50_mb_input_is_given_from_a_file_or_standard_input() {
    let c = Cairn::new().env("CAIRN_LIMITS_MAX_VALUE_BYTES", &(64u64 << 20).to_string());
    c.deploy("triggers", &[]);
    let file = c.dir.path().join("big.json");
    std::fs::write(&file, big_payload(50)).unwrap();
    let at = format!("@{}", file.display());
    let out = c.json(&["run", "welcome", "--input", &at]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["welcomed"], "ana@example.com");

    let out = with_stdin(
        &c,
        &["run", "welcome", "--input", "-", "--json"],
        big_payload(50).as_bytes(),
    )
    .code(0)
    .json();
    assert_eq!(out["output"]["welcomed"], "ana@example.com", "{out:#}");

    let out = with_stdin(
        &c,
        &["emit", "user.signed_up", "-", "--json"],
        br#"{"email": "bo@x"}"#,
    )
    .code(0)
    .json();
    assert_eq!(out["runs"].as_array().unwrap().len(), 2, "{out:#}");
}

#[test]
fn an_input_over_the_value_limit_is_refused_before_a_run_exists() {
    let c = Cairn::new();
    c.deploy("triggers", &[]);
    let file = c.dir.path().join("big.json");
    std::fs::write(&file, big_payload(20)).unwrap();
    let at = format!("@{}", file.display());
    let out = c.run(&["run", "welcome", "--input", &at]).code(2);
    assert!(
        out.stderr.contains("limits.max_value_bytes is 16 MiB")
            && out.stderr.contains("big.json is 20.0 MiB"),
        "{out:?}"
    );
    let out = with_stdin(
        &c,
        &["run", "welcome", "--input", "-"],
        big_payload(20).as_bytes(),
    )
    .code(2);
    assert!(
        out.stderr.contains("standard input is larger than 16 MiB"),
        "{out:?}"
    );
    let out = c
        .run(&["run", "welcome", "--input", "@nowhere.json"])
        .code(2);
    assert!(
        out.stderr
            .contains("cannot read the input from nowhere.json"),
        "{out:?}"
    );
    assert_eq!(run_count(&c), 0);
}

#[test]
fn answers_and_signals_come_from_files_and_standard_input() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let run = waiting(&c, &json!({"type": "text"}));
    std::fs::write(
        c.dir.path().join("answer.txt"),
        "a long answer\nof two lines\n",
    )
    .unwrap();
    let out = c.json(&["respond", &run, "@answer.txt"]);
    assert_eq!(out["value"], "a long answer\nof two lines", "{out:#}");

    let run = waiting(&c, &json!({"type": "text"}));
    let out = with_stdin(&c, &["respond", &run, "-", "--json"], b"approve\n")
        .code(0)
        .json();
    assert_eq!(out["value"], "approve", "{out:#}");
    // `@@` is a literal `@`.
    let run = waiting(&c, &json!({"type": "text"}));
    assert_eq!(c.json(&["respond", &run, "@@ana"])["value"], "@ana");

    let out = c.json(&["run", "await_signal", "--input", r#"{"name": "go"}"#]);
    let run = out["run_id"].as_str().unwrap();
    let sent = with_stdin(
        &c,
        &["signal", run, "go", "-", "--json-value", "--json"],
        br#"{"paid": true}"#,
    )
    .code(0)
    .json();
    assert_eq!(sent["payload"], json!({"paid": true}), "{sent:#}");
}

#[test]
fn json_is_the_output_and_json_value_says_the_value_is_json() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let run = waiting(&c, &json!({"type": "approval"}));
    // The reported case: `approve` is not JSON.
    let out = c.run(&["respond", &run, "--json-value", "approve"]).code(2);
    assert!(
        out.stderr.contains("the answer is not valid JSON") && out.stderr.contains("--json-value"),
        "{out:?}"
    );
    assert_eq!(
        c.show(&run)["status"],
        "waiting",
        "the prompt stays pending"
    );
    // `--json` only shapes the output.
    let out = c.json(&["respond", &run, "approve"]);
    assert_eq!(out["value"], "approve", "{out:#}");
    assert_eq!(out["answered"], true);

    let run = waiting(&c, &json!({"type": "approval"}));
    let out = c.json(&["respond", &run, "--json-value", r#""reject""#]);
    assert_eq!(out["value"], "reject", "{out:#}");

    let out = c.json(&["run", "await_signal", "--input", r#"{"name": "go"}"#]);
    let run = out["run_id"].as_str().unwrap().to_string();
    let out = c
        .run(&["signal", &run, "go", "not json", "--json-value"])
        .code(2);
    assert!(out.stderr.contains("not valid JSON"), "{out:?}");
    // Without it, text that is not JSON is sent as a string.
    let sent = c.json(&["signal", &run, "go", "not json"]);
    assert_eq!(sent["payload"], "not json");
}

#[test]
fn completions_are_printed_for_each_shell_even_with_a_broken_config() {
    let c = Cairn::new();
    std::fs::write(c.dir.path().join("cairn.toml"), "limits = 1\n").unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cairn"),
        ("fish", "complete -c cairn"),
    ] {
        let out = c.run(&["completions", shell]).code(0);
        assert!(out.stdout.contains(marker), "{shell}: {out:?}");
        assert!(out.stdout.contains("respond"), "{shell}: {out:?}");
    }
    let out = c.run(&["completions", "tcsh"]).code(2);
    assert!(out.stderr.contains("bash"), "{out:?}");
}

#[test]
fn runs_says_when_it_stopped_at_its_limit_and_how_to_page() {
    let c = Cairn::new();
    c.deploy("triggers", &[]);
    let mut ids = Vec::new();
    for i in 0..3 {
        let out = c.json(&[
            "run",
            "welcome",
            "--input",
            &json!({"email": i}).to_string(),
        ]);
        ids.push(out["run_id"].as_str().unwrap().to_string());
    }
    let text = c.run(&["runs", "--limit", "2"]).code(0).stdout;
    assert!(text.contains("stopped at the limit of 2 runs"), "{text}");
    let page = c.json(&["runs", "--limit", "2"]);
    assert_eq!(page["runs"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    assert!(
        text.contains(&format!("cairn runs --limit 2 --cursor {cursor}")),
        "{text}"
    );
    let next = c.json(&["runs", "--limit", "2", "--cursor", &cursor]);
    assert_eq!(
        next["runs"][0]["run_id"],
        ids[0].as_str(),
        "the oldest: {next:#}"
    );
    assert_eq!(next["next_cursor"], Value::Null);
    let text = c.run(&["runs"]).code(0).stdout;
    assert!(!text.contains("stopped at the limit"), "{text}");
    let out = c.run(&["runs", "--cursor", "yesterday"]).code(2);
    assert!(out.stderr.contains("not a cursor"), "{out:?}");
}

#[test]
fn serve_listens_on_a_host_name_and_a_loopback_name_needs_no_token() {
    let c = Cairn::new();
    let mut child = c.spawn(&["serve", "--listen", "localhost:0", "--json"]);
    let base = crate::support::listening(&mut child);
    crate::support::kill9(&mut child);
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let out = c
        .run(&["serve", "--listen", "no-such-host.invalid:7372"])
        .code(2);
    assert!(
        out.stderr.contains("not an address to listen on"),
        "{out:?}"
    );
}

#[test]
fn by_defaults_to_the_user_database_name_when_user_is_unset() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let run = waiting(&c, &json!({"type": "text"}));
    let out = c
        .cmd(&["respond", &run, "hi", "--json"])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .output()
        .unwrap();
    let out = Out::from(out).code(0).json();
    let id = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let name = String::from_utf8_lossy(&id.stdout).trim().to_string();
    let expected = if id.status.success() && !name.is_empty() {
        name
    } else {
        String::new()
    };
    let by = out["by"].as_str().unwrap();
    assert_ne!(by, "unknown", "{out:#}");
    if expected.is_empty() {
        assert!(by.starts_with("uid:"), "{out:#}");
    } else {
        assert_eq!(by, expected, "{out:#}");
    }
}
