//! Workflows: the [`Workflow`] trait that `#[workflow]` implements and the
//! [`Trigger`]s that start one besides `cairn run`.
//!
//! A workflow body is deterministic: everything non-deterministic goes
//! through [`Ctx`], whose calls the host journals and replays.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::types;
use crate::{Ctx, WorkflowError};

/// A deterministic workflow body the component exports through `run`.
///
/// `#[workflow]` implements it on a unit struct named like the function.
/// The first argument is the [`Ctx`]; the rest make the input: `()` for
/// none (JSON `null`), the argument's type for one, a tuple (JSON array)
/// for several.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[workflow(triggers = [event("user.signed_up"), webhook("stripe", event = "charge.succeeded")])]
/// fn onboard(ctx: &Ctx, user: String) -> Result<Value, WorkflowError> {
///     ctx.emit("greeted", &user);
///     Ok(json!({ "user": user }))
/// }
///
/// assert_eq!(<onboard as Workflow>::NAME, "onboard");
/// assert_eq!(onboard::triggers().len(), 2);
/// ```
pub trait Workflow: Copy + 'static {
    /// The input, deserialized from the run's input JSON.
    type Input: DeserializeOwned;
    /// The output, serialized to the run's output JSON.
    type Output: Serialize;
    /// The workflow's name in the manifest (`cairn run NAME`).
    const NAME: &'static str;

    /// What starts this workflow besides an explicit run (the
    /// `triggers = [...]` option).
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    /// #[workflow(triggers = [event("tick")])]
    /// fn tick(_ctx: &Ctx) -> Result<(), WorkflowError> { Ok(()) }
    /// assert_eq!(tick::triggers(), vec![cairn_sdk::Trigger::Event("tick".into())]);
    /// ```
    fn triggers() -> Vec<Trigger> {
        Vec::new()
    }

    /// The JSON Schema of [`Workflow::Input`], which the host checks a
    /// run's input against before the run is created. `#[workflow]`
    /// fills it in when the input type implements
    /// [`schemars::JsonSchema`](crate::schemars::JsonSchema) (as `#[data]`
    /// types, std types and `Value` do); `None` checks nothing before the
    /// body decodes its input.
    ///
    /// ```
    /// use cairn_sdk::prelude::*;
    ///
    /// #[data]
    /// struct Order {
    ///     id: String,
    ///     #[serde(default)]
    ///     note: Option<String>,
    /// }
    ///
    /// #[workflow]
    /// fn order(_ctx: &Ctx, order: Order) -> Result<(), WorkflowError> {
    ///     Ok(())
    /// }
    /// let schema = order::input_schema().unwrap();
    /// assert_eq!(schema["required"], json!(["id"]));
    /// assert_eq!(schema["properties"]["id"]["type"], "string");
    ///
    /// // serde's derives alone: no schema, and still a workflow.
    /// #[derive(cairn_sdk::serde::Deserialize)]
    /// #[serde(crate = "cairn_sdk::serde")]
    /// struct Raw {
    ///     x: u8,
    /// }
    /// #[workflow]
    /// fn raw(_ctx: &Ctx, raw: Raw) -> Result<u8, WorkflowError> {
    ///     Ok(raw.x)
    /// }
    /// assert!(raw::input_schema().is_none());
    /// ```
    fn input_schema() -> Option<serde_json::Value> {
        None
    }

    /// True when runs need a session id: the host refuses to start one
    /// without. `#[workflow]` sets it when the body calls `.session()`, or
    /// as its `session = "required"` option says.
    ///
    /// ```
    /// use cairn_sdk::prelude::*;
    ///
    /// #[workflow]
    /// fn visits(ctx: &Ctx) -> Result<u64, WorkflowError> {
    ///     Ok(ctx.session().get("visits")?.unwrap_or(0))
    /// }
    /// assert!(visits::needs_session());
    ///
    /// #[workflow(session = "optional")]
    /// fn maybe(ctx: &Ctx) -> Result<(), WorkflowError> {
    ///     if ctx.run_info().session_id.is_some() {
    ///         ctx.session().set("seen", &true)?;
    ///     }
    ///     Ok(())
    /// }
    /// assert!(!maybe::needs_session());
    /// ```
    fn needs_session() -> bool {
        false
    }

    /// Runs the body: the `#[workflow]` function. The SDK calls it from the
    /// component's `run` export with the [`Ctx`] of the run.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    /// #[workflow]
    /// fn greet(_ctx: &Ctx, name: String) -> Result<String, WorkflowError> {
    ///     Ok(format!("hi {name}"))
    /// }
    /// // `<greet as Workflow>::call(ctx, "ana".into())` runs it, given a `&Ctx`.
    /// ```
    fn call(ctx: &Ctx, input: Self::Input) -> Result<Self::Output, WorkflowError>;
}

