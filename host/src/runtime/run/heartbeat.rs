//! This worker's heartbeat: renews its lease, notices cancellations of the
//! runs it executes, and releases runs it owns but no longer executes.

use std::collections::HashSet;
use std::sync::Weak;
use std::time::Duration;

use crate::journal::WriteOp;
use crate::runtime::Runtime;

/// Releases runs this worker owns but has not executed for a whole beat
/// (an activation that ended without recording its end, say when the
/// journal could not be written): nobody else would take them while this
/// worker lives. Returns the runs owned and idle now, for the next beat.
async fn release_strays(rt: &Runtime, before: HashSet<String>) -> HashSet<String> {
    let Ok(owned) = rt.store.owned_by(&rt.worker.id).await else {
        return before;
    };
    // A run claimed here whose activation has not registered yet (its
    // version still loading, a large input still being read) is not a
    // stray; a claim older than the lease that never registered is.
    let lease = Duration::from_millis(rt.lease_ms().max(0) as u64);
    let idle: HashSet<String> = {
        let active = rt.active.lock().expect("active runs");
        owned
            .into_iter()
            .filter(|id| !active.contains_key(id))
            .collect()
    };
    let idle: HashSet<String> = idle
        .into_iter()
        .filter(|id| !rt.claimed_recently(id, lease))
        .collect();
    for id in idle.intersection(&before) {
        tracing::warn!(run = %id, "releasing a run this worker owned but no longer executed");
        let _ = rt
            .store
            .write(WriteOp::Release {
                run_id: id.clone(),
                owner: rt.worker.id.clone(),
            })
            .await;
        rt.wake.notify_one();
    }
    idle
}

/// Refreshes this worker's heartbeat and notices cancellations of the runs
/// it executes, until the runtime is dropped. A lapse of the lease found
/// at a beat (the process was paused, or its beats failed) abandons the
/// runs it executes before the lease is renewed.
pub(in crate::runtime) async fn heartbeat(rt: Weak<Runtime>) {
    let mut last_beat = crate::clock::now_ms();
    // Runs this worker owned without executing them at the last beat.
    let mut idle: HashSet<String> = Default::default();
    loop {
        let interval = match rt.upgrade() {
            Some(rt) => rt.lease.beat_interval_ms(),
            None => return,
        };
        tokio::time::sleep(Duration::from_millis(interval.clamp(1, 250) as u64)).await;
        let Some(rt) = rt.upgrade() else { return };
        let now = crate::clock::now_ms();
        if now - last_beat >= interval {
            last_beat = now;
            rt.lease_holds();
            match rt
                .store
                .write(WriteOp::Heartbeat(rt.worker.record(now)))
                .await
            {
                Ok(_) => rt.lease.renewed(now),
                Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
            }
            idle = release_strays(&rt, idle).await;
        }
        if rt.active_count() == 0 {
            continue;
        }
        match rt.store.cancelled_owned(&rt.worker.id).await {
            Ok(ids) => {
                let active = rt.active.lock().expect("active runs");
                for id in ids {
                    if let Some(a) = active.get(&id) {
                        a.cancel();
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "checking for cancellations failed"),
        }
    }
}
