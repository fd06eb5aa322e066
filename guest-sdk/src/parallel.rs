//! Parallel steps: [`Ctx::spawn`] and [`Handle::join`], [`Ctx::join_all`],
//! gathering by name ([`Ctx::gather`]), [`Ctx::batch`] with a concurrency
//! limit and [`Ctx::map`].
//!
//! A spawned step is a step like any other: the host runs it in its own
//! step instance with its retry policy and timeout, journals its outcome
//! as soon as it completes, and on replay hands back the journaled outcome
//! without running it again. What changes is that the body does not wait
//! for it: the host starts it at once, concurrently with the steps spawned
//! around it, and the body collects the result when it joins the handle.
//! Results come back in the order the body asks for them, whatever order
//! the steps finished in, so the body stays deterministic.
//!
//! While spawned steps are in flight the run stays loaded: a
//! [`Ctx::sleep`] meanwhile waits in memory until it is due or until they
//! have all finished. A workflow that returns with handles it never joined
//! still waits for those steps before the run completes, and their results
//! are journaled.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bindings::{host, types};
use crate::{Ctx, Step, StepError, WorkflowError};

/// A step started with [`Ctx::spawn`]; [`join`](Handle::join) it for the
/// step's result.
///
/// Dropping a handle without joining it is allowed: the step still runs to
/// the end, its result is journaled, and the run waits for it before it
/// completes. That is why `Handle` is not `#[must_use]`.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step]
/// fn audit(event: String) -> Result<(), StepError> {
///     Ok(())
/// }
///
/// #[workflow]
/// fn fire_and_forget(ctx: &Ctx, event: String) -> Result<(), WorkflowError> {
///     let _ = ctx.spawn(audit, event); // runs and is journaled, never joined
///     Ok(())
/// }
/// ```
pub struct Handle<T> {
    inner: Inner,
    step: &'static str,
    _output: PhantomData<fn() -> T>,
}

enum Inner {
    Spawned(u32),
    /// The input did not serialize: nothing was spawned.
    Failed(StepError),
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Handle");
        d.field("step", &self.step);
        match &self.inner {
            Inner::Spawned(id) => d.field("id", id),
            Inner::Failed(e) => d.field("error", e),
        };
        d.finish()
    }
}

impl<T: DeserializeOwned> Handle<T> {
    /// Waits for the step and returns its output, or the failure it ended
    /// with after its retries (with [`step_name`](StepError::step_name)
    /// and [`attempts`](StepError::attempts) set, as from
    /// [`Ctx::step`]).
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[step]
    /// fn slow_square(n: u64) -> Result<u64, StepError> {
    ///     Ok(n * n)
    /// }
    ///
    /// #[workflow]
    /// fn squares(ctx: &Ctx) -> Result<u64, WorkflowError> {
    ///     let a = ctx.spawn(slow_square, 3);
    ///     let b = ctx.spawn(slow_square, 4); // runs while `a` runs
    ///     Ok(a.join()? + b.join()?)
    /// }
    /// ```
    pub fn join(self) -> Result<T, StepError> {
        let raw = self.join_raw()?;
        decode_output(self.step, &raw)
    }
}

impl<T> Handle<T> {
    /// The name of the spawned step.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # #[step] fn fetch(url: String) -> Result<String, StepError> { Ok(url) }
    /// # fn f(ctx: &Ctx) {
    /// let h = ctx.spawn(fetch, "https://example.com".to_string());
    /// assert_eq!(h.step_name(), "fetch");
    /// # }
    /// ```
    pub fn step_name(&self) -> &'static str {
        self.step
    }

    /// The step's output as JSON text.
    fn join_raw(&self) -> Result<String, StepError> {
        match &self.inner {
            Inner::Spawned(id) => {
                host::join(*id).map_err(|f| StepError::from_failure(self.step, f))
            }
            Inner::Failed(e) => Err(e.clone()),
        }
    }
}

