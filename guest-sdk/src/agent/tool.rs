//! What an agent can call: the [`Tool`] trait `#[tool]` implements, the
//! type-erased [`AgentTool`] an [`Agent`](crate::Agent) holds, and
//! [`ToolSet`], what [`Agent::tools`](crate::Agent::tools) takes.

use std::fmt;
use std::rc::Rc;

use serde_json::Value;

use crate::{AgentError, Ctx, Step, TokenUsage, ToolDef};

/// A step the model of an [`Agent`](crate::Agent) may call: what
/// [`#[tool]`](crate::tool) implements, beside [`Step`], on the unit
/// struct it makes of a function.
///
/// The step's input is the struct `<Name>Args` of the function's
/// arguments by name, which is the JSON object the model writes; its JSON
/// Schema is [`parameters`](Tool::parameters).
///
/// ```
/// use cairn_sdk::prelude::*;
///
/// /// Adds two integers.
/// #[tool(max_attempts = 1)]
/// fn add(a: i64, b: i64) -> Result<i64, StepError> {
///     Ok(a + b)
/// }
///
/// assert_eq!(<add as Tool>::DESCRIPTION, "Adds two integers.");
/// assert!(!<add as Tool>::APPROVAL);
/// let schema = add::parameters();
/// assert_eq!(schema["type"], "object");
/// assert_eq!(schema["required"], json!(["a", "b"]));
/// // Like any step, it can be called without a host:
/// assert_eq!(add::call(AddArgs { a: 2, b: 3 }).unwrap(), 5);
/// ```
pub trait Tool: Step {
    /// What the tool does, for the model: the `description` option, or
    /// the function's doc comment.
    const DESCRIPTION: &'static str;
    /// Whether a person must approve each call first (`approval = true`).
    const APPROVAL: bool;

    /// The JSON Schema of the arguments.
    ///
    /// ```
    /// use cairn_sdk::prelude::*;
    /// /// Says hello.
    /// #[tool]
    /// fn hello(name: String) -> Result<String, StepError> { Ok(format!("hello {name}")) }
    /// assert_eq!(hello::parameters()["properties"]["name"]["type"], "string");
    /// ```
    fn parameters() -> Value;
}

/// A tool as an [`Agent`](crate::Agent) holds it: a [`#[tool]`](crate::tool)
/// step, or another agent ([`Agent::as_tool`](crate::Agent::as_tool)).
///
/// ```
/// use cairn_sdk::prelude::*;
///
/// /// Tells the time in a city.
/// #[tool]
/// fn clock(city: String) -> Result<String, StepError> {
///     Ok(format!("noon in {city}"))
/// }
///
/// let t = AgentTool::from(clock).approval(true);
/// assert_eq!(t.name(), "clock");
/// assert!(t.needs_approval());
/// assert_eq!(t.definition().description, "Tells the time in a city.");
/// ```
#[derive(Clone)]
pub struct AgentTool {
    pub(crate) def: ToolDef,
    pub(crate) approval: bool,
    pub(crate) run: ToolRun,
}

/// How a tool runs.
#[derive(Clone)]
pub(crate) enum ToolRun {
    /// A step: its name, and the check of the model's arguments, which
    /// returns them as the step's input JSON.
    Step {
        step: &'static str,
        check: fn(&str) -> Result<String, String>,
    },
    /// Another agent, run in the body: the output as text and the tokens.
    Agent(Rc<SubAgent>),
}

/// An agent run as a tool: its input, its output as text and the tokens.
pub(crate) type SubAgent = dyn Fn(&Ctx, String) -> Result<(String, TokenUsage), AgentError>;

impl AgentTool {
    /// The tool's name, as the model calls it.
    ///
    /// ```
    /// # use cairn_sdk::prelude::*;
    /// /// Pings.
    /// #[tool]
    /// fn ping() -> Result<(), StepError> { Ok(()) }
    /// assert_eq!(AgentTool::from(ping).name(), "ping");
    /// ```
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// What the model is told about it: name, description, parameters.
    ///
    /// ```
    /// # use cairn_sdk::prelude::*;
    /// /// Pings.
    /// #[tool]
    /// fn ping() -> Result<(), StepError> { Ok(()) }
    /// assert_eq!(AgentTool::from(ping).definition().description, "Pings.");
    /// ```
    pub fn definition(&self) -> &ToolDef {
        &self.def
    }

