//! `cairn prompts`, `cairn respond` and `cairn signal`: a person answering
//! a waiting run, and signals for `wait_for_event`.
//!
//! Neither command runs the run: an accepted answer or a signal makes it
//! due, and the next `cairn serve`, `cairn resume` or `cairn run --wait`
//! resumes it. Both write through `WriteOp::Answer` / `WriteOp::Signal`,
//! which check the run's status in the same transaction as the write.

use cairn::journal::EventKind;
use clap::Args;
use serde_json::{Value, json};

use cairn::journal::{
    AnswerRecord, EntryKind, JournalEntry, PendingPrompt, PromptRecord, RunStatus,
};
use cairn::runtime::human::what_fits;
use cairn::runtime::respond::{self, AnswerInput, RespondError};
use cairn::server::views::{PromptFields, PromptList, PromptView};

use super::format::{json_brief, print_json, relative};
use super::input::{parse_json, read_value};
use super::run::unknown_run;
use super::user::os_user;
use super::{Env, Exit, ExitKind};

#[derive(Debug, Args)]
pub struct PromptsArgs {
    /// Only the prompt of this run.
    #[arg(long)]
    run: Option<String>,
}

#[derive(Debug, Args)]
pub struct RespondArgs {
    /// The run whose prompt to answer.
    run: String,
    /// The answer: an option id (or label), a number, text, or JSON for a
    /// `json` prompt; `@FILE` reads it from a file, `-` from standard input.
    #[arg(allow_hyphen_values = true)]
    value: String,
    /// The value is JSON (refused when it does not parse), whatever the
    /// prompt's input type.
    #[arg(long)]
    json_value: bool,
    /// Who answers (default: the OS user).
    #[arg(long)]
    by: Option<String>,
}

#[derive(Debug, Args)]
pub struct SignalArgs {
    /// The run to signal.
    run: String,
    /// The signal's name, as the body's `wait_for_event` names it.
    name: String,
    /// The payload: JSON if it parses, else a string; none sends `null`.
    /// `@FILE` reads it from a file, `-` from standard input.
    #[arg(allow_hyphen_values = true)]
    data: Option<String>,
    /// The payload is JSON (refused when it does not parse).
    #[arg(long)]
    json_value: bool,
    /// Who sends it (default: the OS user).
    #[arg(long)]
    by: Option<String>,
}

fn refused(message: impl Into<String>) -> Exit {
    Exit::new(ExitKind::Usage, message)
}

/// A prompt as `runs show --json` gives it: the fields of the shared view
/// `GET /v1/prompts` and `cairn prompts --json` use.
pub fn prompt_json(p: &PromptRecord) -> Value {
    serde_json::to_value(PromptFields::from(p)).unwrap_or_default()
}

pub async fn prompts(env: &Env, a: PromptsArgs) -> Result<ExitKind, Exit> {
    let store = env.store()?;
    if let Some(id) = &a.run
        && store.run(id).await?.is_none()
    {
        return Err(unknown_run(id));
    }
    let pending = store.pending_prompts(a.run.as_deref()).await?;
    let now = cairn::clock::now_ms();
    if env.json {
        let list = PromptList {
            prompts: pending.iter().map(|p| PromptView::new(p, now)).collect(),
        };
        print_json(&serde_json::to_value(list).unwrap_or_default());
        return Ok(ExitKind::Success);
    }
    if pending.is_empty() {
        println!("no prompts are waiting for an answer");
        return Ok(ExitKind::Success);
    }
    for (i, p) in pending.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print_prompt(p, now);
    }
    Ok(ExitKind::Success)
}

fn print_prompt(p: &PendingPrompt, now: i64) {
    let r = &p.prompt;
    let deadline = match r.deadline {
        Some(d) => format!(", times out {}", relative(d, now)),
        None => String::new(),
    };
    let busy = if p.status == RunStatus::Waiting {
        String::new()
    } else {
        format!(" [{}: a worker is resuming it]", p.status)
    };
    println!(
        "{}  {}  asked {}{deadline}{busy}",
        p.run_id,
        p.workflow,
        relative(p.asked_at, now)
    );
    println!("  {}  [{}]", r.question, r.input_type);
    if let Some(c) = &r.context {
        println!("  context: {}", json_brief(&c.to_string(), 300));
    }
    if let Some(d) = &r.default {
        println!("  default on timeout: {d}");
    }
    println!("  {}", what_fits(r));
    println!("  cairn respond {} VALUE", p.run_id);
}

