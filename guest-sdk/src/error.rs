//! The two error types a workflow author returns: [`StepError`] from a
//! `#[step]` and [`WorkflowError`] from a `#[workflow]`.
//!
//! Both carry a machine-readable `code`, a `message` for people and optional
//! JSON `details`, which is what the WIT `error-info` record holds. Neither
//! implements `std::error::Error`; that is what lets each have a blanket
//! `From<E: std::error::Error>`, so `?` works on io, serde and parse errors
//! in step and workflow bodies alike. (The same blanket impl is why there
//! is no `From<&str>`/`From<String>`: coherence forbids it, as std may one
//! day implement `Error` for them. Use `StepError::fatal(msg)` and friends.)

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::bindings::types;

/// Why a step attempt failed, or (as the body sees it) why a step failed
/// for good.
///
/// A step returns `Err(StepError)`; the host retries the attempt if
/// [`retryable`](Self::retryable) is set and the step's policy allows,
/// otherwise the failure is final. In the body, [`Ctx::step`](crate::Ctx::step)
/// returns the final failure, with [`step`](Self::step_name) and
/// [`attempts`](Self::attempts) filled in.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step(max_attempts = 3)]
/// fn charge(amount: f64) -> Result<String, StepError> {
///     if amount <= 0.0 {
///         return Err(StepError::fatal("amount must be positive")
///             .with_code("bad-amount")
///             .with_details(json!({ "amount": amount })));
///     }
///     let text = std::fs::read_to_string("/nonexistent")?; // retryable, code "error"
///     Ok(text)
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StepError {
    /// Machine-readable kind of failure; `"error"` unless set.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// Optional structured details.
    pub details: Option<Value>,
    /// Whether the host may retry the attempt (per the step's policy).
    /// Always `false` on a failure returned to the body: it is final.
    pub retryable: bool,
    step: Option<String>,
    attempts: Option<u32>,
}

impl StepError {
    fn new(message: impl Into<String>, retryable: bool) -> Self {
        StepError {
            code: "error".to_owned(),
            message: message.into(),
            details: None,
            retryable,
            step: None,
            attempts: None,
        }
    }

