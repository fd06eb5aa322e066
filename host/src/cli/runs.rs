//! `cairn runs`, `runs show` and `runs watch`.

use cairn::journal::EventKind;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;

use cairn::journal::{EntryKind, JournalEntry, RunEvent, RunFilter, RunRecord, RunStatus, Storage};
use cairn::server::views::{EntryView, RunView, kv_object};

use super::format::{json_brief, print_json, relative, time};
use super::run::unknown_run;
use super::{Env, Exit, ExitKind};

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(subcommand)]
    command: Option<RunsCommand>,
    /// Only runs with this status.
    #[arg(long)]
    status: Option<String>,
    /// Only runs of this workflow.
    #[arg(long)]
    workflow: Option<String>,
    /// Only runs of this session.
    #[arg(long)]
    session: Option<String>,
    /// At most this many runs (newest first).
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Runs older than this position: the `next_cursor` of the page
    /// before (as `GET /v1/runs` takes it).
    #[arg(long)]
    cursor: Option<String>,
}

#[derive(Debug, Subcommand)]
enum RunsCommand {
    /// Status, input, output or error, version, state and the full journal.
    Show {
        /// The run id.
        run: String,
    },
    /// Stream the run's events until it ends.
    Watch {
        /// The run id.
        run: String,
    },
    /// A new run whose journal is a copy of RUN's entries before --from,
    /// on the workflow's active version (or --to), executed here.
    Restart {
        /// The run id.
        run: String,
        /// The journal position to rerun from: entries before it are
        /// copied, the one at it and later run live.
        #[arg(long)]
        from: u32,
        /// The version to run on (sha or unique prefix).
        #[arg(long)]
        to: Option<String>,
        /// Stay until the run completes, sleeping through its timers.
        #[arg(long)]
        wait: bool,
    },
}

pub async fn runs(env: &Env, a: RunsArgs) -> Result<ExitKind, Exit> {
    let store = env.store()?;
    match a.command {
        Some(RunsCommand::Show { run }) => show(env, &*store, &run).await,
        Some(RunsCommand::Watch { run }) => watch(env, &*store, &run).await,
        Some(RunsCommand::Restart {
            run,
            from,
            to,
            wait,
        }) => super::restart::restart(env, &run, from, to, wait).await,
        None => list(env, &*store, a).await,
    }
}

async fn list(env: &Env, store: &dyn Storage, a: RunsArgs) -> Result<ExitKind, Exit> {
    let status = match a.status.as_deref() {
        None => None,
        Some(s) => Some(RunStatus::parse(s).ok_or_else(|| {
            let all: Vec<&str> = RunStatus::ALL.iter().map(|s| s.as_str()).collect();
            Exit::new(
                ExitKind::Usage,
                format!("unknown status `{s}`; one of: {}", all.join(", ")),
            )
        })?),
    };
    let before = match a.cursor.as_deref() {
        None => None,
        Some(c) => Some(parse_cursor(c)?),
    };
    let limit = a.limit.max(1);
    let mut runs = store
        .list_runs(&RunFilter {
            status,
            workflow: a.workflow.clone(),
            session_id: a.session.clone(),
            limit: Some(limit.saturating_add(1)),
            before,
        })
        .await?;
    // One more than asked for says whether there is another page.
    let next_cursor = if runs.len() > limit as usize {
        runs.truncate(limit as usize);
        runs.last().map(|r| format!("{}:{}", r.created_at, r.id))
    } else {
        None
    };
    if env.json {
        let list: Vec<_> = runs.iter().map(run_json).collect();
        print_json(&json!({ "runs": list, "next_cursor": next_cursor }));
        return Ok(ExitKind::Success);
    }
    if runs.is_empty() {
        println!("no runs");
    }
    let now = cairn::clock::now_ms();
    for r in runs {
        let extra = match (r.status, r.wake_at) {
            (RunStatus::Sleeping, Some(w)) => format!(" (wakes {})", relative(w, now)),
            (RunStatus::Waiting, Some(w)) if w > now => {
                format!(" (times out {})", relative(w, now))
            }
            _ => String::new(),
        };
        println!(
            "{}  {:<10} {:<16} {}{}",
            r.id,
            r.status.as_str(),
            r.workflow,
            relative(r.created_at, now),
            extra
        );
    }
    if let Some(cursor) = next_cursor {
        let mut again = String::from("cairn runs");
        for (flag, value) in [
            ("--status", a.status.as_deref()),
            ("--workflow", a.workflow.as_deref()),
            ("--session", a.session.as_deref()),
        ] {
            if let Some(v) = value {
                again.push_str(&format!(" {flag} {v}"));
            }
        }
        if a.limit != 50 {
            again.push_str(&format!(" --limit {limit}"));
        }
        println!(
            "stopped at the limit of {limit} runs (--limit); the next page: {again} --cursor {cursor}"
        );
    }
    Ok(ExitKind::Success)
}

