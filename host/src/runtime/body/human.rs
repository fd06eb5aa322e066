//! `ctx.wait_for_user` and `ctx.wait_for_event`: durable waits for
//! something from outside the run.
//!
//! A prompt is journaled as (`prompt`, "prompt", n) with its deadline; its
//! answer as (`answer`, "prompt", n), written by `cairn respond` (which
//! does not own the run: `WriteOp::Answer`) or, at the deadline, by the
//! activation that owns the run then. A wait for a signal is journaled as
//! (`event`, NAME, n), in the same transaction that marks the buffered
//! signal taken; with a timeout, its deadline is a timer entry
//! (`sleep`, "event:NAME", n) written first. A wait with nothing to
//! return suspends the run as `waiting`: the instance is unloaded and the
//! run resumes by replay when it is answered, signalled, or due.

use crate::error_code::ErrorCode;
use serde_json::{Value, json};

use crate::engine::bindings::context::{Answer, Prompt, WaitError};
use crate::journal::{
    AnswerRecord, EntryKind, ErrorRecord, EventKind, JournalEntry, NewEvent, PromptRecord,
    RunStatus, SleepRecord, StateEffect, record_json,
};

use super::BodyCx;
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::{Key, input_hash};

/// The body asked a person.
pub async fn wait_for_user(
    cx: &mut BodyCx,
    prompt: Prompt,
) -> wasmtime::Result<Result<Answer, WaitError>> {
    let prompt_key = cx.log.next_key(EntryKind::Prompt, "prompt");
    let answer_key = cx.log.next_key(EntryKind::Answer, "prompt");
    // A malformed prompt is the body's own fault and fails the same way on
    // every replay, so it is not journaled.
    let checked = match crate::runtime::outside::human::prompt_record(&prompt, None) {
        Ok(r) => r,
        Err(message) => return Ok(Err(WaitError::BadPrompt(message))),
    };
    let hash = input_hash(&[serde_json::to_string(&checked)
        .expect("prompt records serialize")
        .as_bytes()]);
    let record = match cx.replayed(&prompt_key, Some(&hash))? {
        Some(e) => parse_prompt(&e)?,
        None => record_prompt(cx, &prompt_key, hash, checked, prompt.timeout_ms)?,
    };
    if let Some(e) = cx.replayed(&answer_key, None)? {
        return Ok(decode_answer(&e));
    }
    if let Some(deadline) = record.deadline
        && crate::clock::now_ms() >= deadline
    {
        // The deadline passed with no answer; this activation owns the
        // run, so it journals the outcome itself.
        let entry = record_timeout(cx, &answer_key, record);
        return Ok(decode_answer(&entry));
    }
    suspend(cx, record.deadline, None).await
}

/// Journals the prompt `checked`, its deadline counted from now.
fn record_prompt(
    cx: &mut BodyCx,
    prompt_key: &Key,
    hash: String,
    checked: PromptRecord,
    timeout_ms: Option<u64>,
) -> wasmtime::Result<PromptRecord> {
    // The deadline counts from the prompt entry's own time.
    let now = crate::clock::now_ms();
    let deadline = timeout_ms.map(|t| now.saturating_add(t.min(i64::MAX as u64) as i64));
    let record = PromptRecord {
        deadline,
        ..checked
    };
    let value = serde_json::to_string(&record).expect("prompt records serialize");
    cx.check_size("the prompt", &value)?;
    let ev = event(
        EventKind::Prompt,
        json!({"question": record.question, "input_type": record.input_type,
               "occurrence": prompt_key.occurrence, "deadline": deadline}),
    );
    cx.record_at(
        now,
        prompt_key,
        Some(hash),
        true,
        Some(value),
        None,
        vec![ev],
    );
    Ok(record)
}

/// The prompt's deadline passed with no answer: journals its default, or
/// the timeout error when it has none.
fn record_timeout(cx: &mut BodyCx, answer_key: &Key, record: PromptRecord) -> JournalEntry {
    let now = crate::clock::now_ms();
    match record.default {
        Some(value) => {
            let answer = AnswerRecord {
                value,
                by: "timeout".into(),
                at: now,
                timed_out: true,
            };
            let value = serde_json::to_string(&answer).expect("answers serialize");
            let ev = event(
                EventKind::Answer,
                json!({"by": "timeout", "timed_out": true}),
            );
            cx.record(answer_key, None, true, Some(value), None, vec![ev])
        }
        None => {
            let error = ErrorRecord::new(
                ErrorCode::Timeout,
                format!(
                    "nobody answered the prompt \"{}\" before its deadline",
                    record.question
                ),
            );
            let value = serde_json::to_string(&error).expect("errors serialize");
            let ev = event(
                EventKind::Answer,
                json!({"by": "timeout", "timed_out": true}),
            );
            cx.record(answer_key, None, false, Some(value), None, vec![ev])
        }
    }
}

