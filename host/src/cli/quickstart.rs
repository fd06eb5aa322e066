//! `cairn quickstart`: build the `order` example from source, run it on a
//! temporary database, and tell what happened, step by step.

use cairn::journal::EventKind;
use std::path::PathBuf;

use serde_json::json;

use cairn::journal::OpenOptions;
use cairn::runtime::{DeployOptions, Outcome, Runtime};

use super::format::json_brief;
use super::{Env, Exit, ExitKind};

/// Builds `examples/<krate>` for wasm32-wasip2 and returns the component.
pub fn build_example(krate: &str) -> Result<PathBuf, Exit> {
    cairn::guests::build("examples", Some(krate))
        .map_err(|e| Exit::new(ExitKind::Failure, e.to_string()))?;
    Ok(cairn::guests::component(krate))
}

pub async fn quickstart(env: &Env) -> Result<ExitKind, Exit> {
    println!("cairn quickstart");
    println!("================");
    println!(
        "1. Building the `order` example workflow (examples/order) to a WebAssembly component…"
    );
    let wasm = build_example("order")?;
    let bytes = std::fs::read(&wasm).map_err(|e| {
        Exit::new(
            ExitKind::Failure,
            format!("cannot read {}: {e}", wasm.display()),
        )
    })?;
    println!("   built {} ({} KiB)", wasm.display(), bytes.len() / 1024);

    let dir = tempfile::tempdir().map_err(|e| {
        Exit::new(
            ExitKind::Failure,
            format!("cannot make a temporary directory: {e}"),
        )
    })?;
    let mut config = env.config.clone();
    config.db = dir.path().join("quickstart.db");
    let store = cairn::journal::open(&config.db, OpenOptions::new(config.durability))
        .map_err(Exit::from_store)?;
    let rt = Runtime::start(store, config.clone())
        .await
        .map_err(|e| Exit::new(ExitKind::Failure, e.to_string()))?;

    println!();
    println!(
        "2. Deploying it to a fresh journal at {}",
        config.db.display()
    );
    let report = rt
        .deploy(bytes, &DeployOptions::default())
        .await
        .map_err(|e| Exit::new(ExitKind::Failure, e.to_string()))?;
    println!(
        "   version {} exports workflow(s) {} with steps {}",
        &report.version[..12],
        report.workflows.join(", "),
        report.steps.join(", ")
    );

    let input = json!({"order_id": "A-1001", "amount": 42.5}).to_string();
    println!();
    println!("3. Running `order` with input {input}");
    let run = rt
        .create_run("order", &input, None)
        .await
        .map_err(|e| Exit::new(ExitKind::Failure, e.to_string()))?;
    let outcome = rt.drive(run.clone(), true).await;

    println!();
    println!("4. What happened, from the run's events and journal:");
    for e in rt.store.events(&run.id, 0).await? {
        if let Some(line) = narrate(&e) {
            println!("   {line}");
        }
    }
    let journal = rt.store.journal(&run.id).await?;
    println!();
    println!(
        "   The journal holds {} entries; each is what a replay would return",
        journal.len()
    );
    println!("   instead of doing the work again:");
    for e in &journal {
        println!("     {}", super::runs::describe_entry(e));
    }
    let state = rt.store.run_state(&run.id).await?;
    if !state.is_empty() {
        println!("   Run state the workflow saved:");
        for (k, v) in state {
            println!("     {k} = {}", json_brief(&v, 80));
        }
    }
    rt.stop().await;
    println!();
    let code = match &outcome {
        Outcome::Completed { output } => {
            println!(
                "5. The run completed with output {}",
                json_brief(output, 300)
            );
            ExitKind::Success
        }
        other => {
            println!("5. The run ended as {:?}", other);
            ExitKind::Failure
        }
    };
    println!();
    println!("Had the process died half-way, `cairn resume` (or `cairn serve`) would have");
    println!("replayed the journal: completed steps are not run again, and the run carries on.");
    println!("Next: see README.md, \"Writing a workflow\", and try:");
    println!("  cairn deploy {}", wasm.display());
    println!("  cairn run order --input '{input}'");
    println!("  cairn runs show <run-id>");
    println!(
        "  cairn serve                # then open http://127.0.0.1:7370/ to watch runs and answer prompts"
    );
    Ok(code)
}

/// One event, told for a newcomer; `None` for the uninteresting ones.
fn narrate(e: &cairn::journal::RunEvent) -> Option<String> {
    let d = &e.data;
    let step = d["step"].as_str().unwrap_or("?");
    Some(match (e.kind, d["state"].as_str()) {
        (EventKind::Step, Some("started")) if d["attempt"] == 1 => {
            format!("step {step}: started in its own sandboxed instance")
        }
        (EventKind::Step, Some("started")) => {
            format!("step {step}: attempt {} started", d["attempt"])
        }
        (EventKind::Step, Some("completed")) => format!("step {step}: completed, result journaled"),
        (EventKind::Step, Some("retrying")) => format!(
            "step {step}: attempt {} failed ({}); cairn retries it after a backoff",
            d["attempt"],
            d["error"]["message"].as_str().unwrap_or("error")
        ),
        (EventKind::Step, Some("failed")) => format!(
            "step {step}: failed for good ({})",
            d["error"]["message"].as_str().unwrap_or("error")
        ),
        (EventKind::Emit, _) => format!(
            "progress event `{}`: {}",
            d["kind"].as_str().unwrap_or("?"),
            d["data"]
        ),
        (EventKind::Log, _) => format!("log: {}", d["message"].as_str().unwrap_or("")),
        (EventKind::Status, _) => format!("run status → {}", d["status"].as_str().unwrap_or("?")),
        _ => return None,
    })
}
