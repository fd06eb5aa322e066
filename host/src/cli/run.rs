//! `cairn run`, `cancel`, `resume` and `serve`.

use cairn::error_code::ErrorCode;
use clap::Args;
use serde_json::json;

use cairn::runtime::{ClaimError, Outcome, StartError};

use std::io::IsTerminal;

use super::format::{json_value, print_json, relative, time};
use super::input::{parse_json, read_value};
use super::progress::Progress;
use super::{Env, Exit, ExitKind};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The workflow to run.
    workflow: String,
    /// The input, as JSON (default `null`); `@FILE` reads it from a file,
    /// `-` from standard input.
    #[arg(long, default_value = "null", allow_hyphen_values = true)]
    input: String,
    /// Session id: runs with the same session share session state.
    #[arg(long)]
    session: Option<String>,
    /// Stay until the run completes, sleeping through its timers.
    #[arg(long)]
    wait: bool,
}

pub async fn run(env: &Env, a: RunArgs) -> Result<ExitKind, Exit> {
    let input = read_value(&a.input, "the input", env.config.limits.max_value_bytes)?;
    let rt = env.runtime().await?;
    let run = match rt.create_run(&a.workflow, &input, a.session).await {
        Ok(r) => r,
        Err(e) => {
            rt.stop().await;
            return Err(start_exit(e));
        }
    };
    // On a terminal, `--wait` says what the run is doing as it goes.
    let progress = (a.wait && !env.json && std::io::stderr().is_terminal())
        .then(|| Progress::start(rt.store.clone(), &run.id, &run.workflow));
    let outcome = if a.wait {
        tokio::select! {
            outcome = rt.drive(run.clone(), true) => outcome,
            _ = tokio::signal::ctrl_c() => {
                if let Some(p) = progress {
                    p.finish(&*rt.store, &run.id).await;
                }
                // Leaving releases the run at once: any worker takes it
                // from its journal, where it stopped.
                rt.stop().await;
                let id = &run.id;
                eprintln!(
                    "stopped following run {id}; the run goes on: `cairn serve` (or `cairn \
                     resume {id}`) runs it from where it is, `cairn runs watch {id}` follows it, \
                     `cairn runs show {id}` shows it"
                );
                return Ok(ExitKind::Interrupted);
            }
        }
    } else {
        rt.drive(run.clone(), false).await
    };
    if let Some(p) = progress {
        p.finish(&*rt.store, &run.id).await;
    }
    rt.stop().await;
    Ok(report(env, &run.id, &run.workflow, &outcome))
}

/// The exit of a refused start.
fn start_exit(e: StartError) -> Exit {
    match e {
        StartError::UnknownWorkflow(_) => Exit::new(ExitKind::NotFound, e.to_string()),
        StartError::BadInput(_) | StartError::Refused(_) => {
            Exit::new(ExitKind::Usage, e.to_string())
        }
        StartError::Store(s) => Exit::from_store(s),
        StartError::Version(v) => Exit::new(ExitKind::Failure, v.to_string()),
    }
}

/// Prints how a run ended and picks the exit code.
pub fn report(env: &Env, run_id: &str, workflow: &str, outcome: &Outcome) -> ExitKind {
    let status = outcome.status();
    if env.json {
        let mut v = json!({"run_id": run_id, "status": status.as_str()});
        match outcome {
            Outcome::Completed { output } => v["output"] = json_value(output),
            Outcome::Failed { error } => v["error"] = json!(error),
            Outcome::Diverged { message } => {
                v["error"] = json!({"code": ErrorCode::Diverged, "message": message})
            }
            Outcome::Suspended { wake_at, .. } => {
                if let Some(w) = wake_at {
                    v["wake_at"] = json!(w);
                }
            }
            Outcome::Lost { reason, problem } => {
                let code = problem.as_ref().map_or("lost", |p| p.kind.code());
                v["error"] = json!({"code": code, "message": reason})
            }
            Outcome::Cancelled => {}
        }
        print_json(&v);
    } else {
        match outcome {
            Outcome::Completed { output } => {
                println!("run {run_id} ({workflow}) completed");
                println!("output: {}", pretty(output));
            }
            Outcome::Failed { error } => {
                println!("run {run_id} ({workflow}) failed");
                println!("error [{}]: {}", error.code, error.message);
            }
            Outcome::Suspended { status, wake_at } => {
                let when = wake_at
                    .map(|w| {
                        format!(
                            " until {} ({})",
                            time(w),
                            relative(w, cairn::clock::now_ms())
                        )
                    })
                    .unwrap_or_default();
                println!("run {run_id} ({workflow}) is {status}{when}");
                if *status == cairn::journal::RunStatus::Waiting {
                    println!(
                        "it waits for a person (`cairn prompts`, `cairn respond {run_id} VALUE`) \
                         or a signal (`cairn signal {run_id} NAME`)"
                    );
                }
                println!(
                    "it resumes under `cairn serve` or `cairn resume`; `cairn runs show {run_id}` shows it"
                );
            }
            Outcome::Cancelled => println!("run {run_id} ({workflow}) was cancelled"),
            Outcome::Diverged { message } => {
                println!("run {run_id} ({workflow}) diverged: {message}")
            }
            Outcome::Lost {
                problem: Some(p), ..
            } => {
                println!("run {run_id} ({workflow}) stopped where its journal ends: {p}");
                println!("once that is fixed, `cairn resume {run_id}` continues it");
            }
            Outcome::Lost { reason, .. } => {
                println!("run {run_id} ({workflow}) was left to another worker: {reason}")
            }
        }
    }
    exit_for(outcome)
}

