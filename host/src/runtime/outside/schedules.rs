//! Schedules: the `cron(...)` triggers of the active versions' workflows,
//! fired by every `serve` worker. Each tick is a delivery (the exactly-once
//! record webhooks use) of the schedule's source with the tick's instant as
//! its id, so however many workers see a tick, one run starts for it.
//!
//! A schedule is known by its workflow, expression and zone: a new version
//! with the same schedule carries on from the last tick, a changed one is
//! a new schedule. The first worker to see a schedule records a baseline
//! delivery (no runs) at that moment: ticks before it never fire.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::journal::{Storage, StoreError, UnixMs, WriteOp, WriteOutcome};
use crate::runtime::versions::Manifest;
use crate::runtime::{Runtime, StartOptions};
use crate::schedule::{Overlap, Schedule};

/// The id of a schedule's baseline delivery.
const BASELINE: &str = "since";

/// The longest the loop sleeps: how soon a new deploy's schedule is seen.
const MAX_NAP: Duration = Duration::from_secs(1);

/// One schedule of one workflow.
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub workflow: String,
    /// The delivery source of its ticks: `schedule:WORKFLOW:EXPR@ZONE`.
    pub source: String,
    pub schedule: Schedule,
}

/// A schedule with what the store says about it.
#[derive(Debug, Clone)]
pub struct ScheduleStatus {
    pub scheduled: Scheduled,
    /// When the schedule was first seen (ticks before it never fire).
    pub since: Option<UnixMs>,
    /// The latest ticks handled, newest first, with the runs each started
    /// (none: skipped for overlap, or the start was refused).
    pub recent: Vec<(UnixMs, Vec<String>)>,
}

/// How many recent ticks `cairn schedules` shows.
pub const RECENT_TICKS: u32 = 20;

/// Parsed schedules by version, so a pass does not parse every manifest.
#[derive(Default)]
pub struct ScheduleCache {
    by_version: HashMap<String, Vec<Scheduled>>,
}

/// The schedules of every workflow's active version.
pub async fn schedules(
    store: &dyn Storage,
    cache: &mut ScheduleCache,
) -> Result<Vec<Scheduled>, StoreError> {
    let mut out = Vec::new();
    for (workflow, sha, manifest) in store.active_manifests().await? {
        if !cache.by_version.contains_key(&sha) {
            let parsed = parse(&sha, &manifest)?;
            cache.by_version.insert(sha.clone(), parsed);
        }
        out.extend(
            cache.by_version[&sha]
                .iter()
                .filter(|s| s.workflow == workflow)
                .cloned(),
        );
    }
    Ok(out)
}

/// Every schedule with its recent ticks (for `cairn schedules` and the API).
pub async fn schedule_status(store: &dyn Storage) -> Result<Vec<ScheduleStatus>, StoreError> {
    let mut out = Vec::new();
    for scheduled in schedules(store, &mut ScheduleCache::default()).await? {
        let ticks = store
            .deliveries(&scheduled.source, RECENT_TICKS + 1, false)
            .await?;
        let since = ticks
            .iter()
            .find(|d| d.delivery_id == BASELINE)
            .map(|d| d.at);
        let recent = ticks
            .into_iter()
            .filter(|d| d.delivery_id != BASELINE)
            .take(RECENT_TICKS as usize)
            .map(|d| (d.at, d.runs))
            .collect();
        out.push(ScheduleStatus {
            scheduled,
            since,
            recent,
        });
    }
    Ok(out)
}

impl Runtime {
    /// Fires the schedules for ever (the `serve` loop runs it beside its
    /// own). `up_since` is when this worker came up: ticks before it were
    /// missed and follow each schedule's catch-up policy.
    pub async fn run_schedules(self: Arc<Self>, up_since: UnixMs) {
        let mut cache = ScheduleCache::default();
        loop {
            let next = match self.fire_schedules(&mut cache, up_since).await {
                Ok(next) => next,
                Err(e) => {
                    tracing::warn!(error = %e, "firing schedules failed");
                    None
                }
            };
            let now = crate::clock::now_ms();
            let nap = next.map_or(MAX_NAP, |t| {
                Duration::from_millis((t - now).max(0) as u64).min(MAX_NAP)
            });
            tokio::time::sleep(nap).await;
        }
    }

