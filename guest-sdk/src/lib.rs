//! The Rust SDK for cairn workflows.
//!
//! A workflow crate is a `cdylib` built for `wasm32-wasip2` that depends on
//! `cairn-sdk` alone and contains `#[step]` and `#[workflow]` functions. The
//! SDK owns the WIT bindings, implements the component's exports
//! (`describe`, `run`, `run-step`) and dispatches to the functions the
//! macros registered, so the crate needs no WIT, no export line and no
//! `main`:
//!
//! ```no_run
//! use cairn_sdk::prelude::*;
//!
//! #[data]
//! struct Order {
//!     valid: bool,
//!     total: f64,
//! }
//!
//! #[step]
//! fn validate_order(order_id: String) -> Result<Order, StepError> {
//!     Ok(Order { valid: !order_id.is_empty(), total: 42.5 })
//! }
//!
//! #[step(max_attempts = 5, timeout = "30s")]
//! fn charge_customer(order_id: String, amount: f64) -> Result<String, StepError> {
//!     Ok(format!("ch-{order_id}-{amount}"))
//! }
//!
//! #[workflow]
//! fn order(ctx: &Ctx, order_id: String) -> Result<Value, WorkflowError> {
//!     let order = ctx.step(validate_order, order_id.clone())?;
//!     if !order.valid {
//!         return Ok(json!({"status": "invalid"}));
//!     }
//!     let charge = ctx.step(charge_customer, (order_id.clone(), order.total))?;
//!     ctx.sleep(Duration::from_secs(60))?;
//!     Ok(json!({"status": "confirmed", "charge": charge}))
//! }
//! ```
//!
//! with this `Cargo.toml`:
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! cairn-sdk = { path = "../guest-sdk" }
//! ```
//!
//! and `cargo build --target wasm32-wasip2 --release` produces the component.
//!
//! Where to go next: [`Ctx`] is what a body can do ([`Ctx::spawn`],
//! [`Ctx::batch`] and [`Ctx::map`] run steps in parallel), [`Step`] and
//! [`Workflow`] are the traits the macros implement, [`StepError`] and
//! [`WorkflowError`] are how things fail, and [`http`] is how a step talks
//! to the world. [`Prompt`] and [`Ctx::wait_for_user`] ask a person,
//! [`Ctx::wait_for_event`] waits for a signal, and [`LlmRequest`] with
//! [`Ctx::llm`] (or [`llm::call`] in a step) calls a model the host
//! configures. [`Agent`] runs a model in a loop with [`#[tool]`](tool)s,
//! durably at every turn.
//!
//! # Data types
//!
//! Step inputs and outputs, workflow inputs and outputs, state and events
//! are serde types. Mark a struct or enum of your own with [`#[data]`](data),
//! as `Order` above: it derives `Serialize` and `Deserialize` through the
//! [`serde`] that `cairn-sdk` re-exports, so a workflow crate needs no
//! serde dependency of its own. Other derives and `#[serde(...)]` options
//! go below it as usual:
//!
//! ```no_run
//! use cairn_sdk::prelude::*;
//!
//! #[data]
//! #[derive(Debug, Clone, PartialEq)]
//! #[serde(rename_all = "snake_case")]
//! enum Verdict {
//!     Approved,
//!     NeedsReview { reason: String },
//! }
//! ```
//!
//! (`#[data]` stands for `#[derive(Serialize, Deserialize, JsonSchema)]`
//! plus `#[serde(crate = "cairn_sdk::serde")]`, which serde's derives need
//! in a crate without its own `serde` dependency, and the same for
//! schemars. The JSON Schema lets the host refuse a run whose input does
//! not fit before the run exists; `#[data(no_schema)]` leaves it out. A crate that lists `serde`
//! among its dependencies may use serde's derives directly instead.)
#![warn(missing_docs)]

mod agent;
mod bindings;
mod ctx;
mod error;
mod guest;
#[cfg(feature = "http")]
pub mod http;
mod human;
pub mod llm;
pub mod log;
mod parallel;
mod registry;
mod state;
mod step;
mod versioning;
mod workflow;

