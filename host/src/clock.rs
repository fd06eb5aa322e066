//! Real time for the host (never handed to a body instance).
//!
//! [`now_ms`] is the host's one wall-clock read. Code that should be
//! testable with another time takes a [`Clock`] instead: the storage rules
//! (`journal/rules/`) do, so a backend never reads the time itself.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A source of "now", in Unix milliseconds.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// The system's wall clock ([`now_ms`]): what production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        now_ms()
    }
}

/// A clock that says what it was set to, for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock reading `at`.
    pub fn at(at: i64) -> ManualClock {
        ManualClock(AtomicI64::new(at))
    }

    /// Sets the time.
    pub fn set(&self, at: i64) {
        self.0.store(at, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}
