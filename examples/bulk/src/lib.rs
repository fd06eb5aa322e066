//! The `bulk` workflow: process a batch of documents, a few at a time,
//! and report what failed.
//!
//! Input (optional, and so is every field): `{"documents": 20, "max_concurrency": 5,
//! "fail_every": 7, "url": "http://..."}`. The documents are named
//! `doc-000`, `doc-001`, ...; `ctx.batch` runs `process_document` on each,
//! at most `max_concurrency` at once. Each takes 50–150 ms (simulated
//! work, in its own step instance), and every `fail_every`-th document is
//! "corrupt" and fails for good, after one retry. With a `url` each
//! document is also POSTed to `{url}/documents/{name}` (allow-list the
//! host at deploy).
//!
//! Output: `{"documents", "words", "failed": [{"document", "code",
//! "message", "attempts"}], "stats": {"completed", "failed"}}`. The run
//! completes even when some documents fail: a batch does not stop at the
//! first failure, it reports them.

use cairn_sdk::prelude::*;

/// The run's input.
#[data]
#[derive(Debug)]
struct BulkInput {
    #[serde(default = "default_documents")]
    documents: u32,
    #[serde(default = "default_concurrency")]
    max_concurrency: u32,
    /// Every n-th document fails; 0 for none.
    #[serde(default = "default_fail_every")]
    fail_every: u32,
    #[serde(default)]
    url: Option<String>,
}

fn default_documents() -> u32 {
    20
}
fn default_concurrency() -> u32 {
    5
}
fn default_fail_every() -> u32 {
    7
}

impl Default for BulkInput {
    fn default() -> Self {
        BulkInput {
            documents: default_documents(),
            max_concurrency: default_concurrency(),
            fail_every: default_fail_every(),
            url: None,
        }
    }
}

/// One document to process.
#[data]
#[derive(Debug, Clone)]
struct Document {
    name: String,
    index: u32,
    corrupt: bool,
    url: Option<String>,
}

/// What processing a document gave.
#[data]
#[derive(Debug, Clone)]
struct Processed {
    name: String,
    words: u64,
}

/// Processes one document (simulated); a corrupt one fails.
#[step(max_attempts = 2, backoff = "100ms", timeout = "30s")]
fn process_document(doc: Document) -> Result<Processed, StepError> {
    std::thread::sleep(Duration::from_millis(50 + u64::from(doc.index * 37 % 101)));
    if let Some(url) = &doc.url {
        let url = format!("{}/documents/{}", url.trim_end_matches('/'), doc.name);
        cairn_sdk::http::post_json(&url, &json!({ "document": doc.name }))?.error_for_status()?;
    }
    if doc.corrupt {
        let attempt = cairn_sdk::step_context().map_or(1, |c| c.attempt);
        // Retryable, so the policy's second attempt is made; it fails too.
        return Err(
            StepError::retryable(format!("{} is corrupt (attempt {attempt})", doc.name))
                .with_code("corrupt"),
        );
    }
    Ok(Processed {
        words: 100 + u64::from(doc.index) * 13,
        name: doc.name,
    })
}

/// Processes every document, `max_concurrency` at a time.
#[workflow]
fn bulk(ctx: &Ctx, input: Option<BulkInput>) -> Result<Value, WorkflowError> {
    let input = input.unwrap_or_default();
    let documents: Vec<Document> = (0..input.documents)
        .map(|index| Document {
            name: format!("doc-{index:03}"),
            index,
            corrupt: input.fail_every > 0 && index % input.fail_every == input.fail_every - 1,
            url: input.url.clone(),
        })
        .collect();
    let names: Vec<String> = documents.iter().map(|d| d.name.clone()).collect();
    let result = ctx.batch(process_document, documents, input.max_concurrency);
    ctx.emit("processed", &result.stats);
    let words: u64 = result.successes().map(|p| p.words).sum();
    let failed: Vec<Value> = result
        .failures()
        .map(|(i, e)| {
            json!({
                "document": names[i],
                "code": e.code,
                "message": e.message,
                "attempts": e.attempts(),
            })
        })
        .collect();
    Ok(json!({
        "documents": input.documents,
        "words": words,
        "failed": failed,
        "stats": result.stats,
    }))
}
