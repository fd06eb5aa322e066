//! The one thread that writes to SQLite, with group commit.
//!
//! Callers queue [`WriteOp`]s; the thread takes everything queued so far,
//! applies each op inside its own savepoint of one transaction, commits
//! once, then answers every caller. Under load many runs share one fsync.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::error::Place;
use super::tx::SqliteTx;
use crate::clock::Clock;
use crate::journal::rules;
use crate::journal::stats::CommitCounters;
use crate::journal::{CommitStats, PendingWrite, StoreError, WriteOp, WriteOutcome};

/// Most ops one transaction takes, so a flood of writers cannot starve
/// the callers at the head of the queue.
const MAX_BATCH: usize = 1024;

enum Job {
    Write(WriteOp, oneshot::Sender<Result<WriteOutcome, StoreError>>),
    Flush(oneshot::Sender<Result<WriteOutcome, StoreError>>),
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    counters: Arc<CommitCounters>,
    /// How long a lone waiter checks for its reply before it sleeps: a
    /// commit without fsync takes microseconds, waking a parked thread
    /// longer. With others waiting too, spinning would only take their CPU.
    wait_spin: std::time::Duration,
    waiters: Arc<std::sync::atomic::AtomicUsize>,
}

impl Writer {
    /// Starts the thread that owns `conn`.
    pub fn start(
        conn: Connection,
        durability: crate::journal::Durability,
        place: Place,
        clock: Arc<dyn Clock>,
    ) -> Writer {
        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(CommitCounters::default());
        let c = counters.clone();
        std::thread::Builder::new()
            .name("cairn-journal-writer".into())
            .spawn(move || run(conn, rx, c, place, clock))
            .expect("spawn the journal writer thread");
        let wait_spin = match durability {
            crate::journal::Durability::Full => std::time::Duration::ZERO,
            crate::journal::Durability::Relaxed => std::time::Duration::from_micros(25),
        };
        Writer {
            tx,
            counters,
            wait_spin,
            waiters: Arc::default(),
        }
    }

    /// Queues `op`.
    pub fn write(&self, op: WriteOp) -> PendingWrite {
        let (reply, rx) = oneshot::channel();
        self.counters.queued();
        let sent = self.tx.send(Job::Write(op, reply)).is_ok();
        if !sent {
            self.counters.taken();
        }
        Box::pin(reply_of(sent, rx, self.wait_spin, self.waiters.clone()))
    }

    /// Resolves once everything queued before it is committed.
    pub fn flush(&self) -> PendingWrite {
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.send(Job::Flush(reply)).is_ok();
        Box::pin(reply_of(sent, rx, self.wait_spin, self.waiters.clone()))
    }

    /// Commits, ops, their latencies and the queue so far.
    pub fn stats(&self) -> CommitStats {
        self.counters.snapshot()
    }
}

/// Waits for the writer's reply: when no one else is waiting, first for
/// `spin` by looking for it without yielding (the thread stays awake),
/// then by sleeping.
async fn reply_of(
    sent: bool,
    mut rx: oneshot::Receiver<Result<WriteOutcome, StoreError>>,
    spin: std::time::Duration,
    waiters: Arc<std::sync::atomic::AtomicUsize>,
) -> Result<WriteOutcome, StoreError> {
    if !sent {
        return Err(StoreError::writer_gone());
    }
    struct Waiting(Arc<std::sync::atomic::AtomicUsize>);
    impl Drop for Waiting {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let alone = waiters.fetch_add(1, Ordering::Relaxed) == 0;
    let _waiting = Waiting(waiters);
    if alone && !spin.is_zero() {
        let start = std::time::Instant::now();
        while start.elapsed() < spin {
            match rx.try_recv() {
                Ok(r) => return r,
                Err(oneshot::error::TryRecvError::Empty) => std::hint::spin_loop(),
                Err(oneshot::error::TryRecvError::Closed) => return Err(StoreError::writer_gone()),
            }
        }
    }
    rx.await.unwrap_or(Err(StoreError::writer_gone()))
}

/// How long the writer keeps looking for the next job before it sleeps.
/// A run that waits for its commit queues its next write within
/// microseconds; waking a sleeping thread costs more than that.
const SPIN: std::time::Duration = std::time::Duration::from_micros(SPIN_US);
const SPIN_US: u64 = 100;

fn next_job(rx: &mpsc::Receiver<Job>) -> Option<Job> {
    let start = std::time::Instant::now();
    loop {
        match rx.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if start.elapsed() < SPIN => std::hint::spin_loop(),
            Err(mpsc::TryRecvError::Empty) => return rx.recv().ok(),
        }
    }
}

fn run(
    mut conn: Connection,
    rx: mpsc::Receiver<Job>,
    counters: Arc<CommitCounters>,
    place: Place,
    clock: Arc<dyn Clock>,
) {
    let mut batch = Vec::with_capacity(64);
    while let Some(first) = next_job(&rx) {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        for job in &batch {
            if let Job::Write(..) = job {
                counters.taken();
            }
        }
        commit_batch(&mut conn, &mut batch, &counters, (&place, &*clock));
    }
}

fn commit_batch(
    conn: &mut Connection,
    batch: &mut Vec<Job>,
    counters: &CommitCounters,
    (place, clock): (&Place, &dyn Clock),
) {
    let mut results: Vec<Result<WriteOutcome, StoreError>> = Vec::with_capacity(batch.len());
    let mut ops = 0u64;
    let started = std::time::Instant::now();
    let committed = (|| -> Result<(), rusqlite::Error> {
        let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for job in batch.iter_mut() {
            match job {
                Job::Flush(_) => results.push(Ok(WriteOutcome::Done)),
                Job::Write(op, _) => {
                    ops += 1;
                    // A savepoint per op: one failing op rolls back alone.
                    let mut sp = tx.savepoint()?;
                    let op = std::mem::replace(
                        op,
                        WriteOp::Events {
                            run_id: String::new(),
                            events: Vec::new(),
                        },
                    );
                    match rules::apply(&mut SqliteTx(&sp), op, clock) {
                        Ok(outcome) => {
                            sp.commit()?;
                            results.push(Ok(outcome));
                        }
                        Err(e) => {
                            sp.rollback()?;
                            results.push(Err(place.reclassify(e)));
                        }
                    }
                }
            }
        }
        tx.commit()
    })();
    match committed {
        Ok(()) => {
            counters.committed(ops, started.elapsed());
            for (job, result) in batch.drain(..).zip(results) {
                reply(job, result);
            }
        }
        Err(e) => {
            // A database problem (locked, full, damaged) is told to every
            // caller as what it is, and they say it; anything else is a
            // failed commit, worth a line of its own.
            let problem = place.classify(e);
            match &problem {
                StoreError::Database(p) => tracing::debug!(problem = %p, "journal commit failed"),
                e => tracing::error!(error = %e, "journal commit failed"),
            }
            for job in batch.drain(..) {
                let e = match &problem {
                    StoreError::Database(p) => StoreError::Database(p.clone()),
                    other => StoreError::commit_failed(other),
                };
                reply(job, Err(e));
            }
        }
    }
}

fn reply(job: Job, result: Result<WriteOutcome, StoreError>) {
    let tx = match job {
        Job::Write(_, tx) | Job::Flush(tx) => tx,
    };
    // The caller may have gone away (its run was dropped); nothing to do.
    let _ = tx.send(result);
}
