//! A differential scenario: random sequences of `WriteOp`s on a few runs
//! and workers, applied to the store and to a small in-memory model of
//! the rules (idempotent creation, claims on the expected owner, fencing
//! on owner and status, cancel), comparing every outcome and, after each
//! sequence, what the store reads back.
//!
//! The sequences come from a fixed seed, so a failure is reproduced by
//! running the test again; the message names the sequence and the op.

use std::collections::HashMap;
use std::sync::Arc;

use super::{append, cancel, claim, entry, new_run, write};
use crate::journal::{EntryKind, RunStatus, Storage, StoreError, WriteOp, WriteOutcome};

/// Sequences per test and ops per sequence: small, so the test stays
/// quick on any backend.
const SEQUENCES: u64 = 64;
const OPS: usize = 60;

/// A deterministic xorshift generator; the suite needs no dependency for
/// picking among a handful of choices.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[self.below(of.len())]
    }
}

const RUNS: [&str; 3] = ["r0", "r1", "r2"];
const WORKERS: [&str; 2] = ["w0", "w1"];

/// What the model keeps of a run.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    status: RunStatus,
    owner: Option<String>,
    activations: u32,
    entries: u32,
}

/// The rules, as plain data.
#[derive(Default)]
struct Model {
    runs: HashMap<String, Run>,
    keys: HashMap<String, String>,
}

/// An outcome with the details both sides can be compared on.
#[derive(Debug, PartialEq)]
enum Seen {
    Created(String, bool),
    Claimed(Option<(Option<String>, RunStatus, u32)>),
    Cancelled(RunStatus),
    Done,
    NotFound,
    LeaseLost,
    Conflict,
}

fn seen(out: Result<WriteOutcome, StoreError>) -> Seen {
    match out {
        Ok(WriteOutcome::Created { run_id, existing }) => Seen::Created(run_id, existing),
        Ok(WriteOutcome::Claimed(r)) => {
            Seen::Claimed(r.map(|r| (r.owner.clone(), r.status, r.activations)))
        }
        Ok(WriteOutcome::Cancelled { previous }) => Seen::Cancelled(previous),
        Ok(WriteOutcome::Done) => Seen::Done,
        Err(StoreError::NotFound(_)) => Seen::NotFound,
        Err(StoreError::LeaseLost { .. }) => Seen::LeaseLost,
        Err(StoreError::Conflict { .. }) => Seen::Conflict,
        other => panic!("unexpected outcome {other:?}"),
    }
}

/// One random op on the runs of sequence `n`, with what the model says
/// it does.
fn next_op(rng: &mut Rng, model: &mut Model, n: u64) -> (WriteOp, Seen) {
    let id = &format!("{}-{n}", rng.pick(&RUNS));
    let w = rng.pick(&WORKERS);
    match rng.below(6) {
        0 => {
            let key =
                [None, Some(format!("k0-{n}")), Some(format!("k1-{n}"))][rng.below(3)].clone();
            let owner = [None, Some(w)][rng.below(2)];
            let op = WriteOp::CreateRun(new_run(id, owner, key.as_deref()));
            (op, model.create(id, owner, key.as_deref()))
        }
        1 => {
            let expected = [None, Some("w0"), Some("w1")][rng.below(3)];
            (claim(id, w, expected), model.claim(id, w, expected))
        }
        2 => {
            let n = 1 + rng.below(2) as u32;
            let from = model.runs.get(id).map_or(0, |r| r.entries);
            let entries = (from..from + n)
                .map(|s| entry(s, EntryKind::Step, "s", s))
                .collect();
            (append(id, w, entries), model.append(id, w, n))
        }
        3 => {
            let statuses = [
                RunStatus::Sleeping,
                RunStatus::Waiting,
                RunStatus::Completed,
            ];
            let status = statuses[rng.below(3)];
            let release = rng.below(2) == 0;
            let op = WriteOp::SetStatus {
                run_id: id.to_string(),
                owner: w.to_string(),
                status,
                output: None,
                error: None,
                wake_at: None,
                release,
                events: Vec::new(),
            };
            (op, model.set_status(id, w, status, release))
        }
        4 => (cancel(id), model.cancel(id)),
        _ => {
            let op = WriteOp::Release {
                run_id: id.to_string(),
                owner: w.to_string(),
            };
            (op, model.release(id, w))
        }
    }
}

