//! [`BodyCx`], what the body's host calls work with: the run, its replay
//! log and logical clock, and the journal plumbing every call shares —
//! replay lookups and divergence, journal appends, the barrier before side
//! effects, and the events that ride along.

use std::sync::Arc;

use serde_json::json;

use crate::engine::limits::LimitExceeded;
use crate::engine::sandbox::LogicalClock;
use crate::journal::{
    EntryKind, EventKind, JournalEntry, NewEvent, PendingWrite, RunRecord, StateEffect, WriteOp,
};
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::{Divergence, Key, ReplayLog};
use crate::runtime::versions::LoadedVersion;
use crate::runtime::{ActiveRun, Runtime};

use super::appender::Appender;
use super::spawn::{DrySpawns, Spawned};
use super::step::StepSandbox;

/// How the SDK prefixes the error line it logs when a value the host handed
/// the body (a step's output, a state value, a signal's payload, an answer)
/// does not decode into the type the code asks for.
pub const UNREADABLE: &str = "unreadable: ";

/// What the body's host calls work with.
pub struct BodyCx {
    pub rt: Arc<Runtime>,
    pub run: RunRecord,
    pub version: Arc<LoadedVersion>,
    pub log: ReplayLog,
    pub clock: LogicalClock,
    pub active: Arc<ActiveRun>,
    /// What the run's step instances get (allow-list, environment).
    pub step_sandbox: Arc<StepSandbox>,
    /// Assigns journal seqs; shared with the steps this body spawned.
    pub journal: Arc<Appender>,
    /// The steps this body spawned (`ctx.spawn`), by handle.
    pub spawned: Spawned,
    /// The last panic message the SDK reported, for the failure message.
    pub panic: Option<String>,
    /// The first value handed to the body that the SDK could not decode
    /// into the type the code asks for (reported through `log`, see
    /// [`UNREADABLE`]): a replay check on a new version fails on it even
    /// when the body goes on.
    pub unreadable: Option<String>,
    /// How a dry replay takes spawns the journal lacks (see `spawn`).
    pub dry_spawns: DrySpawns,
    pending: Vec<PendingWrite>,
    /// Events not yet written: they ride along with the next journal write,
    /// so progress reporting costs no commit of its own.
    events: Vec<NewEvent>,
    went_live: bool,
    /// A dry replay: answer only from the journal, write nothing, wait for
    /// nothing, and stop where the journal ends or disagrees.
    pub dry: bool,
    /// When the activation began; cleared at the first host call.
    pub(super) started: Option<std::time::Instant>,
    /// The signal a `wait_for_event` suspended on: one sent while the run
    /// was suspending must still wake it (see `run/activation.rs`).
    pub awaited_signal: Option<String>,
}

impl BodyCx {
    /// The context of one activation of `run`, replaying `log`.
    pub fn new(
        rt: Arc<Runtime>,
        run: RunRecord,
        version: Arc<LoadedVersion>,
        log: ReplayLog,
        clock: LogicalClock,
        active: Arc<ActiveRun>,
        dry: bool,
    ) -> BodyCx {
        let journal = Arc::new(Appender::new(
            rt.store.clone(),
            run.id.clone(),
            rt.worker.id.clone(),
            log.next_seq(),
        ));
        BodyCx {
            step_sandbox: Arc::new(StepSandbox::new(&rt, &version, &run.workflow)),
            rt,
            run,
            version,
            went_live: !log.replaying(),
            log,
            clock,
            active,
            journal,
            spawned: Spawned::default(),
            panic: None,
            unreadable: None,
            dry_spawns: Default::default(),
            pending: Vec::new(),
            events: Vec::new(),
            dry,
            started: (!dry).then(std::time::Instant::now),
            awaited_signal: None,
        }
    }

    /// Waits until every write queued so far is durable.
    pub async fn barrier(&mut self) -> wasmtime::Result<()> {
        for w in std::mem::take(&mut self.pending) {
            w.await.map_err(|e| Interrupt::from_store(e).trap())?;
        }
        Ok(())
    }

    fn queue(&mut self, op: WriteOp) {
        let w = self.rt.store.write(op);
        self.pending.push(w);
    }

    /// Buffers events; they are written with the next journal write.
    pub fn event_batch(&mut self, events: Vec<NewEvent>) {
        self.events.extend(events);
    }

    /// Writes buffered events now (not fenced: they describe, they do not
    /// decide). For watchers of long waits.
    pub fn flush_events(&mut self) {
        if !self.events.is_empty() {
            let events = std::mem::take(&mut self.events);
            self.queue(WriteOp::Events {
                run_id: self.run.id.clone(),
                events,
            });
        }
    }

    /// Takes the buffered events, to write them with a status change.
    pub fn take_events(&mut self) -> Vec<NewEvent> {
        std::mem::take(&mut self.events)
    }

    pub(super) fn event(&mut self, kind: EventKind, data: serde_json::Value) {
        self.event_batch(vec![NewEvent {
            at: crate::clock::now_ms(),
            kind,
            data,
        }]);
    }

