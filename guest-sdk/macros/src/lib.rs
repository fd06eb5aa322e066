//! The `#[step]`, `#[tool]`, `#[workflow]` and `#[data]` attribute macros of
//! `cairn-sdk`.
//!
//! Use them through `cairn_sdk` (`use cairn_sdk::prelude::*;`), which
//! documents them; this crate only expands them. Each macro turns the
//! function into a unit struct of the same name implementing
//! `cairn_sdk::Step` or `cairn_sdk::Workflow` (the function body becomes
//! the trait's `call`) and registers it with the SDK's registry so the
//! component's `describe`, `run` and `run-step` exports find it.
//!
//! `#[data]` puts serde's derives, pointed at `cairn_sdk::serde`, on a
//! struct or enum.
//!
//! `options.rs` parses the attribute arguments, `duration.rs` the humane
//! durations, `signature.rs` the function's shape; `step.rs`,
//! `tool.rs`, `workflow.rs` and `data.rs` write the expansion.

use proc_macro::TokenStream;

mod data;
mod duration;
mod options;
mod signature;
mod step;
mod tool;
mod workflow;

/// Turns `fn name(a: A, b: B) -> Result<O, StepError>` into the step
/// `name`. See `cairn_sdk::Step` for what it generates and the options
/// (`max_attempts`, `timeout`, `backoff`, `backoff_factor`, `max_backoff`,
/// `name`).
#[proc_macro_attribute]
pub fn step(attr: TokenStream, item: TokenStream) -> TokenStream {
    step::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Turns `fn name(a: A, b: B) -> Result<O, StepError>` into the step
/// `name` that an agent's model may call as a tool, with arguments by name
/// (the struct `NameArgs`). See `cairn_sdk::tool` for the options
/// (`description`, `approval` and the step's).
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    tool::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Turns `fn name(ctx: &Ctx, input: I) -> Result<O, WorkflowError>` into
/// the workflow `name`. See `cairn_sdk::Workflow` for what it generates and
/// the options (`triggers`, `name`).
#[proc_macro_attribute]
pub fn workflow(attr: TokenStream, item: TokenStream) -> TokenStream {
    workflow::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `Serialize` and `Deserialize` through `cairn_sdk::serde` on a
/// struct or enum, keeping its other attributes. See `cairn_sdk::data`.
#[proc_macro_attribute]
pub fn data(attr: TokenStream, item: TokenStream) -> TokenStream {
    data::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
