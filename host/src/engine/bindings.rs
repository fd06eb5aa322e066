//! Host bindings of the `cairn:workflow` world, generated from `wit/`.

wasmtime::component::bindgen!({
    world: "workflow",
    path: "../wit",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use cairn::workflow::context;
pub use cairn::workflow::types;
