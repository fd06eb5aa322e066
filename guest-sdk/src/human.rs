//! Waiting for a person and for signals: [`Prompt`], [`Answer`],
//! [`WaitError`], and the [`Ctx::wait_for_user`] and
//! [`Ctx::wait_for_event`] calls.
//!
//! Both waits are durable. The run's status becomes `waiting`, its
//! instance is unloaded, and it resumes by replay when the answer (`cairn
//! respond`) or the signal (`cairn signal`) arrives, or when the timeout
//! passes. On replay the journaled answer is returned at once.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::{host, types};
use crate::step::millis;
use crate::{Ctx, WorkflowError};

/// A question for a person, built with one of the constructors and
/// refined with the builder methods; see [`Ctx::wait_for_user`].
///
/// | constructor | the answer is |
/// |---|---|
/// | [`Prompt::approval`] | `approve` or `reject` (or the options you give) |
/// | [`Prompt::choice`] | one of the options' ids |
/// | [`Prompt::text`] | any text |
/// | [`Prompt::number`] | a number, within [`min`](Prompt::min) / [`max`](Prompt::max) |
/// | [`Prompt::json`] | a JSON value, matching [`schema`](Prompt::schema) if set |
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// let p = Prompt::number("How many units?")
///     .min(1.0)
///     .max(100.0)
///     .timeout(Duration::from_secs(3600))
///     .default(&10)
///     .context(&json!({"sku": "A-1"}));
/// ```
#[derive(Debug, Clone)]
pub struct Prompt {
    inner: types::Prompt,
}

/// One answer a person may pick in an approval or choice prompt.
///
/// Made from `"id"` (the label is the id) or `("id", "Label")`.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// let p = Prompt::choice("Ship how?", [("ground", "Ground, 5 days"), ("air", "Air, 1 day")]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptOption {
    /// What the answer is (`cairn respond RUN ID`).
    pub id: String,
    /// What the person sees.
    pub label: String,
}

impl From<&str> for PromptOption {
    fn from(id: &str) -> Self {
        PromptOption {
            id: id.to_owned(),
            label: id.to_owned(),
        }
    }
}

impl From<String> for PromptOption {
    fn from(id: String) -> Self {
        PromptOption {
            label: id.clone(),
            id,
        }
    }
}

impl From<(&str, &str)> for PromptOption {
    fn from((id, label): (&str, &str)) -> Self {
        PromptOption {
            id: id.to_owned(),
            label: label.to_owned(),
        }
    }
}

impl From<(String, String)> for PromptOption {
    fn from((id, label): (String, String)) -> Self {
        PromptOption { id, label }
    }
}

fn to_json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|e| Value::String(format!("<value does not serialize: {e}>")).to_string())
}

impl Prompt {
    fn new(question: impl Into<String>, input_type: types::InputType) -> Self {
        Prompt {
            inner: types::Prompt {
                question: question.into(),
                input_type,
                options: Vec::new(),
                min: None,
                max: None,
                schema: None,
                timeout_ms: None,
                default: None,
                context: None,
            },
        }
    }

    /// A yes/no decision. Without [`option`](Self::option)s the answers
    /// are `approve` (Approve) and `reject` (Reject); see
    /// [`Answer::is_approved`].
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::approval("Ship order A-1 for 42.50?");
    /// ```
    pub fn approval(question: impl Into<String>) -> Self {
        Self::new(question, types::InputType::Approval)
    }

    /// Free text.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::text("What should change in the summary?");
    /// ```
    pub fn text(question: impl Into<String>) -> Self {
        Self::new(question, types::InputType::Text)
    }

    /// One of `options` (at least one; the host refuses an empty choice
    /// with [`WaitError::BadPrompt`]).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::choice("Which plan?", ["basic", "pro"]);
    /// ```
    pub fn choice<O: Into<PromptOption>>(
        question: impl Into<String>,
        options: impl IntoIterator<Item = O>,
    ) -> Self {
        let mut p = Self::new(question, types::InputType::Choice);
        for o in options {
            p = p.option(o);
        }
        p
    }

    /// A number; see [`min`](Self::min) and [`max`](Self::max).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::number("Discount in percent?").min(0.0).max(30.0);
    /// ```
    pub fn number(question: impl Into<String>) -> Self {
        Self::new(question, types::InputType::Number)
    }

    /// A JSON value; see [`schema`](Self::schema).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::json("Shipping address?").schema(&json!({
    ///     "type": "object",
    ///     "required": ["street", "city"],
    /// }));
    /// ```
    pub fn json(question: impl Into<String>) -> Self {
        Self::new(question, types::InputType::Json)
    }

