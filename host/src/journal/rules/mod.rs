//! The run lifecycle rules, written once for every backend: fencing on the
//! owner, claim transitions, which answers and signals are accepted,
//! terminal statuses, the events a transition records, and the time they
//! are recorded at (from the op, or the [`Clock`] given).
//!
//! A backend implements [`Tx`] (`tx.rs`) over its transaction and calls
//! [`apply`] once per [`WriteOp`]; the rules decide, the primitives only
//! read and write rows. One file per concern: `claim.rs` (fence, claim,
//! release, workers), `create.rs` (new runs, webhook deliveries),
//! `append.rs` (journal entries and the state they carry), `status.rs`
//! (status changes and cancel), `human.rs` (answers, signals, wake-ups,
//! LLM usage), `versions.rs` (deploys, moves, gc), `retry.rs`.

mod append;
mod claim;
mod create;
mod human;
mod retry;
mod status;
mod tx;
mod versions;

pub use tx::{RunHead, RunPatch, Tx};

use crate::clock::Clock;
use crate::journal::{StoreError, WriteOp, WriteOutcome};

/// Applies one op inside the backend's transaction `tx`; on an error the
/// backend rolls the op back.
pub fn apply(tx: &mut dyn Tx, op: WriteOp, clock: &dyn Clock) -> Result<WriteOutcome, StoreError> {
    match op {
        WriteOp::CreateRun(run) => create::create_run(tx, run),
        WriteOp::Restart {
            run,
            origin,
            entries,
        } => create::restart(tx, *run, origin, &entries),
        WriteOp::Delivery {
            source,
            delivery_id,
            at,
            runs,
        } => create::delivery(tx, (&source, &delivery_id), at, runs),
        WriteOp::Append {
            run_id,
            owner,
            entries,
            events,
        } => append::append(tx, &run_id, &owner, &entries, &events),
        WriteOp::SetStatus {
            run_id,
            owner,
            status,
            output,
            error,
            wake_at,
            release,
            events,
        } => {
            let change = status::StatusChange {
                status,
                output,
                error,
                wake_at,
                release,
            };
            status::set_status(tx, (&run_id, &owner), change, events, clock)
        }
        WriteOp::Cancel { run_id, at } => status::cancel(tx, &run_id, at),
        WriteOp::Claim {
            run_id,
            owner,
            expected_owner,
        } => claim::claim(tx, &run_id, &owner, expected_owner.as_deref(), clock),
        WriteOp::Release { run_id, owner } => claim::release(tx, &run_id, &owner),
        WriteOp::Heartbeat(w) => claim::heartbeat(tx, &w),
        WriteOp::RemoveWorker { id } => claim::remove_worker(tx, &id),
        WriteOp::Events { run_id, events } => {
            tx.insert_events(&run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Retry {
            run_id,
            to,
            forced,
            at,
        } => retry::retry(tx, &run_id, to.as_deref(), forced, at),
        op @ (WriteOp::Deploy { .. }
        | WriteOp::MoveRun { .. }
        | WriteOp::MarkChecked { .. }
        | WriteOp::GcVersions
        | WriteOp::PutCompiled { .. }
        | WriteOp::Answer { .. }
        | WriteOp::Signal(_)
        | WriteOp::Wake { .. }
        | WriteOp::AddLlmUsage { .. }) => apply_outside(tx, op),
    }
}

/// The ops from outside a run's life: versions, answers and signals.
fn apply_outside(tx: &mut dyn Tx, op: WriteOp) -> Result<WriteOutcome, StoreError> {
    match op {
        WriteOp::Deploy {
            version,
            workflows,
            activate,
        } => versions::deploy(tx, &version, &workflows, activate),
        WriteOp::MoveRun {
            run_id,
            owner,
            from,
            to,
            forced,
            at,
        } => versions::move_run(tx, &run_id, &owner, (&from, &to), forced, at),
        WriteOp::MarkChecked {
            run_id,
            version,
            events,
        } => versions::mark_checked(tx, &run_id, &version, &events),
        WriteOp::GcVersions => versions::gc(tx),
        WriteOp::PutCompiled {
            sha,
            engine_hash,
            bytes,
        } => {
            tx.put_compiled(&sha, &engine_hash, &bytes)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Answer {
            run_id,
            entry,
            events,
        } => human::answer(tx, &run_id, entry, &events),
        WriteOp::Signal(signal) => human::signal(tx, signal),
        WriteOp::Wake { run_id, at } => human::wake(tx, &run_id, at),
        WriteOp::AddLlmUsage {
            run_id,
            usage,
            events,
        } => {
            tx.add_llm_usage(&run_id, &usage)?;
            tx.insert_events(&run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
        // Run-life ops are `apply`'s; they never reach here.
        op => unreachable!("apply handles {op:?}"),
    }
}

/// A run the op needs that does not exist.
fn not_found(run_id: &str) -> StoreError {
    StoreError::NotFound(format!("run {run_id}"))
}

/// The run's head, or [`StoreError::NotFound`].
fn head(tx: &mut dyn Tx, run_id: &str) -> Result<RunHead, StoreError> {
    tx.run_head(run_id)?.ok_or_else(|| not_found(run_id))
}
