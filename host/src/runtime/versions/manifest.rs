//! What a deployed version declares, as cairn stores it: workflows, steps
//! with their retry policies, triggers. Read from the component's
//! `describe` (and `describe-ext`, see `manifest_ext.rs`) at deploy.

use serde::{Deserialize, Serialize};

use crate::engine::bindings::types as wit;

use super::manifest_ext::SessionNeed;

/// A step's retry policy as cairn stores it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub backoff_factor: f64,
    pub max_backoff_ms: u64,
    pub timeout_ms: u64,
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        let exp = self
            .backoff_factor
            .max(1.0)
            .powi(attempt.saturating_sub(1) as i32);
        ((self.initial_backoff_ms as f64) * exp).min(self.max_backoff_ms as f64) as u64
    }
}

impl From<wit::RetryPolicy> for RetryPolicy {
    fn from(p: wit::RetryPolicy) -> Self {
        RetryPolicy {
            max_attempts: p.max_attempts.max(1),
            initial_backoff_ms: p.initial_backoff_ms,
            backoff_factor: p.backoff_factor,
            max_backoff_ms: p.max_backoff_ms,
            timeout_ms: p.timeout_ms,
        }
    }
}

/// A trigger as stored in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TriggerDecl {
    Event { name: String },
    Webhook { source: String, event: String },
}

/// A workflow as stored in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowDecl {
    pub name: String,
    pub triggers: Vec<TriggerDecl>,
    /// The JSON Schema a run's input must satisfy, from the manifest
    /// extension; `None` (a component built against 0.1.0, or an input
    /// type without a schema) checks nothing at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<serde_json::Value>,
    /// Whether its runs need a session id, from the manifest extension.
    #[serde(default, skip_serializing_if = "SessionNeed::is_optional")]
    pub session: SessionNeed,
    /// Its schedules (`cron(...)` triggers), from the manifest extension.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<crate::schedule::ScheduleSpec>,
}

/// A step as stored in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDecl {
    pub name: String,
    pub policy: RetryPolicy,
}

/// What `describe()` returned, as stored with the version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub sdk_version: String,
    pub workflows: Vec<WorkflowDecl>,
    pub steps: Vec<StepDecl>,
}

impl From<wit::Manifest> for Manifest {
    fn from(m: wit::Manifest) -> Self {
        Manifest {
            sdk_version: m.sdk_version,
            workflows: m
                .workflows
                .into_iter()
                .map(|w| WorkflowDecl {
                    input_schema: None,
                    session: SessionNeed::Optional,
                    schedules: Vec::new(),
                    name: w.name,
                    triggers: w
                        .triggers
                        .into_iter()
                        .map(|t| match t {
                            wit::Trigger::Event(name) => TriggerDecl::Event { name },
                            wit::Trigger::Webhook(h) => TriggerDecl::Webhook {
                                source: h.source,
                                event: h.event,
                            },
                        })
                        .collect(),
                })
                .collect(),
            steps: m
                .steps
                .into_iter()
                .map(|s| StepDecl {
                    name: s.name,
                    policy: s.policy.into(),
                })
                .collect(),
        }
    }
}
