//! The body's waits: in memory when short, else by suspending the run;
//! and the durable sleep (`ctx.sleep`, `ctx.sleep-until`) built on them.

use crate::journal::{EntryKind, SleepRecord, record_json};
use crate::runtime::run::interrupt::Interrupt;

use super::BodyCx;

impl BodyCx {
    /// Waits until `at` (real time): in memory when it is close, else by
    /// suspending the run.
    pub async fn wait_until(&mut self, at: i64) -> wasmtime::Result<()> {
        if self.dry {
            return Ok(());
        }
        // Spawned steps in flight keep the instance loaded (see `spawn`).
        super::spawn::wait_in_memory_while_spawned(self, at).await?;
        let remaining = at - crate::clock::now_ms();
        if remaining <= 0 {
            return Ok(());
        }
        let threshold = self.rt.config.runtime.suspend_threshold_ms as i64;
        if remaining < threshold {
            self.flush_events();
            self.barrier().await?;
            let sleep = tokio::time::sleep(std::time::Duration::from_millis(remaining as u64));
            self.active
                .unless_stopped(sleep)
                .await
                .map_err(Interrupt::trap)?;
            return Ok(());
        }
        self.barrier().await?;
        Err(Interrupt::Suspend {
            status: crate::journal::RunStatus::Sleeping,
            wake_at: Some(at),
        }
        .trap())
    }

    /// A durable sleep; `wake` gives the wake time from the moment the
    /// sleep is first journaled.
    pub(super) async fn sleep_until(
        &mut self,
        wake: impl FnOnce(i64) -> i64,
        hash: String,
    ) -> wasmtime::Result<()> {
        let key = self.log.next_key(EntryKind::Sleep, "sleep");
        let wake_at = match self.replayed(&key, Some(&hash))? {
            Some(e) => {
                let sleep: SleepRecord = e.decode(&self.run.id).map_err(wasmtime::Error::new)?;
                sleep.wake_at
            }
            None => {
                let now = crate::clock::now_ms();
                let wake_at = wake(now);
                let value = record_json(&SleepRecord { wake_at });
                self.record_at(now, &key, Some(hash), true, Some(value), None, Vec::new());
                wake_at
            }
        };
        self.wait_until(wake_at).await?;
        self.clock.advance_to(wake_at);
        Ok(())
    }
}
