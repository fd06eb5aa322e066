//! The values a scrape reads rather than counts: runs per workflow and
//! status from the store, the journal writer's counters, the runs active
//! in this process. Each scrape registers them afresh.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;

use super::RunLabels;
use crate::journal::stats::{COMMIT_SECONDS_BOUNDS, OPS_PER_COMMIT_BOUNDS};
use crate::journal::{CommitStats, RunCount};

/// What one scrape read.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Runs per workflow and status, from the store (every worker's).
    pub runs: Vec<RunCount>,
    /// The journal writer's counters (this process's).
    pub commits: CommitStats,
    /// Runs this process is executing.
    pub active_runs: usize,
}

impl Snapshot {
    pub(super) fn into_registry(self) -> Registry {
        let mut r = Registry::with_prefix("cairn");
        let runs = Family::<RunLabels, Gauge>::default();
        for c in &self.runs {
            let labels = RunLabels {
                workflow: c.workflow.clone(),
                status: c.status.as_str(),
            };
            runs.get_or_create(&labels)
                .set(i64::try_from(c.count).unwrap_or(i64::MAX));
        }
        r.register(
            "runs",
            "Runs in the store, by workflow and status (sleeping and waiting ones included)",
            runs,
        );
        r.register(
            "active_runs",
            "Runs this process is executing now",
            ConstGauge::new(self.active_runs as i64),
        );
        let s = self.commits;
        r.register(
            "journal_commits",
            "Journal transactions committed by this process's writer",
            ConstCounter::new(s.commits),
        );
        r.register(
            "journal_ops",
            "Journal writes applied by this process's writer",
            ConstCounter::new(s.ops),
        );
        r.register(
            "journal_commit_duration_seconds",
            "How long each journal transaction took, from BEGIN to COMMIT",
            Buckets::new(
                &COMMIT_SECONDS_BOUNDS,
                &s.commit_buckets,
                s.commit_ns as f64 / 1e9,
            ),
        );
        r.register(
            "journal_ops_per_commit",
            "Writes per journal transaction (group commit)",
            Buckets::new(&OPS_PER_COMMIT_BOUNDS, &s.ops_buckets, s.ops as f64),
        );
        r.register(
            "journal_queue_depth",
            "Writes queued for the journal writer and not yet in a transaction",
            ConstGauge::new(i64::try_from(s.queued).unwrap_or(i64::MAX)),
        );
        r
    }
}

/// A histogram counted elsewhere: per-bucket counts (not cumulative) and
/// the sum of the observations.
#[derive(Debug)]
struct Buckets {
    buckets: Vec<(f64, u64)>,
    count: u64,
    sum: f64,
}

impl Buckets {
    /// `counts` has one more entry than `bounds`: the observations past
    /// the last bound.
    fn new(bounds: &[f64], counts: &[u64], sum: f64) -> Buckets {
        Buckets {
            buckets: bounds.iter().copied().zip(counts.iter().copied()).collect(),
            count: counts.iter().sum(),
            sum,
        }
    }
}

impl EncodeMetric for Buckets {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_histogram::<NoLabelSet>(self.sum, self.count, &self.buckets, None)
    }
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}