/// What starts a workflow besides `cairn run`: the `triggers = [...]`
/// option of `#[workflow]`.
///
/// ```no_run
/// use cairn_sdk::Trigger;
/// let t = Trigger::Webhook { source: "stripe".into(), event: "payment_intent.succeeded".into() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A named event (`cairn emit NAME`, `POST /v1/events/NAME`);
    /// `event("NAME")` in the attribute.
    Event(String),
    /// A verified webhook delivery; `webhook("SOURCE", event = "TYPE")` in
    /// the attribute.
    Webhook {
        /// The configured webhook source, e.g. `"stripe"`.
        source: String,
        /// The event type within that source.
        event: String,
    },
    /// A schedule: `cron("0 9 * * 1-5", tz = "Europe/Paris")` in the
    /// attribute, with optional `catch_up = "skip" | "one" | "all"` and
    /// `overlap = "skip" | "allow" | "cancel-previous"`. The host checks the
    /// expression and the zone at deploy; each run's input is `null`.
    Cron(Schedule),
}

/// A schedule of [`Trigger::Cron`]: when runs start, and what to do about
/// missed ticks and a previous run still going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Five fields (minute hour day-of-month month day-of-week), six with
    /// seconds first, or `@hourly`, `@daily`, `@weekly`, `@monthly`,
    /// `@yearly`.
    pub cron: String,
    /// An IANA time zone (`"Europe/Paris"`); UTC when `None`.
    pub tz: Option<String>,
    /// Missed ticks after downtime; one run for the latest by default.
    pub catch_up: CatchUp,
    /// A tick while the previous run is going; skipped by default. It
    /// applies to caught-up ticks too (as Temporal's does): with
    /// `catch_up: All`, say `Allow` to get every missed tick's run.
    pub overlap: Overlap,
}

/// What a schedule does about ticks missed while no worker ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatchUp {
    /// Nothing: wait for the next tick.
    Skip,
    /// One run, for the latest missed tick.
    #[default]
    One,
    /// One run per missed tick.
    All,
}

/// What a schedule does when a tick comes while the previous tick's run is
/// still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overlap {
    /// Start nothing for this tick.
    #[default]
    Skip,
    /// Start the new run beside the old one.
    Allow,
    /// Cancel the previous run, then start the new one.
    CancelPrevious,
}

impl Schedule {
    /// The schedule as the manifest extension carries it.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({ "cron": self.cron });
        if let Some(tz) = &self.tz {
            v["tz"] = tz.as_str().into();
        }
        v["catch_up"] = match self.catch_up {
            CatchUp::Skip => "skip",
            CatchUp::One => "one",
            CatchUp::All => "all",
        }
        .into();
        v["overlap"] = match self.overlap {
            Overlap::Skip => "skip",
            Overlap::Allow => "allow",
            Overlap::CancelPrevious => "cancel-previous",
        }
        .into();
        v
    }
}

impl Trigger {
    /// The WIT trigger; `None` for a schedule, which the manifest
    /// extension carries instead (the WIT `trigger` variant is frozen).
    pub(crate) fn into_wit(self) -> Option<types::Trigger> {
        match self {
            Trigger::Event(name) => Some(types::Trigger::Event(name)),
            Trigger::Webhook { source, event } => {
                Some(types::Trigger::Webhook(types::WebhookTrigger {
                    source,
                    event,
                }))
            }
            Trigger::Cron(_) => None,
        }
    }
}

/// Not public API: lets `#[workflow]` name the output type of a function
/// that returns `Result<T, WorkflowError>` without parsing it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a #[workflow] function must return `Result<T, WorkflowError>`, not `{Self}`",
    label = "expected `Result<T, cairn_sdk::WorkflowError>`"
)]
pub trait WorkflowReturn {
    /// The `T` of `Result<T, WorkflowError>`.
    type Output;
    /// Identity.
    fn into_result(self) -> Result<Self::Output, WorkflowError>;
}

impl<T> WorkflowReturn for Result<T, WorkflowError> {
    type Output = T;
    fn into_result(self) -> Result<T, WorkflowError> {
        self
    }
}

/// Not public API: lets `#[workflow]` ask for the schema of an input type
/// that may or may not implement `JsonSchema`, without a bound (a crate
/// deriving serde's traits by hand still compiles; its workflow simply has
/// no schema). `(&&SchemaProbe::<T>::NEW).schema()` picks [`SchemaOf`]
/// when `T: JsonSchema` (the method on `&SchemaProbe` is found first, one
/// reference deeper), else [`SchemaFallback`].
#[doc(hidden)]
pub struct SchemaProbe<T: ?Sized>(core::marker::PhantomData<T>);

impl<T: ?Sized> SchemaProbe<T> {
    /// The probe.
    pub const NEW: Self = SchemaProbe(core::marker::PhantomData);
}

/// Not public API: see [`SchemaProbe`].
#[doc(hidden)]
pub trait SchemaOf {
    /// The schema of the probed type.
    fn schema(&self) -> Option<serde_json::Value>;
}

impl<T: ?Sized + schemars::JsonSchema> SchemaOf for &SchemaProbe<T> {
    fn schema(&self) -> Option<serde_json::Value> {
        Some(
            schemars::SchemaGenerator::default()
                .into_root_schema_for::<T>()
                .to_value(),
        )
    }
}

/// Not public API: see [`SchemaProbe`].
#[doc(hidden)]
pub trait SchemaFallback {
    /// No schema: the type does not implement `JsonSchema`.
    fn schema(&self) -> Option<serde_json::Value>;
}

impl<T: ?Sized> SchemaFallback for SchemaProbe<T> {
    fn schema(&self) -> Option<serde_json::Value> {
        None
    }
}
