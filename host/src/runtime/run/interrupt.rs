//! Why an activation stopped before the body returned.
//!
//! Host calls end an activation by trapping with one of these; the
//! activation downcasts the trap to decide what to record.

use crate::journal::{RunStatus, UnixMs};

/// A deliberate end of an activation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Interrupt {
    /// The run waits for a timer (or, later, for something from outside);
    /// the instance is unloaded and the run resumes by replay.
    #[error("suspended ({status}) until {wake_at:?}")]
    Suspend {
        status: RunStatus,
        wake_at: Option<UnixMs>,
    },
    /// `cairn cancel` was called on the run.
    #[error("the run was cancelled")]
    Cancelled,
    /// Another worker owns the run now; this one must stop touching it.
    #[error("{0}")]
    Fenced(String),
    /// The journal no longer matches the code, and the version is strict.
    #[error("{0}")]
    Diverged(String),
    /// The journal could not be written.
    #[error("journal write failed: {0}")]
    Store(String),
    /// The database cannot be used (read-only, locked, full, damaged):
    /// the run stays where its journal ends until someone fixes that.
    #[error("{0}")]
    Database(crate::journal::DatabaseProblem),
    /// A dry replay (the side-effect-free check before a move) reached the
    /// end of the journal with everything matched.
    #[error("the dry replay reached the end of the journal")]
    DryFrontier,
    /// A dry replay found the journal and the code disagree.
    #[error("{}", .0.message)]
    DryDiverged(super::replay::Divergence),
}

impl Interrupt {
    /// As a trap for wasmtime.
    pub fn trap(self) -> wasmtime::Error {
        wasmtime::Error::new(self)
    }
}

impl Interrupt {
    /// A failed journal write, as the activation sees it.
    pub fn from_store(e: crate::journal::StoreError) -> Interrupt {
        match e {
            crate::journal::StoreError::LeaseLost { .. } => Interrupt::Fenced(e.to_string()),
            crate::journal::StoreError::Database(p) => Interrupt::Database(p),
            other => Interrupt::Store(other.to_string()),
        }
    }
}
