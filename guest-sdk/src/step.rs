//! Steps: the [`Step`] trait that `#[step]` implements, its
//! [`RetryPolicy`], and the [`StepContext`] an attempt runs with.
//!
//! A step runs in its own step instance of the component (real clock,
//! randomness, allow-listed HTTP), once per attempt; the body only ever sees
//! its journaled result through [`Ctx::step`](crate::Ctx::step).

use std::cell::RefCell;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StepError;
use crate::bindings::types;

/// A unit of side-effecting work the body asks the host to run.
///
/// `#[step]` implements it on a unit struct named like the function, so the
/// function's name is what the body passes to [`Ctx::step`](crate::Ctx::step).
/// The input is the function's argument: `()` for none, the argument's type
/// for one, a tuple for several.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step(max_attempts = 5, backoff = "500ms", timeout = "30s")]
/// fn charge_customer(order_id: String, amount: f64) -> Result<String, StepError> {
///     Ok(format!("ch_{order_id}_{amount}"))
/// }
///
/// assert_eq!(<charge_customer as Step>::NAME, "charge_customer");
/// assert_eq!(charge_customer::policy().max_attempts, 5);
/// // Steps can be called directly in unit tests, without a host:
/// let id = charge_customer::call(("A-1".into(), 10.0)).unwrap();
/// ```
pub trait Step: Copy + 'static {
    /// What the body passes in (serialized to JSON across the boundary).
    type Input: Serialize + DeserializeOwned;
    /// What the step returns (journaled as JSON).
    type Output: Serialize + DeserializeOwned;
    /// The step's name in the manifest and the journal.
    const NAME: &'static str;

    /// How the host retries a failed attempt (the `#[step(...)]` options).
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    /// #[step(max_attempts = 1)]
    /// fn once() -> Result<(), StepError> { Ok(()) }
    /// assert_eq!(once::policy().max_attempts, 1);
    /// ```
    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    /// Runs one attempt: the body of the `#[step]` function. The host calls
    /// it through `run-step`; a unit test may call it directly.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    /// #[step]
    /// fn double(n: u64) -> Result<u64, StepError> { Ok(2 * n) }
    /// assert_eq!(double::call(21).unwrap(), 42);
    /// ```
    fn call(input: Self::Input) -> Result<Self::Output, StepError>;
}

/// How the host retries a step: the `#[step(...)]` options.
///
/// ```no_run
/// use std::time::Duration;
/// let p = cairn_sdk::RetryPolicy::default();
/// assert_eq!(p.max_attempts, 3);
/// assert_eq!(p.initial_backoff, Duration::from_secs(1));
/// assert_eq!(p.timeout, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retried). Default 3.
    pub max_attempts: u32,
    /// Wait before the second attempt. Default 1 s.
    pub initial_backoff: Duration,
    /// Each later wait is the previous one times this. Default 2.0.
    pub backoff_factor: f64,
    /// Upper bound of any single wait. Default 5 min.
    pub max_backoff: Duration,
    /// Time one attempt may take; `None` means the host's default.
    pub timeout: Option<Duration>,
}

impl RetryPolicy {
    /// The defaults: 3 attempts, 1 s backoff doubling up to 5 min, host
    /// default timeout.
    ///
    /// ```no_run
    /// let p = cairn_sdk::RetryPolicy { max_attempts: 1, ..cairn_sdk::RetryPolicy::DEFAULT };
    /// ```
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_secs(1),
        backoff_factor: 2.0,
        max_backoff: Duration::from_secs(300),
        timeout: None,
    };

    pub(crate) fn into_wit(self) -> types::RetryPolicy {
        types::RetryPolicy {
            max_attempts: self.max_attempts,
            initial_backoff_ms: millis(self.initial_backoff),
            backoff_factor: self.backoff_factor,
            max_backoff_ms: millis(self.max_backoff),
            timeout_ms: self.timeout.map_or(0, millis),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What a step attempt knows about itself; see [`step_context`].
///
/// ```no_run
/// if let Some(cx) = cairn_sdk::step_context() {
///     cairn_sdk::log::info(format_args!(
///         "{} attempt {} of run {}", cx.step, cx.attempt, cx.run_id
///     ));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepContext {
    /// The run the step belongs to.
    pub run_id: String,
    /// The workflow of that run.
    pub workflow: String,
    /// This step's name.
    pub step: String,
    /// How many times this step name was called before in this run.
    pub occurrence: u32,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// `<run-id>/<step>/<occurrence>`: the same for every attempt, so
    /// downstream services can deduplicate.
    pub idempotency_key: String,
}

impl From<types::StepContext> for StepContext {
    fn from(c: types::StepContext) -> Self {
        StepContext {
            run_id: c.run_id,
            workflow: c.workflow,
            step: c.step,
            occurrence: c.occurrence,
            attempt: c.attempt,
            idempotency_key: c.idempotency_key,
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<StepContext>> = const { RefCell::new(None) };
}

/// The context of the step attempt running now; `None` in a workflow body.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step]
/// fn charge(amount: f64) -> Result<String, StepError> {
///     let cx = cairn_sdk::step_context().expect("inside a step");
///     if cx.attempt == 1 {
///         return Err(StepError::retryable("first try always fails"));
///     }
///     Ok(format!("charged {amount} under {}", cx.idempotency_key))
/// }
/// ```
pub fn step_context() -> Option<StepContext> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Runs `f` with `cx` as the current step context.
pub(crate) fn with_step_context<R>(cx: StepContext, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| c.borrow_mut().take());
        }
    }
    CURRENT.with(|c| *c.borrow_mut() = Some(cx));
    let _reset = Reset;
    f()
}

/// Not public API: lets `#[step]` name the output type of a function that
/// returns `Result<T, StepError>` (or an alias of it) without parsing it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a #[step] function must return `Result<T, StepError>`, not `{Self}`",
    label = "expected `Result<T, cairn_sdk::StepError>`"
)]
pub trait StepReturn {
    /// The `T` of `Result<T, StepError>`.
    type Output;
    /// Identity.
    fn into_result(self) -> Result<Self::Output, StepError>;
}

impl<T> StepReturn for Result<T, StepError> {
    type Output = T;
    fn into_result(self) -> Result<T, StepError> {
        self
    }
}