/// Makes a function a step: a unit of side-effecting work the body runs
/// with [`Ctx::step`], journaled once and replayed thereafter.
///
/// On `fn name(a: A, b: B) -> Result<O, StepError>` it generates a unit
/// struct `name` (same visibility) implementing [`Step`] with
/// `Input = (A, B)` (`()` for no argument, `A` for one) and
/// `Output = O`, and registers it with the component. Inputs must be owned
/// serde types; the function cannot be generic or async.
///
/// | option | default | meaning |
/// |---|---|---|
/// | `max_attempts = 3` | 3 | attempts in all, the first included |
/// | `timeout = "30s"` | host default | time one attempt may take |
/// | `backoff = "1s"` | `"1s"` | wait before the second attempt |
/// | `backoff_factor = 2.0` | 2.0 | each later wait is the previous times this |
/// | `max_backoff = "5m"` | `"5m"` | cap on any one wait |
/// | `name = "charge"` | the function's name | the step's name in the manifest and journal |
///
/// Durations are written `"200ms"`, `"30s"`, `"5m"`, `"1h"` or sums such
/// as `"1m30s"`.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step(max_attempts = 5, timeout = "30s", backoff = "200ms", name = "charge")]
/// pub fn charge_customer(order_id: String, amount: f64) -> Result<String, StepError> {
///     let cx = cairn_sdk::step_context().expect("inside a step");
///     Ok(format!("{order_id}:{amount}:{}", cx.attempt))
/// }
///
/// #[workflow]
/// fn order(ctx: &Ctx, order_id: String) -> Result<String, WorkflowError> {
///     Ok(ctx.step(charge_customer, (order_id, 42.5))?)
/// }
/// ```
///
/// Bad options are compile errors at the offending token:
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[step(timeout = "30 parsecs")]
/// fn slow() -> Result<(), StepError> { Ok(()) }
/// ```
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[step(max_attempts = 0)]
/// fn never() -> Result<(), StepError> { Ok(()) }
/// ```
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[step]
/// fn borrowed(name: &str) -> Result<(), StepError> { Ok(()) }
/// ```
pub use cairn_sdk_macros::step;

/// Makes a function a tool for an [`Agent`]: a step whose arguments the
/// model passes by name.
///
/// On `fn name(a: A, b: B) -> Result<O, StepError>` it generates what
/// [`#[step]`](step) does, except that the step's input is the struct
/// `NameArgs { pub a: A, pub b: B }` (the function's name in camel case,
/// with `Args`): the JSON object a model writes as a tool call's
/// arguments. Its JSON Schema (derived from the argument types, as
/// [`#[data]`](data) does) is what the model is shown as the tool's
/// parameters, and the unit struct also implements [`Tool`]. Arguments
/// must be plain names of owned serde types with a JSON Schema (std types,
/// `Value`, [`#[data]`](data) types).
///
/// | option | default | meaning |
/// |---|---|---|
/// | `description = "..."` | the doc comment | what the model is told the tool does |
/// | `approval = true` | `false` | a person approves each call first ([`Ctx::wait_for_user`]) |
/// | `max_attempts`, `timeout`, `backoff`, `backoff_factor`, `max_backoff`, `name` | as [`#[step]`](step) | the step's |
///
/// ```
/// use cairn_sdk::prelude::*;
///
/// /// Looks an order up by its id.
/// #[tool(max_attempts = 3, timeout = "30s")]
/// fn lookup_order(order_id: String) -> Result<Value, StepError> {
///     let cx = cairn_sdk::step_context(); // its idempotency key, like any step
///     Ok(json!({"order_id": order_id, "status": "shipped"}))
/// }
///
/// #[tool(description = "Refunds an order in full.", approval = true)]
/// fn refund(order_id: String, amount_cents: u64) -> Result<String, StepError> {
///     Ok(format!("refunded {amount_cents} on {order_id}"))
/// }
///
/// assert_eq!(<lookup_order as Tool>::DESCRIPTION, "Looks an order up by its id.");
/// assert!(<refund as Tool>::APPROVAL);
/// assert_eq!(refund::parameters()["required"], json!(["order_id", "amount_cents"]));
/// assert_eq!(refund::policy().max_attempts, 3);
/// let done = refund::call(RefundArgs { order_id: "A-1".into(), amount_cents: 500 }).unwrap();
/// assert_eq!(done, "refunded 500 on A-1");
/// ```
///
/// A tool without a description, or with an argument that is a pattern,
/// is a compile error:
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[tool]
/// fn undocumented(x: u32) -> Result<u32, StepError> { Ok(x) }
/// ```
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// /// Adds a pair.
/// #[tool]
/// fn add((a, b): (i64, i64)) -> Result<i64, StepError> { Ok(a + b) }
/// ```
pub use cairn_sdk_macros::tool;

