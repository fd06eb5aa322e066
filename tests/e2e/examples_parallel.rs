//! The parallel examples: `report` (three fetches at once, then a compile
//! step) and `bulk` (a batch with a concurrency limit, some items failing).

use serde_json::json;

use crate::support::{Cairn, SideEffects, step_names};

#[test]
fn report_fetches_its_three_sources_at_once_then_compiles() {
    let c = Cairn::new();
    c.deploy("report", &[]);
    let out = c.json(&["run", "report"]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let report = &out["output"];
    let sources: Vec<&str> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["sales", "inventory", "support"]);
    assert_eq!(report["summary"][2], "support: open_tickets=17, urgent=2");
    // The simulated fetches take 300, 200 and 100 ms and ran at once: the
    // journal holds them in the order they finished, then the compile step.
    let show = c.show(out["run_id"].as_str().unwrap());
    let steps = step_names(&show);
    assert_eq!(
        steps,
        [
            "fetch_support",
            "fetch_inventory",
            "fetch_sales",
            "compile_report"
        ]
    );
}

#[test]
fn report_fetches_allow_listed_urls_concurrently() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("report", &["--allow-http", &fx.host()]);
    fx.gather(3);
    let input = json!({
        "title": "Q3",
        "sales_url": format!("{}/sales", fx.url()),
        "inventory_url": format!("{}/inventory", fx.url()),
        "support_url": format!("{}/support", fx.url()),
    })
    .to_string();
    let out = c.json(&["run", "report", "--input", &input]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["title"], "Q3");
    assert_eq!(out["output"]["sections"][0]["data"], "ok /sales");
    assert_eq!(fx.max_in_flight(), 3, "the three fetches overlap");
}

#[test]
fn bulk_processes_a_batch_with_a_limit_and_reports_its_failures() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("bulk", &["--allow-http", &fx.host()]);
    // Every request waits until five are in flight: the limit is reached
    // however loaded the machine is, and never passed.
    fx.gather(5);
    let input = json!({"documents": 20, "max_concurrency": 5, "fail_every": 7, "url": fx.url()})
        .to_string();
    let out = c.json(&["run", "bulk", "--input", &input]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let output = &out["output"];
    assert_eq!(output["stats"], json!({"completed": 18, "failed": 2}));
    let failed: Vec<&str> = output["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["document"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["doc-006", "doc-013"]);
    assert_eq!(output["failed"][0]["attempts"], 2);
    assert_eq!(fx.max_in_flight(), 5);
    // Each good document once; each corrupt one once per attempt.
    for i in 0..20 {
        let expected = if i == 6 || i == 13 { 2 } else { 1 };
        assert_eq!(fx.count(&format!("/documents/doc-{i:03}")), expected);
    }
}
