//! What can be wrong with the database itself, as opposed to a write or a
//! record: the kinds are the backend's business to detect and the user's
//! to fix, so they carry no backend types and are cheap to clone (an
//! activation that stops on one hands it up to the command that ran it).

/// The class of a database problem. A Postgres backend maps its own
/// failures onto the same kinds (connection refused → `Unavailable`, a
/// read-only replica → `ReadOnly`, a lock timeout → `Locked`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(into = "&'static str")]
pub enum ProblemKind {
    /// It cannot be opened where it is said to be: a missing directory, a
    /// path that is a directory, an unreadable file.
    Unavailable,
    /// It, or the directory it needs to write beside it, is read-only.
    ReadOnly,
    /// Another process held its write lock for longer than the lock
    /// timeout.
    Locked,
    /// The disk (or quota) holding it is full.
    Full,
    /// Its pages are damaged.
    Corrupt,
}

impl ProblemKind {
    /// The error code shown with `--json` and by the HTTP API.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::Unavailable => "database-unavailable",
            ProblemKind::ReadOnly => "database-read-only",
            ProblemKind::Locked => "database-locked",
            ProblemKind::Full => "disk-full",
            ProblemKind::Corrupt => "database-corrupt",
        }
    }
}

impl From<ProblemKind> for &'static str {
    fn from(k: ProblemKind) -> &'static str {
        k.code()
    }
}

/// A database that cannot be used, with a message that names the path
/// and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{message}")]
pub struct DatabaseProblem {
    pub kind: ProblemKind,
    /// The database as the user named it.
    pub path: String,
    /// What is wrong and what to do, in full sentences.
    pub message: String,
}

impl DatabaseProblem {
    pub fn new(kind: ProblemKind, path: &str, message: impl Into<String>) -> DatabaseProblem {
        DatabaseProblem {
            kind,
            path: path.to_string(),
            message: message.into(),
        }
    }
}
