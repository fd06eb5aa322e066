//! Conformance scenarios on writes from outside a run: a person's answer
//! and buffered signals.

use std::sync::Arc;

use super::{T0, append, cancel, create, entry, write};
use crate::journal::{
    EntryKind, JournalEntry, NewEntry, NewSignal, Refusal, RunStatus, StateEffect, Storage,
    StoreError, WriteOp, WriteOutcome,
};

/// A run owned by `w1` whose journal ends with prompt 0, then released as
/// `waiting`.
async fn waiting_on_a_prompt(s: &Arc<dyn Storage>, id: &str) {
    create(s, id, Some("w1")).await;
    let mut prompt = entry(0, EntryKind::Prompt, "prompt", 0);
    prompt.entry.value = Some(r#"{"question":"ok?","input_type":"text"}"#.to_string());
    write(s, append(id, "w1", vec![prompt])).await.unwrap();
    write(s, waiting(id)).await.unwrap();
}

fn waiting(id: &str) -> WriteOp {
    WriteOp::SetStatus {
        run_id: id.to_string(),
        owner: "w1".to_string(),
        status: RunStatus::Waiting,
        output: None,
        error: None,
        wake_at: None,
        release: true,
        events: Vec::new(),
    }
}

fn answer(id: &str, occurrence: u32, by: &str) -> WriteOp {
    WriteOp::Answer {
        run_id: id.to_string(),
        entry: JournalEntry {
            seq: 99,
            kind: EntryKind::Answer,
            name: "prompt".to_string(),
            occurrence,
            input_hash: None,
            ok: true,
            value: Some(format!(r#"{{"value":"yes","by":"{by}","at":{T0}}}"#)),
            created_at: T0 + 10,
        },
        events: Vec::new(),
    }
}

fn signal(id: &str, name: &str, payload: &str, at: i64) -> WriteOp {
    WriteOp::Signal(NewSignal {
        run_id: id.to_string(),
        name: name.to_string(),
        payload: payload.to_string(),
        sent_at: at,
        sent_by: Some("ann".to_string()),
    })
}

/// Two answers to one prompt queued together: one is written (at the
/// run's next seq, making the run due), the other refused.
pub async fn of_two_racing_answers_one_wins(s: Arc<dyn Storage>) {
    waiting_on_a_prompt(&s, "r").await;
    let a = s.write(answer("r", 0, "ann"));
    let b = s.write(answer("r", 0, "bob"));
    let mut outs = vec![a.await.unwrap(), b.await.unwrap()];
    outs.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(
        outs,
        vec![
            WriteOutcome::Done,
            WriteOutcome::Refused(Refusal::AlreadyAnswered)
        ]
    );
    let journal = s.journal("r").await.unwrap();
    assert_eq!(journal.len(), 2);
    assert_eq!((journal[1].kind, journal[1].seq), (EntryKind::Answer, 1));
    let run = s.run("r").await.unwrap().unwrap();
    assert_eq!(
        (run.status, run.wake_at),
        (RunStatus::Waiting, Some(T0 + 10))
    );
}

/// An answer is refused, writing nothing, to a run that someone owns, to
/// a prompt the run never asked, and once the run ended.
pub async fn an_answer_needs_a_waiting_unowned_run_and_its_prompt(s: Arc<dyn Storage>) {
    waiting_on_a_prompt(&s, "r").await;
    let no_prompt = write(&s, answer("r", 1, "ann")).await.unwrap();
    assert_eq!(no_prompt, WriteOutcome::Refused(Refusal::NoPrompt));
    write(&s, super::claim("r", "w2", None)).await.unwrap();
    let owned = write(&s, answer("r", 0, "ann")).await.unwrap();
    assert_eq!(
        owned,
        WriteOutcome::Refused(Refusal::NotWaiting(RunStatus::Running))
    );
    write(&s, cancel("r")).await.unwrap();
    let ended = write(&s, answer("r", 0, "ann")).await.unwrap();
    assert_eq!(
        ended,
        WriteOutcome::Refused(Refusal::Finished(RunStatus::Cancelled))
    );
    assert_eq!(s.journal("r").await.unwrap().len(), 1, "only the prompt");
    let missing = write(&s, answer("nope", 0, "ann")).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

/// Signals are buffered per name and taken oldest first; taking one rides
/// on an append and succeeds once. A signal makes a run that waits for an
/// event due.
pub async fn signals_are_taken_oldest_first_and_once(s: Arc<dyn Storage>) {
    create(&s, "r", Some("w1")).await;
    write(
        &s,
        append("r", "w1", vec![entry(0, EntryKind::Sleep, "event:go", 0)]),
    )
    .await
    .unwrap();
    write(&s, waiting("r")).await.unwrap();
    let out = write(&s, signal("r", "go", "1", T0 + 1)).await.unwrap();
    assert_eq!(
        out,
        WriteOutcome::Signalled {
            status: RunStatus::Waiting
        }
    );
    assert_eq!(
        s.run("r").await.unwrap().unwrap().wake_at,
        Some(T0 + 1),
        "due at once"
    );
    write(&s, signal("r", "go", "2", T0 + 2)).await.unwrap();
    write(&s, signal("r", "other", "3", T0 + 3)).await.unwrap();
    let all = s.signals("r").await.unwrap();
    let payloads: Vec<_> = all.iter().map(|x| x.payload.as_str()).collect();
    assert_eq!(payloads, ["1", "2", "3"]);
    let first = s.next_signal("r", "go").await.unwrap().expect("a signal");
    assert_eq!((first.payload.as_str(), first.consumed_at), ("1", None));
    write(&s, super::claim("r", "w1", None)).await.unwrap();
    let take = |seq: u32, id: i64| NewEntry {
        effect: Some(StateEffect::ConsumeSignal { id }),
        ..entry(seq, EntryKind::Event, "go", seq - 1)
    };
    write(&s, append("r", "w1", vec![take(1, first.id)]))
        .await
        .expect("the first take");
    let next = s
        .next_signal("r", "go")
        .await
        .unwrap()
        .expect("the second signal");
    assert_eq!(next.payload, "2");
    let again = write(&s, append("r", "w1", vec![take(2, first.id)])).await;
    assert!(
        matches!(again, Err(StoreError::LeaseLost { .. })),
        "{again:?}"
    );
    assert_eq!(
        s.journal("r").await.unwrap().len(),
        2,
        "the failed take wrote nothing"
    );
}

/// A signal to a run that ended is refused and not buffered.
pub async fn a_signal_is_refused_once_the_run_ended(s: Arc<dyn Storage>) {
    create(&s, "r", None).await;
    write(&s, cancel("r")).await.unwrap();
    let out = write(&s, signal("r", "go", "1", T0)).await.unwrap();
    assert_eq!(
        out,
        WriteOutcome::Refused(Refusal::Finished(RunStatus::Cancelled))
    );
    assert!(s.signals("r").await.unwrap().is_empty());
    assert!(s.next_signal("r", "go").await.unwrap().is_none());
    let missing = write(&s, signal("nope", "go", "1", T0)).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}