    /// Adds an answer to pick (approval and choice prompts).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::approval("Publish?")
    ///     .option(("publish", "Publish now"))
    ///     .option(("hold", "Hold"));
    /// ```
    pub fn option(mut self, option: impl Into<PromptOption>) -> Self {
        let o = option.into();
        self.inner.options.push(types::PromptOption {
            id: o.id,
            label: o.label,
        });
        self
    }

    /// The smallest number accepted (number prompts).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::number("Quantity?").min(1.0);
    /// ```
    pub fn min(mut self, min: f64) -> Self {
        self.inner.min = Some(min);
        self
    }

    /// The largest number accepted (number prompts).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::number("Quantity?").max(99.0);
    /// ```
    pub fn max(mut self, max: f64) -> Self {
        self.inner.max = Some(max);
        self
    }

    /// A JSON Schema a `json` answer must satisfy; the host checks it
    /// before accepting an answer.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::json("Limits?").schema(&json!({"type": "array", "items": {"type": "integer"}}));
    /// ```
    pub fn schema<T: Serialize + ?Sized>(mut self, schema: &T) -> Self {
        self.inner.schema = Some(to_json(schema));
        self
    }

    /// How long to wait. When it passes, the answer is the
    /// [`default`](Self::default) (with [`Answer::timed_out`] set), or
    /// without one the wait fails with [`WaitError::Timeout`].
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::approval("Ship it?").timeout(Duration::from_secs(24 * 3600));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner.timeout_ms = Some(millis(timeout));
        self
    }

    /// The answer when the [`timeout`](Self::timeout) passes; it must fit
    /// the prompt (an option id, a number in range, ...).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::approval("Ship it?")
    ///     .timeout(Duration::from_secs(3600))
    ///     .default("reject");
    /// ```
    pub fn default<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.inner.default = Some(to_json(value));
        self
    }

    /// Data shown to the person with the question (`cairn prompts`).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let p = Prompt::approval("Refund?").context(&json!({"order": "A-1", "amount": 42.5}));
    /// ```
    pub fn context<T: Serialize + ?Sized>(mut self, context: &T) -> Self {
        self.inner.context = Some(to_json(context));
        self
    }
}

/// A person's answer to a [`Prompt`] (or its default after the timeout).
///
/// ```no_run
/// # use cairn_sdk::prelude::*;
/// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
/// let answer = ctx.wait_for_user(Prompt::number("How many?"))?;
/// let n: u32 = answer.value()?;
/// cairn_sdk::log::info(format_args!("{} said {n}", answer.by));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    raw: Value,
    /// Who answered (`cairn respond --by`, or their OS user); `timeout`
    /// when this is the prompt's default.
    pub by: String,
    /// When.
    pub at: SystemTime,
    /// True when the timeout passed and this is the prompt's default.
    pub timed_out: bool,
}

impl Answer {
    /// The answer as `T`: a `String` for text and option ids, a number
    /// type for numbers, any serde type for JSON.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(answer: cairn_sdk::Answer) -> Result<(), WaitError> {
    /// let text: String = answer.value()?;
    /// # Ok(()) }
    /// ```
    pub fn value<T: DeserializeOwned>(&self) -> Result<T, WaitError> {
        serde_json::from_value(self.raw.clone()).map_err(|e| {
            let message = format!(
                "the answer {} is not a {}: {e}",
                self.raw,
                crate::registry::short_type_name::<T>()
            );
            crate::log::unreadable(&message);
            WaitError::BadAnswer(message)
        })
    }

    /// The answer as JSON.
    ///
    /// ```no_run
    /// # fn f(answer: cairn_sdk::Answer) {
    /// let v = answer.json();
    /// # }
    /// ```
    pub fn json(&self) -> &Value {
        &self.raw
    }

    /// The option picked, for approval and choice prompts.
    ///
    /// ```no_run
    /// # fn f(answer: cairn_sdk::Answer) {
    /// match answer.option_id() {
    ///     Some("air") => { /* ship by air */ }
    ///     _ => { /* ground */ }
    /// }
    /// # }
    /// ```
    pub fn option_id(&self) -> Option<&str> {
        self.raw.as_str()
    }

    /// True when the answer is the option `approve`.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
    /// if ctx.wait_for_user(Prompt::approval("Ship it?"))?.is_approved() {
    ///     // ship
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_approved(&self) -> bool {
        self.option_id() == Some("approve")
    }
}

