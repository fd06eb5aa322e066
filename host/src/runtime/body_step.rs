//! `ctx.step` as the host runs it: replay, attempts, retries with durable
//! backoff timers, and the final outcome journaled exactly once.

use serde_json::json;

use crate::engine::bindings::context::StepFailure;
use crate::engine::bindings::types as wit;
use crate::engine::bindings::types::ErrorInfo;
use crate::journal::{EntryKind, ErrorRecord, JournalEntry, NewEvent};

use super::body::BodyCx;
use super::interrupt::Interrupt;
use super::replay::input_hash;
use super::step::{AttemptResult, AttemptSpec, run_attempt};

/// After this long a running step's start event is written on its own.
const SLOW_STEP: std::time::Duration = std::time::Duration::from_millis(50);

/// The body called `ctx.step(name, input)`.
pub async fn call_step(
    cx: &mut BodyCx,
    name: String,
    input: String,
) -> wasmtime::Result<Result<String, StepFailure>> {
    let key = cx.log.next_key(EntryKind::Step, &name);
    let hash = input_hash(&[input.as_bytes()]);
    if let Some(e) = cx.replayed(&key, Some(&hash))? {
        return Ok(decode(&e));
    }
    let span =
        tracing::info_span!("step", run = %cx.run.id, step = %name, occurrence = key.occurrence);
    let _guard = span.enter();
    let Some(policy) = cx.version.policy(&name) else {
        let error = ErrorRecord::new(
            "unknown-step",
            format!("the component declares no step named `{name}`"),
        );
        return finish_failed(cx, &key, hash, error, 0).await;
    };
    cx.check_size(&format!("input of step `{name}`"), &input)?;
    // Everything the body decided before this step must be durable before
    // the step's side effects happen.
    cx.barrier().await?;

    let prior = cx.log.attempts(&name, key.occurrence);
    let mut attempt = prior.len() as u32 + 1;
    if let Some(retry_at) = prior.last().and_then(retry_at) {
        cx.wait_until(retry_at).await?;
    }
    let workflow = cx.rt.config.workflow(&cx.run.workflow);
    let mut allow_http = cx.version.allow_http.clone();
    allow_http.extend(workflow.allow_http.iter().cloned());
    let env: Vec<(String, String)> = workflow
        .env
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
        .collect();
    let default_timeout = cx.rt.config.limits.step_timeout_secs * 1000;
    let timeout_ms = if policy.timeout_ms > 0 {
        policy.timeout_ms
    } else {
        default_timeout
    };
    let version = cx.version.clone();
    let limits = cx.rt.config.limits;
    let llm = std::sync::Arc::new(super::step_llm::StepLlm {
        providers: cx.rt.llm.clone(),
        store: cx.rt.store.clone(),
        run_id: cx.run.id.clone(),
        step: name.clone(),
    });
    loop {
        let started = crate::clock::now_ms();
        let spec = AttemptSpec {
            version: &version,
            step: &name,
            input: &input,
            context: wit::StepContext {
                run_id: cx.run.id.clone(),
                workflow: cx.run.workflow.clone(),
                step: name.clone(),
                occurrence: key.occurrence,
                attempt,
                idempotency_key: format!("{}/{}/{}", cx.run.id, name, key.occurrence),
            },
            timeout: std::time::Duration::from_millis(timeout_ms),
            env: &env,
            allow_http: allow_http.clone(),
            limits: &limits,
            llm: Some(llm.clone()),
        };
        let active = cx.active.clone();
        let engine = cx.rt.engine.clone();
        let attempt_fut = run_attempt(&engine, spec);
        tokio::pin!(attempt_fut);
        // A quick step is reported once, when it ends: one event row per
        // step keeps its commit small. A slow one also reports its start,
        // for watchers.
        let mut reported = false;
        let (result, logs) = loop {
            tokio::select! {
                r = &mut attempt_fut => break r,
                _ = active.cancelled() => return Err(Interrupt::Cancelled.trap()),
                _ = tokio::time::sleep(SLOW_STEP), if !reported => {
                    reported = true;
                    let ev = step_event(&name, key.occurrence, attempt, "started", json!({}));
                    cx.event_batch(vec![ev]);
                    cx.flush_events();
                }
            }
        };
        if !logs.is_empty() {
            let now = crate::clock::now_ms();
            cx.event_batch(
                logs.into_iter()
                    .map(|(level, message)| NewEvent {
                        at: now,
                        kind: "log".into(),
                        data: json!({"step": name, "level": level, "message": message}),
                    })
                    .collect(),
            );
        }
        let took = crate::clock::now_ms() - started;
        match result {
            AttemptResult::Ok(output) => {
                if let Err(e) = cx.check_size(&format!("output of step `{name}`"), &output) {
                    let error = ErrorRecord::new("limit", e.to_string());
                    return finish_failed(cx, &key, hash, error, attempt).await;
                }
                let ev = step_event(
                    &name,
                    key.occurrence,
                    attempt,
                    "completed",
                    json!({"ms": took}),
                );
                cx.record(&key, Some(hash), true, Some(output.clone()), None, vec![ev]);
                cx.barrier().await?;
                return Ok(Ok(output));
            }
            AttemptResult::Failed { error, retryable }
                if retryable && attempt < policy.max_attempts =>
            {
                let retry_at = crate::clock::now_ms() + policy.backoff_ms(attempt) as i64;
                tracing::info!(attempt, error = %error.message, "step attempt failed, retrying");
                let value = json!({"attempt": attempt, "error": error, "retry_at": retry_at});
                let ev = step_event(
                    &name,
                    key.occurrence,
                    attempt,
                    "retrying",
                    json!({"error": error, "retry_at": retry_at, "ms": took}),
                );
                cx.record_attempt(&name, key.occurrence, value.to_string(), ev);
                attempt += 1;
                cx.wait_until(retry_at).await?;
            }
            AttemptResult::Failed { error, .. } => {
                return finish_failed(cx, &key, hash, error, attempt).await;
            }
        }
    }
}