fn exit_for(outcome: &Outcome) -> ExitKind {
    match outcome {
        Outcome::Completed { .. } | Outcome::Suspended { .. } => ExitKind::Success,
        Outcome::Failed { error } if error.code == ErrorCode::BadInput.as_str() => ExitKind::Usage,
        // The database, not the run, failed: the user's to fix (SPEC §9's 2).
        Outcome::Lost {
            problem: Some(_), ..
        } => ExitKind::Usage,
        _ => ExitKind::Failure,
    }
}

fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

pub async fn cancel(env: &Env, run_id: &str) -> Result<ExitKind, Exit> {
    let store = env.store()?;
    if store.run(run_id).await?.is_none() {
        return Err(unknown_run(run_id));
    }
    let rt = env.runtime().await?;
    let previous = rt.cancel(run_id).await;
    rt.stop().await;
    let previous = previous?;
    if previous.is_terminal() {
        let msg = format!("run {run_id} already ended ({previous}); nothing to cancel");
        return Err(Exit::new(ExitKind::Usage, msg));
    }
    if env.json {
        print_json(&json!({"run_id": run_id, "status": "cancelled", "previous": previous}));
    } else {
        println!("run {run_id} cancelled (it was {previous})");
    }
    Ok(ExitKind::Success)
}

pub fn unknown_run(run_id: &str) -> Exit {
    Exit::new(
        ExitKind::NotFound,
        format!("no run with id `{run_id}` (see `cairn runs`)"),
    )
}

pub async fn resume(env: &Env, run: Option<String>) -> Result<ExitKind, Exit> {
    let rt = env.runtime().await?;
    let result = match run {
        None => rt.resume_due().await.map_err(Exit::from_store),
        Some(id) => resume_one(&rt, &id).await.map(|o| vec![(id, o)]),
    };
    rt.stop().await;
    let results = result?;
    if env.json {
        let list: Vec<_> = results
            .iter()
            .map(|(id, o)| json!({"run_id": id, "status": o.status().as_str(), "outcome": o}))
            .collect();
        print_json(&json!({ "resumed": list }));
    } else if results.is_empty() {
        println!("nothing is due");
    } else {
        for (id, o) in &results {
            println!("{id}: {}", o.status());
        }
    }
    let failed = results
        .iter()
        .any(|(_, o)| !matches!(o, Outcome::Completed { .. } | Outcome::Suspended { .. }));
    Ok(if failed {
        ExitKind::Failure
    } else {
        ExitKind::Success
    })
}

async fn resume_one(
    rt: &std::sync::Arc<cairn::runtime::Runtime>,
    id: &str,
) -> Result<Outcome, Exit> {
    let claimed = rt.claim_named(id).await.map_err(|e| match e {
        ClaimError::Unknown(_) => unknown_run(id),
        ClaimError::Store(s) => Exit::from_store(s),
        other => Exit::new(ExitKind::Usage, other.to_string()),
    })?;
    Ok(rt.activate(claimed).await)
}

pub async fn serve(env: &Env, listen: Option<String>) -> Result<ExitKind, Exit> {
    let mut settings = env.config.server.clone();
    if let Some(l) = listen {
        settings.listen = l;
    }
    // Refuse a bad address or a missing token before anything starts.
    cairn::server::check_listen(&settings)
        .map_err(|e| Exit::new(ExitKind::Usage, e.to_string()))?;
    let rt = env.runtime().await?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let addr = match cairn::server::serve(rt.clone(), settings, stopped(rx.clone())).await {
        Ok(a) => a,
        Err(e) => {
            rt.stop().await;
            return Err(Exit::new(ExitKind::Usage, e.to_string()));
        }
    };
    if env.json {
        print_json(&json!({"listening": addr.to_string(), "worker": rt.worker.id}));
    } else {
        println!(
            "cairn serving {} on http://{addr}/ (worker {}); Ctrl-C stops",
            env.config.db.display(),
            rt.worker.id
        );
    }
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        let _ = tx.send(true);
    });
    rt.serve(stopped(rx)).await;
    rt.stop().await;
    Ok(ExitKind::Success)
}

pub async fn emit(env: &Env, event: &str, data: Option<String>) -> Result<ExitKind, Exit> {
    let limit = env.config.limits.max_value_bytes;
    let payload: serde_json::Value = match data {
        None => serde_json::Value::Null,
        Some(arg) => {
            let text = read_value(&arg, "the payload", limit)?;
            parse_json(
                &text,
                "the payload",
                "it is the input of the runs it starts",
            )?
        }
    };
    let rt = env.runtime().await?;
    let started = rt.emit_event(event, &payload, true).await;
    let ids = match started {
        Ok(ids) => ids,
        Err(e) => {
            rt.stop().await;
            return Err(start_exit(e));
        }
    };
    let mut outcomes = Vec::new();
    for id in &ids {
        if let Some(run) = rt.store.run(id).await? {
            outcomes.push((run.workflow.clone(), rt.drive(run, false).await));
        }
    }
    rt.stop().await;
    if env.json {
        let runs: Vec<_> = ids
            .iter()
            .zip(&outcomes)
            .map(|(id, (w, o))| json!({"run_id": id, "workflow": w, "status": o.status().as_str()}))
            .collect();
        print_json(&json!({ "event": event, "runs": runs }));
    } else if ids.is_empty() {
        println!("no workflow is subscribed to `{event}`");
    } else {
        for (id, (w, o)) in ids.iter().zip(&outcomes) {
            println!("started {w}: run {id} ({})", o.status());
        }
    }
    Ok(ExitKind::Success)
}
