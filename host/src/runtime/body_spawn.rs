//! `ctx.spawn` / `join`: steps running concurrently on the host, journaled
//! as they complete, joined in submission order.
//!
//! A spawned step is a step: its key (step, name, occurrence) comes from
//! the same counter as `ctx.step`'s, assigned at spawn time in body order.
//! A journaled key resolves the handle at once and nothing runs. Otherwise
//! a tokio task runs the attempts with the loop of `body_step.rs` and
//! journals the outcome as soon as it has it, joined or not; `join` waits
//! for that entry to be durable, then hands it to the body. The body's
//! logical clock moves to the entry's time at `join`, in replay as live, so
//! what the body reads between a spawn and its join never depends on when
//! a step finished.
//!
//! Concurrency is bounded twice: by the spawn's group (`max-concurrency`,
//! set by the group's first spawn that gives one) and by
//! `runtime.max_concurrent_steps` for the whole process. A permit is held
//! while an attempt runs, not during a retry's backoff nor while its
//! result is committed. The spawns of a group queue for their first
//! permits in submission order (each waits until the one spawned before it
//! is queued), so a batch starts its items in input order, although tokio
//! polls new tasks in no particular order.
//!
//! While spawned steps are in flight the body is not unloaded: a sleep or
//! retry backoff waits in memory until it is due or until every spawned
//! step has finished, whichever is first (and may then suspend). An
//! activation that ends normally (the body returned, failed or suspended)
//! first waits for the steps still running, so a dropped handle's result
//! is journaled too; one that was cancelled aborts them and records a
//! `cancelled` event for each; one that lost the run abandons them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::json;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::engine::bindings::context::{SpawnOptions, StepFailure};
use crate::journal::{EntryKind, JournalEntry, NewEvent, PendingWrite};

use super::ActiveRun;
use super::appender::Appender;
use super::body::BodyCx;
use super::body_step::{Slot, StepJob, StepSink, decode, run_step, step_event};
use super::interrupt::Interrupt;
use super::replay::{Divergence, Key, input_hash};

/// The steps one activation's body spawned, by handle (the handle is the
/// index, so it is the same on every replay).
#[derive(Default)]
pub struct Spawned {
    spawns: Vec<Spawn>,
    tasks: JoinSet<(u32, wasmtime::Result<JournalEntry>)>,
    task_handles: HashMap<tokio::task::Id, u32>,
    groups: HashMap<String, Arc<Semaphore>>,
    /// Per group (`None`: no group), the signal that the group's latest
    /// spawn has queued for its first permits.
    queued: HashMap<Option<String>, oneshot::Receiver<()>>,
}

struct Spawn {
    step: String,
    occurrence: u32,
    /// Attempts started so far, for the `cancelled` event.
    attempts: Arc<AtomicU32>,
    state: State,
}

enum State {
    /// The outcome, durable.
    Done(JournalEntry),
    Running,
    /// The task ended without an outcome; the error is handed to the first
    /// `join`. Whether it was cancelled is kept apart, since a join takes
    /// the error.
    Lost {
        cancelled: bool,
        error: Option<wasmtime::Error>,
    },
}

impl Spawned {
    /// True while a spawned step has not finished.
    pub fn busy(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// Waits for the next task to end and records how it ended.
    async fn next(&mut self) {
        let Some(r) = self.tasks.join_next_with_id().await else {
            return;
        };
        let (handle, outcome) = match r {
            Ok((id, (handle, outcome))) => {
                self.task_handles.remove(&id);
                (handle, outcome)
            }
            Err(e) => {
                let Some(handle) = self.task_handles.remove(&e.id()) else {
                    return;
                };
                let step = &self.spawns[handle as usize].step;
                let error = if e.is_cancelled() {
                    Interrupt::Cancelled.trap()
                } else {
                    wasmtime::Error::msg(format!(
                        "the host task of spawned step `{step}` failed: {e}"
                    ))
                };
                (handle, Err(error))
            }
        };
        self.spawns[handle as usize].state = match outcome {
            Ok(entry) => State::Done(entry),
            Err(e) => State::Lost {
                cancelled: e.downcast_ref::<Interrupt>() == Some(&Interrupt::Cancelled),
                error: Some(e),
            },
        };
    }

    /// The semaphore of the spawn's group, created with the limit of the
    /// first spawn of the group that gives one (later limits are ignored).
    fn group(&mut self, options: &SpawnOptions) -> Option<Arc<Semaphore>> {
        let name = options.group.as_ref()?;
        if let Some(sem) = self.groups.get(name) {
            return Some(sem.clone());
        }
        let limit = options.max_concurrency?;
        let sem = self
            .groups
            .entry(name.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(limit.max(1) as usize)));
        Some(sem.clone())
    }

