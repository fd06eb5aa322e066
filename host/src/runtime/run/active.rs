//! A run this process executes: what `cancel` and the lease guard reach,
//! and what the activation's waits select on.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use super::interrupt::Interrupt;

/// A run this process is executing: lets `cancel` reach it, and the lease
/// guard abandon it.
#[derive(Debug, Default)]
pub struct ActiveRun {
    cancelled: AtomicBool,
    abandoned: AtomicBool,
    /// The lease epoch the run was claimed in (`lease.rs`).
    pub(in crate::runtime) epoch: u64,
    notify: Notify,
}

/// Why an abandoned activation stops.
pub const ABANDONED: &str = "this worker's lease lapsed while it executed the run, so another \
    worker may own it now; the activation was abandoned";

impl ActiveRun {
    /// A run claimed in lease epoch `epoch`.
    pub fn new(epoch: u64) -> ActiveRun {
        ActiveRun {
            epoch,
            ..ActiveRun::default()
        }
    }

    /// True once the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// True once the activation was abandoned (the lease lapsed).
    pub fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }

    /// Marks the run cancelled and wakes whatever waits on it.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Marks the activation abandoned and wakes whatever waits on it;
    /// false if it already was.
    pub fn abandon(&self) -> bool {
        let first = !self.abandoned.swap(true, Ordering::SeqCst);
        self.notify.notify_waiters();
        first
    }

    /// Why the activation must stop now, if it must.
    pub fn stop_reason(&self) -> Option<Interrupt> {
        if self.is_cancelled() {
            Some(Interrupt::Cancelled)
        } else if self.is_abandoned() {
            Some(Interrupt::Fenced(ABANDONED.into()))
        } else {
            None
        }
    }

    /// Runs `work` unless the run is cancelled or the activation abandoned
    /// first; then `work` is dropped and the interrupt to trap with is
    /// returned. Every wait of an activation goes through this.
    pub async fn unless_stopped<F: Future>(&self, work: F) -> Result<F::Output, Interrupt> {
        tokio::select! {
            out = work => Ok(out),
            i = self.stopped() => Err(i),
        }
    }

    /// Resolves when the run is cancelled or the activation abandoned,
    /// with the interrupt to trap with.
    pub async fn stopped(&self) -> Interrupt {
        loop {
            let notified = self.notify.notified();
            if let Some(i) = self.stop_reason() {
                return i;
            }
            notified.await;
        }
    }
}
