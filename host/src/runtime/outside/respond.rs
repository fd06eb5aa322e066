//! Answering a waiting run's prompt and signalling a run, from outside
//! the run: what `cairn respond`, `cairn signal` and the HTTP API share.
//!
//! Neither runs the run: an accepted answer or a signal makes it due, and
//! a worker resumes it. Both write through `WriteOp::Answer` /
//! `WriteOp::Signal`, which check the run's status in the same transaction
//! as the write, so of two answers racing for one prompt exactly one wins.

use serde::Serialize;
use serde_json::{Value, json};

use crate::journal::{
    AnswerRecord, EntryKind, EventKind, JournalEntry, NewEvent, NewSignal, PendingPrompt, Refusal,
    RunRecord, RunStatus, Storage, StoreError, UnixMs, WriteOp, WriteOutcome,
};

use super::human::{check_answer, parse_plain};

/// How an answer was given.
#[derive(Debug, Clone)]
pub enum AnswerInput {
    /// As typed on a command line: an option id or label, a number, text.
    Text(String),
    /// As JSON.
    Json(Value),
}

/// Why an answer or a signal was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    #[error("no run with id `{0}`")]
    UnknownRun(String),
    /// The answer (or signal) does not fit: the message says what would.
    #[error("{0}")]
    Refused(String),
    /// The run is not waiting for an answer (it ended, is running, timed
    /// out, or waits for a signal): the message says what it is doing.
    #[error("{0}")]
    NotWaiting(String),
    /// Someone else's answer won.
    #[error("{0}")]
    AlreadyAnswered(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An accepted answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answered {
    pub run_id: String,
    pub value: Value,
    pub by: String,
    pub at: UnixMs,
}

/// Records `input` as the answer to `run_id`'s pending prompt; durable
/// when this returns.
pub async fn respond(
    store: &dyn Storage,
    run_id: &str,
    input: AnswerInput,
    by: &str,
) -> Result<Answered, RespondError> {
    let refused = |m: String| RespondError::Refused(m);
    let not_waiting = |m: String| RespondError::NotWaiting(m);
    let Some(run) = store.run(run_id).await? else {
        return Err(RespondError::UnknownRun(run_id.to_string()));
    };
    let id = &run.id;
    let p = waiting_prompt(store, &run).await?;
    let value = match input {
        AnswerInput::Json(v) => v,
        AnswerInput::Text(text) => parse_plain(&p.prompt, &text)
            .map_err(|m| refused(format!("answer refused: {m}; the prompt stays pending")))?,
    };
    let value = check_answer(&p.prompt, value)
        .map_err(|m| refused(format!("answer refused: {m}; the prompt stays pending")))?;
    let now = crate::clock::now_ms();
    let record = AnswerRecord {
        value: value.clone(),
        by: by.to_string(),
        at: now,
        timed_out: false,
    };
    let entry = JournalEntry {
        seq: 0,
        kind: EntryKind::Answer,
        name: p.name.clone(),
        occurrence: p.occurrence,
        input_hash: None,
        ok: true,
        value: Some(serde_json::to_string(&record).expect("answers serialize")),
        created_at: now,
    };
    let events = vec![NewEvent {
        at: now,
        kind: EventKind::Answer,
        data: json!({"by": by, "occurrence": p.occurrence, "value": value}),
    }];
    let outcome = store
        .write(WriteOp::Answer {
            run_id: id.clone(),
            entry,
            events,
        })
        .await?;
    match outcome {
        WriteOutcome::Done => Ok(Answered {
            run_id: id.clone(),
            value,
            by: by.to_string(),
            at: now,
        }),
        WriteOutcome::Refused(Refusal::AlreadyAnswered) => {
            Err(RespondError::AlreadyAnswered(format!(
                "run {id}'s prompt was already answered by someone else; this answer was not \
                 recorded"
            )))
        }
        WriteOutcome::Refused(r) => Err(not_waiting(refusal(id, &r))),
        other => Err(StoreError::Corrupt(format!("answering answered {other:?}")).into()),
    }
}

/// The prompt `run` waits on now, if it waits on one that may still be
/// answered.
async fn waiting_prompt(
    store: &dyn Storage,
    run: &RunRecord,
) -> Result<PendingPrompt, RespondError> {
    let not_waiting = |m: String| RespondError::NotWaiting(m);
    let id = &run.id;
    if run.status.is_terminal() {
        return Err(not_waiting(format!(
            "run {id} has ended ({}); it is not waiting for an answer",
            run.status
        )));
    }
    let mut pending = store.pending_prompts(Some(id)).await?;
    let Some(p) = pending.pop() else {
        if let Some(answer) = last_answer(&store.journal(id).await?) {
            return Err(RespondError::AlreadyAnswered(format!(
                "run {id}'s prompt was already answered ({answer}); this answer was not recorded"
            )));
        }
        return Err(not_waiting(match run.status {
            RunStatus::Waiting => format!(
                "run {id} is waiting, but not for a person: it waits for a signal \
                 (`cairn signal {id} NAME`)"
            ),
            s => format!("run {id} is {s}, not waiting for an answer"),
        }));
    };
    if run.status != RunStatus::Waiting {
        return Err(not_waiting(format!(
            "run {id} is {}, not waiting for an answer: a worker is resuming it (its prompt \
             may have timed out); look again at the pending prompts",
            run.status
        )));
    }
    if let Some(deadline) = p.prompt.deadline
        && deadline <= crate::clock::now_ms()
    {
        return Err(not_waiting(format!(
            "run {id}'s prompt timed out; the run takes its timeout when a worker resumes it"
        )));
    }
    Ok(p)
}

/// Who answered the run's last prompt and when, if it was answered and
/// nothing was asked since.
fn last_answer(journal: &[JournalEntry]) -> Option<String> {
    let prompt = journal.iter().rev().find(|e| e.kind == EntryKind::Prompt)?;
    let answer = journal.iter().find(|e| {
        e.kind == EntryKind::Answer && e.name == prompt.name && e.occurrence == prompt.occurrence
    })?;
    let record: AnswerRecord = serde_json::from_str(answer.value.as_deref()?).ok()?;
    Some(format!("{} by {}", record.value, record.by))
}

fn refusal(id: &str, r: &Refusal) -> String {
    match r {
        Refusal::AlreadyAnswered => format!(
            "run {id}'s prompt was already answered by someone else; this answer was not recorded"
        ),
        Refusal::NotWaiting(s) => format!(
            "run {id} is {s}, not waiting for an answer (it was answered or resumed meanwhile); \
             this answer was not recorded"
        ),
        Refusal::NoPrompt => format!("run {id} has no such prompt"),
        Refusal::Finished(s) => format!("run {id} has ended ({s})"),
    }
}

/// Sends the signal `name` with `payload` to `run_id`; buffered until the
/// run waits for it. Returns the run's status at that moment.
pub async fn signal(
    store: &dyn Storage,
    run_id: &str,
    name: &str,
    payload: &Value,
    by: &str,
) -> Result<RunStatus, RespondError> {
    if name.trim().is_empty() {
        return Err(RespondError::Refused("the signal name is empty".into()));
    }
    if store.run(run_id).await?.is_none() {
        return Err(RespondError::UnknownRun(run_id.to_string()));
    }
    let outcome = store
        .write(WriteOp::Signal(NewSignal {
            run_id: run_id.to_string(),
            name: name.to_string(),
            payload: payload.to_string(),
            sent_at: crate::clock::now_ms(),
            sent_by: Some(by.to_string()),
        }))
        .await?;
    match outcome {
        WriteOutcome::Signalled { status } => Ok(status),
        WriteOutcome::Refused(Refusal::Finished(s)) => Err(RespondError::NotWaiting(format!(
            "run {run_id} already ended ({s}); the signal `{name}` was not delivered"
        ))),
        other => Err(StoreError::Corrupt(format!("signalling answered {other:?}")).into()),
    }
}
