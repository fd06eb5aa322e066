//! Exit codes and how errors are shown.

use cairn::journal::{DatabaseProblem, StoreError};

/// The exit code classes of SPEC §9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// 0: success, including a run that suspended.
    Success,
    /// 1: the run failed (or another failure).
    Failure,
    /// 2: bad usage or bad input.
    Usage,
    /// 3: something named does not exist.
    NotFound,
    /// 130 (128 + SIGINT, as shells report it): stopped by Ctrl-C; what it
    /// was doing goes on without it.
    Interrupted,
}

impl From<ExitKind> for std::process::ExitCode {
    fn from(k: ExitKind) -> Self {
        std::process::ExitCode::from(match k {
            ExitKind::Success => 0,
            ExitKind::Failure => 1,
            ExitKind::Usage => 2,
            ExitKind::NotFound => 3,
            ExitKind::Interrupted => 130,
        })
    }
}

/// An error that ends the command with a message and an exit code.
#[derive(Debug)]
pub struct Exit {
    pub kind: ExitKind,
    pub message: String,
    /// The `--json` error code, when more precise than the kind's.
    pub code: Option<&'static str>,
}

impl Exit {
    pub fn new(kind: ExitKind, message: impl Into<String>) -> Exit {
        Exit {
            kind,
            message: message.into(),
            code: None,
        }
    }

    /// A storage error, classified. A database that cannot be used
    /// (missing directory, read-only, locked, full, damaged) is the
    /// user's to fix, like bad input: exit 2, not "the run failed".
    pub fn from_store(e: StoreError) -> Exit {
        if let StoreError::Database(p) = &e {
            return Exit::database(p);
        }
        let kind = match &e {
            StoreError::NotCairn { .. }
            | StoreError::TooNew { .. }
            | StoreError::NotBuiltIn { .. }
            | StoreError::BadLocation { .. } => ExitKind::Usage,
            StoreError::NotFound(_) => ExitKind::NotFound,
            _ => ExitKind::Failure,
        };
        Exit::new(kind, e.to_string())
    }

    /// A database problem: exit 2 with its own code.
    pub fn database(p: &DatabaseProblem) -> Exit {
        Exit {
            kind: ExitKind::Usage,
            message: p.message.clone(),
            code: Some(p.kind.code()),
        }
    }

    /// Prints the error (as JSON with `--json`) and returns the exit code.
    pub fn report(self, json: bool) -> std::process::ExitCode {
        if json {
            let code = self.code.unwrap_or(match self.kind {
                ExitKind::Usage => "bad-input",
                ExitKind::NotFound => "not-found",
                _ => "error",
            });
            println!(
                "{}",
                serde_json::json!({"error": {"code": code, "message": self.message}})
            );
        } else {
            eprintln!("error: {}", self.message);
        }
        self.kind.into()
    }
}

impl From<StoreError> for Exit {
    fn from(e: StoreError) -> Self {
        Exit::from_store(e)
    }
}
