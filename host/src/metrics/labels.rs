//! The label sets of cairn's metric families, as types: a family's labels
//! cannot be misspelled or forgotten at one call site.

use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

/// A workflow and one of its steps.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabels {
    pub workflow: Arc<str>,
    pub step: Arc<str>,
}

/// How one step attempt ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)] // the label values, as Prometheus shows them
pub enum AttemptOutcome {
    /// It returned a value.
    completed,
    /// It failed and another attempt follows.
    retrying,
    /// It failed for good (no attempts left, or not retryable).
    failed,
}

/// A step attempt: its step and how it ended.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    pub workflow: Arc<str>,
    pub step: Arc<str>,
    pub outcome: AttemptOutcome,
}

/// How one activation ended (`runtime::Outcome`).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum ActivationOutcome {
    completed,
    failed,
    suspended,
    cancelled,
    diverged,
    lost,
}

/// An activation of a workflow's run.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActivationLabels {
    pub workflow: String,
    pub outcome: ActivationOutcome,
}

/// What a live component instance runs.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum InstanceKind {
    /// A run's body (one per activation in progress).
    body,
    /// One step attempt.
    step,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InstanceLabels {
    pub kind: InstanceKind,
}

/// Whether an LLM call got a reply.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum LlmOutcome {
    ok,
    error,
}

/// An LLM call to a provider's model.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LlmCallLabels {
    pub provider: String,
    pub model: String,
    pub outcome: LlmOutcome,
}

/// Which side of a call tokens were counted on.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum TokenKind {
    input,
    output,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LlmTokenLabels {
    pub provider: String,
    pub model: String,
    pub kind: TokenKind,
}

/// An HTTP request: the route pattern it matched (`/v1/runs/{id}`, not
/// the URL; `unmatched` when none did), its method and response status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

/// An HTTP route pattern.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

/// A workflow and a run status (the `cairn_runs` gauge).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunLabels {
    pub workflow: String,
    pub status: &'static str,
}