impl Model {
    fn create(&mut self, id: &str, owner: Option<&str>, key: Option<&str>) -> Seen {
        if let Some(existing) = key.and_then(|k| self.keys.get(k)) {
            return Seen::Created(existing.clone(), true);
        }
        if self.runs.contains_key(id) {
            return Seen::Conflict;
        }
        if let Some(k) = key {
            self.keys.insert(k.to_string(), id.to_string());
        }
        let run = Run {
            status: if owner.is_some() {
                RunStatus::Running
            } else {
                RunStatus::Pending
            },
            owner: owner.map(String::from),
            activations: u32::from(owner.is_some()),
            entries: 0,
        };
        self.runs.insert(id.to_string(), run);
        Seen::Created(id.to_string(), false)
    }

    fn claim(&mut self, id: &str, w: &str, expected: Option<&str>) -> Seen {
        let Some(run) = self.runs.get_mut(id) else {
            return Seen::Claimed(None);
        };
        if run.owner.as_deref() != expected || run.status.is_terminal() {
            return Seen::Claimed(None);
        }
        run.owner = Some(w.to_string());
        run.activations += 1;
        if matches!(
            run.status,
            RunStatus::Pending | RunStatus::Sleeping | RunStatus::Waiting
        ) {
            run.status = RunStatus::Running;
        }
        Seen::Claimed(Some((run.owner.clone(), run.status, run.activations)))
    }

    /// The fence every owned write passes: the run exists, `w` owns it,
    /// and it has not ended.
    fn fenced(&mut self, id: &str, w: &str) -> Result<&mut Run, Seen> {
        let run = self.runs.get_mut(id).ok_or(Seen::NotFound)?;
        if run.owner.as_deref() != Some(w) || run.status.is_terminal() {
            return Err(Seen::LeaseLost);
        }
        Ok(run)
    }

    fn append(&mut self, id: &str, w: &str, n: u32) -> Seen {
        match self.fenced(id, w) {
            Ok(run) => {
                run.entries += n;
                Seen::Done
            }
            Err(seen) => seen,
        }
    }

    fn set_status(&mut self, id: &str, w: &str, status: RunStatus, release: bool) -> Seen {
        match self.fenced(id, w) {
            Ok(run) => {
                run.status = status;
                if release {
                    run.owner = None;
                }
                Seen::Done
            }
            Err(seen) => seen,
        }
    }

    fn cancel(&mut self, id: &str) -> Seen {
        let Some(run) = self.runs.get_mut(id) else {
            return Seen::NotFound;
        };
        let previous = run.status;
        if !previous.is_terminal() {
            run.status = RunStatus::Cancelled;
        }
        Seen::Cancelled(previous)
    }

    fn release(&mut self, id: &str, w: &str) -> Seen {
        if let Some(run) = self.runs.get_mut(id)
            && run.owner.as_deref() == Some(w)
        {
            run.owner = None;
        }
        Seen::Done
    }
}

/// What the store reads back of run `id`, in the model's terms.
async fn read_back(s: &Arc<dyn Storage>, id: &str) -> Option<Run> {
    let r = s.run(id).await.expect("read the run")?;
    let entries = s.journal(id).await.expect("read the journal").len() as u32;
    Some(Run {
        status: r.status,
        owner: r.owner,
        activations: r.activations,
        entries,
    })
}

/// Random op sequences give the outcomes and reads the model gives. Each
/// sequence works on runs and keys of its own (the ids carry its number).
pub async fn random_ops_agree_with_the_model(s: Arc<dyn Storage>) {
    for n in 0..SEQUENCES {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (n + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut model = Model::default();
        let mut done = Vec::new();
        for i in 0..OPS {
            let (op, expected) = next_op(&mut rng, &mut model, n);
            let described = format!("{op:?}");
            let got = seen(write(&s, op).await);
            assert_eq!(
                got, expected,
                "sequence {n}, op {i}: {described}; before it: {done:#?}"
            );
            done.push(described);
        }
        for id in RUNS.map(|r| format!("{r}-{n}")) {
            let want = model.runs.get(&id).cloned();
            let got = read_back(&s, &id).await;
            assert_eq!(got, want, "sequence {n}: run {id} after {done:#?}");
        }
    }
}