    /// The next place in the queue of `group`: the signal to wait for
    /// before queueing, and the one to give after.
    fn place(&mut self, group: Option<String>) -> Place {
        let (tx, rx) = oneshot::channel();
        let after = self.queued.insert(group, rx);
        Place { after, then: tx }
    }
}

/// Where a spawned step queues for its first permits.
struct Place {
    /// Resolves once the spawn before it has queued (or gone).
    after: Option<oneshot::Receiver<()>>,
    /// Resolved by this spawn once it has queued.
    then: oneshot::Sender<()>,
}

/// The body spawned a step.
pub async fn spawn(
    cx: &mut BodyCx,
    name: String,
    input: String,
    options: SpawnOptions,
) -> wasmtime::Result<u32> {
    let handle = u32::try_from(cx.spawned.spawns.len())
        .map_err(|_| wasmtime::Error::msg("too many spawned steps in one run"))?;
    let key = cx.log.next_key(EntryKind::Step, &name);
    let hash = input_hash(&[input.as_bytes()]);
    let mut spawn = Spawn {
        step: name.clone(),
        occurrence: key.occurrence,
        attempts: Arc::new(AtomicU32::new(0)),
        state: State::Running,
    };
    if let Some(e) = cx.lookup(&key, Some(&hash), true)? {
        spawn.state = State::Done(e);
        cx.spawned.spawns.push(spawn);
        return Ok(handle);
    }
    if cx.dry {
        // A dry replay runs nothing: the handle stays unresolved, and its
        // join decides (see `join`).
        unrecorded_in_dry(cx, &key, &hash)?;
        cx.spawned.spawns.push(spawn);
        return Ok(handle);
    }
    cx.check_size(&format!("input of step `{name}`"), &input)?;
    // The step's side effects must not start before the body's earlier
    // decisions are durable.
    cx.barrier().await?;
    let job = StepJob::new(cx, key, hash, input);
    spawn
        .attempts
        .store(job.prior.len() as u32, Ordering::Relaxed);
    let sink = TaskSink {
        journal: cx.journal.clone(),
        active: cx.active.clone(),
        pending: Vec::new(),
        events: Vec::new(),
        group: cx.spawned.group(&options),
        host: cx.rt.step_slots.clone(),
        place: Some(cx.spawned.place(options.group.clone())),
        attempts: spawn.attempts.clone(),
    };
    let span = tracing::info_span!("spawned step", step = %name, occurrence = job.key.occurrence);
    let task = cx
        .spawned
        .tasks
        .spawn(run_spawned(handle, job, sink).instrument(span));
    cx.spawned.task_handles.insert(task.id(), handle);
    cx.spawned.spawns.push(spawn);
    Ok(handle)
}

/// How a dry replay takes a spawn whose key the journal lacks while later
/// entries remain. Crash recovery tolerates it (the step was in flight when
/// the process died, while later ones had finished); a check against
/// another version must not, unless the run's own version spawns it too:
/// otherwise it is a step the history never had, which a moved run would
/// run only after all of that history.
#[derive(Debug)]
pub enum DrySpawns {
    /// Against the run's own version: tolerated, and noted.
    Tolerate { seen: HashSet<(Key, String)> },
    /// Against another version: only the spawns in `allowed` (the ones the
    /// run's own version is seen to make there) are tolerated; any other is
    /// a divergence, and `refused` says one was met.
    Strict {
        allowed: HashSet<(Key, String)>,
        refused: bool,
    },
}