pub async fn respond(env: &Env, a: RespondArgs) -> Result<ExitKind, Exit> {
    let limit = env.config.limits.max_value_bytes;
    let text = read_value(&a.value, "the answer", limit)?;
    let input = if a.json_value {
        AnswerInput::Json(parse_json(
            &text,
            "the answer",
            "--json-value says it is JSON; leave it out to answer with text or an option id",
        )?)
    } else {
        AnswerInput::Text(text)
    };
    let store = env.store()?;
    let by = a.by.clone().unwrap_or_else(os_user);
    let answered = respond::respond(&*store, &a.run, input, &by)
        .await
        .map_err(respond_exit)?;
    if env.json {
        print_json(
            &json!({"run_id": answered.run_id, "answered": true, "value": answered.value,
                           "by": answered.by, "at": answered.at}),
        );
    } else {
        println!(
            "answered run {}: {} (by {}); it resumes under `cairn serve`, `cairn resume` or a \
             waiting `cairn run --wait`",
            answered.run_id, answered.value, answered.by
        );
    }
    Ok(ExitKind::Success)
}

fn respond_exit(e: RespondError) -> Exit {
    match e {
        RespondError::UnknownRun(id) => unknown_run(&id),
        RespondError::Refused(m)
        | RespondError::NotWaiting(m)
        | RespondError::AlreadyAnswered(m) => refused(m),
        RespondError::Store(s) => Exit::from_store(s),
    }
}

pub async fn signal(env: &Env, a: SignalArgs) -> Result<ExitKind, Exit> {
    let limit = env.config.limits.max_value_bytes;
    let payload = match &a.data {
        None => Value::Null,
        Some(arg) => {
            let text = read_value(arg, "the signal's data", limit)?;
            if a.json_value {
                parse_json(
                    &text,
                    "the signal's data",
                    "--json-value says it is JSON; leave it out to send it as a string",
                )?
            } else {
                serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))
            }
        }
    };
    let store = env.store()?;
    let by = a.by.clone().unwrap_or_else(os_user);
    let status = respond::signal(&*store, &a.run, &a.name, &payload, &by)
        .await
        .map_err(respond_exit)?;
    if env.json {
        print_json(
            &json!({"run_id": a.run, "signal": a.name, "payload": payload,
                           "by": by, "run_status": status.as_str()}),
        );
    } else {
        let note = if status == RunStatus::Waiting {
            "it resumes under `cairn serve` or `cairn resume`"
        } else {
            "it is kept until the run waits for it"
        };
        println!(
            "signal `{}` sent to run {} ({status}); {note}",
            a.name, a.run
        );
    }
    Ok(ExitKind::Success)
}

// ---- `runs show` ----

/// The prompts of a journal with their answers, for `runs show --json`.
pub fn prompts_of(journal: &[JournalEntry]) -> Vec<Value> {
    journal
        .iter()
        .filter(|e| e.kind == EntryKind::Prompt)
        .map(|p| {
            let record: Option<PromptRecord> = p
                .value
                .as_deref()
                .and_then(|v| serde_json::from_str(v).ok());
            let mut v = record
                .as_ref()
                .map(prompt_json)
                .unwrap_or_else(|| json!({}));
            v["occurrence"] = json!(p.occurrence);
            v["asked_at"] = json!(p.created_at);
            let answer = answer_of(journal, p);
            v["pending"] = json!(answer.is_none());
            match answer {
                Some(a) if a.ok => {
                    v["answer"] = a
                        .value
                        .as_deref()
                        .and_then(|t| serde_json::from_str::<Value>(t).ok())
                        .unwrap_or(Value::Null);
                }
                Some(a) => {
                    v["answer"] = Value::Null;
                    v["error"] = a
                        .value
                        .as_deref()
                        .and_then(|t| serde_json::from_str::<Value>(t).ok())
                        .unwrap_or(Value::Null);
                }
                None => v["answer"] = Value::Null,
            }
            v
        })
        .collect()
}

fn answer_of<'a>(journal: &'a [JournalEntry], prompt: &JournalEntry) -> Option<&'a JournalEntry> {
    journal.iter().find(|e| {
        e.kind == EntryKind::Answer && e.name == prompt.name && e.occurrence == prompt.occurrence
    })
}

/// The signals of a run, for `runs show --json`.
pub fn signals_json(signals: &[cairn::journal::SignalRecord]) -> Vec<Value> {
    signals
        .iter()
        .map(|s| {
            json!({
                "seq": s.id,
                "name": s.name,
                "payload": super::format::json_value(&s.payload),
                "sent_at": s.sent_at,
                "sent_by": s.sent_by,
                "consumed_at": s.consumed_at,
            })
        })
        .collect()
}