    /// One pass: starts the runs due now; returns the earliest next tick.
    pub async fn fire_schedules(
        &self,
        cache: &mut ScheduleCache,
        up_since: UnixMs,
    ) -> Result<Option<UnixMs>, StoreError> {
        let mut earliest: Option<UnixMs> = None;
        for s in schedules(&*self.store, cache).await? {
            let now = crate::clock::now_ms();
            let last = match self.store.deliveries(&s.source, 1, false).await?.pop() {
                Some(d) => d.at,
                None => {
                    self.record_tick(&s, BASELINE, now, Vec::new()).await?;
                    now
                }
            };
            let due = s.schedule.due(last, now, up_since);
            let mut from = last;
            for tick in due {
                self.fire(&s, tick).await?;
                from = tick;
            }
            if let Some(next) = s.schedule.next_after(from.max(now)) {
                earliest = Some(earliest.map_or(next, |e| e.min(next)));
            }
        }
        Ok(earliest)
    }

    /// Handles one tick: applies the overlap policy, then starts its run.
    async fn fire(&self, s: &Scheduled, tick: UnixMs) -> Result<(), StoreError> {
        let running = self.still_running(s).await?;
        if !running.is_empty() {
            match s.schedule.spec.overlap {
                Overlap::Skip => {
                    tracing::info!(workflow = %s.workflow, tick, "schedule tick skipped: the previous run is still going");
                    return self
                        .record_tick(s, &tick.to_string(), tick, Vec::new())
                        .await;
                }
                Overlap::Allow => {}
                Overlap::CancelPrevious => {
                    for id in &running {
                        self.cancel(id).await?;
                    }
                }
            }
        }
        let options = StartOptions {
            idempotency_key: Some(format!("{}@{tick}", s.source)),
            ..StartOptions::default()
        };
        let runs = match self.new_run(&s.workflow, "null", options).await {
            Ok(run) => vec![run],
            Err(e) => {
                tracing::warn!(workflow = %s.workflow, tick, error = %e, "a schedule tick started no run");
                Vec::new()
            }
        };
        self.record_tick(s, &tick.to_string(), tick, runs).await
    }

    /// The runs of the schedule's last tick that have not ended.
    async fn still_running(&self, s: &Scheduled) -> Result<Vec<String>, StoreError> {
        let Some(last) = self.store.deliveries(&s.source, 1, true).await?.pop() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for id in last.runs {
            if let Some(run) = self.store.run(&id).await?
                && !run.status.is_terminal()
            {
                out.push(id);
            }
        }
        Ok(out)
    }

    async fn record_tick(
        &self,
        s: &Scheduled,
        id: &str,
        at: UnixMs,
        runs: Vec<crate::journal::NewRun>,
    ) -> Result<(), StoreError> {
        let out = self
            .store
            .write(WriteOp::Delivery {
                source: s.source.clone(),
                delivery_id: id.to_string(),
                at,
                runs,
            })
            .await?;
        if let WriteOutcome::Delivered { new: true, runs } = out
            && !runs.is_empty()
        {
            tracing::info!(workflow = %s.workflow, tick = at, runs = ?runs, "schedule fired");
            self.notify_work();
        }
        Ok(())
    }
}

/// The schedules a stored manifest declares (checked at deploy).
fn parse(sha: &str, manifest: &str) -> Result<Vec<Scheduled>, StoreError> {
    let manifest: Manifest = serde_json::from_str(manifest)
        .map_err(|e| StoreError::Corrupt(format!("manifest of {sha}: {e}")))?;
    let mut out = Vec::new();
    for w in manifest.workflows {
        for spec in w.schedules {
            let source = format!(
                "schedule:{}:{}@{}",
                w.name,
                spec.cron,
                spec.tz.as_deref().unwrap_or("UTC")
            );
            let schedule = Schedule::new(spec)
                .map_err(|e| StoreError::Corrupt(format!("manifest of {sha}: {e}")))?;
            out.push(Scheduled {
                workflow: w.name.clone(),
                source,
                schedule,
            });
        }
    }
    Ok(out)
}
