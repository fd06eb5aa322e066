//! The lease guard: whether this worker may still start side effects for
//! the runs it owns.
//!
//! Other workers take a run over once its owner's heartbeat is older than
//! the lease (`ownership.rs`). Journal writes are fenced, so a worker that
//! was paused past its lease (SIGSTOP, a suspended VM, a long stall) can
//! never land a write after waking up; but nothing in the database stops
//! it from *calling* things. So before any step attempt (and any outbound
//! call of a step, and any LLM call of a body) the runtime asks this guard.
//! Once this worker's last successful heartbeat is older than the lease
//! minus a margin, the lease is *lapsed*: the worker starts nothing more,
//! abandons every run it executes (another worker may own them already),
//! and logs why. A later successful heartbeat renews the lease for runs
//! claimed after it; runs claimed before the lapse stay abandoned, since
//! each activation remembers the lease *epoch* it was claimed in.
//!
//! Nothing here knows the backend: the guard only sees the timestamps of
//! heartbeats that were committed, as judged by this worker's clock, which
//! is also the clock its heartbeat rows carry.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::journal::UnixMs;

/// Why the lease no longer holds.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "this worker's last successful heartbeat was {age_ms} ms ago, more than the {allowed_ms} ms \
     its lease allows (runtime.lease_secs = {lease_secs}, minus a margin) before other workers \
     may take its runs over: it starts no step and abandons its runs"
)]
pub struct Lapse {
    pub age_ms: i64,
    pub allowed_ms: i64,
    pub lease_secs: u64,
    /// True for the first check that saw this lapse (it started a new
    /// epoch); the caller abandons the runs and logs.
    pub first: bool,
}

/// This worker's view of its own lease.
#[derive(Debug)]
pub struct LeaseGuard {
    lease_ms: i64,
    /// The `heartbeat_at` of the newest heartbeat known to be committed.
    renewed_at: AtomicI64,
    /// Incremented at each lapse; an activation claimed in an older epoch
    /// may have been taken over.
    epoch: AtomicU64,
    /// The `renewed_at` whose lapse started the current epoch.
    lapsed_for: AtomicI64,
}

impl LeaseGuard {
    /// A guard whose lease was last renewed at `renewed_at`.
    pub fn new(lease_secs: u64, renewed_at: UnixMs) -> LeaseGuard {
        LeaseGuard {
            lease_ms: (lease_secs * 1000) as i64,
            renewed_at: AtomicI64::new(renewed_at),
            epoch: AtomicU64::new(0),
            lapsed_for: AtomicI64::new(i64::MIN),
        }
    }

    /// How often the heartbeat is renewed: a fifth of the lease, so that a
    /// worker misses three beats before its own guard lapses.
    pub fn beat_interval_ms(&self) -> i64 {
        (self.lease_ms / 5).max(1)
    }

    /// How old the last renewal may be before the guard lapses: the lease
    /// minus one beat interval, the margin that covers the time between
    /// the check and the call it allows.
    pub fn allowed_ms(&self) -> i64 {
        self.lease_ms - self.beat_interval_ms()
    }

    /// A heartbeat stamped `at` was committed.
    pub fn renewed(&self, at: UnixMs) {
        self.renewed_at.fetch_max(at, Ordering::SeqCst);
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// `Ok` while the lease holds at `now`. The first check to see a
    /// lapse (since the last renewal) starts a new epoch.
    pub fn check(&self, now: UnixMs) -> Result<(), Lapse> {
        let renewed = self.renewed_at.load(Ordering::SeqCst);
        let age_ms = now - renewed;
        if age_ms <= self.allowed_ms() {
            return Ok(());
        }
        let first = self.lapsed_for.swap(renewed, Ordering::SeqCst) != renewed;
        if first {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        Err(Lapse {
            age_ms,
            allowed_ms: self.allowed_ms(),
            lease_secs: (self.lease_ms / 1000) as u64,
            first,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_holds_until_lease_minus_a_margin_and_renews() {
        let g = LeaseGuard::new(15, 1_000);
        assert_eq!(g.beat_interval_ms(), 3_000);
        assert_eq!(g.allowed_ms(), 12_000);
        assert!(g.check(1_000).is_ok());
        assert!(g.check(13_000).is_ok());
        let lapse = g.check(13_001).unwrap_err();
        assert_eq!(lapse.age_ms, 12_001);
        assert!(
            lapse.to_string().contains("runtime.lease_secs = 15"),
            "{lapse}"
        );
        assert_eq!(g.epoch(), 1);
        g.renewed(13_001);
        assert!(g.check(13_001).is_ok());
        // An older heartbeat committing late does not move the lease back.
        g.renewed(2_000);
        assert!(g.check(20_000).is_ok());
    }

    #[test]
    fn each_lapse_starts_one_epoch() {
        let g = LeaseGuard::new(2, 0);
        assert_eq!(g.epoch(), 0);
        assert!(g.check(5_000).unwrap_err().first);
        assert!(!g.check(5_001).unwrap_err().first);
        assert_eq!(g.epoch(), 1);
        g.renewed(5_002);
        assert!(g.check(5_003).is_ok());
        assert!(g.check(9_000).unwrap_err().first);
        assert_eq!(g.epoch(), 2);
    }
}
