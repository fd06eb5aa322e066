//! `describe` on a fresh step instance: what a component declares, read at
//! deploy.

use crate::engine::CairnEngine;
use crate::engine::bindings::Workflow;
use crate::engine::limits::Limits;
use crate::runtime::versions::{LoadedVersion, Manifest};

use super::StepState;

/// Calls `describe()` on a fresh instance and, when the component has it
/// (built against 0.1.1 or later), `describe-ext()`, whose document is
/// merged into the manifest.
pub async fn describe(engine: &CairnEngine, version: &LoadedVersion) -> Result<Manifest, String> {
    let mut store = engine.store(StepState::new(
        &[],
        std::sync::Arc::from([]),
        None,
        &Limits::default(),
    ));
    let instance = version
        .step
        .instance_pre()
        .instantiate_async(&mut store)
        .await
        .map_err(|e| format!("instantiation failed: {e:#}"))?;
    let exports = Workflow::new(&mut store, &instance).map_err(|e| format!("{e:#}"))?;
    let mut manifest: Manifest = exports
        .call_describe(&mut store)
        .await
        .map_err(|e| format!("{e:#}"))?
        .into();
    // Looked up by name: a component built against 0.1.0 does not have it.
    if let Some(index) = instance.get_export_index(&mut store, None, DESCRIBE_EXT) {
        let func = instance
            .get_typed_func::<(), (String,)>(&mut store, &index)
            .map_err(|e| format!("`{DESCRIBE_EXT}` is not `func() -> string`: {e:#}"))?;
        let (text,) = func
            .call_async(&mut store, ())
            .await
            .map_err(|e| format!("{DESCRIBE_EXT}: {e:#}"))?;
        crate::runtime::versions::manifest_ext::apply(&mut manifest, &text)?;
    }
    Ok(manifest)
}

/// The export added in `cairn:workflow@0.1.1` (see `wit/workflow.wit`).
const DESCRIBE_EXT: &str = "describe-ext";
