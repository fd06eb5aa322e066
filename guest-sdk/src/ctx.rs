//! [`Ctx`], the workflow body's handle on the host: steps, durable sleep,
//! state, journaled time and randomness, progress events and run facts.
//!
//! Every method is one call of the `cairn:workflow/context` import. The host
//! journals the outcome, so on replay the body sees exactly what it saw the
//! first time, and the body never needs the clock, randomness or I/O of its
//! own sandbox (which are fixed or denied there).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::bindings::{host, types};
use crate::step::millis;
use crate::{State, Step, StepError, WorkflowError};

/// The workflow body's handle on the host, passed to every `#[workflow]`
/// function as `&Ctx`.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step]
/// fn greet(user: String) -> Result<String, StepError> {
///     Ok(format!("hello {user}"))
/// }
///
/// #[workflow]
/// fn welcome(ctx: &Ctx, user: String) -> Result<Value, WorkflowError> {
///     let greeting = ctx.step(greet, user.clone())?;
///     ctx.state().set("greeting", &greeting)?;
///     ctx.sleep(Duration::from_secs(3600))?;
///     Ok(json!({ "greeting": greeting, "id": ctx.uuid() }))
/// }
/// ```
#[derive(Debug)]
pub struct Ctx {
    _private: (),
}

impl Ctx {
    pub(crate) fn new() -> Self {
        Ctx { _private: () }
    }

    /// Runs the step `step` on `input` in its own step instance, with its
    /// retry policy, and returns its output; on replay, returns the
    /// journaled outcome without running it again.
    ///
    /// A step that failed for good comes back as `Err(StepError)` with
    /// [`step_name`](StepError::step_name) and
    /// [`attempts`](StepError::attempts) set; `?` turns it into a
    /// `WorkflowError` with code `"step-failed"`. An output that does not
    /// deserialize into `S::Output` is a fatal `StepError` naming the step.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[step]
    /// fn add(a: u64, b: u64) -> Result<u64, StepError> {
    ///     Ok(a + b)
    /// }
    ///
    /// #[workflow]
    /// fn sum(ctx: &Ctx) -> Result<u64, WorkflowError> {
    ///     match ctx.step(add, (1, 2)) {
    ///         Ok(n) => Ok(n),
    ///         Err(e) if e.code == "overflow" => Ok(u64::MAX),
    ///         Err(e) => Err(e.into()),
    ///     }
    /// }
    /// ```
    pub fn step<S: Step>(&self, step: S, input: S::Input) -> Result<S::Output, StepError> {
        let _ = step;
        let input = serde_json::to_string(&input).map_err(|e| {
            StepError::fatal(format!(
                "input of step `{}` does not serialize to JSON: {e}",
                S::NAME
            ))
            .with_code("serialize")
        })?;
        let output =
            host::step(S::NAME, &input).map_err(|f| StepError::from_failure(S::NAME, f))?;
        serde_json::from_str(&output).map_err(|e| {
            let message = format!(
                "output of step `{}` does not deserialize into `{}`: {e}",
                S::NAME,
                crate::registry::short_type_name::<S::Output>()
            );
            crate::log::unreadable(&message);
            StepError::fatal(message).with_code("bad-output")
        })
    }

    /// Sleeps durably: the run may be unloaded meanwhile, and after a crash
    /// only the remaining time is slept.
    ///
    /// Use it instead of `std::thread::sleep`, which the host refuses in a
    /// workflow body. It returns `Ok` today; the `Result` leaves room for a
    /// sleep the host cuts short (cancellation) without an API change.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
    /// ctx.sleep(Duration::from_secs(24 * 3600))?;
    /// # Ok(()) }
    /// ```
    pub fn sleep(&self, duration: Duration) -> Result<(), WorkflowError> {
        host::sleep(millis(duration));
        Ok(())
    }

    /// Sleeps durably until `time` (a time in the past returns at once).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
    /// let tomorrow = ctx.now() + Duration::from_secs(24 * 3600);
    /// ctx.sleep_until(tomorrow)?;
    /// # Ok(()) }
    /// ```
    pub fn sleep_until(&self, time: SystemTime) -> Result<(), WorkflowError> {
        let since_epoch = time.duration_since(UNIX_EPOCH).map_err(|_| {
            WorkflowError::new("sleep_until: the time is before the Unix epoch")
                .with_code("bad-time")
        })?;
        host::sleep_until(millis(since_epoch));
        Ok(())
    }