/// Makes a function a workflow: a deterministic body the component
/// exports, started with `cairn run NAME`.
///
/// On `fn name(ctx: &Ctx, input: I) -> Result<O, WorkflowError>` it
/// generates a unit struct `name` implementing [`Workflow`] with
/// `Input = I` (`()` for no argument after the context, accepting JSON
/// `null` or no input; a tuple, i.e. a JSON array, for several) and
/// `Output = O`, and registers it with the component.
///
/// | option | meaning |
/// |---|---|
/// | `triggers = [event("user.signed_up"), webhook("stripe", event = "payment_intent.succeeded")]` | what else starts it ([`Trigger`]) |
/// | `triggers = [cron("0 9 * * 1-5", tz = "Europe/Paris", catch_up = "one", overlap = "skip")]` | a schedule ([`Schedule`]; checked at deploy) |
/// | `name = "onboarding"` | the workflow's name, instead of the function's |
/// | `session = "required"` / `"optional"` | whether runs need a session id; by default required when the body calls `.session()` |
///
/// When the input type implements [`schemars::JsonSchema`] (every
/// [`#[data]`](data) type does, and std types and `Value`), the component
/// reports its JSON Schema, and the host refuses a run whose input does
/// not fit before the run is created, naming the path in the input and
/// what was expected there. A workflow whose runs need a session (the
/// body calls `ctx.session()`) is refused at start without one. The
/// detection reads the body's tokens: a `.session()` call in a helper
/// function is not seen (say `session = "required"`), and one the body
/// makes only when `ctx.run_info().session_id` is set is (say
/// `session = "optional"`).
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[workflow(name = "onboarding", triggers = [event("user.signed_up")])]
/// fn onboard(ctx: &Ctx, user: String) -> Result<Value, WorkflowError> {
///     ctx.emit("started", &user);
///     Ok(json!({ "user": user }))
/// }
/// ```
///
/// ```no_run
/// use cairn_sdk::prelude::*;
/// #[workflow(triggers = [cron("0 2 * * *", tz = "Europe/Paris", catch_up = "all")])]
/// fn nightly(ctx: &Ctx) -> Result<(), WorkflowError> { Ok(()) }
/// ```
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[workflow(triggers = [cron("* * * * *", overlap = "queue")])]
/// fn nightly(ctx: &Ctx) -> Result<(), WorkflowError> { Ok(()) }
/// ```
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[workflow]
/// fn wrong(ctx: &Ctx) -> Result<(), String> { Ok(()) }
/// ```
pub use cairn_sdk_macros::workflow;

