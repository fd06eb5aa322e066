//! When the work a journal entry records began (`EntryView::started_at`),
//! for the page's timeline.
//!
//! An entry is written when its work ends; where it began is in the run's
//! events, written in the entry's own transaction: a step attempt's event
//! says how long it took (`ms`), or that it started (a slow step), and an
//! LLM call's event how long the call took. A wait for a signal began when
//! the run went `waiting` for it. Nothing here is guessed: an entry whose
//! events do not say is given no start.

use std::collections::HashMap;

use crate::journal::{EntryKind, EventKind, JournalEntry, RunEvent, UnixMs};

/// A step attempt: (step, occurrence, attempt).
type AttemptKey = (String, u32, u32);

/// What the events say of starts.
#[derive(Default)]
struct Starts {
    /// When each step attempt began.
    attempts: HashMap<AttemptKey, UnixMs>,
    /// The attempt that ended each step occurrence (completed or failed).
    last_attempt: HashMap<(String, u32), u32>,
    /// Each body LLM call's start, by model, in call order.
    llm: HashMap<String, Vec<UnixMs>>,
    /// When the run went `waiting`, in order.
    waiting: Vec<UnixMs>,
}

impl Starts {
    fn from_events(events: &[RunEvent]) -> Starts {
        let mut s = Starts::default();
        for e in events {
            match e.kind {
                EventKind::Step => s.step(e),
                EventKind::Llm => {
                    let d = &e.data;
                    // A call made inside a step is not a journal entry.
                    if d.get("step").is_some() {
                        continue;
                    }
                    if let (Some(model), Some(ms)) = (d["model"].as_str(), d["ms"].as_i64()) {
                        s.llm.entry(model.into()).or_default().push(e.at - ms);
                    }
                }
                EventKind::Status if e.data["status"] == "waiting" => s.waiting.push(e.at),
                _ => {}
            }
        }
        s
    }

    fn step(&mut self, e: &RunEvent) {
        let d = &e.data;
        let (Some(step), Some(occ), Some(attempt), Some(state)) = (
            d["step"].as_str(),
            d["occurrence"].as_u64(),
            d["attempt"].as_u64(),
            d["state"].as_str(),
        ) else {
            return;
        };
        let key = (step.to_string(), occ as u32, attempt as u32);
        let start = match (state, d["ms"].as_i64()) {
            ("started", _) => Some(e.at),
            (_, Some(ms)) => Some(e.at - ms),
            _ => None,
        };
        if let Some(start) = start {
            // A slow step reports its start and then its duration: the
            // earlier is the start (they differ by the clock's rounding).
            let slot = self.attempts.entry(key.clone()).or_insert(start);
            *slot = (*slot).min(start);
        }
        if state == "completed" || state == "failed" {
            self.last_attempt.insert((key.0, key.1), key.2);
        }
    }

    fn of(&self, e: &JournalEntry, previous: Option<UnixMs>) -> Option<UnixMs> {
        match e.kind {
            EntryKind::Step => {
                let attempt = self.last_attempt.get(&(e.name.clone(), e.occurrence))?;
                self.attempt(e, *attempt)
            }
            EntryKind::StepAttempt => {
                let v: serde_json::Value = serde_json::from_str(e.value.as_deref()?).ok()?;
                self.attempt(e, v["attempt"].as_u64()? as u32)
            }
            EntryKind::Llm => self.llm.get(&e.name)?.get(e.occurrence as usize).copied(),
            // The last time the run went waiting before the signal came,
            // and after the entry before it (else the wait did not suspend).
            EntryKind::Event => self
                .waiting
                .iter()
                .rev()
                .find(|&&w| w <= e.created_at)
                .copied()
                .filter(|&w| previous.is_none_or(|p| w >= p)),
            _ => None,
        }
    }

    fn attempt(&self, e: &JournalEntry, attempt: u32) -> Option<UnixMs> {
        let key = (e.name.clone(), e.occurrence, attempt);
        self.attempts.get(&key).map(|&s| s.min(e.created_at))
    }
}

/// Whether any entry of `entries` may have a start in the events (so the
/// events need reading at all).
pub fn wanted(entries: &[JournalEntry]) -> bool {
    entries.iter().any(|e| {
        matches!(
            e.kind,
            EntryKind::Step | EntryKind::StepAttempt | EntryKind::Llm | EntryKind::Event
        )
    })
}

/// The start of each entry of `entries` that the run's `events` give, in
/// the same order (`None` where they do not).
pub fn started_at(entries: &[JournalEntry], events: &[RunEvent]) -> Vec<Option<UnixMs>> {
    let starts = Starts::from_events(events);
    let mut previous = None;
    entries
        .iter()
        .map(|e| {
            let s = starts.of(e, previous);
            previous = Some(e.created_at);
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(
        seq: u32,
        kind: EntryKind,
        name: &str,
        occ: u32,
        value: &str,
        at: UnixMs,
    ) -> JournalEntry {
        JournalEntry {
            seq,
            kind,
            name: name.into(),
            occurrence: occ,
            input_hash: None,
            ok: true,
            value: Some(value.into()),
            created_at: at,
        }
    }

    fn event(id: i64, at: UnixMs, kind: EventKind, data: serde_json::Value) -> RunEvent {
        RunEvent {
            id,
            run_id: "r".into(),
            at,
            kind,
            data,
        }
    }

    #[test]
    fn steps_attempts_llm_calls_and_signal_waits_get_their_starts() {
        let step = |at, attempt, state, ms: Option<i64>| {
            let mut d = json!({"step": "s", "occurrence": 0, "attempt": attempt, "state": state});
            if let Some(ms) = ms {
                d["ms"] = json!(ms);
            }
            event(at, at, EventKind::Step, d)
        };
        let events = vec![
            step(110, 1, "retrying", Some(10)),
            step(150, 2, "started", None),
            step(300, 2, "completed", Some(140)),
            event(400, 400, EventKind::Llm, json!({"model": "m", "ms": 50})),
            event(
                401,
                401,
                EventKind::Llm,
                json!({"model": "m", "ms": 5, "step": "s"}),
            ),
            event(500, 500, EventKind::Status, json!({"status": "waiting"})),
        ];
        let entries = vec![
            entry(0, EntryKind::StepAttempt, "s", 0, r#"{"attempt":1}"#, 110),
            entry(1, EntryKind::Step, "s", 0, "1", 300),
            entry(2, EntryKind::Llm, "m", 0, "{}", 400),
            entry(3, EntryKind::Now, "now", 0, "1", 450),
            entry(4, EntryKind::Event, "go", 0, "null", 900),
            entry(5, EntryKind::Event, "go", 1, "null", 950),
        ];
        let got = started_at(&entries, &events);
        assert_eq!(
            got,
            vec![Some(100), Some(150), Some(350), None, Some(500), None]
        );
    }

    #[test]
    fn a_step_without_a_duration_or_a_start_gets_none() {
        let events = vec![event(
            9,
            200,
            EventKind::Step,
            json!({"step": "s", "occurrence": 0, "attempt": 1, "state": "failed"}),
        )];
        let entries = vec![entry(0, EntryKind::Step, "s", 0, "{}", 200)];
        assert_eq!(started_at(&entries, &events), vec![None]);
    }
}