impl From<types::Answer> for Answer {
    fn from(a: types::Answer) -> Self {
        Answer {
            raw: serde_json::from_str(&a.value).unwrap_or(Value::String(a.value)),
            by: a.by,
            at: UNIX_EPOCH + Duration::from_millis(a.at_ms),
            timed_out: a.timed_out,
        }
    }
}

/// Why a wait returned no value.
///
/// `?` in a workflow body turns it into a [`WorkflowError`] with code
/// `"timeout"`, `"bad-prompt"` or `"bad-answer"`.
///
/// ```no_run
/// # use cairn_sdk::prelude::*;
/// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
/// let p = Prompt::approval("Ship it?").timeout(Duration::from_secs(60));
/// match ctx.wait_for_user(p) {
///     Ok(a) if a.is_approved() => { /* ship */ }
///     Ok(_) => { /* rejected */ }
///     Err(WaitError::Timeout(_)) => { /* nobody answered */ }
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    /// The timeout passed and there was no default.
    Timeout(String),
    /// The prompt is malformed (a choice without options, a default that
    /// does not fit, a schema that is not one).
    BadPrompt(String),
    /// The answer or payload did not deserialize into the type asked for.
    BadAnswer(String),
}

impl WaitError {
    fn code(&self) -> &'static str {
        match self {
            WaitError::Timeout(_) => "timeout",
            WaitError::BadPrompt(_) => "bad-prompt",
            WaitError::BadAnswer(_) => "bad-answer",
        }
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::Timeout(m) | WaitError::BadPrompt(m) | WaitError::BadAnswer(m) => {
                f.write_str(m)
            }
        }
    }
}

impl From<types::WaitError> for WaitError {
    fn from(e: types::WaitError) -> Self {
        match e {
            types::WaitError::Timeout(m) => WaitError::Timeout(m),
            types::WaitError::BadPrompt(m) => WaitError::BadPrompt(m),
        }
    }
}

impl From<WaitError> for WorkflowError {
    fn from(e: WaitError) -> Self {
        WorkflowError::new(e.to_string()).with_code(e.code())
    }
}

impl Ctx {
    /// Asks a person and waits, durably, for the answer.
    ///
    /// The run becomes `waiting` and is unloaded; `cairn prompts` lists the
    /// question and `cairn respond RUN VALUE` answers it (the host refuses
    /// an answer that does not fit the prompt). The run then resumes by
    /// replay and this call returns the [`Answer`]. On later replays the
    /// journaled answer is returned at once.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[workflow]
    /// fn refund(ctx: &Ctx, amount: f64) -> Result<Value, WorkflowError> {
    ///     let answer = ctx.wait_for_user(
    ///         Prompt::approval(format!("Refund {amount}?"))
    ///             .timeout(Duration::from_secs(24 * 3600))
    ///             .default("reject"),
    ///     )?;
    ///     Ok(json!({ "refunded": answer.is_approved(), "by": answer.by }))
    /// }
    /// ```
    pub fn wait_for_user(&self, prompt: Prompt) -> Result<Answer, WaitError> {
        host::wait_for_user(&prompt.inner)
            .map(Answer::from)
            .map_err(WaitError::from)
    }

    /// Waits, durably, for the signal `name` sent to this run with `cairn
    /// signal RUN NAME [--json DATA]`, and returns its payload as `T`
    /// (`Value` takes anything). A signal sent before the run gets here is
    /// kept and returned at once; signals of one name are taken in the
    /// order sent, one per call. With a `timeout`, a wait that passes it
    /// fails with [`WaitError::Timeout`].
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[workflow]
    /// fn deploy(ctx: &Ctx) -> Result<Value, WorkflowError> {
    ///     let go: Value = ctx.wait_for_event("go", Some(Duration::from_secs(600)))?;
    ///     Ok(json!({ "released_with": go }))
    /// }
    /// ```
    pub fn wait_for_event<T: DeserializeOwned>(
        &self,
        name: &str,
        timeout: Option<Duration>,
    ) -> Result<T, WaitError> {
        let payload = host::wait_for_event(name, timeout.map(millis))?;
        serde_json::from_str(&payload).map_err(|e| {
            let message = format!(
                "the payload of signal `{name}` ({payload}) is not a {}: {e}",
                crate::registry::short_type_name::<T>()
            );
            crate::log::unreadable(&message);
            WaitError::BadAnswer(message)
        })
    }
}