pub use agent::{
    Agent, AgentError, AgentOutput, AgentTool, DEFAULT_MAX_REPAIRS, DEFAULT_MAX_TURNS, Tool,
    ToolCallRecord, ToolOutcome, ToolSet,
};
/// Makes a struct or enum a serde data type, for step and workflow inputs
/// and outputs, state and events, in a crate that depends on `cairn-sdk`
/// alone.
///
/// `#[data]` expands to
///
/// ```text
/// #[derive(::cairn_sdk::serde::Serialize, ::cairn_sdk::serde::Deserialize)]
/// #[derive(::cairn_sdk::schemars::JsonSchema)]
/// #[serde(crate = "::cairn_sdk::serde")]
/// #[schemars(crate = "::cairn_sdk::schemars")]
/// ```
///
/// on the item, which is otherwise left as written: other derives and
/// `#[serde(...)]` options (container, field and variant ones) work as
/// usual, and the JSON Schema follows them. Its one option, `no_schema`
/// (`#[data(no_schema)]`), leaves the `JsonSchema` derive out, for a type
/// with a field whose type has no schema; a workflow taking such a type
/// as input has its input checked only when the body decodes it. Use it
/// too when schemars' derive fails on a field with `#[serde(default)]` in
/// a module holding a step named `d` (the derive's closures name their
/// argument `d`, which then reads as the step's unit struct). Put it above the item's
/// `#[serde(...)]` attributes: one written before it cannot see the derive
/// yet (rustc reports ``cannot find attribute `serde` ``).
///
/// ```
/// use cairn_sdk::prelude::*;
///
/// #[data]
/// #[derive(Debug, Clone, PartialEq)]
/// #[serde(rename_all = "camelCase")]
/// struct Order {
///     order_id: String,
///     #[serde(default)]
///     total_cents: u64,
///     status: Status,
/// }
///
/// #[data]
/// #[derive(Debug, Clone, PartialEq)]
/// #[serde(rename_all = "snake_case")]
/// enum Status {
///     Open,
///     OnHold { reason: String },
/// }
///
/// let order: Order =
///     cairn_sdk::serde_json::from_value(json!({"orderId": "A-1", "status": "open"})).unwrap();
/// assert_eq!(order.total_cents, 0);
/// assert_eq!(order.status, Status::Open);
/// let v = cairn_sdk::serde_json::to_value(&order).unwrap();
/// assert_eq!(v["orderId"], "A-1");
/// ```
///
/// It goes on structs and enums only, and serde's derives must not be
/// written again:
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[data]
/// fn not_a_type() {}
/// ```
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[data]
/// #[derive(Serialize)]
/// struct Twice {
///     id: String,
/// }
/// ```
///
/// ```compile_fail
/// use cairn_sdk::prelude::*;
/// #[data(rename_all = "snake_case")]
/// struct Options {
///     id: String,
/// }
/// ```
pub use cairn_sdk_macros::data;
pub use ctx::{Ctx, RunInfo};
pub use error::{StepError, WorkflowError};
pub use human::{Answer, Prompt, PromptOption, WaitError};
pub use llm::{LlmError, LlmRequest, LlmResponse, Message, Role, TokenUsage, ToolCall, ToolDef};
pub use parallel::{BatchError, BatchResult, BatchStats, Gather, Gathered, Handle};
pub use state::{State, StateError};
pub use step::{RetryPolicy, Step, StepContext, step_context};
pub use workflow::{CatchUp, Overlap, Schedule, Trigger, Workflow};

/// The serde crate, re-exported so workflow crates need not depend on it.
///
/// Mark your own types with [`#[data]`](data), which derives serde's
/// traits through this re-export. Written out by hand, a derive in a crate
/// without its own `serde` dependency names it with
/// `#[serde(crate = "cairn_sdk::serde")]`:
///
/// ```no_run
/// use cairn_sdk::serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// #[serde(crate = "cairn_sdk::serde")]
/// struct Charge {
///     id: String,
/// }
/// ```
pub use serde;

/// The schemars crate, re-exported for `#[data]`, which derives
/// [`schemars::JsonSchema`] so the host can check a workflow's input before
/// a run starts. A type whose serde representation schemars cannot see
/// (a hand-written `Deserialize`, `deserialize_with`) can say what it
/// accepts with `#[schemars(...)]` attributes, or implement `JsonSchema`
/// itself.
pub use schemars;

/// The serde_json crate, re-exported so workflow crates need not depend on it.
///
/// ```no_run
/// let v: cairn_sdk::serde_json::Value = cairn_sdk::serde_json::json!({"a": 1});
/// assert_eq!(v["a"], 1);
/// ```
pub use serde_json;

/// The SDK version a component reports in its manifest.
///
/// ```no_run
/// assert!(!cairn_sdk::SDK_VERSION.is_empty());
/// ```
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything a workflow crate usually needs, in one `use`.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[workflow]
/// fn hello(_ctx: &Ctx, name: String) -> Result<Value, WorkflowError> {
///     Ok(json!({ "greeting": format!("hello, {name}") }))
/// }
/// ```
pub mod prelude {
    pub use crate::{
        Agent, AgentError, AgentOutput, AgentTool, Answer, BatchError, BatchResult, BatchStats,
        Ctx, Gathered, Handle, LlmError, LlmRequest, LlmResponse, Message, Prompt, State,
        StateError, Step, StepError, Tool, ToolDef, WaitError, Workflow, WorkflowError, data, step,
        tool, workflow,
    };
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::{Value, json};
    pub use std::time::{Duration, SystemTime};
}

/// Not public API: what the macros expand to.
#[doc(hidden)]
pub mod __private {
    pub use crate::agent::tool_parameters;
    pub use crate::registry::{StepEntry, WorkflowEntry};
    pub use crate::step::StepReturn;
    pub use crate::workflow::{SchemaFallback, SchemaOf, SchemaProbe, WorkflowReturn};
    pub use inventory;
}
