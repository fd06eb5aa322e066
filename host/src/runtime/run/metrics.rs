//! Counters the runtime keeps about itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Runtime counters; cheap to update from any thread.
#[derive(Debug, Default)]
pub struct Metrics {
    first_call_count: AtomicU64,
    first_call_ns: AtomicU64,
}

impl Metrics {
    /// Records the time from the start of an activation (before
    /// instantiation) to the body's first host call.
    pub fn first_host_call(&self, d: Duration) {
        self.first_call_count.fetch_add(1, Ordering::Relaxed);
        self.first_call_ns
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Mean time from activation start to the first host call, and how
    /// many activations it averages.
    pub fn mean_first_host_call(&self) -> (Duration, u64) {
        let n = self.first_call_count.load(Ordering::Relaxed);
        let ns = self.first_call_ns.load(Ordering::Relaxed);
        (Duration::from_nanos(ns.checked_div(n).unwrap_or(0)), n)
    }
}