impl Default for DrySpawns {
    fn default() -> Self {
        DrySpawns::Tolerate {
            seen: HashSet::new(),
        }
    }
}

/// A dry replay met a spawn of `key` (input hash `hash`) the journal lacks.
fn unrecorded_in_dry(cx: &mut BodyCx, key: &Key, hash: &str) -> wasmtime::Result<()> {
    // Nothing journaled is left: the spawn is new work past the history.
    let Some(next) = cx.log.first_unconsumed() else {
        return Ok(());
    };
    let spawn = (key.clone(), hash.to_string());
    match &mut cx.dry_spawns {
        DrySpawns::Tolerate { seen } => {
            seen.insert(spawn);
        }
        DrySpawns::Strict { allowed, .. } if allowed.contains(&spawn) => {}
        DrySpawns::Strict { refused, .. } => {
            *refused = true;
            return Err(Interrupt::DryDiverged(Divergence::unrecorded_spawn(key, &next)).trap());
        }
    }
    Ok(())
}

async fn run_spawned(
    handle: u32,
    job: StepJob,
    mut sink: TaskSink,
) -> (u32, wasmtime::Result<JournalEntry>) {
    (handle, run_step(&job, &mut sink).await)
}

/// The body joins a spawned step.
pub async fn join(cx: &mut BodyCx, handle: u32) -> wasmtime::Result<Result<String, StepFailure>> {
    let Some(spawn) = cx.spawned.spawns.get(handle as usize) else {
        return Err(wasmtime::Error::msg(format!(
            "join: no step was spawned with handle {handle}"
        )));
    };
    if cx.dry && matches!(spawn.state, State::Running) {
        // The body needs a result the journal does not hold: the end of a
        // clean replay, unless journaled entries are still unconsumed.
        let key = Key {
            kind: EntryKind::Step,
            name: spawn.step.clone(),
            occurrence: spawn.occurrence,
        };
        return Err(match cx.log.first_unconsumed() {
            Some(left) => Interrupt::DryDiverged(Divergence::unexpected(&key, &left)).trap(),
            None => Interrupt::DryFrontier.trap(),
        });
    }
    if matches!(spawn.state, State::Running) {
        cx.flush_events();
        let active = cx.active.clone();
        while matches!(cx.spawned.spawns[handle as usize].state, State::Running) {
            tokio::select! {
                _ = cx.spawned.next() => {}
                i = active.stopped() => return Err(i.trap()),
            }
        }
    }
    match &mut cx.spawned.spawns[handle as usize].state {
        State::Done(e) => {
            cx.clock.advance_to(e.created_at);
            Ok(decode(e))
        }
        State::Lost { error, .. } => Err(error.take().unwrap_or_else(|| {
            wasmtime::Error::msg(format!("join: handle {handle} was already joined"))
        })),
        State::Running => unreachable!("the loop above waits until it is not"),
    }
}