    /// Journals a new outcome for `key` and moves the logical clock.
    pub fn record(
        &mut self,
        key: &Key,
        input_hash: Option<String>,
        ok: bool,
        value: Option<String>,
        effect: Option<StateEffect>,
        events: Vec<NewEvent>,
    ) -> JournalEntry {
        let now = crate::clock::now_ms();
        self.record_at(now, key, input_hash, ok, value, effect, events)
    }

    /// [`BodyCx::record`] with the entry's time given, for outcomes
    /// computed from it.
    #[allow(clippy::too_many_arguments)] // the fields of one journal entry
    pub fn record_at(
        &mut self,
        at: i64,
        key: &Key,
        input_hash: Option<String>,
        ok: bool,
        value: Option<String>,
        effect: Option<StateEffect>,
        mut events: Vec<NewEvent>,
    ) -> JournalEntry {
        let entry = JournalEntry {
            seq: 0, // assigned by the appender
            kind: key.kind,
            name: key.name.clone(),
            occurrence: key.occurrence,
            input_hash,
            ok,
            value,
            created_at: at,
        };
        self.clock.advance_to(entry.created_at);
        if !self.events.is_empty() {
            let mut all = std::mem::take(&mut self.events);
            all.append(&mut events);
            events = all;
        }
        let (entry, write) = self.journal.append(entry, effect, events);
        self.pending.push(write);
        entry
    }

    /// Journals a failed step attempt (not a replay key of its own).
    pub fn record_attempt(&mut self, step: &str, occurrence: u32, value: String, event: NewEvent) {
        let key = Key {
            kind: EntryKind::StepAttempt,
            name: step.to_string(),
            occurrence,
        };
        self.record(&key, None, false, Some(value), None, vec![event]);
    }

    /// The recorded outcome of `key`, if the journal has one; checks the
    /// input and notes where the run goes live.
    pub fn replayed(
        &mut self,
        key: &Key,
        hash: Option<&str>,
    ) -> wasmtime::Result<Option<JournalEntry>> {
        let e = self.lookup(key, hash, false)?;
        if let Some(e) = &e {
            self.clock.advance_to(e.created_at);
        }
        Ok(e)
    }

    /// [`BodyCx::replayed`] without moving the clock. With `spawned`, a key
    /// missing while replaying is no divergence: a spawned step that had not
    /// finished before a crash has no entry, while later ones may.
    pub fn lookup(
        &mut self,
        key: &Key,
        hash: Option<&str>,
        spawned: bool,
    ) -> wasmtime::Result<Option<JournalEntry>> {
        match self.log.take(key) {
            Some(e) => {
                if let Some(d) = ReplayLog::check_input(key, &e, hash) {
                    self.diverged(d)?;
                }
                Ok(Some(e))
            }
            None => {
                if !spawned && let Some(first_left) = self.log.first_unconsumed() {
                    self.diverged(Divergence::unexpected(key, &first_left))?;
                }
                // A dry replay stops where the journal ends; a spawned step
                // missing from it is decided at its join (see `spawn`).
                if self.dry && !spawned {
                    return Err(Interrupt::DryFrontier.trap());
                }
                if !self.went_live {
                    self.went_live = true;
                    self.event(EventKind::Live, json!({"at": key.to_string()}));
                }
                Ok(None)
            }
        }
    }

    fn diverged(&mut self, d: Divergence) -> wasmtime::Result<()> {
        if self.dry {
            return Err(Interrupt::DryDiverged(d).trap());
        }
        tracing::info!(run = %self.run.id, "{}", d.message);
        self.event(
            EventKind::Divergence,
            json!({"kind": d.key.kind.as_str(), "name": d.key.name,
                   "occurrence": d.key.occurrence, "message": d.message}),
        );
        if self.version.strict {
            return Err(Interrupt::Diverged(d.message).trap());
        }
        Ok(())
    }

    /// Fails the activation if `value` is larger than the journal accepts.
    pub fn check_size(&self, what: &str, value: &str) -> wasmtime::Result<()> {
        let limit = self.rt.config.limits.max_value_bytes;
        if value.len() as u64 > limit {
            return Err(wasmtime::Error::new(LimitExceeded::value_size(
                what,
                value.len(),
                limit,
            )));
        }
        Ok(())
    }

    /// A journaled number (`now`, `random`): the recorded one on replay,
    /// else `fresh()`, recorded.
    pub(super) fn journaled_number(
        &mut self,
        kind: EntryKind,
        fresh: impl FnOnce() -> u64,
    ) -> wasmtime::Result<u64> {
        let key = self.log.next_key(kind, kind.as_str());
        if let Some(e) = self.replayed(&key, None)? {
            return e.decode::<u64>(&self.run.id).map_err(wasmtime::Error::new);
        }
        let v = fresh();
        self.record(&key, None, true, Some(v.to_string()), None, Vec::new());
        Ok(v)
    }
}
