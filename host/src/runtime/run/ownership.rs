//! Who owns a run: this process's identity, and whether another worker is
//! still alive.
//!
//! A worker records its host name, pid and process start time, and
//! refreshes a heartbeat. Another worker is dead when it ran on this host
//! and its process is gone (or the pid now belongs to a younger process),
//! or when its heartbeat is older than the lease.

use crate::journal::{UnixMs, WorkerRecord};

/// This process as a worker.
#[derive(Debug, Clone)]
pub struct WorkerIdentity {
    pub id: String,
    pub hostname: String,
    pub pid: u32,
    pub proc_start: Option<u64>,
}

impl WorkerIdentity {
    /// The identity of the current process.
    pub fn current() -> WorkerIdentity {
        let pid = std::process::id();
        WorkerIdentity {
            id: uuid::Uuid::now_v7().to_string(),
            hostname: hostname(),
            pid,
            proc_start: proc_start(pid),
        }
    }

    /// As a record, with a fresh heartbeat.
    pub fn record(&self, now: UnixMs) -> WorkerRecord {
        WorkerRecord {
            id: self.id.clone(),
            hostname: self.hostname.clone(),
            pid: self.pid,
            proc_start: self.proc_start,
            heartbeat_at: now,
        }
    }

    /// Whether a run owned by `worker` (`None`: its row is gone) may be
    /// taken over.
    pub fn owner_is_dead(&self, worker: Option<&WorkerRecord>, now: UnixMs, lease_ms: i64) -> bool {
        let Some(w) = worker else {
            return true;
        };
        if w.id == self.id {
            return false;
        }
        if w.hostname == self.hostname {
            let alive = match (proc_start(w.pid), w.proc_start) {
                (Some(now_start), Some(then_start)) => now_start == then_start,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if !alive {
                return true;
            }
        }
        now - w.heartbeat_at > lease_ms
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string())
}

/// The start time of process `pid` (clock ticks since boot), if it exists.
fn proc_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: skip past the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    // Field 22 overall is the 20th after the name.
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_gone_pid_is_dead() {
        let me = WorkerIdentity::current();
        assert!(me.proc_start.is_some());
        let mut other = me.record(0);
        other.id = "other".into();
        // Alive: same process, fresh heartbeat.
        assert!(!me.owner_is_dead(Some(&other), 1000, 15_000));
        // Stale heartbeat.
        assert!(me.owner_is_dead(Some(&other), 100_000, 15_000));
        // A pid that does not exist.
        other.pid = u32::MAX - 1;
        assert!(me.owner_is_dead(Some(&other), 1000, 15_000));
        // A reused pid: same pid, another start time.
        other.pid = me.pid;
        other.proc_start = me.proc_start.map(|s| s + 1);
        assert!(me.owner_is_dead(Some(&other), 1000, 15_000));
        assert!(me.owner_is_dead(None, 0, 15_000));
    }
}
