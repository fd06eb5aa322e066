//! The `research` workflow: fetch a page, have a model summarise it, and
//! let a person accept the summary or ask for a revision (three rounds at
//! most).
//!
//! Input: `{"url": "https://example.com/"}`, optionally
//! `"model": "provider/model"` (default `local/llama3`, a
//! `[llm.providers.local]` of the host's `cairn.toml`). The page's host
//! must be allow-listed (`cairn deploy research.wasm --allow-http HOST`).
//!
//! 1. The step `fetch_page` GETs the URL (retried on failure) and keeps
//!    its first 12,000 characters.
//! 2. The body asks the model for a summary (`ctx.llm`, journaled: a
//!    replay never asks again).
//! 3. It asks a person: `accept` or `revise`. For `revise` it asks what
//!    should change (a text prompt) and goes back to 2 with the feedback.
//! 4. An accepted summary is stored in session state under
//!    `summary:<url>` (run state for a run without `--session`).
//!
//! Output: `{"status": "accepted", "summary", "rounds", "accepted_by"}`,
//! or `{"status": "not accepted", "rounds": 3, "last_summary"}`.

use cairn_sdk::prelude::*;

/// The run's input.
#[data]
#[derive(Debug)]
struct ResearchInput {
    url: String,
    #[serde(default = "default_model")]
    model: String,
}

fn default_model() -> String {
    "local/llama3".to_owned()
}

/// How much of a page the model sees.
const MAX_PAGE_CHARS: usize = 12_000;

/// Rounds of summary and review at most.
const MAX_ROUNDS: u32 = 3;

/// Fetches a page over allow-listed HTTP.
#[step(max_attempts = 3, timeout = "30s", backoff = "1s")]
fn fetch_page(url: String) -> Result<String, StepError> {
    let reply = cairn_sdk::http::get(&url)?;
    if !reply.is_success() {
        return Err(
            StepError::retryable(format!("{url} answered {}", reply.status()))
                .with_code("fetch-failed"),
        );
    }
    let text = reply.text()?;
    Ok(text.chars().take(MAX_PAGE_CHARS).collect())
}

/// Summarise, review, revise; keep the accepted summary. It uses the
/// session when there is one (`session = "optional"`: its `.session()`
/// call alone would make runs require one).
#[workflow(session = "optional")]
fn research(ctx: &Ctx, input: ResearchInput) -> Result<Value, WorkflowError> {
    let page = ctx.step(fetch_page, input.url.clone())?;
    let mut request = LlmRequest::new(&input.model)
        .system(
            "You summarise web pages for a busy reader: at most five sentences, \
             plain text, no preamble.",
        )
        .user(format!("Summarise the page at {}:\n\n{page}", input.url))
        .temperature(0.2);
    let mut summary = String::new();
    for round in 1..=MAX_ROUNDS {
        let reply = ctx.llm(request.clone())?;
        summary = reply.content.trim().to_owned();
        ctx.emit("draft", &json!({ "round": round, "summary": summary }));
        let verdict = ctx.wait_for_user(
            Prompt::choice(
                format!(
                    "Accept this summary of {} (round {round} of {MAX_ROUNDS})?",
                    input.url
                ),
                [("accept", "Accept"), ("revise", "Ask for a revision")],
            )
            .context(&json!({ "summary": summary })),
        )?;
        if verdict.option_id() == Some("accept") {
            let key = format!("summary:{}", input.url);
            match ctx.session().set(&key, &summary) {
                Err(StateError::NoSession) => ctx.state().set(&key, &summary)?,
                other => other?,
            }
            return Ok(json!({
                "status": "accepted",
                "summary": summary,
                "rounds": round,
                "accepted_by": verdict.by,
            }));
        }
        if round == MAX_ROUNDS {
            break;
        }
        let feedback: String = ctx
            .wait_for_user(Prompt::text("What should the revision change?"))?
            .value()?;
        request = request
            .assistant(summary.clone())
            .user(format!("Revise the summary. Feedback: {feedback}"));
    }
    Ok(json!({ "status": "not accepted", "rounds": MAX_ROUNDS, "last_summary": summary }))
}