/// The body waits for a signal.
pub async fn wait_for_event(
    cx: &mut BodyCx,
    name: String,
    timeout_ms: Option<u64>,
) -> wasmtime::Result<Result<String, WaitError>> {
    let key = cx.log.next_key(EntryKind::Event, &name);
    let deadline = match timeout_ms {
        None => None,
        Some(t) => {
            let timer = cx.log.next_key(EntryKind::Sleep, &format!("event:{name}"));
            let hash = input_hash(&[b"event-timeout", &t.to_le_bytes()]);
            match cx.replayed(&timer, Some(&hash))? {
                Some(e) => {
                    let timer: SleepRecord = e.decode(&cx.run.id).map_err(wasmtime::Error::new)?;
                    Some(timer.wake_at)
                }
                None => {
                    let now = crate::clock::now_ms();
                    let at = now.saturating_add(t.min(i64::MAX as u64) as i64);
                    let value = record_json(&SleepRecord { wake_at: at });
                    cx.record_at(now, &timer, Some(hash), true, Some(value), None, Vec::new());
                    Some(at)
                }
            }
        }
    };
    if let Some(e) = cx.replayed(&key, None)? {
        return Ok(decode_event(&e));
    }
    // Signals this activation took earlier must be committed before the
    // next one is read.
    cx.barrier().await?;
    let next = cx
        .rt
        .store
        .next_signal(&cx.run.id, &name)
        .await
        .map_err(|e| Interrupt::from_store(e).trap())?;
    if let Some(signal) = next {
        cx.check_size(&format!("signal `{name}`"), &signal.payload)?;
        let ev = event(
            EventKind::Event,
            json!({"name": name, "signal": signal.id, "sent_by": signal.sent_by}),
        );
        let effect = StateEffect::ConsumeSignal { id: signal.id };
        let entry = cx.record(
            &key,
            None,
            true,
            Some(signal.payload),
            Some(effect),
            vec![ev],
        );
        return Ok(decode_event(&entry));
    }
    if let Some(deadline) = deadline
        && crate::clock::now_ms() >= deadline
    {
        let error = ErrorRecord::new(
            ErrorCode::Timeout,
            format!("no signal `{name}` arrived before the wait's deadline"),
        );
        let value = serde_json::to_string(&error).expect("errors serialize");
        let ev = event(EventKind::Event, json!({"name": name, "timed_out": true}));
        let entry = cx.record(&key, None, false, Some(value), None, vec![ev]);
        return Ok(decode_event(&entry));
    }
    suspend(cx, deadline, Some(name)).await
}

/// Ends the activation: the run waits, unloaded, until `deadline` or
/// until an answer or signal makes it due.
async fn suspend<T>(
    cx: &mut BodyCx,
    deadline: Option<i64>,
    signal: Option<String>,
) -> wasmtime::Result<T> {
    cx.awaited_signal = signal;
    cx.flush_events();
    cx.barrier().await?;
    Err(Interrupt::Suspend {
        status: RunStatus::Waiting,
        wake_at: deadline,
    }
    .trap())
}

fn event(kind: EventKind, data: Value) -> NewEvent {
    NewEvent {
        at: crate::clock::now_ms(),
        kind,
        data,
    }
}

fn parse_prompt(e: &JournalEntry) -> wasmtime::Result<PromptRecord> {
    serde_json::from_str(e.value.as_deref().unwrap_or("null")).map_err(|err| {
        wasmtime::Error::msg(format!("journal entry {} is not a prompt: {err}", e.seq))
    })
}

fn decode_error(e: &JournalEntry) -> WaitError {
    let error: ErrorRecord = e
        .value
        .as_deref()
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_else(|| ErrorRecord::new(ErrorCode::Timeout, "the wait timed out"));
    WaitError::Timeout(error.message)
}

/// A journaled answer as the body receives it.
fn decode_answer(e: &JournalEntry) -> Result<Answer, WaitError> {
    if !e.ok {
        return Err(decode_error(e));
    }
    let a: AnswerRecord = match e.value.as_deref().map(serde_json::from_str) {
        Some(Ok(a)) => a,
        _ => {
            return Err(WaitError::BadPrompt(format!(
                "journal entry {} is not an answer",
                e.seq
            )));
        }
    };
    Ok(Answer {
        value: a.value.to_string(),
        by: a.by,
        at_ms: a.at.max(0) as u64,
        timed_out: a.timed_out,
    })
}

/// A journaled signal wait as the body receives it.
fn decode_event(e: &JournalEntry) -> Result<String, WaitError> {
    if e.ok {
        Ok(e.value.clone().unwrap_or_else(|| "null".into()))
    } else {
        Err(decode_error(e))
    }
}
