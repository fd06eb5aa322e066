//! `ctx.spawn` / `join`: steps running concurrently on the host, journaled
//! as they complete, joined in submission order.
//!
//! A spawned step is a step: its key (step, name, occurrence) comes from
//! the same counter as `ctx.step`'s, assigned at spawn time in body order.
//! A journaled key resolves the handle at once and nothing runs. Otherwise
//! a tokio task runs the attempts with the loop of `body/step.rs` and
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
//!
//! `task.rs` is where a spawned step's attempts report, `settle.rs` the
//! body's waits on spawned steps, `dry.rs` how a dry replay takes a spawn
//! the journal lacks.

mod dry;
mod settle;
mod task;

pub use dry::DrySpawns;
pub use settle::{settle, wait_in_memory_while_spawned};

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::engine::bindings::context::{SpawnOptions, StepFailure};
use crate::journal::{EntryKind, JournalEntry};
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::{Divergence, Key, input_hash};

use super::BodyCx;
use super::step::{StepJob, decode, run_step};
use dry::unrecorded_in_dry;
use task::TaskSink;

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

    /// Waits until every task has ended.
    async fn all_finished(&mut self) {
        while self.busy() {
            self.next().await;
        }
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
        let finished = async {
            while matches!(cx.spawned.spawns[handle as usize].state, State::Running) {
                cx.spawned.next().await;
            }
        };
        active
            .unless_stopped(finished)
            .await
            .map_err(Interrupt::trap)?;
    }
    match &mut cx.spawned.spawns[handle as usize].state {
        State::Done(e) => {
            cx.clock.advance_to(e.created_at);
            decode(&cx.run.id, e)
        }
        State::Lost { error, .. } => Err(error.take().unwrap_or_else(|| {
            wasmtime::Error::msg(format!("join: handle {handle} was already joined"))
        })),
        State::Running => unreachable!("the loop above waits until it is not"),
    }
}
