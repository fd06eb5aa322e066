//! The body: where a workflow's deterministic code runs. Its `context`
//! imports are answered from the journal when replaying and journaled when
//! live.
//!
//! `instance.rs` is the instance's store data, `cx.rs` the context every
//! import works with (replay lookups, journal appends, the barrier before
//! side effects), `imports.rs` the `context` imports themselves, each
//! handing off to the file of its call: `step.rs` (`ctx.step` and the
//! attempt loop every step runs), `spawn.rs` (`ctx.spawn` / `join`),
//! `state.rs`, `wait.rs` (sleeps and in-memory waits), `human.rs`
//! (`wait-for-user`, `wait-for-event`), `llm.rs`, `patch.rs`.
//! `appender.rs` assigns journal seqs for the body and its spawned steps.

pub mod appender;
mod cx;
pub mod human;
mod imports;
mod instance;
pub mod llm;
pub mod patch;
pub mod spawn;
mod state;
pub mod step;
mod wait;

pub use cx::BodyCx;
pub use instance::BodyState;
