//! cairn: a durable workflow host.
//!
//! Workflows are WebAssembly components; the host runs them in wasmtime
//! and journals every non-deterministic outcome in SQLite, so a run
//! survives the death of its process and is replayed from its journal.
//!
//! Layers, from the bottom: [`journal`] (storage, knows nothing of
//! wasmtime), [`engine`] (wasmtime configuration, sandboxes, component
//! loading; knows nothing of the journal), [`runtime`] (activations,
//! replay, steps, ownership: joins the two), and the `cairn` binary's CLI.

pub mod clock;
pub mod config;
pub mod engine;
pub mod error_code;
pub mod guests;
pub mod journal;
pub mod llm;
pub mod metrics;
pub mod runtime;
pub mod schedule;
pub mod server;
