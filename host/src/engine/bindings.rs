//! Host bindings of the `cairn:workflow` world, generated from `wit/`.
//!
//! The host binds `workflow-base`, the exports every component has had
//! since `cairn:workflow@0.1.0`, so a component built against any 0.1.x
//! links (imports match by semver). Exports added later (`describe-ext`)
//! are looked up by name on the instance: see `runtime/step/describe.rs`.

wasmtime::component::bindgen!({
    world: "workflow-base",
    path: "../wit",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use self::WorkflowBase as Workflow;
pub use self::WorkflowBasePre as WorkflowPre;
pub use self::cairn::workflow::context;
pub use self::cairn::workflow::types;