    /// A failure the host retries per the step's policy (code `"error"`).
    ///
    /// ```no_run
    /// let e = cairn_sdk::StepError::retryable("gateway timed out");
    /// assert!(e.retryable);
    /// ```
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(message, true)
    }

    /// A failure retrying cannot help (code `"error"`).
    ///
    /// ```no_run
    /// let e = cairn_sdk::StepError::fatal("card declined");
    /// assert!(!e.retryable);
    /// ```
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::new(message, false)
    }

    /// Sets the machine-readable code.
    ///
    /// ```no_run
    /// let e = cairn_sdk::StepError::fatal("card declined").with_code("declined");
    /// assert_eq!(e.code, "declined");
    /// ```
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = code.into();
        self
    }

    /// Attaches structured details (anything serde can serialize; a value
    /// that fails to serialize is replaced by the serializer's message).
    ///
    /// ```no_run
    /// use cairn_sdk::serde_json::json;
    /// let e = cairn_sdk::StepError::fatal("declined").with_details(json!({"card": "visa"}));
    /// assert_eq!(e.details.unwrap()["card"], "visa");
    /// ```
    pub fn with_details<T: Serialize>(mut self, details: T) -> Self {
        self.details = Some(to_value(&details));
        self
    }

    /// The name of the step, when the error came back from
    /// [`Ctx::step`](crate::Ctx::step).
    ///
    /// ```no_run
    /// # fn f(e: cairn_sdk::StepError) {
    /// if let Some(step) = e.step_name() {
    ///     cairn_sdk::log::warn(format!("{step} gave up"));
    /// }
    /// # }
    /// ```
    pub fn step_name(&self) -> Option<&str> {
        self.step.as_deref()
    }

    /// How many attempts the host made before giving up, when the error
    /// came back from [`Ctx::step`](crate::Ctx::step).
    ///
    /// ```no_run
    /// # fn f(e: cairn_sdk::StepError) {
    /// let tries = e.attempts().unwrap_or(0);
    /// # }
    /// ```
    pub fn attempts(&self) -> Option<u32> {
        self.attempts
    }

    /// The body's view of a `step-failure` from the host.
    pub(crate) fn from_failure(step: &str, failure: types::StepFailure) -> Self {
        let types::StepFailure { error, attempts } = failure;
        StepError {
            code: error.code,
            message: error.message,
            details: error.details.map(parse_details),
            retryable: false,
            step: Some(step.to_owned()),
            attempts: Some(attempts),
        }
    }

    /// The WIT form `run-step` returns.
    pub(crate) fn into_wit(self) -> types::StepError {
        let retryable = self.retryable;
        let info = types::ErrorInfo {
            code: self.code,
            message: self.message,
            details: self.details.map(|d| d.to_string()),
        };
        if retryable {
            types::StepError::Retryable(info)
        } else {
            types::StepError::Fatal(info)
        }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(step) = &self.step {
            write!(f, "step `{step}` failed")?;
            if let Some(n) = self.attempts {
                write!(f, " after {n} attempt{}", if n == 1 { "" } else { "s" })?;
            }
            f.write_str(": ")?;
        }
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Any std error becomes a *retryable* `StepError` with code `"error"` and
/// the error's message (and its sources), so `?` works in step bodies.
impl<E: std::error::Error> From<E> for StepError {
    fn from(e: E) -> Self {
        StepError::retryable(chain(&e))
    }
}

/// Why a workflow failed: what its body returns as `Err`.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[workflow]
/// fn refund(_ctx: &Ctx, amount: f64) -> Result<Value, WorkflowError> {
///     if amount > 1000.0 {
///         return Err(WorkflowError::new("refund too large")
///             .with_code("limit")
///             .with_details(json!({ "max": 1000 })));
///     }
///     let parsed: Value = cairn_sdk::serde_json::from_str("{}")?; // code "error"
///     Ok(parsed)
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowError {
    /// Machine-readable kind of failure; `"error"` unless set.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// Optional structured details.
    pub details: Option<Value>,
}

impl WorkflowError {
    /// An error with code `"error"`.
    ///
    /// ```no_run
    /// let e = cairn_sdk::WorkflowError::new("no such customer");
    /// assert_eq!(e.code, "error");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        WorkflowError {
            code: "error".to_owned(),
            message: message.into(),
            details: None,
        }
    }

    /// Sets the machine-readable code.
    ///
    /// ```no_run
    /// let e = cairn_sdk::WorkflowError::new("no such customer").with_code("not-found");
    /// assert_eq!(e.code, "not-found");
    /// ```
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = code.into();
        self
    }

    /// Attaches structured details (anything serde can serialize).
    ///
    /// ```no_run
    /// let e = cairn_sdk::WorkflowError::new("bad").with_details([1, 2, 3]);
    /// assert_eq!(e.details.unwrap()[0], 1);
    /// ```
    pub fn with_details<T: Serialize>(mut self, details: T) -> Self {
        self.details = Some(to_value(&details));
        self
    }

    /// The WIT form `run` returns.
    pub(crate) fn into_wit(self) -> types::ErrorInfo {
        types::ErrorInfo {
            code: self.code,
            message: self.message,
            details: self.details.map(|d| d.to_string()),
        }
    }
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Any std error becomes a `WorkflowError` with code `"error"`.
impl<E: std::error::Error> From<E> for WorkflowError {
    fn from(e: E) -> Self {
        WorkflowError::new(chain(&e))
    }
}

/// A failed step fails the workflow with code `"step-failed"`; the message
/// names the step and the details keep the step's own code and details.
impl From<StepError> for WorkflowError {
    fn from(e: StepError) -> Self {
        let details = serde_json::json!({
            "step": e.step,
            "attempts": e.attempts,
            "code": e.code,
            "details": e.details,
        });
        let message = match &e.step {
            Some(_) => e.to_string(),
            None => format!("step failed: {}: {}", e.code, e.message),
        };
        WorkflowError {
            code: "step-failed".to_owned(),
            message,
            details: Some(details),
        }
    }
}

/// An error's message followed by those of its sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn to_value<T: Serialize + ?Sized>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| Value::String(format!("<details: {e}>")))
}

/// Details cross the boundary as JSON text; text that is not JSON is kept
/// as a string rather than lost.
fn parse_details(raw: String) -> Value {
    serde_json::from_str(&raw).unwrap_or(Value::String(raw))
}
