//! Journal entries appended by the run's owner, and the state change each
//! carries, committed with it.

use super::Tx;
use super::claim::fence;
use crate::journal::{NewEntry, NewEvent, StateEffect, StoreError, WriteOutcome};

/// Appends entries and events to a run `owner` holds (fenced).
pub(super) fn append(
    tx: &mut dyn Tx,
    run_id: &str,
    owner: &str,
    entries: &[NewEntry],
    events: &[NewEvent],
) -> Result<WriteOutcome, StoreError> {
    fence(tx, run_id, owner)?;
    for e in entries {
        insert_entry(tx, run_id, e)?;
    }
    tx.insert_events(run_id, events)?;
    Ok(WriteOutcome::Done)
}

/// Inserts an entry and applies its effect. A signal some other
/// activation took already fences the write.
pub(super) fn insert_entry(tx: &mut dyn Tx, run_id: &str, e: &NewEntry) -> Result<(), StoreError> {
    let at = e.entry.created_at;
    tx.insert_entry(run_id, &e.entry)?;
    match &e.effect {
        None => Ok(()),
        Some(StateEffect::Set { key, value }) => tx.put_state(key, value, at),
        Some(StateEffect::Delete { key }) => tx.delete_state(key),
        Some(StateEffect::LlmUsage(u)) => tx.add_llm_usage(run_id, u),
        Some(StateEffect::ConsumeSignal { id }) => {
            if tx.take_signal(run_id, *id, at)? {
                Ok(())
            } else {
                Err(StoreError::LeaseLost {
                    run_id: run_id.to_string(),
                    reason: format!("signal {id} was taken by another activation"),
                })
            }
        }
    }
}