/// What [`Ctx::batch`] returns: every item's result, in input order, and
/// how many completed and failed.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step]
/// fn index(doc: String) -> Result<usize, StepError> {
///     Ok(doc.len())
/// }
///
/// #[workflow]
/// fn index_all(ctx: &Ctx, docs: Vec<String>) -> Result<Value, WorkflowError> {
///     let result = ctx.batch(index, docs, 8);
///     let total: usize = result.successes().sum();
///     Ok(json!({ "total": total, "stats": result.stats }))
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResult<T> {
    /// One result per input, in input order.
    pub outputs: Vec<Result<T, StepError>>,
    /// How many items completed and how many failed.
    pub stats: BatchStats,
}

impl<T> BatchResult<T> {
    /// The outputs of the items that completed, in input order.
    ///
    /// ```no_run
    /// # fn f(r: cairn_sdk::BatchResult<u64>) {
    /// let ok: Vec<&u64> = r.successes().collect();
    /// # }
    /// ```
    pub fn successes(&self) -> impl Iterator<Item = &T> {
        self.outputs.iter().filter_map(|r| r.as_ref().ok())
    }

    /// The items that failed: their index in the input and their error.
    ///
    /// ```no_run
    /// # fn f(r: cairn_sdk::BatchResult<u64>) {
    /// for (i, e) in r.failures() {
    ///     cairn_sdk::log::warn(format!("item {i} failed: {e}"));
    /// }
    /// # }
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = (usize, &StepError)> {
        self.outputs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
    }
}

/// Counts of a [`BatchResult`]; serializes as `{"completed": N, "failed": M}`.
///
/// ```no_run
/// let s = cairn_sdk::BatchStats { completed: 9, failed: 1 };
/// assert_eq!(s.total(), 10);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchStats {
    /// Items whose step succeeded.
    pub completed: usize,
    /// Items whose step failed for good.
    pub failed: usize,
}

impl BatchStats {
    /// All items.
    ///
    /// ```no_run
    /// assert_eq!(cairn_sdk::BatchStats::default().total(), 0);
    /// ```
    pub fn total(&self) -> usize {
        self.completed + self.failed
    }
}

