//! `cairn backup` while `serve` runs: the copy holds every run started
//! before it, and served from the copy (restored by copying it back)
//! every run finishes. And its refusals.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Cairn, SideEffects};

/// Starts a run of `effects` through the API; returns its id.
async fn start(base: &str, input: Value) -> String {
    let body = json!({"workflow": "effects", "input": input});
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/v1/runs"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["run_id"].as_str().expect("a run id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_live_database_loses_no_run() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("effects", &["--allow-http", &fx.host()]);
    let served = c.serve();
    // Runs in every state at the moment of the backup: one held in a
    // step, others sleeping between steps, one done.
    fx.hold("/effect/1", Duration::from_secs(2));
    let url = fx.url();
    let mut runs = vec![start(&served.base, json!({"url": url, "steps": 3})).await];
    for _ in 0..3 {
        let input = json!({"url": url, "steps": 3, "sleep_secs": 2});
        runs.push(start(&served.base, input).await);
    }
    c.wait_for(&runs[0], 60, |v| {
        v["status"] == "running" && fx.in_flight() > 0
    });
    let backup = c.dir.path().join("backup.db");
    let out = c.json(&["backup", backup.to_str().unwrap()]);
    assert_eq!(out["backup"], backup.to_str().unwrap());
    assert_eq!(out["runs"], 4, "{out:#}");
    assert!(out["journal_entries"].as_u64().unwrap() >= 1, "{out:#}");
    drop(served);

    // Restore: copy the backup where a fresh cairn's database goes.
    let restored = Cairn::new();
    std::fs::copy(&backup, &restored.db).unwrap();
    let listed = restored.json(&["runs"]);
    let mut ids: Vec<&str> = listed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut want: Vec<&str> = runs.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(ids, want);
    let _served = restored.serve();
    for id in &runs {
        let done = restored.wait_for(id, 60, |v| v["status"] == "completed");
        let outputs = done["output"]["outputs"].as_array().unwrap();
        assert_eq!(outputs.len(), 3, "{done:#}");
    }
    for i in 0..3 {
        assert!(fx.count(&format!("/effect/{i}")) >= runs.len(), "step {i}");
    }
}

#[test]
fn a_backup_refuses_what_it_should_not_do() {
    let c = Cairn::new();
    let target = c.dir.path().join("copy.db");
    let target_s = target.to_str().unwrap();
    let none = c.run(&["backup", target_s]).code(3);
    assert!(none.stderr.contains("no database at"), "{none:?}");
    assert!(!target.exists());

    c.deploy("effects", &[]);
    let first = c.json(&["backup", target_s]);
    assert_eq!(first["runs"], 0);
    let again = c.run(&["backup", target_s]).code(2);
    assert!(
        again.stderr.contains("exists; pass --force to replace it"),
        "{again:?}"
    );
    c.json(&["backup", target_s, "--force"]);
    let text = c.run(&["backup", target_s, "--force"]).code(0).stdout;
    assert!(
        text.contains("backed up") && text.contains("restore:"),
        "{text}"
    );

    let itself = c
        .run(&["backup", c.db.to_str().unwrap(), "--force"])
        .code(2);
    assert!(
        itself.stderr.contains("is the database itself"),
        "{itself:?}"
    );
    let nowhere = c.dir.path().join("no/such/dir/copy.db");
    let missing = c.run(&["backup", nowhere.to_str().unwrap()]).code(2);
    assert!(
        missing.stderr.contains("cannot write the backup"),
        "{missing:?}"
    );
    let json = c.run(&["backup", target_s, "--json"]).code(2).json();
    assert_eq!(json["error"]["code"], "bad-input");
    let pg = c
        .run_on(
            Path::new("postgres://localhost/cairn"),
            &["backup", target_s],
        )
        .code(2);
    assert!(pg.stderr.contains("pg_dump"), "{pg:?}");
    // Nothing but the copy was left in the directory.
    let stray: Vec<_> = std::fs::read_dir(c.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}
