//! The body instance's store data: its sandbox, its deadline and its
//! [`BodyCx`], and what every host call does on the way in and out.

use std::sync::Arc;

use serde_json::json;

use crate::engine::HostView;
use crate::engine::bindings::types as wit;
use crate::engine::limits::Deadline;
use crate::engine::sandbox::{LogicalClock, Sandbox};
use crate::journal::{EventKind, NewEvent, RunRecord};
use crate::runtime::run::replay::ReplayLog;
use crate::runtime::versions::LoadedVersion;
use crate::runtime::{ActiveRun, Runtime};

use super::BodyCx;

/// Store data of a body instance.
pub struct BodyState {
    sandbox: Sandbox,
    deadline: Deadline,
    /// The journal side of the activation.
    pub cx: BodyCx,
}

impl BodyState {
    /// The state for one activation of `run`.
    pub fn new(
        rt: Arc<Runtime>,
        run: RunRecord,
        version: Arc<LoadedVersion>,
        log: ReplayLog,
        active: Arc<ActiveRun>,
        dry: bool,
    ) -> BodyState {
        // A restarted run's copied prefix replays the first run's clock.
        let origin = run.restarted_from.as_ref().map(|o| o.clock_origin);
        let clock = LogicalClock::new(origin.unwrap_or(run.created_at));
        let limits = rt.config.limits;
        let sandbox = Sandbox::body(&clock, run.seed, &limits);
        sandbox.output.set_muted(log.replaying());
        BodyState {
            sandbox,
            deadline: Deadline::new(std::time::Duration::from_secs(limits.body_deadline_secs)),
            cx: BodyCx::new(rt, run, version, log, clock, active, dry),
        }
    }

    /// Takes the lines the body printed, as log events.
    pub fn drain_output(&mut self, all: bool) -> Vec<NewEvent> {
        let now = crate::clock::now_ms();
        self.sandbox
            .output
            .take(all)
            .into_iter()
            .map(|(stream, line)| NewEvent {
                at: now,
                kind: EventKind::Log,
                data: json!({"stream": stream.as_str(), "message": line}),
            })
            .collect()
    }

    /// Start of every host call.
    pub(super) fn enter(&mut self) -> wasmtime::Result<()> {
        if let Some(t) = self.cx.started.take() {
            self.cx.rt.metrics.first_host_call(t.elapsed());
        }
        if let Some(i) = self.cx.active.stop_reason() {
            return Err(i.trap());
        }
        let lines = self.drain_output(false);
        if !lines.is_empty() {
            self.cx.event_batch(lines);
        }
        Ok(())
    }

    /// End of every host call.
    pub(super) fn leave<T>(&mut self, r: wasmtime::Result<T>) -> wasmtime::Result<T> {
        self.deadline.touch();
        self.sandbox.output.set_muted(self.cx.log.replaying());
        r
    }
}

impl wit::Host for BodyState {}

impl wasmtime_wasi::WasiView for BodyState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        self.sandbox.wasi_view()
    }
}

impl wasmtime_wasi_http::WasiHttpView for BodyState {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        self.sandbox.http_view()
    }
}

impl HostView for BodyState {
    fn sandbox(&mut self) -> &mut Sandbox {
        &mut self.sandbox
    }
    fn deadline(&self) -> Option<&Deadline> {
        Some(&self.deadline)
    }
}