/// Part of every wait of the body: while spawned steps run, waits in memory
/// until `at` (Unix ms) or until they have all finished.
pub async fn wait_in_memory_while_spawned(cx: &mut BodyCx, at: i64) -> wasmtime::Result<()> {
    if !cx.spawned.busy() {
        return Ok(());
    }
    cx.flush_events();
    cx.barrier().await?;
    let active = cx.active.clone();
    let due = tokio::time::sleep(std::time::Duration::from_millis(
        (at - crate::clock::now_ms()).max(0) as u64,
    ));
    tokio::pin!(due);
    while cx.spawned.busy() {
        tokio::select! {
            _ = cx.spawned.next() => {}
            _ = &mut due => return Ok(()),
            i = active.stopped() => return Err(i.trap()),
        }
    }
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
    while cx.spawned.busy() {
        tokio::select! {
            _ = cx.spawned.next() => {}
            i = active.stopped() => {
                if i == Interrupt::Cancelled {
                    cancel_all(cx).await;
                } else {
                    abort_all(cx).await;
                }
                return Err(i);
            }
        }
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
    while cx.spawned.busy() {
        cx.spawned.next().await;
    }
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

/// Where a spawned step's attempts report: its own writes, waits in
/// memory, and the concurrency limits.
struct TaskSink {
    journal: Arc<Appender>,
    active: Arc<ActiveRun>,
    pending: Vec<PendingWrite>,
    events: Vec<NewEvent>,
    group: Option<Arc<Semaphore>>,
    host: Arc<Semaphore>,
    /// For the first attempt only.
    place: Option<Place>,
    attempts: Arc<AtomicU32>,
}

impl TaskSink {
    /// Queues a new entry of `kind` for the step `key`, with the buffered
    /// events and `event`.
    fn append(
        &mut self,
        kind: EntryKind,
        key: &Key,
        hash: Option<String>,
        ok: bool,
        value: String,
        event: NewEvent,
    ) -> JournalEntry {
        let entry = JournalEntry {
            seq: 0, // assigned by the appender
            kind,
            name: key.name.clone(),
            occurrence: key.occurrence,
            input_hash: hash,
            ok,
            value: Some(value),
            created_at: crate::clock::now_ms(),
        };
        let mut events = std::mem::take(&mut self.events);
        events.push(event);
        let (entry, write) = self.journal.append(entry, None, events);
        self.pending.push(write);
        entry
    }
}

impl StepSink for TaskSink {
    fn record_outcome(
        &mut self,
        key: &Key,
        hash: String,
        ok: bool,
        value: String,
        event: NewEvent,
    ) -> JournalEntry {
        self.append(key.kind, key, Some(hash), ok, value, event)
    }

    fn record_failed_attempt(&mut self, key: &Key, value: String, event: NewEvent) {
        self.append(EntryKind::StepAttempt, key, None, false, value, event);
    }

    async fn durable(&mut self) -> wasmtime::Result<()> {
        for w in std::mem::take(&mut self.pending) {
            w.await.map_err(|e| Interrupt::from_store(e).trap())?;
        }
        Ok(())
    }

    async fn wait_for_retry(&mut self, at: i64) -> wasmtime::Result<()> {
        // The attempt's record first: a crash during the wait resumes with
        // the right count and the remaining backoff.
        self.report_now();
        self.durable().await?;
        // A step resumed in its backoff gives up its place in the group's
        // queue rather than hold up the spawns behind it.
        self.place = None;
        let remaining = (at - crate::clock::now_ms()).max(0) as u64;
        let active = self.active.clone();
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(remaining)) => Ok(()),
            i = active.stopped() => Err(i.trap()),
        }
    }

    fn report(&mut self, events: Vec<NewEvent>) {
        self.events.extend(events);
    }

    fn report_now(&mut self) {
        if !self.events.is_empty() {
            let w = self.journal.events(std::mem::take(&mut self.events));
            self.pending.push(w);
        }
    }

    async fn slot(&mut self) -> wasmtime::Result<Slot> {
        let group = self.group.clone();
        let host = self.host.clone();
        let acquire = async move {
            let mut permits = Vec::with_capacity(2);
            if let Some(g) = group {
                permits.push(g.acquire_owned().await?);
            }
            permits.push(host.acquire_owned().await?);
            Ok::<_, tokio::sync::AcquireError>(permits)
        };
        tokio::pin!(acquire);
        let active = self.active.clone();
        let mut first = std::task::Poll::Pending;
        if let Some(place) = self.place.take() {
            if let Some(after) = place.after {
                tokio::select! {
                    _ = after => {}
                    i = active.stopped() => return Err(i.trap()),
                }
            }
            // One poll queues this spawn on the semaphores (or takes its
            // permits); only then may the next spawn of the group queue.
            first =
                std::future::poll_fn(|cx| std::task::Poll::Ready(acquire.as_mut().poll(cx))).await;
            let _ = place.then.send(());
        }
        let permits = match first {
            std::task::Poll::Ready(p) => p,
            std::task::Poll::Pending => tokio::select! {
                p = &mut acquire => p,
                i = active.stopped() => return Err(i.trap()),
            },
        };
        self.attempts.fetch_add(1, Ordering::Relaxed);
        permits.map_err(|_| wasmtime::Error::msg("the step limiter was closed"))
    }
}
