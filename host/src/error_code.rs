//! The error codes the host itself puts in an error (a run's, a step
//! attempt's, an LLM call's): one list, documented in `wit/workflow.wit`
//! ("Error codes") and the README. A guest's own errors carry its own
//! codes, which are strings the host passes through.

use serde::{Deserialize, Serialize};

/// A code the host emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The instance trapped (a panic, an unreachable, a ctx call not
    /// allowed in a step).
    Trap,
    /// A step attempt or a wait passed its deadline.
    Timeout,
    /// A memory, deadline or value-size limit was passed.
    Limit,
    /// `run` or `run-step` returned `bad-input`.
    BadInput,
    /// The component does not export the workflow.
    UnknownWorkflow,
    /// The component does not export the step.
    UnknownStep,
    /// This worker may no longer start side effects for the run.
    LeaseLapsed,
    /// An LLM provider could not be reached.
    Unreachable,
    /// An LLM provider answered 429 after every retry.
    RateLimited,
    /// An LLM provider answered 5xx after every retry.
    ServerError,
    /// An LLM provider refused the request (another 4xx).
    Refused,
    /// An LLM provider's reply could not be read.
    BadReply,
    /// No LLM provider of that name is configured.
    NotConfigured,
    /// The LLM request itself is malformed.
    BadRequest,
    /// The run was cancelled.
    Cancelled,
    /// The run's code no longer matches its journal.
    Diverged,
    /// The run's version cannot run it (gone, or does not export it).
    Version,
    /// A failure the record does not say more of (a stored error that
    /// is missing or unreadable).
    Error,
}

impl ErrorCode {
    /// Every code, in the order the documentation lists them.
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::Trap,
        ErrorCode::Timeout,
        ErrorCode::Limit,
        ErrorCode::BadInput,
        ErrorCode::UnknownWorkflow,
        ErrorCode::UnknownStep,
        ErrorCode::LeaseLapsed,
        ErrorCode::Unreachable,
        ErrorCode::RateLimited,
        ErrorCode::ServerError,
        ErrorCode::Refused,
        ErrorCode::BadReply,
        ErrorCode::NotConfigured,
        ErrorCode::BadRequest,
        ErrorCode::Cancelled,
        ErrorCode::Diverged,
        ErrorCode::Version,
        ErrorCode::Error,
    ];

    /// The code as it is stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Trap => "trap",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Limit => "limit",
            ErrorCode::BadInput => "bad-input",
            ErrorCode::UnknownWorkflow => "unknown-workflow",
            ErrorCode::UnknownStep => "unknown-step",
            ErrorCode::LeaseLapsed => "lease-lapsed",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::RateLimited => "rate-limited",
            ErrorCode::ServerError => "server-error",
            ErrorCode::Refused => "refused",
            ErrorCode::BadReply => "bad-reply",
            ErrorCode::NotConfigured => "not-configured",
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Diverged => "diverged",
            ErrorCode::Version => "version",
            ErrorCode::Error => "error",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorCode> for String {
    fn from(c: ErrorCode) -> String {
        c.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for c in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    /// Every code is in the WIT file's "Error codes" list and the README's.
    #[test]
    fn every_code_is_documented() {
        let root = crate::guests::repo_root();
        let wit = std::fs::read_to_string(root.join("wit/workflow.wit")).unwrap();
        let wit = &wit[wit
            .find("// Error codes.")
            .expect("the WIT file lists error codes")..];
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let readme = &readme[readme
            .find("### Error codes")
            .expect("the README has an Error codes section")..];
        for c in ErrorCode::ALL {
            let quoted = format!("`{}`", c.as_str());
            assert!(wit.contains(&quoted), "{quoted} is not in wit/workflow.wit");
            assert!(readme.contains(&quoted), "{quoted} is not in the README");
        }
    }
}
