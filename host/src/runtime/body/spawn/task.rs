//! Where a spawned step's attempts report: the task's own journal writes,
//! its in-memory retry waits, and the concurrency limits it queues on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::Semaphore;

use crate::journal::{EntryKind, JournalEntry, NewEvent, PendingWrite};
use crate::runtime::ActiveRun;
use crate::runtime::body::appender::Appender;
use crate::runtime::body::step::{Slot, StepSink};
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::Key;

use super::Place;

/// Where a spawned step's attempts report: its own writes, waits in
/// memory, and the concurrency limits.
pub(super) struct TaskSink {
    pub(super) journal: Arc<Appender>,
    pub(super) active: Arc<ActiveRun>,
    pub(super) pending: Vec<PendingWrite>,
    pub(super) events: Vec<NewEvent>,
    pub(super) group: Option<Arc<Semaphore>>,
    pub(super) host: Arc<Semaphore>,
    /// For the first attempt only.
    pub(super) place: Option<Place>,
    pub(super) attempts: Arc<AtomicU32>,
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
        let sleep = tokio::time::sleep(std::time::Duration::from_millis(remaining));
        self.active
            .unless_stopped(sleep)
            .await
            .map_err(Interrupt::trap)
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
                let _ = active
                    .unless_stopped(after)
                    .await
                    .map_err(Interrupt::trap)?;
            }
            // One poll queues this spawn on the semaphores (or takes its
            // permits); only then may the next spawn of the group queue.
            first =
                std::future::poll_fn(|cx| std::task::Poll::Ready(acquire.as_mut().poll(cx))).await;
            let _ = place.then.send(());
        }
        let permits = match first {
            std::task::Poll::Ready(p) => p,
            std::task::Poll::Pending => active
                .unless_stopped(&mut acquire)
                .await
                .map_err(Interrupt::trap)?,
        };
        self.attempts.fetch_add(1, Ordering::Relaxed);
        permits.map_err(|_| wasmtime::Error::msg("the step limiter was closed"))
    }
}