/// `created_at:id`, as `next_cursor` gives it.
fn parse_cursor(c: &str) -> Result<(i64, String), Exit> {
    c.split_once(':')
        .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_string())))
        .ok_or_else(|| {
            Exit::new(
                ExitKind::Usage,
                format!("`{c}` is not a cursor (the next_cursor a page of `cairn runs` gives)"),
            )
        })
}

/// A run as the API shows it (`GET /v1/runs/{id}`, without state).
fn run_json(r: &RunRecord) -> serde_json::Value {
    serde_json::to_value(RunView::brief(r)).expect("run views serialize")
}

async fn show(env: &Env, store: &dyn Storage, id: &str) -> Result<ExitKind, Exit> {
    let Some(run) = store.run(id).await? else {
        return Err(unknown_run(id));
    };
    let journal = store.journal(id).await?;
    let state = store.run_state(id).await?;
    let session = match &run.session_id {
        Some(s) => store.session_state(s).await?,
        None => Vec::new(),
    };
    let events = store.events(id, 0).await?;
    let signals = store.signals(id).await?;
    if env.json {
        let mut v = run_json(&run);
        v["state"] = kv_object(&state);
        v["session_state"] = kv_object(&session);
        v["journal"] = journal
            .iter()
            .map(|e| serde_json::to_value(EntryView::from(e)).expect("entry views serialize"))
            .collect();
        v["events"] = json!(events);
        v["prompts"] = super::human::prompts_of(&journal).into();
        v["signals"] = super::human::signals_json(&signals).into();
        v["llm_calls"] = super::human::llm_calls_of(&journal, &events).into();
        print_json(&v);
        return Ok(ExitKind::Success);
    }
    println!("run       {}", run.id);
    println!("workflow  {}", run.workflow);
    println!("status    {}", run.status);
    println!("version   {}", run.version);
    println!(
        "created   {}   activations: {}",
        time(run.created_at),
        run.activations
    );
    if let Some(s) = &run.session_id {
        println!("session   {s}");
    }
    if let Some(o) = &run.restarted_from {
        println!("restarted from {} at seq {}", o.run_id, o.seq);
    }
    if let Some(w) = run.wake_at.filter(|_| run.status == RunStatus::Sleeping) {
        println!(
            "wakes     {} ({})",
            time(w),
            relative(w, cairn::clock::now_ms())
        );
    }
    println!("input     {}", json_brief(&run.input, 200));
    if let Some(o) = &run.output {
        println!("output    {}", json_brief(o, 400));
    }
    if let Some(e) = &run.error {
        println!("error     [{}] {}", e.code, e.message);
    }
    super::human::print_show(&run, &journal, &events, &signals);
    if !state.is_empty() {
        println!("state");
        for (k, v) in &state {
            println!("  {k} = {}", json_brief(v, 120));
        }
    }
    if !session.is_empty() {
        println!("session state");
        for (k, v) in &session {
            println!("  {k} = {}", json_brief(v, 120));
        }
    }
    println!("journal ({} entries)", journal.len());
    for e in &journal {
        println!("  {}", describe_entry(e));
    }
    let notable: Vec<&RunEvent> = events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Divergence | EventKind::Emit | EventKind::Log
            )
        })
        .collect();
    if !notable.is_empty() {
        println!("events");
        for e in notable {
            println!("  {}", describe_event(e));
        }
    }
    Ok(ExitKind::Success)
}

