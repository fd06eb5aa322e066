//! Waiting on spawned steps from the body: in memory while they run, and
//! at the end of an activation (wait, abort or cancel them).

use std::sync::atomic::Ordering;

use serde_json::json;

use crate::journal::NewEvent;
use crate::runtime::body::BodyCx;
use crate::runtime::body::step::step_event;
use crate::runtime::run::interrupt::Interrupt;

use super::State;

/// Part of every wait of the body: while spawned steps run, waits in memory
/// until `at` (Unix ms) or until they have all finished.
pub async fn wait_in_memory_while_spawned(cx: &mut BodyCx, at: i64) -> wasmtime::Result<()> {
    if !cx.spawned.busy() {
        return Ok(());
    }
    cx.flush_events();
    cx.barrier().await?;
    let active = cx.active.clone();
    let due = std::time::Duration::from_millis((at - crate::clock::now_ms()).max(0) as u64);
    // Elapsed at `due` with steps still running is an end of this wait too.
    let _ = active
        .unless_stopped(tokio::time::timeout(due, cx.spawned.all_finished()))
        .await
        .map_err(Interrupt::trap)?;
    Ok(())
}

/// At the end of an activation: waits for the spawned steps still running
/// (or aborts them, with `abandon` or once the run is cancelled). Returns
/// the interrupt a step's task ended with, if one did (its journal write
/// was fenced: another worker owns the run).
pub async fn settle(cx: &mut BodyCx, abandon: bool) -> Result<(), Interrupt> {
    if cx.active.is_cancelled() {
        cancel_all(cx).await;
        return Err(Interrupt::Cancelled);
    }
    if abandon {
        abort_all(cx).await;
        return Ok(());
    }
    let active = cx.active.clone();
    if let Err(i) = active.unless_stopped(cx.spawned.all_finished()).await {
        if i == Interrupt::Cancelled {
            cancel_all(cx).await;
        } else {
            abort_all(cx).await;
        }
        return Err(i);
    }
    for s in &cx.spawned.spawns {
        if let State::Lost { error: Some(e), .. } = &s.state {
            if let Some(i) = e.downcast_ref::<Interrupt>() {
                return Err(i.clone());
            }
            tracing::warn!(step = %s.step, error = %e, "a spawned step nobody joined failed in the host");
        }
    }
    Ok(())
}

/// Aborts the spawned steps still running and waits for their tasks.
async fn abort_all(cx: &mut BodyCx) {
    cx.spawned.tasks.abort_all();
    cx.spawned.all_finished().await;
}

/// The run was cancelled: aborts the spawned steps still running and
/// records a `cancelled` event for each (events are not fenced, so they are
/// written although the run has ended). They are never retried: the run
/// never runs again.
async fn cancel_all(cx: &mut BodyCx) {
    abort_all(cx).await;
    let events: Vec<NewEvent> = cx
        .spawned
        .spawns
        .iter()
        .filter(|s| match &s.state {
            State::Done(_) => false,
            State::Running => true,
            State::Lost { cancelled, .. } => *cancelled,
        })
        .map(|s| {
            step_event(
                &s.step,
                s.occurrence,
                s.attempts.load(Ordering::Relaxed),
                "cancelled",
                json!({"spawned": true}),
            )
        })
        .collect();
    if !events.is_empty()
        && let Err(e) = cx.journal.events(events).await
    {
        tracing::warn!(error = %e, "recording cancelled steps failed");
    }
}
