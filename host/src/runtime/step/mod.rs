//! Steps: one fresh instance of the component per step attempt, outside
//! the body's sandbox.
//!
//! `instance.rs` is a step instance's store data and its `context`
//! imports, `attempt.rs` runs one attempt, `describe.rs` reads a
//! component's manifest on a step instance, `llm.rs` is the unjournaled
//! `ctx.llm` a step may call, `http.rs` its `context.http`. Retries and journaling are the body's
//! (`body/step.rs`).

mod attempt;
mod describe;
pub mod http;
mod instance;
pub mod llm;

pub use attempt::{
    AttemptLogs, AttemptResult, AttemptSpec, info_record, run_attempt, trap_message,
};
pub use describe::describe;
pub use instance::{StepState, level_name};