/// The LLM calls of a run: journaled ones (the body's) and the `llm`
/// events of calls made inside steps.
pub fn llm_calls_of(journal: &[JournalEntry], events: &[cairn::journal::RunEvent]) -> Vec<Value> {
    let mut out: Vec<Value> = journal
        .iter()
        .filter(|e| e.kind == EntryKind::Llm)
        .map(|e| {
            let v: Value = e
                .value
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null);
            if e.ok {
                json!({"model": e.name, "occurrence": e.occurrence, "at": e.created_at, "ok": true,
                       "answered_by": v["model"], "finish_reason": v["finish_reason"],
                       "input_tokens": v["usage"]["input_tokens"],
                       "output_tokens": v["usage"]["output_tokens"]})
            } else {
                json!({"model": e.name, "occurrence": e.occurrence, "at": e.created_at, "ok": false,
                       "error": v})
            }
        })
        .collect();
    out.extend(
        events
            .iter()
            .filter(|e| e.kind == EventKind::Llm && e.data["step"].is_string())
            .map(|e| {
                let d = &e.data;
                json!({"model": d["model"], "step": d["step"], "at": e.at, "ok": true,
                       "answered_by": d["answered_by"], "finish_reason": d["finish_reason"],
                       "input_tokens": d["input_tokens"], "output_tokens": d["output_tokens"]})
            }),
    );
    out
}

/// The human-in-the-loop and LLM part of `runs show`.
pub fn print_show(
    run: &cairn::journal::RunRecord,
    journal: &[JournalEntry],
    events: &[cairn::journal::RunEvent],
    signals: &[cairn::journal::SignalRecord],
) {
    use super::format::time;
    let now = cairn::clock::now_ms();
    if run.llm.calls > 0 {
        println!(
            "llm       {} call{}, {} input + {} output tokens",
            run.llm.calls,
            if run.llm.calls == 1 { "" } else { "s" },
            run.llm.input_tokens,
            run.llm.output_tokens
        );
    }
    let prompts: Vec<&JournalEntry> = journal
        .iter()
        .filter(|e| e.kind == EntryKind::Prompt)
        .collect();
    if !prompts.is_empty() {
        println!("prompts");
        for p in prompts {
            let record: Option<PromptRecord> = p
                .value
                .as_deref()
                .and_then(|v| serde_json::from_str(v).ok());
            let Some(r) = record else { continue };
            println!(
                "  #{} [{}] {}  asked {}",
                p.occurrence,
                r.input_type,
                r.question,
                time(p.created_at)
            );
            match answer_of(journal, p) {
                Some(a) if a.ok => {
                    let ans: Option<AnswerRecord> = a
                        .value
                        .as_deref()
                        .and_then(|v| serde_json::from_str(v).ok());
                    if let Some(ans) = ans {
                        if ans.timed_out {
                            println!("     timed out at {}: default {}", time(ans.at), ans.value);
                        } else {
                            println!(
                                "     answered {} by {} at {}",
                                ans.value,
                                ans.by,
                                time(ans.at)
                            );
                        }
                    }
                }
                Some(a) => println!("     timed out at {} with no default", time(a.created_at)),
                None => {
                    let deadline = r
                        .deadline
                        .map(|d| format!(", times out {}", relative(d, now)))
                        .unwrap_or_default();
                    println!(
                        "     pending: `cairn respond {} VALUE` ({}){deadline}",
                        run.id,
                        what_fits(&r)
                    );
                }
            }
        }
    }
    if !signals.is_empty() {
        println!("signals");
        for s in signals {
            let by = s
                .sent_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default();
            let state = match s.consumed_at {
                Some(t) => format!("taken {}", time(t)),
                None => "buffered".into(),
            };
            println!(
                "  {} {}  sent {}{by}, {state}",
                s.name,
                json_brief(&s.payload, 80),
                time(s.sent_at)
            );
        }
    }
    let calls = llm_calls_of(journal, events);
    if !calls.is_empty() {
        println!("llm calls");
        for c in calls {
            let step = c["step"]
                .as_str()
                .map(|s| format!("[step {s}] "))
                .unwrap_or_default();
            let model = c["model"].as_str().unwrap_or("?");
            if c["ok"] == true {
                println!(
                    "  {step}{model} → {}, {} in / {} out tokens",
                    c["finish_reason"].as_str().unwrap_or("?"),
                    c["input_tokens"],
                    c["output_tokens"]
                );
            } else {
                println!(
                    "  {step}{model} FAILED {}",
                    c["error"]["message"].as_str().unwrap_or("")
                );
            }
        }
    }
}
