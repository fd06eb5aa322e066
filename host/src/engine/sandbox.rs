//! The two sandboxes an instance can run in.
//!
//! A body sandbox has a logical clock the runtime moves along the journal,
//! randomness seeded from the run, no environment, no files, no sockets,
//! and `wasi:http` refusing every request. A step sandbox has real clocks
//! and randomness, the configured environment variables, and `wasi:http`
//! limited to the allow-listed hosts.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView};

use super::http_policy::HttpPolicy;
use super::limits::{Limits, MemoryLimiter};
use super::output::{Capture, OutputSink, Stream};

/// The time a body instance sees, in Unix milliseconds. The runtime sets
/// it from journal entries, so replays see the same values.
#[derive(Debug, Clone)]
pub struct LogicalClock {
    now_ms: Arc<AtomicI64>,
    start_ms: i64,
}

impl LogicalClock {
    /// A clock reading `start_ms` until moved.
    pub fn new(start_ms: i64) -> LogicalClock {
        LogicalClock {
            now_ms: Arc::new(AtomicI64::new(start_ms)),
            start_ms,
        }
    }

    /// Moves the clock forward to `ms` (never backwards).
    pub fn advance_to(&self, ms: i64) {
        self.now_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// The current logical time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::Relaxed)
    }
}

impl HostWallClock for LogicalClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
    fn now(&self) -> Duration {
        Duration::from_millis(self.now_ms().max(0) as u64)
    }
}

impl HostMonotonicClock for LogicalClock {
    fn resolution(&self) -> u64 {
        1_000_000
    }
    fn now(&self) -> u64 {
        (self.now_ms() - self.start_ms).max(0) as u64 * 1_000_000
    }
}

/// WASI, wasi:http and limits of one instance.
pub struct Sandbox {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub http: WasiHttpCtx,
    pub http_policy: HttpPolicy,
    pub limiter: MemoryLimiter,
    pub output: Arc<OutputSink>,
}

impl Sandbox {
    /// The sandbox of a workflow body.
    pub fn body(clock: &LogicalClock, seed: u64, limits: &Limits) -> Sandbox {
        let output = OutputSink::new();
        let mut b = WasiCtxBuilder::new();
        b.wall_clock(clock.clone())
            .monotonic_clock(clock.clone())
            .secure_random(StdRng::seed_from_u64(seed))
            .insecure_random(StdRng::seed_from_u64(seed.rotate_left(17) ^ 0x9e37_79b9))
            .insecure_random_seed(u128::from(seed) << 64 | u128::from(seed.rotate_left(31)))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        Self::finish(b, output, HttpPolicy::Body, limits)
    }

    /// The sandbox of one step attempt.
    pub fn step(
        env: &[(String, String)],
        allow_http: Arc<[String]>,
        gate: Option<super::http_policy::Gate>,
        limits: &Limits,
    ) -> Sandbox {
        let output = OutputSink::new();
        let mut b = WasiCtxBuilder::new();
        b.envs(env)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let policy = HttpPolicy::Step {
            allow: allow_http,
            gate,
        };
        Self::finish(b, output, policy, limits)
    }

    fn finish(
        mut b: WasiCtxBuilder,
        output: Arc<OutputSink>,
        http_policy: HttpPolicy,
        limits: &Limits,
    ) -> Sandbox {
        b.stdout(Capture::new(output.clone(), Stream::Stdout))
            .stderr(Capture::new(output.clone(), Stream::Stderr));
        Sandbox {
            wasi: b.build(),
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            http_policy,
            limiter: MemoryLimiter::new(limits),
            output,
        }
    }

    /// The WASI view over this sandbox.
    pub fn wasi_view(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }

    /// The wasi:http view over this sandbox.
    pub fn http_view(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_policy,
        }
    }
}
