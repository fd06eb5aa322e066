//! The checks every way of starting a run shares — `cairn run`, `POST
//! /v1/runs`, `cairn emit` and `POST /v1/events/…`, webhook deliveries —
//! made in `Runtime::new_run`, before any run row is written: the input's
//! size, that it is JSON, that it satisfies the workflow's input schema,
//! and that a workflow that needs a session has one.
//!
//! The schema and the session need come from the manifest extension
//! (`versions/manifest_ext.rs`); a version without them (built against
//! `cairn:workflow@0.1.0`) is checked for size and JSON only, as before.
//! Compiled validators are kept per version, so a start costs one
//! validation, not a schema compilation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::engine::limits::human_bytes;
use crate::journal::{Storage, StoreError};

use crate::runtime::versions::Manifest;
use crate::runtime::versions::manifest_ext::SessionNeed;

/// Why a start was refused; each is bad input (exit 2, HTTP 400).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StartRefusal {
    #[error(
        "the input is {} but limits.max_value_bytes is {}: the journal refuses values this large",
        human_bytes(*size as u64),
        human_bytes(*limit)
    )]
    TooLarge { size: usize, limit: u64 },
    #[error("the input does not fit workflow `{workflow}`: {}", errors.join("; "))]
    Mismatch {
        workflow: String,
        /// One line per problem: where in the input (a JSON pointer), and
        /// what was expected there.
        errors: Vec<String>,
    },
    #[error(
        "workflow `{0}` uses session state, so a run needs a session: start it with \
         `--session ID` (`session` in POST /v1/runs)"
    )]
    NoSession(String),
}

/// What starting a run of one workflow of one version checks.
struct WorkflowChecks {
    validator: Option<jsonschema::Validator>,
    session: SessionNeed,
}

/// The checks of each version this process has started runs of.
#[derive(Default)]
pub struct StartChecks {
    by_version: Mutex<HashMap<String, Arc<HashMap<String, WorkflowChecks>>>>,
}

/// Compiles a JSON Schema (local `$ref`s only: the host fetches nothing).
pub fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::validator_for(schema).map_err(|e| e.to_string())
}

impl StartChecks {
    /// Checks a start of `workflow` on version `sha` with `input` (not yet
    /// parsed) and `session`.
    pub async fn check(
        &self,
        store: &dyn Storage,
        sha: &str,
        workflow: &str,
        input: &Value,
        session: Option<&str>,
    ) -> Result<(), CheckError> {
        let checks = self.of_version(store, sha).await?;
        let Some(c) = checks.get(workflow) else {
            return Ok(());
        };
        if c.session == SessionNeed::Required && session.is_none_or(str::is_empty) {
            return Err(StartRefusal::NoSession(workflow.to_string()).into());
        }
        if let Some(v) = &c.validator {
            let errors: Vec<String> = v.iter_errors(input).take(5).map(describe).collect();
            if !errors.is_empty() {
                return Err(StartRefusal::Mismatch {
                    workflow: workflow.to_string(),
                    errors,
                }
                .into());
            }
        }
        Ok(())
    }

    async fn of_version(
        &self,
        store: &dyn Storage,
        sha: &str,
    ) -> Result<Arc<HashMap<String, WorkflowChecks>>, StoreError> {
        if let Some(c) = self.lock().get(sha) {
            return Ok(c.clone());
        }
        let record = store
            .version(sha)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("version {sha}")))?;
        let manifest: Manifest = serde_json::from_str(&record.manifest)
            .map_err(|e| StoreError::Corrupt(format!("manifest of {sha}: {e}")))?;
        let mut checks = HashMap::new();
        for w in manifest.workflows {
            // Deploy compiled it once already; a schema that no longer
            // compiles (a newer jsonschema, say) checks nothing rather
            // than refusing every run.
            let validator = w.input_schema.as_ref().and_then(|s| {
                compile_schema(s)
                    .inspect_err(
                        |e| tracing::warn!(workflow = %w.name, error = %e, "input schema unusable"),
                    )
                    .ok()
            });
            checks.insert(
                w.name,
                WorkflowChecks {
                    validator,
                    session: w.session,
                },
            );
        }
        let checks = Arc::new(checks);
        self.lock().insert(sha.to_string(), checks.clone());
        Ok(checks)
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Arc<HashMap<String, WorkflowChecks>>>> {
        // A panic elsewhere while holding the lock leaves the map whole.
        self.by_version.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `at /items/0/amount: "x" is not of type "number"`.
fn describe(e: jsonschema::ValidationError<'_>) -> String {
    let path = e.instance_path().to_string();
    if path.is_empty() {
        e.to_string()
    } else {
        format!("at {path}: {e}")
    }
}

/// A refusal, or the journal could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Refused(#[from] StartRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}