/// Why [`Ctx::map`] failed: the items whose step failed, by index in the
/// input. With `?` it becomes a [`WorkflowError`] with code
/// `"batch-failed"` whose message names the failed items and whose details
/// list them (`{"step", "total", "failed": [{"index", "code", "message",
/// "attempts"}]}`).
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step]
/// fn resize(image: String) -> Result<String, StepError> {
///     Ok(format!("{image}@2x"))
/// }
///
/// #[workflow]
/// fn thumbnails(ctx: &Ctx, images: Vec<String>) -> Result<Vec<String>, WorkflowError> {
///     match ctx.map(resize, images) {
///         Ok(all) => Ok(all),
///         Err(e) if e.failed.len() == 1 => Err(WorkflowError::new(format!("one image: {e}"))),
///         Err(e) => Err(e.into()),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BatchError {
    /// The step that was mapped.
    pub step: String,
    /// How many items there were.
    pub total: usize,
    /// The failed items: index in the input, and the step's error.
    pub failed: Vec<(usize, StepError)>,
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} items of step `{}` failed: ",
            self.failed.len(),
            self.total,
            self.step
        )?;
        const SHOWN: usize = 5;
        for (n, (i, e)) in self.failed.iter().take(SHOWN).enumerate() {
            if n > 0 {
                f.write_str("; ")?;
            }
            write!(f, "item {i}: {}: {}", e.code, e.message)?;
        }
        if self.failed.len() > SHOWN {
            write!(f, "; and {} more", self.failed.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// A failed `map` fails the workflow with code `"batch-failed"`.
impl From<BatchError> for WorkflowError {
    fn from(e: BatchError) -> Self {
        let failed: Vec<Value> = e
            .failed
            .iter()
            .map(|(i, err)| {
                serde_json::json!({
                    "index": i,
                    "code": err.code,
                    "message": err.message,
                    "attempts": err.attempts(),
                })
            })
            .collect();
        WorkflowError::new(e.to_string())
            .with_code("batch-failed")
            .with_details(serde_json::json!({
                "step": e.step,
                "total": e.total,
                "failed": failed,
            }))
    }
}

/// Steps to start together and collect by name; from [`Ctx::gather`].
///
/// The steps are started by [`join`](Gather::join), all at once, and may
/// be of different step functions: the results are kept as JSON and typed
/// when read with [`Gathered::get`].
#[derive(Debug)]
pub struct Gather<'a> {
    _ctx: PhantomData<&'a Ctx>,
    max_concurrency: Option<u32>,
    items: Vec<(String, &'static str, Result<String, StepError>)>,
}

impl Gather<'_> {
    /// Adds the step `step` on `input` under `name`. Names should be
    /// unique: [`Gathered::get`] returns the first result of a name.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # #[step] fn fetch(url: String) -> Result<String, StepError> { Ok(url) }
    /// # fn f(ctx: &Ctx) {
    /// let g = ctx.gather().spawn("home", fetch, "https://example.com".into());
    /// # }
    /// ```
    pub fn spawn<S: Step>(mut self, name: impl Into<String>, step: S, input: S::Input) -> Self {
        let _ = step;
        self.items
            .push((name.into(), S::NAME, encode_input::<S>(&input)));
        self
    }

    /// Runs at most `n` of the gathered steps at once (0 counts as 1).
    /// Without it only the host's own limit applies.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) {
    /// let g = ctx.gather().max_concurrency(2);
    /// # }
    /// ```
    pub fn max_concurrency(mut self, n: u32) -> Self {
        self.max_concurrency = Some(n);
        self
    }

    /// Starts every step and waits for all of them.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # #[step] fn fetch(url: String) -> Result<String, StepError> { Ok(url) }
    /// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
    /// let pages = ctx
    ///     .gather()
    ///     .spawn("home", fetch, "https://example.com".into())
    ///     .spawn("docs", fetch, "https://example.com/docs".into())
    ///     .join();
    /// let home: String = pages.get("home")?;
    /// # Ok(()) }
    /// ```
    pub fn join(self) -> Gathered {
        let options = self.max_concurrency.map(|n| group_options("gather", n));
        let handles: Vec<(String, Handle<Value>)> = self
            .items
            .into_iter()
            .map(|(name, step, input)| {
                let h = match input {
                    Ok(input) => spawn_raw(step, &input, options.as_ref()),
                    Err(e) => failed_handle(step, e),
                };
                (name, h)
            })
            .collect();
        let results = handles
            .into_iter()
            .map(|(name, h)| {
                let r = h
                    .join_raw()
                    .and_then(|raw| decode_output::<Value>(h.step, &raw));
                (name, h.step, r)
            })
            .collect();
        Gathered { results }
    }
}

/// The results of a [`Gather`], by name, in the order they were added.
///
/// ```no_run
/// # use cairn_sdk::prelude::*;
/// # fn f(results: cairn_sdk::Gathered) {
/// for (name, result) in results.iter() {
///     match result {
///         Ok(v) => cairn_sdk::log::info(format!("{name}: {v}")),
///         Err(e) => cairn_sdk::log::warn(format!("{name} failed: {e}")),
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered {
    results: Vec<(String, &'static str, Result<Value, StepError>)>,
}

impl Gathered {
    /// The result of `name`, as `T`. A name that was not gathered, or an
    /// output that does not deserialize into `T`, is a fatal `StepError`
    /// (code `"unknown-name"` or `"bad-output"`).
    ///
    /// ```no_run
    /// # fn f(results: cairn_sdk::Gathered) -> Result<(), cairn_sdk::StepError> {
    /// let count: u64 = results.get("count")?;
    /// # Ok(()) }
    /// ```
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<T, StepError> {
        let Some((_, step, r)) = self.results.iter().find(|(n, _, _)| n == name) else {
            return Err(
                StepError::fatal(format!("nothing was gathered under the name `{name}`"))
                    .with_code("unknown-name"),
            );
        };
        let v = r.as_ref().map_err(Clone::clone)?;
        serde_json::from_value(v.clone()).map_err(|e| bad_output::<T>(step, e))
    }

    /// Every name with its result (as JSON), in the order they were added.
    ///
    /// ```no_run
    /// # fn f(results: cairn_sdk::Gathered) {
    /// let names: Vec<&str> = results.iter().map(|(n, _)| n).collect();
    /// # }
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Result<Value, StepError>)> {
        self.results.iter().map(|(n, _, r)| (n.as_str(), r))
    }

    /// The names whose step failed, with the error.
    ///
    /// ```no_run
    /// # fn f(results: cairn_sdk::Gathered) {
    /// if results.failures().next().is_some() { /* ... */ }
    /// # }
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = (&str, &StepError)> {
        self.iter()
            .filter_map(|(n, r)| r.as_ref().err().map(|e| (n, e)))
    }
}

impl Ctx {
    /// Starts the step `step` on `input` and returns at once; the host runs
    /// it concurrently with the body and with the other spawned steps,
    /// each in its own step instance with its own retries and timeout.
    /// [`Handle::join`] waits for the result.
    ///
    /// On replay a step that had completed is not run again: its handle
    /// resolves to the journaled result. An input that does not serialize
    /// makes the handle resolve to a fatal error (code `"serialize"`).
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[step(max_attempts = 5, timeout = "10s")]
    /// fn fetch(url: String) -> Result<String, StepError> {
    ///     Ok(cairn_sdk::http::get(&url)?.text()?)
    /// }
    ///
    /// #[workflow]
    /// fn two_pages(ctx: &Ctx, urls: (String, String)) -> Result<usize, WorkflowError> {
    ///     let a = ctx.spawn(fetch, urls.0);
    ///     let b = ctx.spawn(fetch, urls.1);
    ///     Ok(a.join()?.len() + b.join()?.len())
    /// }
    /// ```
    pub fn spawn<S: Step>(&self, step: S, input: S::Input) -> Handle<S::Output> {
        let _ = step;
        match encode_input::<S>(&input) {
            Ok(input) => spawn_raw(S::NAME, &input, None),
            Err(e) => failed_handle(S::NAME, e),
        }
    }

    /// Joins every handle and returns the results in the order of
    /// `handles`, which is submission order when the handles are kept in
    /// the order they were spawned, whatever order the steps finish in.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[step]
    /// fn price(sku: String) -> Result<f64, StepError> {
    ///     Ok(9.99)
    /// }
    ///
    /// #[workflow]
    /// fn quote(ctx: &Ctx, skus: Vec<String>) -> Result<f64, WorkflowError> {
    ///     let handles: Vec<_> = skus.into_iter().map(|s| ctx.spawn(price, s)).collect();
    ///     let mut total = 0.0;
    ///     for p in ctx.join_all(handles) {
    ///         total += p?;
    ///     }
    ///     Ok(total)
    /// }
    /// ```
    pub fn join_all<T: DeserializeOwned>(
        &self,
        handles: impl IntoIterator<Item = Handle<T>>,
    ) -> Vec<Result<T, StepError>> {
        handles.into_iter().map(Handle::join).collect()
    }

    /// Starts several steps, possibly of different step functions, under
    /// names, and collects their results by name: a [`Gather`] builder.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[step]
    /// fn count_users() -> Result<u64, StepError> {
    ///     Ok(42)
    /// }
    ///
    /// #[step]
    /// fn top_products(n: usize) -> Result<Vec<String>, StepError> {
    ///     Ok(vec!["tea".into(); n])
    /// }
    ///
    /// #[workflow]
    /// fn dashboard(ctx: &Ctx) -> Result<Value, WorkflowError> {
    ///     let r = ctx
    ///         .gather()
    ///         .spawn("users", count_users, ())
    ///         .spawn("products", top_products, 3)
    ///         .join();
    ///     let users: u64 = r.get("users")?;
    ///     let products: Vec<String> = r.get("products")?;
    ///     Ok(json!({ "users": users, "products": products }))
    /// }
    /// ```
    pub fn gather(&self) -> Gather<'_> {
        Gather {
            _ctx: PhantomData,
            max_concurrency: None,
            items: Vec::new(),
        }
    }

    /// Runs `step` once per input, at most `max_concurrency` at a time
    /// (0 counts as 1; the host's `runtime.max_concurrent_steps` bounds it
    /// too), and returns every result in input order with the counts of
    /// completed and failed items. A failed item does not stop the others.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[step(max_attempts = 2)]
    /// fn ocr(doc: String) -> Result<String, StepError> {
    ///     Ok(doc.to_uppercase())
    /// }
    ///
    /// #[workflow]
    /// fn scan(ctx: &Ctx, docs: Vec<String>) -> Result<Value, WorkflowError> {
    ///     let r = ctx.batch(ocr, docs, 20);
    ///     if r.stats.failed > 0 {
    ///         ctx.emit("partial", &r.stats);
    ///     }
    ///     Ok(json!({ "texts": r.successes().collect::<Vec<_>>(), "stats": r.stats }))
    /// }
    /// ```
    pub fn batch<S: Step>(
        &self,
        step: S,
        inputs: impl IntoIterator<Item = S::Input>,
        max_concurrency: u32,
    ) -> BatchResult<S::Output> {
        let _ = step;
        let options = group_options("batch", max_concurrency);
        let handles: Vec<Handle<S::Output>> = inputs
            .into_iter()
            .map(|input| match encode_input::<S>(&input) {
                Ok(input) => spawn_raw(S::NAME, &input, Some(&options)),
                Err(e) => failed_handle(S::NAME, e),
            })
            .collect();
        let outputs = self.join_all(handles);
        let failed = outputs.iter().filter(|r| r.is_err()).count();
        BatchResult {
            stats: BatchStats {
                completed: outputs.len() - failed,
                failed,
            },
            outputs,
        }
    }

    /// Runs `step` once per input, concurrently (bounded by the host's
    /// `runtime.max_concurrent_steps`), and returns the outputs in input
    /// order, or, if any item failed, a [`BatchError`] naming every failed
    /// item. All items run to the end either way.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[step]
    /// fn geocode(address: String) -> Result<(f64, f64), StepError> {
    ///     Ok((52.52, 13.40))
    /// }
    ///
    /// #[workflow]
    /// fn locate(ctx: &Ctx, addresses: Vec<String>) -> Result<Vec<(f64, f64)>, WorkflowError> {
    ///     Ok(ctx.map(geocode, addresses)?) // fails with code "batch-failed"
    /// }
    /// ```
    pub fn map<S: Step>(
        &self,
        step: S,
        inputs: impl IntoIterator<Item = S::Input>,
    ) -> Result<Vec<S::Output>, BatchError> {
        let _ = step;
        let handles: Vec<Handle<S::Output>> = inputs
            .into_iter()
            .map(|input| self.spawn(step, input))
            .collect();
        let outputs = self.join_all(handles);
        let total = outputs.len();
        let mut ok = Vec::with_capacity(total);
        let mut failed = Vec::new();
        for (i, r) in outputs.into_iter().enumerate() {
            match r {
                Ok(v) => ok.push(v),
                Err(e) => failed.push((i, e)),
            }
        }
        if failed.is_empty() {
            Ok(ok)
        } else {
            Err(BatchError {
                step: S::NAME.to_owned(),
                total,
                failed,
            })
        }
    }
}

