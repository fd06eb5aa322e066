//! What a group-commit writer counts about itself: commits, ops, how long
//! each commit took and how many ops it carried, and what is queued. Plain
//! atomics, so counting costs the writer nothing it would notice; the
//! snapshot is [`CommitStats`], which `GET /metrics` shows as histograms.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// Upper bounds (seconds) of the commit-latency buckets.
pub const COMMIT_SECONDS_BOUNDS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Upper bounds of the ops-per-commit buckets.
pub const OPS_PER_COMMIT_BOUNDS: [f64; 11] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// Counters of the group-commit writer, as one snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CommitStats {
    /// Transactions committed.
    pub commits: u64,
    /// Write operations applied.
    pub ops: u64,
    /// Time spent in committed transactions, from BEGIN to COMMIT, in ns.
    pub commit_ns: u64,
    /// Commits per latency bucket (`COMMIT_SECONDS_BOUNDS`, not
    /// cumulative); the last counts the slower ones.
    pub commit_buckets: [u64; COMMIT_SECONDS_BOUNDS.len() + 1],
    /// Commits per ops-per-commit bucket (`OPS_PER_COMMIT_BOUNDS`).
    pub ops_buckets: [u64; OPS_PER_COMMIT_BOUNDS.len() + 1],
    /// Writes queued and not yet taken into a transaction.
    pub queued: u64,
}

impl CommitStats {
    /// Mean number of operations per commit.
    pub fn mean_batch(&self) -> f64 {
        if self.commits == 0 {
            0.0
        } else {
            self.ops as f64 / self.commits as f64
        }
    }
}

/// How many runs of one workflow are in one status (the `cairn_runs`
/// gauge of `GET /metrics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunCount {
    pub workflow: String,
    pub status: crate::journal::RunStatus,
    pub count: u64,
}

/// The live counters behind [`CommitStats`].
#[derive(Debug, Default)]
pub struct CommitCounters {
    commits: AtomicU64,
    ops: AtomicU64,
    commit_ns: AtomicU64,
    commit_buckets: [AtomicU64; COMMIT_SECONDS_BOUNDS.len() + 1],
    ops_buckets: [AtomicU64; OPS_PER_COMMIT_BOUNDS.len() + 1],
    queued: AtomicU64,
}

impl CommitCounters {
    /// A write was queued.
    pub fn queued(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    /// The writer took a queued write.
    pub fn taken(&self) {
        self.queued.fetch_sub(1, Ordering::Relaxed);
    }

    /// A transaction of `ops` writes committed after `took`.
    pub fn committed(&self, ops: u64, took: Duration) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.ops.fetch_add(ops, Ordering::Relaxed);
        let ns = took.as_nanos().min(u128::from(u64::MAX)) as u64;
        self.commit_ns.fetch_add(ns, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        self.commit_buckets[bucket(&COMMIT_SECONDS_BOUNDS, secs)].fetch_add(1, Ordering::Relaxed);
        self.ops_buckets[bucket(&OPS_PER_COMMIT_BOUNDS, ops as f64)]
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> CommitStats {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CommitStats {
            commits: load(&self.commits),
            ops: load(&self.ops),
            commit_ns: load(&self.commit_ns),
            commit_buckets: std::array::from_fn(|i| load(&self.commit_buckets[i])),
            ops_buckets: std::array::from_fn(|i| load(&self.ops_buckets[i])),
            queued: load(&self.queued),
        }
    }
}

/// The index of the first bound `v` is within (`bounds.len()` past them).
fn bucket(bounds: &[f64], v: f64) -> usize {
    bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_land_in_their_buckets() {
        let c = CommitCounters::default();
        c.committed(1, Duration::from_micros(50));
        c.committed(3, Duration::from_millis(3));
        c.committed(2000, Duration::from_secs(2));
        c.queued();
        c.queued();
        c.taken();
        let s = c.snapshot();
        assert_eq!((s.commits, s.ops, s.queued), (3, 2004, 1));
        assert_eq!(s.commit_buckets[0], 1);
        assert_eq!(s.commit_buckets[5], 1, "3 ms is within 5 ms");
        assert_eq!(s.commit_buckets[COMMIT_SECONDS_BOUNDS.len()], 1);
        assert_eq!(s.ops_buckets[0], 1);
        assert_eq!(s.ops_buckets[2], 1, "3 ops is within 4");
        assert_eq!(s.ops_buckets[OPS_PER_COMMIT_BOUNDS.len()], 1);
        assert_eq!(s.commit_buckets.iter().sum::<u64>(), s.commits);
    }
}