async fn finish_failed(
    cx: &mut BodyCx,
    key: &super::replay::Key,
    hash: String,
    error: ErrorRecord,
    attempts: u32,
) -> wasmtime::Result<Result<String, StepFailure>> {
    let value = json!({"error": error, "attempts": attempts}).to_string();
    let ev = step_event(
        &key.name,
        key.occurrence,
        attempts,
        "failed",
        json!({"error": error}),
    );
    let entry = cx.record(key, Some(hash), false, Some(value), None, vec![ev]);
    cx.barrier().await?;
    Ok(decode(&entry))
}

fn step_event(
    step: &str,
    occurrence: u32,
    attempt: u32,
    state: &str,
    mut extra: serde_json::Value,
) -> NewEvent {
    extra["step"] = json!(step);
    extra["occurrence"] = json!(occurrence);
    extra["attempt"] = json!(attempt);
    extra["state"] = json!(state);
    NewEvent {
        at: crate::clock::now_ms(),
        kind: "step".into(),
        data: extra,
    }
}

fn retry_at(e: &JournalEntry) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_str(e.value.as_deref()?).ok()?;
    v["retry_at"].as_i64()
}

/// A journaled step outcome as the body receives it.
fn decode(e: &JournalEntry) -> Result<String, StepFailure> {
    if e.ok {
        return Ok(e.value.clone().unwrap_or_else(|| "null".into()));
    }
    let v: serde_json::Value = e
        .value
        .as_deref()
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default();
    let error: ErrorRecord = serde_json::from_value(v["error"].clone())
        .unwrap_or_else(|_| ErrorRecord::new("error", "the step failed"));
    Err(StepFailure {
        error: ErrorInfo {
            code: error.code,
            message: error.message,
            details: error.details.map(|d| d.to_string()),
        },
        attempts: v["attempts"].as_u64().unwrap_or(0) as u32,
    })
}
