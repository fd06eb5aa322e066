//! Per-instance limits: memory, time between host calls, value size.
//!
//! A breach raises a [`LimitExceeded`] trap; the activation that hit it
//! ends with a message naming the limit and its setting, and the host
//! goes on serving everything else.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The limits one instance runs under.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Linear memory per instance, in MiB (`limits.memory_mb`).
    pub memory_mb: u64,
    /// Longest a body may compute without calling the host, in seconds
    /// (`limits.body_deadline_secs`).
    pub body_deadline_secs: u64,
    /// Default time one step attempt may take, in seconds
    /// (`limits.step_timeout_secs`); a step's own `timeout` wins.
    pub step_timeout_secs: u64,
    /// Largest value (step output, state value, run output) that may be
    /// journaled, in bytes (`limits.max_value_bytes`).
    pub max_value_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mb: 256,
            body_deadline_secs: 30,
            step_timeout_secs: 300,
            max_value_bytes: 16 << 20,
        }
    }
}

/// Which limit was hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitKind {
    Memory,
    Deadline,
    StepTimeout,
    ValueSize,
}

/// A limit breach; raised as a trap, or returned where the caller decides.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LimitExceeded {
    pub kind: LimitKind,
    pub message: String,
}

impl LimitExceeded {
    /// A value of `size` bytes is larger than the journal accepts.
    pub fn value_size(what: &str, size: usize, limit: u64) -> LimitExceeded {
        LimitExceeded {
            kind: LimitKind::ValueSize,
            message: format!(
                "{what} is {} but limits.max_value_bytes is {}: the journal refuses values \
                 this large",
                human_bytes(size as u64),
                human_bytes(limit)
            ),
        }
    }

    /// A step attempt ran past its timeout.
    pub fn step_timeout(step: &str, timeout: Duration) -> LimitExceeded {
        LimitExceeded {
            kind: LimitKind::StepTimeout,
            message: format!(
                "step `{step}` timed out after {} (its `timeout`, or limits.step_timeout_secs)",
                human_duration(timeout)
            ),
        }
    }
}

/// Enforces the memory limit and remembers the breach for the message.
pub struct MemoryLimiter {
    max_bytes: usize,
    max_mb: u64,
}

impl MemoryLimiter {
    /// A limiter for `limits.memory_mb`.
    pub fn new(limits: &Limits) -> MemoryLimiter {
        MemoryLimiter {
            max_bytes: (limits.memory_mb as usize).saturating_mul(1 << 20),
            max_mb: limits.memory_mb,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            return Err(wasmtime::Error::new(LimitExceeded {
                kind: LimitKind::Memory,
                message: format!(
                    "memory limit exceeded: the instance asked to grow from {} to {} but \
                     limits.memory_mb is {} MiB",
                    human_bytes(current as u64),
                    human_bytes(desired as u64),
                    self.max_mb
                ),
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// Tracks time since the last host call of a body instance.
#[derive(Debug)]
pub struct Deadline {
    last_host_call: Instant,
    limit: Duration,
}

impl Deadline {
    /// A deadline of `limit` between host calls, starting now.
    pub fn new(limit: Duration) -> Deadline {
        Deadline {
            last_host_call: Instant::now(),
            limit,
        }
    }

    /// Call on every host call: the clock starts again.
    pub fn touch(&mut self) {
        self.last_host_call = Instant::now();
    }

    /// `Err` once the body has computed for longer than the limit.
    pub fn check(&self) -> Result<(), LimitExceeded> {
        if self.last_host_call.elapsed() > self.limit {
            return Err(LimitExceeded {
                kind: LimitKind::Deadline,
                message: format!(
                    "the workflow body computed for more than {} without calling the host \
                     (limits.body_deadline_secs); is it looping?",
                    human_duration(self.limit)
                ),
            });
        }
        Ok(())
    }
}

/// `1.5 MiB`, `100 MiB`, `512 B`.
pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        let mib = n as f64 / (1u64 << 20) as f64;
        if mib.fract() == 0.0 {
            format!("{mib:.0} MiB")
        } else {
            format!("{mib:.1} MiB")
        }
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// `250ms`, `30s`, `2m 5s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 && !ms.is_multiple_of(1000) {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 60_000 {
        format!("{}s", ms / 1000)
    } else {
        let s = ms / 1000;
        match s % 60 {
            0 => format!("{}m", s / 60),
            r => format!("{}m {r}s", s / 60),
        }
    }
}
