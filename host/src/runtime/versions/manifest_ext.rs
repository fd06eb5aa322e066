//! The manifest extension: the JSON document a component's `describe-ext`
//! export returns (since `cairn:workflow@0.1.1`; its shape is documented
//! in `wit/workflow.wit`), merged into the [`Manifest`] at deploy.
//!
//! Components built against 0.1.0 have no such export: their workflows
//! keep `input_schema: None` and `session: Optional`, and runs of them
//! start exactly as before. Unknown fields are ignored, so later SDKs can
//! add to the document without a WIT change; a document of an unknown
//! `version` is ignored as a whole, with a warning.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Manifest;
use crate::schedule::{Schedule, ScheduleSpec};

/// The versions of the document this host reads.
const KNOWN_VERSION: u32 = 1;

/// Whether a workflow's runs need a session id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionNeed {
    /// The body uses session state: a run without a session is refused at
    /// start.
    Required,
    /// Runs may start with or without one (also: any value this host does
    /// not know).
    #[default]
    #[serde(other)]
    Optional,
}

impl SessionNeed {
    /// True for the default, which the stored manifest leaves out.
    pub fn is_optional(&self) -> bool {
        *self == SessionNeed::Optional
    }
}

#[derive(Debug, Deserialize)]
struct Document {
    version: u32,
    #[serde(default)]
    workflows: Vec<WorkflowExt>,
}

#[derive(Debug, Deserialize)]
struct WorkflowExt {
    name: String,
    #[serde(default)]
    input_schema: Option<Value>,
    #[serde(default)]
    session: SessionNeed,
    #[serde(default)]
    schedules: Vec<ScheduleSpec>,
}

/// Merges the document `text` into `manifest`. `Err` (which fails the
/// deploy) for a document that is not JSON of this shape, that names a
/// workflow `describe` did not, or whose input schema is not a valid JSON
/// Schema: each would otherwise surface later, at every run start.
pub fn apply(manifest: &mut Manifest, text: &str) -> Result<(), String> {
    let probe: Value =
        serde_json::from_str(text).map_err(|e| format!("describe-ext is not JSON: {e}"))?;
    if probe["version"].as_u64() != Some(u64::from(KNOWN_VERSION)) {
        tracing::warn!(
            version = %probe["version"],
            "ignoring a manifest extension of a version this host does not know"
        );
        return Ok(());
    }
    let doc: Document = serde_json::from_value(probe)
        .map_err(|e| format!("describe-ext is not a manifest extension: {e}"))?;
    debug_assert_eq!(doc.version, KNOWN_VERSION);
    for ext in doc.workflows {
        let Some(decl) = manifest.workflows.iter_mut().find(|w| w.name == ext.name) else {
            return Err(format!(
                "describe-ext describes a workflow `{}` that describe() does not export",
                ext.name
            ));
        };
        if let Some(schema) = &ext.input_schema {
            let validator = crate::runtime::run::start::compile_schema(schema).map_err(|e| {
                format!(
                    "the input schema of workflow `{}` is not valid: {e}",
                    ext.name
                )
            })?;
            if !ext.schedules.is_empty() && !validator.is_valid(&Value::Null) {
                return Err(format!(
                    "workflow `{}` has a schedule, whose runs start with input null, \
                     but its input type does not accept null (take no input, or an Option)",
                    ext.name
                ));
            }
        }
        check_schedules(&ext.name, &ext.schedules)?;
        decl.input_schema = ext.input_schema;
        decl.session = ext.session;
        decl.schedules = ext.schedules;
    }
    Ok(())
}

/// Refuses a schedule whose expression or zone is wrong, naming it.
fn check_schedules(workflow: &str, schedules: &[ScheduleSpec]) -> Result<(), String> {
    for spec in schedules {
        Schedule::new(spec.clone())
            .map_err(|e| format!("the schedule of workflow `{workflow}` is refused: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::versions::WorkflowDecl;

    fn manifest() -> Manifest {
        Manifest {
            sdk_version: "0.1.0".into(),
            workflows: vec![WorkflowDecl {
                name: "w".into(),
                triggers: Vec::new(),
                input_schema: None,
                session: SessionNeed::Optional,
                schedules: Vec::new(),
            }],
            steps: Vec::new(),
        }
    }

    #[test]
    fn reads_schema_and_session_and_ignores_unknown_fields() {
        let mut m = manifest();
        let doc = r#"{"version": 1, "later": [1], "workflows": [
            {"name": "w", "input_schema": {"type": "string"}, "session": "required", "cron": "x"}]}"#;
        apply(&mut m, doc).unwrap();
        assert_eq!(m.workflows[0].session, SessionNeed::Required);
        assert_eq!(
            m.workflows[0].input_schema,
            Some(serde_json::json!({"type": "string"}))
        );
    }

    #[test]
    fn an_unknown_version_or_session_value_changes_nothing() {
        let mut m = manifest();
        apply(&mut m, r#"{"version": 2, "workflows": "anything"}"#).unwrap();
        assert_eq!(m, manifest());
        apply(
            &mut m,
            r#"{"version": 1, "workflows": [{"name": "w", "session": "maybe"}]}"#,
        )
        .unwrap();
        assert_eq!(m.workflows[0].session, SessionNeed::Optional);
    }

    #[test]
    fn a_bad_document_fails_the_deploy() {
        for (doc, says) in [
            ("nope", "not JSON"),
            (r#"{"version": 1, "workflows": [{"name": "x"}]}"#, "`x`"),
            (
                r#"{"version": 1, "workflows": [{"name": "w", "input_schema": {"type": 5}}]}"#,
                "not valid",
            ),
        ] {
            let e = apply(&mut manifest(), doc).unwrap_err();
            assert!(e.contains(says), "{doc}: {e}");
        }
    }
}