    /// Whether a person must approve each call.
    ///
    /// ```
    /// # use cairn_sdk::prelude::*;
    /// /// Refunds.
    /// #[tool(approval = true)]
    /// fn refund(order_id: String) -> Result<(), StepError> { Ok(()) }
    /// assert!(AgentTool::from(refund).needs_approval());
    /// ```
    pub fn needs_approval(&self) -> bool {
        self.approval
    }

    /// Asks (or stops asking) a person before each call, whatever the
    /// tool's `approval` option says.
    ///
    /// ```
    /// # use cairn_sdk::prelude::*;
    /// /// Sends mail.
    /// #[tool]
    /// fn send_mail(to: String) -> Result<(), StepError> { Ok(()) }
    /// let guarded = AgentTool::from(send_mail).approval(true);
    /// assert!(guarded.needs_approval());
    /// ```
    pub fn approval(mut self, ask: bool) -> Self {
        self.approval = ask;
        self
    }
}

impl fmt::Debug for AgentTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.run {
            ToolRun::Step { step, .. } => format!("step `{step}`"),
            ToolRun::Agent(_) => "agent".to_owned(),
        };
        f.debug_struct("AgentTool")
            .field("name", &self.def.name)
            .field("approval", &self.approval)
            .field("runs", &kind)
            .finish()
    }
}

impl<T: Tool> From<T> for AgentTool {
    fn from(_: T) -> Self {
        AgentTool {
            def: ToolDef::new(T::NAME, T::DESCRIPTION, &T::parameters()),
            approval: T::APPROVAL,
            run: ToolRun::Step {
                step: T::NAME,
                check: check_args::<T>,
            },
        }
    }
}

/// Parses the model's arguments into the step's input and writes them
/// back as JSON (so the step's input is canonical), or says why they do
/// not fit.
fn check_args<S: Step>(args: &str) -> Result<String, String> {
    let args = if args.trim().is_empty() { "{}" } else { args };
    let input: S::Input = serde_json::from_str(args).map_err(|e| e.to_string())?;
    serde_json::to_string(&input).map_err(|e| e.to_string())
}

/// Not public API: the parameters' schema of a `#[tool]`, without the
/// `$schema` and `title` keys schemars puts at the root (the tool's name
/// says it; some providers refuse unknown keys there).
#[doc(hidden)]
pub fn tool_parameters<T: schemars::JsonSchema>() -> Value {
    let mut v = schemars::SchemaGenerator::default()
        .into_root_schema_for::<T>()
        .to_value();
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
        o.remove("title");
    }
    v
}

/// Tools to give an agent at once: a tuple of `#[tool]`s and
/// [`AgentTool`]s (up to eight), an array or a `Vec` of [`AgentTool`]s.
///
/// ```
/// use cairn_sdk::prelude::*;
///
/// /// Looks an order up.
/// #[tool]
/// fn lookup(id: String) -> Result<String, StepError> { Ok(id) }
/// /// Cancels an order.
/// #[tool(approval = true)]
/// fn cancel(id: String) -> Result<bool, StepError> { Ok(true) }
///
/// let a = Agent::new("local/llama3").tools((lookup, cancel));
/// let b = Agent::new("local/llama3").tools(vec![AgentTool::from(lookup)]);
/// assert_eq!(a.tool_names(), ["lookup", "cancel"]);
/// assert_eq!(b.tool_names(), ["lookup"]);
/// ```
pub trait ToolSet {
    /// The tools, in order.
    fn into_tools(self) -> Vec<AgentTool>;
}

impl ToolSet for Vec<AgentTool> {
    fn into_tools(self) -> Vec<AgentTool> {
        self
    }
}

impl<const N: usize> ToolSet for [AgentTool; N] {
    fn into_tools(self) -> Vec<AgentTool> {
        self.into_iter().collect()
    }
}

macro_rules! tuple_tool_set {
    ($($t:ident),+) => {
        impl<$($t: Into<AgentTool>),+> ToolSet for ($($t,)+) {
            #[allow(non_snake_case)]
            fn into_tools(self) -> Vec<AgentTool> {
                let ($($t,)+) = self;
                vec![$($t.into()),+]
            }
        }
    };
}

tuple_tool_set!(A);
tuple_tool_set!(A, B);
tuple_tool_set!(A, B, C);
tuple_tool_set!(A, B, C, D);
tuple_tool_set!(A, B, C, D, E);
tuple_tool_set!(A, B, C, D, E, F);
tuple_tool_set!(A, B, C, D, E, F, G);
tuple_tool_set!(A, B, C, D, E, F, G, H);
