//! Test guest `agent`: `Agent` loops against the fake LLM servers.
//!
//! Tools (steps the model may call; the test's scripted model passes the
//! side-effect server's URL as an argument):
//! - `fetch(url)`: GETs `url` (a non-2xx answer is a retryable failure,
//!   3 attempts) and returns the body.
//! - `charge(url, cents)`: needs approval; POSTs `{"cents"}` to `url` with
//!   the step's idempotency key, once (`max_attempts = 1`), returns the
//!   body.
//!
//! Workflows, each taking `Input` (all but `model` and `input` optional):
//! - `agent`: runs the agent and returns its `AgentOutput` (text answer).
//! - `typed_agent`: the same with a typed answer `{"answer", "confidence"}`.
//! - `nested`: an agent whose one tool, `researcher`, is another agent
//!   (with `fetch`), returns the outer `AgentOutput`.
//!
//! An agent error fails the run with its code (`agent-max-turns`, ...).

use cairn_sdk::prelude::*;

/// The runs' input.
#[data]
#[derive(Debug)]
struct Input {
    model: String,
    input: String,
    #[serde(default)]
    instructions: Option<String>,
    #[serde(default)]
    max_turns: Option<u32>,
    #[serde(default)]
    budget_tokens: Option<u64>,
    #[serde(default)]
    max_repairs: Option<u32>,
    #[serde(default)]
    parallel: bool,
    #[serde(default)]
    ask_reason: bool,
    #[serde(default)]
    ask_extend: bool,
    #[serde(default)]
    deadline_ms: Option<u64>,
}

/// A typed final answer.
#[data]
#[derive(Debug)]
struct Verdict {
    answer: String,
    confidence: u8,
}

/// Fetches a URL and returns its body.
#[tool(max_attempts = 3, backoff = "100ms", timeout = "20s")]
fn fetch(url: String) -> Result<String, StepError> {
    let reply = cairn_sdk::http::get(&url)?;
    if !reply.is_success() {
        return Err(StepError::retryable(format!(
            "{url} answered {}",
            reply.status()
        )));
    }
    Ok(reply.text()?)
}

/// Charges an amount in cents at `url`.
#[tool(approval = true, max_attempts = 1)]
fn charge(url: String, cents: u64) -> Result<String, StepError> {
    let cx = cairn_sdk::step_context().expect("inside a step");
    let reply = cairn_sdk::http::Request::post(&url)
        .header("Idempotency-Key", cx.idempotency_key)
        .json(&json!({ "cents": cents }))
        .send()?;
    Ok(reply.text()?)
}

fn agent(input: &Input) -> Agent {
    let mut a = Agent::new(input.model.clone())
        .name("tester")
        .tools((fetch, charge))
        .parallel_tools(input.parallel)
        .ask_refusal_reason(input.ask_reason)
        .ask_to_extend_budget(input.ask_extend)
        .temperature(0.0);
    if let Some(i) = &input.instructions {
        a = a.instructions(i.clone());
    }
    if let Some(n) = input.max_turns {
        a = a.max_turns(n);
    }
    if let Some(n) = input.budget_tokens {
        a = a.budget_tokens(n);
    }
    if let Some(ms) = input.deadline_ms {
        a = a.deadline(Duration::from_millis(ms));
    }
    if let Some(n) = input.max_repairs {
        a = a.max_repairs(n);
    }
    a
}

#[workflow(name = "agent")]
fn run_agent(ctx: &Ctx, input: Input) -> Result<AgentOutput<String>, WorkflowError> {
    Ok(agent(&input).run(ctx, input.input.clone())?)
}

#[workflow]
fn typed_agent(ctx: &Ctx, input: Input) -> Result<AgentOutput<Verdict>, WorkflowError> {
    Ok(agent(&input)
        .output::<Verdict>()
        .run(ctx, input.input.clone())?)
}

#[workflow]
fn nested(ctx: &Ctx, input: Input) -> Result<AgentOutput<String>, WorkflowError> {
    let researcher = Agent::new(input.model.clone())
        .name("researcher")
        .instructions("You fetch pages and report what they say.")
        .tool(fetch);
    let outer = Agent::new(input.model.clone())
        .name("writer")
        .tool(researcher.as_tool("researcher", "Finds out what a page says."));
    Ok(outer.run(ctx, input.input.clone())?)
}