    /// State private to this run.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
    /// ctx.state().set("status", "charged")?;
    /// let status: Option<String> = ctx.state().get("status")?;
    /// # Ok(()) }
    /// ```
    pub fn state(&self) -> State<'_> {
        State::new(types::Scope::Run)
    }

    /// State shared by every run of the same session (`--session ID`).
    /// Its calls fail with [`StateError::NoSession`](crate::StateError::NoSession)
    /// in a run started without one.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
    /// let visits: u64 = ctx.session().get("visits")?.unwrap_or(0);
    /// ctx.session().set("visits", &(visits + 1))?;
    /// # Ok(()) }
    /// ```
    pub fn session(&self) -> State<'_> {
        State::new(types::Scope::Session)
    }

    /// The current time, journaled: the same value on every replay.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) {
    /// let started = ctx.now();
    /// # }
    /// ```
    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(host::now())
    }

    /// 64 random bits, journaled.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) {
    /// let dice = ctx.random() % 6 + 1;
    /// # }
    /// ```
    pub fn random(&self) -> u64 {
        host::random()
    }

    /// A random float in `[0, 1)`, journaled.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) {
    /// if ctx.random_f64() < 0.1 { /* sample 10% */ }
    /// # }
    /// ```
    pub fn random_f64(&self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.random() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A random (version 4) UUID such as
    /// `"1b4e28ba-2fa1-41d2-883f-0016d3cca427"`, journaled.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) {
    /// let request_id = ctx.uuid();
    /// assert_eq!(request_id.len(), 36);
    /// # }
    /// ```
    pub fn uuid(&self) -> String {
        format_uuid_v4(self.random(), self.random())
    }

    /// Sends a progress event to watchers (`cairn runs watch`). Events are
    /// not replayed. Data that fails to serialize is sent as its error
    /// message.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) {
    /// ctx.emit("charged", &json!({ "amount": 42.5 }));
    /// # }
    /// ```
    pub fn emit<T: Serialize + ?Sized>(&self, kind: &str, data: &T) {
        let data = serde_json::to_string(data).unwrap_or_else(|e| {
            serde_json::Value::String(format!("<unserializable event data: {e}>")).to_string()
        });
        host::emit(kind, &data);
    }

    /// Facts about the current run.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) {
    /// let info = ctx.run_info();
    /// cairn_sdk::log::info(format!("run {} of {}", info.run_id, info.workflow));
    /// # }
    /// ```
    pub fn run_info(&self) -> RunInfo {
        host::get_run_info().into()
    }
}

/// Facts about the current run; see [`Ctx::run_info`].
///
/// ```no_run
/// # fn f(info: cairn_sdk::RunInfo) {
/// if info.activation > 1 {
///     // this activation is a replay after a suspension or crash
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The run's id.
    pub run_id: String,
    /// The workflow's name.
    pub workflow: String,
    /// The workflow version: sha256 of the component bytes.
    pub version: String,
    /// The session the run belongs to, if it was started with one.
    pub session_id: Option<String>,
    /// 1 for the first activation; each replay after a suspension or crash
    /// adds one.
    pub activation: u32,
    /// When the run was created.
    pub started_at: SystemTime,
}

impl From<types::RunInfo> for RunInfo {
    fn from(r: types::RunInfo) -> Self {
        RunInfo {
            run_id: r.run_id,
            workflow: r.workflow,
            version: r.version,
            session_id: r.session_id,
            activation: r.activation,
            started_at: UNIX_EPOCH + Duration::from_millis(r.started_at_ms),
        }
    }
}

/// Formats 128 random bits as an RFC 9562 version 4 UUID.
fn format_uuid_v4(hi: u64, lo: u64) -> String {
    let hi = (hi & !0xf000) | 0x4000; // version 4 in bits 48..52
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62); // variant 10xx
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::format_uuid_v4;

    #[test]
    fn uuid_v4_shape() {
        let u = format_uuid_v4(u64::MAX, 0);
        assert_eq!(u, "ffffffff-ffff-4fff-8000-000000000000");
        let u = format_uuid_v4(0, u64::MAX);
        assert_eq!(u, "00000000-0000-4000-bfff-ffffffffffff");
    }
}
