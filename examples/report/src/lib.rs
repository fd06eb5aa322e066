//! The `report` workflow: fetch three sources at once, then compile them
//! into one report.
//!
//! Input (optional, and so is every field): `{"title": "Weekly report",
//! "sales_url": "http://...", "inventory_url": "http://...",
//! "support_url": "http://..."}`. Each of the three fetch steps GETs its
//! URL when one is given (the host must allow-list it: `cairn deploy
//! report.wasm --allow-http HOST`) and keeps the reply as JSON (or as
//! text); without one it simulates a slow source (300, 200 and 100 ms)
//! with made-up figures. The fetches are spawned together, so they run at
//! the same time, each in its own step instance with its own retries; the
//! body joins them in order and hands the three sections to
//! `compile_report`.
//!
//! Output: `{"title", "sections": [{"source", "origin", "data", "ms"}; 3],
//! "summary": ["sales: ...", ...], "fetch_ms": slowest fetch}`.

use std::time::Instant;

use cairn_sdk::prelude::*;

/// The run's input.
#[data]
#[derive(Debug)]
struct ReportInput {
    #[serde(default = "default_title")]
    title: String,
    #[serde(default)]
    sales_url: Option<String>,
    #[serde(default)]
    inventory_url: Option<String>,
    #[serde(default)]
    support_url: Option<String>,
}

fn default_title() -> String {
    "Weekly report".to_owned()
}

impl Default for ReportInput {
    fn default() -> Self {
        ReportInput {
            title: default_title(),
            sales_url: None,
            inventory_url: None,
            support_url: None,
        }
    }
}

/// What one source gave.
#[data]
#[derive(Debug, Clone)]
struct Section {
    source: String,
    /// The URL fetched, or `"simulated"`.
    origin: String,
    data: Value,
    /// How long the fetch took.
    ms: u64,
}

/// The compiled report.
#[data]
#[derive(Debug)]
struct Report {
    title: String,
    sections: Vec<Section>,
    summary: Vec<String>,
    /// The slowest fetch: with the fetches in parallel, about what all three took.
    fetch_ms: u64,
}

/// Fetches `source` from `url`, or simulates it.
fn fetch(
    source: &str,
    url: Option<String>,
    latency_ms: u64,
    simulated: Value,
) -> Result<Section, StepError> {
    let started = Instant::now();
    let (origin, data) = match url {
        Some(url) => {
            let reply = cairn_sdk::http::get(&url)?.error_for_status()?;
            let data = reply
                .json::<Value>()
                .or_else(|_| reply.text().map(Value::String))?;
            (url, data)
        }
        None => {
            // Inside a step the clock and `thread::sleep` are real.
            std::thread::sleep(Duration::from_millis(latency_ms));
            ("simulated".to_owned(), simulated)
        }
    };
    Ok(Section {
        source: source.to_owned(),
        origin,
        data,
        ms: started.elapsed().as_millis() as u64,
    })
}

/// The sales figures.
#[step(max_attempts = 3, backoff = "500ms", timeout = "30s")]
fn fetch_sales(url: Option<String>) -> Result<Section, StepError> {
    fetch(
        "sales",
        url,
        300,
        json!({ "orders": 1284, "revenue": 90210.5 }),
    )
}

/// The stock levels.
#[step(max_attempts = 3, backoff = "500ms", timeout = "30s")]
fn fetch_inventory(url: Option<String>) -> Result<Section, StepError> {
    fetch(
        "inventory",
        url,
        200,
        json!({ "skus": 312, "low_stock": ["tea", "cups"] }),
    )
}

/// The support queue.
#[step(max_attempts = 3, backoff = "500ms", timeout = "30s")]
fn fetch_support(url: Option<String>) -> Result<Section, StepError> {
    fetch(
        "support",
        url,
        100,
        json!({ "open_tickets": 17, "urgent": 2 }),
    )
}

/// Puts the sections together, with a one-line summary of each.
#[step]
fn compile_report(title: String, sections: Vec<Section>) -> Result<Report, StepError> {
    let summary = sections
        .iter()
        .map(|s| format!("{}: {}", s.source, summarize(&s.data)))
        .collect();
    let fetch_ms = sections.iter().map(|s| s.ms).max().unwrap_or(0);
    Ok(Report {
        title,
        sections,
        summary,
        fetch_ms,
    })
}

/// `key=value, ...` for an object, the first line of a text.
fn summarize(data: &Value) -> String {
    match data {
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| match v {
                Value::Array(items) => format!("{k}={}", items.len()),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(text) => text.lines().next().unwrap_or("").to_owned(),
        other => other.to_string(),
    }
}

/// Fetches the three sources in parallel, then compiles the report.
#[workflow]
fn report(ctx: &Ctx, input: Option<ReportInput>) -> Result<Report, WorkflowError> {
    let input = input.unwrap_or_default();
    // All three start now; none waits for another.
    let sales = ctx.spawn(fetch_sales, input.sales_url);
    let inventory = ctx.spawn(fetch_inventory, input.inventory_url);
    let support = ctx.spawn(fetch_support, input.support_url);
    // Joined in this order whatever order they finish in.
    let sections = vec![sales.join()?, inventory.join()?, support.join()?];
    ctx.emit("fetched", &json!({ "sources": sections.len() }));
    Ok(ctx.step(compile_report, (input.title, sections))?)
}
