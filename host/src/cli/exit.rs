//! Exit codes and how errors are shown.

use cairn::journal::StoreError;

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
}

impl From<ExitKind> for std::process::ExitCode {
    fn from(k: ExitKind) -> Self {
        std::process::ExitCode::from(match k {
            ExitKind::Success => 0,
            ExitKind::Failure => 1,
            ExitKind::Usage => 2,
            ExitKind::NotFound => 3,
        })
    }
}

/// An error that ends the command with a message and an exit code.
#[derive(Debug)]
pub struct Exit {
    pub kind: ExitKind,
    pub message: String,
}

impl Exit {
    pub fn new(kind: ExitKind, message: impl Into<String>) -> Exit {
        Exit {
            kind,
            message: message.into(),
        }
    }

    /// A storage error, classified.
    pub fn from_store(e: StoreError) -> Exit {
        let kind = match &e {
            StoreError::NotCairn { .. } | StoreError::TooNew { .. } => ExitKind::Usage,
            StoreError::NotFound(_) => ExitKind::NotFound,
            _ => ExitKind::Failure,
        };
        Exit::new(kind, e.to_string())
    }

    /// Prints the error (as JSON with `--json`) and returns the exit code.
    pub fn report(self, json: bool) -> std::process::ExitCode {
        if json {
            let code = match self.kind {
                ExitKind::Usage => "bad-input",
                ExitKind::NotFound => "not-found",
                _ => "error",
            };
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
