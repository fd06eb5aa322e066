//! The replay log: a run's journal, indexed by replay key, consumed as the
//! body re-executes.
//!
//! Every journaled call has a key (kind, name, occurrence of that kind and
//! name in the run). A call whose key is journaled gets the recorded
//! outcome; its input hash is compared with the recorded one. The first
//! call whose key is not journaled is where the run goes live.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::journal::{EntryKind, JournalEntry};

/// A replay key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub kind: EntryKind,
    pub name: String,
    pub occurrence: u32,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}` #{}", self.kind, self.name, self.occurrence)
    }
}

/// Where a replay stopped matching the journal.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Divergence {
    /// The key at issue (what the body asked for, or the first entry it
    /// never asked for).
    #[serde(skip)]
    pub key: Key,
    /// What the journal holds there.
    pub expected: String,
    /// What the code did instead.
    pub found: String,
    /// Both, in a sentence.
    pub message: String,
}

impl Divergence {
    /// The body asked for `key`, which the journal does not hold, while
    /// `first_left` (the earliest entry not asked for) remains.
    pub fn unexpected(key: &Key, first_left: &Key) -> Divergence {
        Divergence {
            key: key.clone(),
            expected: first_left.to_string(),
            found: key.to_string(),
            message: format!(
                "the journal holds {first_left} next, but the code asked for {key}, which \
                 the journal does not hold"
            ),
        }
    }

    /// The body spawned `key`, which the journal does not hold, while
    /// `first_left` and maybe more remain: the history never had that step
    /// there, and a run moved to this code would run it only after all of
    /// its history.
    pub fn unrecorded_spawn(key: &Key, first_left: &Key) -> Divergence {
        Divergence {
            key: key.clone(),
            expected: first_left.to_string(),
            found: key.to_string(),
            message: format!(
                "the code spawns {key}, which the journal does not hold, before {first_left}, \
                 which it does: the run never spawned that step there"
            ),
        }
    }

    /// The body returned while `first_left` was never asked for.
    pub fn ended(first_left: &Key) -> Divergence {
        Divergence {
            key: first_left.clone(),
            expected: first_left.to_string(),
            found: "the end of the workflow".to_string(),
            message: format!(
                "the workflow ended without asking for {first_left}, which the journal holds"
            ),
        }
    }
}

/// The journal of one run, as the body consumes it.
#[derive(Debug, Default)]
pub struct ReplayLog {
    recorded: HashMap<Key, JournalEntry>,
    /// Failed attempts of steps not yet finished, by (step, occurrence).
    attempts: HashMap<(String, u32), Vec<JournalEntry>>,
    counters: HashMap<(EntryKind, String), u32>,
    unconsumed: usize,
    next_seq: u32,
}

/// Hash of the input of a journaled call (hex, 16 bytes).
pub fn input_hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(&h.finalize()[..16])
}

impl ReplayLog {
    /// Indexes `entries` (in seq order).
    pub fn new(entries: Vec<JournalEntry>) -> ReplayLog {
        let mut log = ReplayLog {
            next_seq: entries.last().map(|e| e.seq + 1).unwrap_or(0),
            ..ReplayLog::default()
        };
        for e in entries {
            if e.kind == EntryKind::Moved {
                continue;
            }
            if e.kind == EntryKind::StepAttempt {
                log.attempts
                    .entry((e.name.clone(), e.occurrence))
                    .or_default()
                    .push(e);
                continue;
            }
            let key = Key {
                kind: e.kind,
                name: e.name.clone(),
                occurrence: e.occurrence,
            };
            log.unconsumed += 1;
            log.recorded.insert(key, e);
        }
        log
    }

    /// The key of the next call of `kind` and `name`.
    pub fn next_key(&mut self, kind: EntryKind, name: &str) -> Key {
        let n = self.counters.entry((kind, name.to_string())).or_insert(0);
        let key = Key {
            kind,
            name: name.to_string(),
            occurrence: *n,
        };
        *n += 1;
        key
    }

    /// Takes the recorded entry for `key`, if any.
    pub fn take(&mut self, key: &Key) -> Option<JournalEntry> {
        let e = self.recorded.remove(key)?;
        self.unconsumed -= 1;
        Some(e)
    }

    /// Compares a recorded input hash with the current one.
    pub fn check_input(
        key: &Key,
        recorded: &JournalEntry,
        now: Option<&str>,
    ) -> Option<Divergence> {
        if recorded.input_hash.as_deref() == now {
            return None;
        }
        let was = recorded.input_hash.as_deref().unwrap_or("-");
        let now = now.unwrap_or("-");
        Some(Divergence {
            key: key.clone(),
            expected: format!("{key} with input hash {was}"),
            found: format!("{key} with input hash {now}"),
            message: format!(
                "{key} was called with a different input than the journal recorded \
                 (input hash {now} now, {was} recorded)"
            ),
        })
    }

    /// Journaled entries the body has not asked for yet.
    pub fn remaining(&self) -> usize {
        self.unconsumed
    }

    /// True while journaled entries remain that the body has not asked for.
    pub fn replaying(&self) -> bool {
        self.unconsumed > 0
    }

    /// The earliest journaled key the body has not asked for.
    pub fn first_unconsumed(&self) -> Option<Key> {
        self.recorded.values().min_by_key(|e| e.seq).map(|e| Key {
            kind: e.kind,
            name: e.name.clone(),
            occurrence: e.occurrence,
        })
    }

    /// Failed attempts recorded for a step occurrence.
    pub fn attempts(&self, step: &str, occurrence: u32) -> &[JournalEntry] {
        self.attempts
            .get(&(step.to_string(), occurrence))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The sequence number the next new entry gets.
    pub fn next_seq(&self) -> u32 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u32, kind: EntryKind, name: &str, occ: u32, hash: Option<&str>) -> JournalEntry {
        JournalEntry {
            seq,
            kind,
            name: name.into(),
            occurrence: occ,
            input_hash: hash.map(String::from),
            ok: true,
            value: Some("1".into()),
            created_at: 0,
        }
    }

    #[test]
    fn keys_count_occurrences_per_kind_and_name() {
        let mut log = ReplayLog::new(vec![
            entry(0, EntryKind::Step, "a", 0, Some("h")),
            entry(1, EntryKind::Step, "a", 1, Some("h")),
            entry(2, EntryKind::Now, "now", 0, None),
        ]);
        assert!(log.replaying());
        let k = log.next_key(EntryKind::Step, "a");
        assert_eq!(k.occurrence, 0);
        assert!(log.take(&k).is_some());
        let k = log.next_key(EntryKind::Now, "now");
        assert_eq!(k.occurrence, 0);
        assert!(log.take(&k).is_some());
        assert!(log.replaying());
        let k = log.next_key(EntryKind::Step, "a");
        assert_eq!(k.occurrence, 1);
        assert!(log.take(&k).is_some());
        assert!(!log.replaying());
        assert_eq!(log.next_seq(), 3);
    }

    #[test]
    fn a_changed_input_is_a_divergence() {
        let e = entry(0, EntryKind::Step, "a", 0, Some("old"));
        let key = Key {
            kind: EntryKind::Step,
            name: "a".into(),
            occurrence: 0,
        };
        assert!(ReplayLog::check_input(&key, &e, Some("old")).is_none());
        let d = ReplayLog::check_input(&key, &e, Some("new")).unwrap();
        assert!(d.message.contains("different input"), "{}", d.message);
    }

    #[test]
    fn attempts_are_not_replay_keys() {
        let mut a = entry(0, EntryKind::StepAttempt, "pay", 0, None);
        a.ok = false;
        let log = ReplayLog::new(vec![a]);
        assert!(!log.replaying());
        assert_eq!(log.attempts("pay", 0).len(), 1);
    }
}
