//! Limits: a guest that loops forever, allocates without bound or returns
//! a 100 MB result is stopped with a message naming the limit, and the host
//! keeps serving other runs.

use std::sync::Arc;

use cairn::config::Config;
use cairn::journal::sqlite::SqliteStore;
use cairn::runtime::{DeployOptions, Outcome, Runtime};

use crate::support::{Cairn, wasm};

async fn runtime(c: &Cairn, tweak: impl FnOnce(&mut Config)) -> Arc<Runtime> {
    let mut config = Config {
        db: c.db.clone(),
        ..Config::default()
    };
    tweak(&mut config);
    let store = SqliteStore::open(&config.db, config.durability).unwrap();
    let rt = Runtime::start(Arc::new(store), config).await.unwrap();
    let bytes = std::fs::read(wasm("limits")).unwrap();
    rt.deploy(bytes, &DeployOptions::default()).await.unwrap();
    rt
}

async fn run(rt: &Arc<Runtime>, workflow: &str) -> Outcome {
    let run = rt.create_run(workflow, "null", None).await.unwrap();
    rt.drive(run, true).await
}

fn failed_naming(o: &Outcome, needle: &str) {
    match o {
        Outcome::Failed { error } => assert!(
            error.message.contains(needle),
            "the error should name {needle}: {error:?}"
        ),
        other => panic!("expected a failure naming {needle}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_guests_are_stopped_and_the_host_keeps_serving() {
    let c = Cairn::new();
    let rt = runtime(&c, |cfg| {
        cfg.limits.body_deadline_secs = 1;
        cfg.limits.memory_mb = 64;
    })
    .await;
    // The allocating guest gets a host of its own with the default body
    // deadline: on a loaded machine filling 64 MiB can take longer than
    // 1 s, and then the deadline, not the memory limit, would stop it.
    let h = Cairn::new();
    let roomy = runtime(&h, |cfg| cfg.limits.memory_mb = 64).await;
    // The runaway runs and well-behaved ones, all at once in each host.
    let (spin, spin_step, ok, hog, ok_beside_hog) = tokio::join!(
        run(&rt, "spin"),
        run(&rt, "spin_step"),
        run(&rt, "ok"),
        run(&roomy, "hog"),
        run(&roomy, "ok"),
    );
    failed_naming(&spin, "limits.body_deadline_secs");
    failed_naming(&hog, "limits.memory_mb");
    failed_naming(&spin_step, "timed out after 1s");
    for ok in [ok, ok_beside_hog] {
        assert_eq!(
            ok,
            Outcome::Completed {
                output: r#"{"ok":true}"#.into()
            }
        );
    }
    // And both still serve afterwards.
    assert!(matches!(run(&rt, "ok").await, Outcome::Completed { .. }));
    assert!(matches!(run(&roomy, "ok").await, Outcome::Completed { .. }));
    rt.stop().await;
    roomy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_larger_than_the_journal_takes_is_refused() {
    let c = Cairn::new();
    // Building a 100 MiB JSON result takes the guest more than the default
    // 256 MiB of memory; give it room, so the journal's limit is what stops it.
    let rt = runtime(&c, |cfg| cfg.limits.memory_mb = 1024).await;
    failed_naming(&run(&rt, "huge").await, "limits.max_value_bytes");
    failed_naming(&run(&rt, "huge_step").await, "limits.max_value_bytes");
    assert!(matches!(run(&rt, "ok").await, Outcome::Completed { .. }));
    rt.stop().await;
}

#[test]
fn a_panic_is_reported_with_its_message() {
    let c = Cairn::new();
    c.deploy("limits", &[]);
    let out = c.run(&["run", "panic", "--json"]).code(1).json();
    assert_eq!(out["error"]["code"], "trap");
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(msg.contains("panicked: boom (test panic)"), "{msg}");
}