/// One journal entry on one line.
pub fn describe_entry(e: &JournalEntry) -> String {
    let at = time(e.created_at);
    let value = e
        .value
        .as_deref()
        .map(|v| json_brief(v, 100))
        .unwrap_or_else(|| "-".into());
    let what = match e.kind {
        EntryKind::Step if e.ok => format!("step {} → {value}", e.name),
        EntryKind::Step => format!("step {} FAILED {value}", e.name),
        EntryKind::StepAttempt => format!("step {} attempt failed, will retry: {value}", e.name),
        EntryKind::Sleep if e.name == "sleep" => format!("sleep {value}"),
        EntryKind::Sleep => format!("timer {} {value}", e.name),
        EntryKind::StateGet => format!("state get {} → {value}", e.name),
        EntryKind::StateSet => format!("state set {}", e.name),
        EntryKind::StateDelete => format!("state delete {}", e.name),
        EntryKind::Now => format!("now → {value}"),
        EntryKind::Random => format!("random → {value}"),
        EntryKind::Prompt => format!(
            "prompt #{}: {}",
            e.occurrence,
            e.value
                .as_deref()
                .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
                .and_then(|v| v["question"].as_str().map(String::from))
                .unwrap_or(value)
        ),
        EntryKind::Answer if e.ok => format!("answer #{} → {value}", e.occurrence),
        EntryKind::Answer => format!("answer #{} TIMED OUT {value}", e.occurrence),
        EntryKind::Event => format!("event {} → {value}", e.name),
        EntryKind::Llm => format!("llm {} → {value}", e.name),
        EntryKind::Patched => format!("patched {} → {value}", e.name),
        EntryKind::Moved => format!("moved to another version {value}"),
    };
    format!("#{:<3} {at}  {what}", e.seq)
}

/// One event on one line.
pub fn describe_event(e: &RunEvent) -> String {
    let d = &e.data;
    let what = match e.kind {
        EventKind::Status => format!("status → {}", d["status"].as_str().unwrap_or("?")),
        EventKind::Step => format!(
            "step {} attempt {} {}{}",
            d["step"].as_str().unwrap_or("?"),
            d["attempt"],
            d["state"].as_str().unwrap_or("?"),
            d["error"]["message"]
                .as_str()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ),
        EventKind::Log => format!(
            "log {}{}: {}",
            d["step"]
                .as_str()
                .map(|s| format!("[{s}] "))
                .unwrap_or_default(),
            d["level"]
                .as_str()
                .or(d["stream"].as_str())
                .unwrap_or("info"),
            d["message"].as_str().unwrap_or("")
        ),
        EventKind::Emit => {
            let kind = d["kind"].as_str().unwrap_or("?");
            super::conversation::agent_line(kind, &d["data"])
                .unwrap_or_else(|| format!("emit {kind} {}", d["data"]))
        }
        EventKind::Divergence => format!("DIVERGENCE {}", d["message"].as_str().unwrap_or("")),
        EventKind::Live => format!("replay done, live from {}", d["at"].as_str().unwrap_or("?")),
        EventKind::Prompt => format!(
            "asks a person: {} [{}]",
            d["question"].as_str().unwrap_or("?"),
            d["input_type"].as_str().unwrap_or("?")
        ),
        EventKind::Answer if d["timed_out"] == true => "the prompt timed out".to_string(),
        EventKind::Answer => format!(
            "answered {} by {}",
            d["value"],
            d["by"].as_str().unwrap_or("?")
        ),
        EventKind::Signal => format!("signal {} sent", d["name"].as_str().unwrap_or("?")),
        EventKind::Event if d["timed_out"] == true => format!(
            "the wait for signal {} timed out",
            d["name"].as_str().unwrap_or("?")
        ),
        EventKind::Event => format!("signal {} taken", d["name"].as_str().unwrap_or("?")),
        EventKind::Llm => match d["error"]["message"].as_str() {
            Some(m) => format!("llm {} failed: {m}", d["model"].as_str().unwrap_or("?")),
            None => format!(
                "llm {}{} → {}, {} in / {} out tokens",
                d["step"]
                    .as_str()
                    .map(|s| format!("[step {s}] "))
                    .unwrap_or_default(),
                d["model"].as_str().unwrap_or("?"),
                d["finish_reason"].as_str().unwrap_or("?"),
                d["input_tokens"],
                d["output_tokens"]
            ),
        },
        other => format!("{other} {d}"),
    };
    format!("{}  {what}", time(e.at))
}

async fn watch(env: &Env, store: &dyn Storage, id: &str) -> Result<ExitKind, Exit> {
    if store.run(id).await?.is_none() {
        return Err(unknown_run(id));
    }
    let mut after = 0;
    loop {
        for e in store.events(id, after).await? {
            after = e.id;
            if env.json {
                print_json(&json!(e));
            } else {
                println!("{}", describe_event(&e));
            }
        }
        let run = store.run(id).await?.ok_or_else(|| unknown_run(id))?;
        if run.status.is_terminal() {
            // Events written in the same commit as the status are read above
            // on the next pass; one more read catches them.
            for e in store.events(id, after).await? {
                if env.json {
                    print_json(&json!(e));
                } else {
                    println!("{}", describe_event(&e));
                }
            }
            if !env.json {
                println!("run {id} {}", run.status);
            }
            return Ok(ExitKind::Success);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
