//! Host bindings of the `cairn:workflow` world, generated from `wit/`.

wasmtime::component::bindgen!({
    world: "workflow",
    path: "../wit",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use self::cairn::workflow::context;
pub use self::cairn::workflow::types;
