//! The read side of the SQLite backend: a small pool of read connections,
//! used on tokio's blocking threads.
//!
//! A SQLite query is a blocking call, so a read runs under
//! `spawn_blocking` and the caller's task awaits it: no tokio worker
//! waits on the disk. At most [`Readers::size`] reads run at once (a
//! semaphore, acquired before the blocking task starts), so the pool never
//! holds more connections than that, however many runs read together.
//! Each connection is opened on first need and kept for the next read.
//!
//! Consistency: the writer resolves a write's future only after its
//! transaction committed, and a WAL reader starts its snapshot when its
//! query begins, so a read issued after an acknowledged write sees it.

use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::error::Place;
use super::open_conn;
use crate::journal::{Durability, Reads, StoreError};

/// The read connections, shared with the blocking tasks that use them.
pub(super) struct Readers {
    place: Place,
    durability: Durability,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Readers {
    pub(super) fn new(place: Place, durability: Durability) -> Arc<Readers> {
        Arc::new(Readers {
            place,
            durability,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(Self::size()),
        })
    }

    /// How many reads may run at once: one per core, and at least four so
    /// a slow read (a long journal) does not hold up the scheduler's.
    fn size() -> usize {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .max(4)
    }

    /// The database these connections read.
    pub(super) fn place(&self) -> &Place {
        &self.place
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub(super) fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Reads<'static, T> {
        let readers = Arc::clone(self);
        Box::pin(async move {
            let _permit = readers.permits.acquire().await.map_err(|_| gone())?;
            let task = Arc::clone(&readers);
            match tokio::task::spawn_blocking(move || task.with(f)).await {
                Ok(out) => out,
                // A read that panicked panics its caller, as a read made
                // on the caller's thread would.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => Err(gone()),
            }
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle.lock().expect("reader pool").pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_conn(&self.place, self.durability)?,
        };
        let out = f(&conn).map_err(|e| self.place.reclassify(e));
        self.idle.lock().expect("reader pool").push(conn);
        out
    }
}

/// The runtime is shutting down and took the read's blocking task with it.
fn gone() -> StoreError {
    StoreError::Unavailable {
        reason: "the journal read was cancelled: the process is shutting down".to_string(),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::journal::sqlite::SqliteStore;
    use crate::journal::{Durability, Storage};

    /// Many reads at once all answer, on a current-thread runtime too, and
    /// the pool keeps no more connections than reads may run at once.
    #[test]
    fn concurrent_reads_share_a_bounded_pool() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Arc::new(
            SqliteStore::open(&dir.path().join("r.db"), Durability::Relaxed).expect("open"),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let ids: Vec<String> = (0..64).map(|i| format!("run-{i}")).collect();
        let answers = rt.block_on(futures_util::future::join_all(
            ids.iter().map(|id| store.run(id)),
        ));
        assert_eq!(answers.len(), 64);
        for a in answers {
            assert!(a.expect("the read answers").is_none(), "no run was written");
        }
        let kept = store.readers.idle.lock().expect("reader pool").len();
        assert!(
            (1..=super::Readers::size()).contains(&kept),
            "{kept} connections kept, at most {} may run at once",
            super::Readers::size()
        );
    }
}
