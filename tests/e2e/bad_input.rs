//! Bad input (SPEC §11): a clear message, the exit code of SPEC §9, and
//! nothing lost.

use crate::support::Cairn;

fn deploy_bytes(c: &Cairn, bytes: &[u8]) -> crate::support::Out {
    let path = c.dir.path().join("thing.wasm");
    std::fs::write(&path, bytes).unwrap();
    c.run(&["deploy", path.to_str().unwrap()])
}

#[test]
fn deploy_refuses_what_is_not_a_workflow_component() {
    let c = Cairn::new();
    let out = deploy_bytes(&c, b"hello, I am text").code(2);
    assert!(out.stderr.contains("not a WebAssembly file"), "{out:?}");
    // An empty core module.
    let out = deploy_bytes(&c, b"\0asm\x01\0\0\0").code(2);
    assert!(
        out.stderr
            .contains("core WebAssembly module, not a component"),
        "{out:?}"
    );
    // An empty component: valid, but not of cairn's world.
    let out = deploy_bytes(&c, b"\0asm\x0d\0\x01\0").code(2);
    assert!(
        out.stderr
            .contains("does not implement the cairn:workflow/workflow world"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("describe"),
        "the missing export is named: {out:?}"
    );
    let out = c.run(&["deploy", "missing.wasm"]).code(2);
    assert!(out.stderr.contains("cannot read missing.wasm"), "{out:?}");
    // Nothing was registered.
    assert_eq!(
        c.json(&["versions"])["versions"].as_array().unwrap().len(),
        0
    );
}

#[test]
fn deploying_the_same_bytes_twice_says_so() {
    let c = Cairn::new();
    let v1 = c.json(&["deploy", crate::support::wasm("counter").to_str().unwrap()]);
    assert_eq!(v1["new"], true);
    let v2 = c.json(&["deploy", crate::support::wasm("counter").to_str().unwrap()]);
    assert_eq!(v2["new"], false);
    assert_eq!(v1["version"], v2["version"]);
    let text = c
        .run(&["deploy", crate::support::wasm("counter").to_str().unwrap()])
        .code(0);
    assert!(text.stdout.contains("already deployed"), "{text:?}");
}

#[test]
fn run_refuses_unknown_workflows_and_malformed_input() {
    let c = Cairn::new();
    c.deploy("order", &[]);
    let out = c.run(&["run", "nope"]).code(3);
    assert!(out.stderr.contains("unknown workflow `nope`"), "{out:?}");
    let out = c.run(&["run", "order", "--input", "{oops"]).code(2);
    assert!(out.stderr.contains("not valid JSON"), "{out:?}");
    // JSON that does not fit the workflow's input type is refused too,
    // naming where and what was expected (issue 9, item 10).
    let out = c
        .run(&["run", "order", "--input", r#"{"order_id": 5}"#])
        .code(2);
    assert!(
        out.stderr.contains("does not fit workflow `order`"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("at /order_id: 5 is not of type \"string\""),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("\"amount\" is a required property"),
        "{out:?}"
    );
    let out = c.run(&["run", "order", "--json"]).code(2).json();
    assert_eq!(out["error"]["code"], "bad-input", "{out:#}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("null is not of type \"object\""),
        "no input at all: {out:#}"
    );
    // None of them created a run.
    assert_eq!(c.json(&["runs"])["runs"].as_array().unwrap().len(), 0);
}

#[test]
fn unknown_run_ids_are_not_found() {
    let c = Cairn::new();
    for args in [
        vec!["runs", "show", "no-such-run"],
        vec!["runs", "watch", "no-such-run"],
        vec!["cancel", "no-such-run"],
        vec!["resume", "no-such-run"],
    ] {
        let out = c.run(&args).code(3);
        assert!(
            out.stderr.contains("no run with id `no-such-run`"),
            "{args:?}: {out:?}"
        );
    }
    let out = c.run(&["runs", "show", "no-such-run", "--json"]).code(3);
    assert_eq!(out.json()["error"]["code"], "not-found");
    let out = c.run(&["runs", "--status", "snoozing"]).code(2);
    assert!(out.stderr.contains("unknown status"), "{out:?}");
}

#[test]
fn cancelling_a_finished_run_is_refused() {
    let c = Cairn::new();
    c.deploy("counter", &[]);
    let run = c.json(&["run", "counter", "--session", "x"]);
    let out = c.run(&["cancel", run["run_id"].as_str().unwrap()]).code(2);
    assert!(out.stderr.contains("already ended (completed)"), "{out:?}");
}

#[test]
fn a_database_that_is_not_cairns_is_left_untouched() {
    let c = Cairn::new();
    // Another application's SQLite database.
    let foreign = c.dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch(
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);
                            INSERT INTO invoices (total) VALUES (9.5);",
        )
        .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    let out = c.run_on(&foreign, &["runs"]).code(2);
    assert!(out.stderr.contains("is not a cairn database"), "{out:?}");
    assert!(out.stderr.contains("not cairn's"), "{out:?}");
    assert_eq!(
        std::fs::read(&foreign).unwrap(),
        before,
        "the file was changed"
    );

    // A file that is not SQLite at all.
    let text = c.dir.path().join("notes.db");
    std::fs::write(&text, "shopping list: eggs, milk, flour, sugar, butter").unwrap();
    let before = std::fs::read(&text).unwrap();
    let out = c.run_on(&text, &["runs"]).code(2);
    assert!(out.stderr.contains("not a SQLite database"), "{out:?}");
    assert_eq!(std::fs::read(&text).unwrap(), before);
}