pub(crate) fn spawn_raw<T>(
    step: &'static str,
    input: &str,
    options: Option<&types::SpawnOptions>,
) -> Handle<T> {
    let none = types::SpawnOptions {
        group: None,
        max_concurrency: None,
    };
    let id = host::spawn(step, input, options.unwrap_or(&none));
    Handle {
        inner: Inner::Spawned(id),
        step,
        _output: PhantomData,
    }
}

fn failed_handle<T>(step: &'static str, e: StepError) -> Handle<T> {
    Handle {
        inner: Inner::Failed(e),
        step,
        _output: PhantomData,
    }
}

thread_local! {
    /// Groups made so far in this activation. The body re-executes from
    /// the start on every activation, so the names repeat identically.
    static GROUPS: Cell<u32> = const { Cell::new(0) };
}

/// Options putting spawns into a fresh group limited to `max` at once.
fn group_options(kind: &str, max: u32) -> types::SpawnOptions {
    let n = GROUPS.with(|g| {
        let n = g.get();
        g.set(n + 1);
        n
    });
    types::SpawnOptions {
        group: Some(format!("{kind}-{n}")),
        max_concurrency: Some(max.max(1)),
    }
}

fn encode_input<S: Step>(input: &S::Input) -> Result<String, StepError> {
    serde_json::to_string(input).map_err(|e| {
        StepError::fatal(format!(
            "input of step `{}` does not serialize to JSON: {e}",
            S::NAME
        ))
        .with_code("serialize")
    })
}

