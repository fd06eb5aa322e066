//! The kinds of run events: one list, so a renamed kind breaks the build
//! (and the API document the page and the CLI read), not a page that
//! matches text.

use serde::{Deserialize, Serialize};

/// What a run event is about. Stored as its name (`as_str`); the API and
/// the server-sent events carry the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// The run's status changed (created, claimed, suspended, ended,
    /// retried, cancelled).
    Status,
    /// A step attempt started, succeeded, failed or was retried.
    Step,
    /// A line the body or a step logged, or wrote to stdout/stderr.
    Log,
    /// A custom event of the body (`ctx.emit`).
    Emit,
    /// The body asked a person (`wait_for_user`).
    Prompt,
    /// A prompt was answered, or its timeout passed.
    Answer,
    /// A `wait_for_event` took a signal or passed its timeout.
    Event,
    /// A signal was sent to the run.
    Signal,
    /// An LLM call returned or failed.
    Llm,
    /// The run was checked against another version: moved or kept.
    Version,
    /// Replay reached the journal's end; from here the run runs live.
    Live,
    /// Replay found the code asking for something the journal does not hold.
    Divergence,
}

impl EventKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [EventKind; 12] = [
        EventKind::Status,
        EventKind::Step,
        EventKind::Log,
        EventKind::Emit,
        EventKind::Prompt,
        EventKind::Answer,
        EventKind::Event,
        EventKind::Signal,
        EventKind::Llm,
        EventKind::Version,
        EventKind::Live,
        EventKind::Divergence,
    ];

    /// The kind's name, as stored and as the API shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Status => "status",
            EventKind::Step => "step",
            EventKind::Log => "log",
            EventKind::Emit => "emit",
            EventKind::Prompt => "prompt",
            EventKind::Answer => "answer",
            EventKind::Event => "event",
            EventKind::Signal => "signal",
            EventKind::Llm => "llm",
            EventKind::Version => "version",
            EventKind::Live => "live",
            EventKind::Divergence => "divergence",
        }
    }

    /// The kind named `s`, if there is one.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.as_str().into())
            );
        }
        assert_eq!(EventKind::parse("statuses"), None);
    }
}