fn decode_output<T: DeserializeOwned>(step: &str, raw: &str) -> Result<T, StepError> {
    serde_json::from_str(raw).map_err(|e| bad_output::<T>(step, e))
}

fn bad_output<T>(step: &str, e: serde_json::Error) -> StepError {
    let message = format!(
        "output of step `{step}` does not deserialize into `{}`: {e}",
        crate::registry::short_type_name::<T>()
    );
    crate::log::unreadable(&message);
    StepError::fatal(message).with_code("bad-output")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(i: usize) -> (usize, StepError) {
        (
            i,
            StepError::fatal(format!("bad {i}")).with_code("item-failed"),
        )
    }

    #[test]
    fn a_batch_error_names_its_failed_items() {
        let e = BatchError {
            step: "resize".into(),
            total: 10,
            failed: vec![failure(2), failure(7)],
        };
        assert_eq!(
            e.to_string(),
            "2 of 10 items of step `resize` failed: item 2: item-failed: bad 2; \
             item 7: item-failed: bad 7"
        );
        let w = WorkflowError::from(e);
        assert_eq!(w.code, "batch-failed");
        let details = w.details.unwrap();
        assert_eq!(details["total"], 10);
        assert_eq!(details["failed"][1]["index"], 7);
        assert_eq!(details["failed"][1]["code"], "item-failed");
    }

    #[test]
    fn a_long_list_of_failures_is_shortened_in_the_message() {
        let e = BatchError {
            step: "s".into(),
            total: 8,
            failed: (0..8).map(failure).collect(),
        };
        let text = e.to_string();
        assert!(
            text.ends_with("item 4: item-failed: bad 4; and 3 more"),
            "{text}"
        );
        // The details keep them all.
        let w = WorkflowError::from(e);
        assert_eq!(w.details.unwrap()["failed"].as_array().unwrap().len(), 8);
    }

    #[test]
    fn every_batch_gets_a_group_of_its_own() {
        let a = group_options("batch", 4);
        let b = group_options("batch", 0);
        assert_ne!(a.group, b.group);
        assert_eq!(a.max_concurrency, Some(4));
        assert_eq!(b.max_concurrency, Some(1), "0 counts as 1");
    }

    #[test]
    fn batch_stats_serialize_as_counts() {
        let s = BatchStats {
            completed: 3,
            failed: 1,
        };
        assert_eq!(
            serde_json::to_value(s).unwrap(),
            serde_json::json!({"completed": 3, "failed": 1})
        );
        assert_eq!(s.total(), 4);
    }
}
