//! What `GET /metrics` shows, in Prometheus' text format.
//!
//! [`Metrics`] holds the families the host updates as it works (counters,
//! histograms, gauges of live instances), registered once. Values that
//! are read rather than counted — runs per workflow and status from the
//! store, the journal writer's [`CommitStats`], the runs active here —
//! are taken at each scrape ([`Snapshot`], `scrape.rs`).
//!
//! Hot paths hold handles, not names: a step occurrence looks up its
//! workflow's and step's counters once ([`StepMeter`]), and each attempt
//! then costs a few atomic adds.

mod labels;
mod scrape;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub use labels::*;
pub use scrape::Snapshot;

/// Upper bounds (seconds) of the step-attempt and HTTP latency buckets.
const LATENCY_BOUNDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BOUNDS)
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// The families of one process; cheap to update from any thread.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    activations: Family<ActivationLabels, Counter>,
    step_attempts: Family<AttemptLabels, Counter>,
    step_retries: Family<StepLabels, Counter>,
    step_seconds: Histograms<StepLabels>,
    body_instances: Gauge,
    step_instances: Gauge,
    llm: LlmMeter,
    http_requests: Family<HttpLabels, Counter>,
    http_seconds: Histograms<RouteLabels>,
    first_call_count: AtomicU64,
    first_call_ns: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every family, registered under `cairn_`.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("cairn");
        let activations = Family::default();
        registry.register(
            "activations",
            "Activations of runs (a body instantiated, replayed and run until it ended or \
             suspended), by workflow and how they ended",
            activations.clone(),
        );
        let step_attempts = Family::default();
        registry.register(
            "step_attempts",
            "Step attempts, by workflow, step and how they ended",
            step_attempts.clone(),
        );
        let step_retries = Family::default();
        registry.register(
            "step_retries",
            "Failed step attempts that another attempt follows, by workflow and step",
            step_retries.clone(),
        );
        let step_seconds: Histograms<StepLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "step_attempt_duration_seconds",
            "How long step attempts took (instantiation included), by workflow and step",
            step_seconds.clone(),
        );
        let instances = Family::<InstanceLabels, Gauge>::default();
        registry.register(
            "instances",
            "Component instances alive in this process, by what they run",
            instances.clone(),
        );
        let kind = |kind| instances.get_or_create_owned(&InstanceLabels { kind });
        let (body_instances, step_instances) = (kind(InstanceKind::body), kind(InstanceKind::step));
        let llm = LlmMeter::register(&mut registry);
        let http_requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests served, by route pattern, method and status",
            http_requests.clone(),
        );
        let http_seconds: Histograms<RouteLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to the response's head (a stream's lasts longer), by route pattern",
            http_seconds.clone(),
        );
        Metrics {
            registry,
            activations,
            step_attempts,
            step_retries,
            step_seconds,
            body_instances,
            step_instances,
            llm,
            http_requests,
            http_seconds,
            first_call_count: AtomicU64::new(0),
            first_call_ns: AtomicU64::new(0),
        }
    }

    /// An activation of a run of `workflow` ended so.
    pub fn activation(&self, workflow: &str, outcome: ActivationOutcome) {
        let labels = ActivationLabels {
            workflow: workflow.to_string(),
            outcome,
        };
        self.activations.get_or_create(&labels).inc();
    }

    /// The handles of one step's counters, for its attempts.
    pub fn step(&self, workflow: &str, step: &str) -> StepMeter {
        let (workflow, step): (Arc<str>, Arc<str>) = (workflow.into(), step.into());
        let attempts = |outcome| {
            self.step_attempts.get_or_create_owned(&AttemptLabels {
                workflow: workflow.clone(),
                step: step.clone(),
                outcome,
            })
        };
        let (completed, retrying, failed) = (
            attempts(AttemptOutcome::completed),
            attempts(AttemptOutcome::retrying),
            attempts(AttemptOutcome::failed),
        );
        let labels = StepLabels { workflow, step };
        StepMeter {
            completed,
            retrying,
            failed,
            retries: self.step_retries.get_or_create_owned(&labels),
            seconds: self.step_seconds.get_or_create_owned(&labels),
        }
    }

    /// Counts a live instance of `kind` until the guard is dropped.
    pub fn instance(&self, kind: InstanceKind) -> InstanceGuard {
        let gauge = match kind {
            InstanceKind::body => &self.body_instances,
            InstanceKind::step => &self.step_instances,
        };
        gauge.inc();
        InstanceGuard(gauge.clone())
    }

    /// The LLM families, for the providers' registry.
    pub fn llm(&self) -> LlmMeter {
        self.llm.clone()
    }

    /// An HTTP request to `route` answered `status` after `took`.
    pub fn http(&self, route: &str, method: &str, status: u16, took: Duration) {
        let labels = HttpLabels {
            route: route.to_string(),
            method: method.to_string(),
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
        let route = RouteLabels {
            route: labels.route,
        };
        self.http_seconds
            .get_or_create(&route)
            .observe(took.as_secs_f64());
    }

    /// Records the time from the start of an activation (before
    /// instantiation) to the body's first host call.
    pub fn first_host_call(&self, d: Duration) {
        self.first_call_count.fetch_add(1, Ordering::Relaxed);
        self.first_call_ns
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Mean time from activation start to the first host call, and how
    /// many activations it averages.
    pub fn mean_first_host_call(&self) -> (Duration, u64) {
        let n = self.first_call_count.load(Ordering::Relaxed);
        let ns = self.first_call_ns.load(Ordering::Relaxed);
        (Duration::from_nanos(ns.checked_div(n).unwrap_or(0)), n)
    }

    /// The text of a scrape: every family, then `snapshot`'s values.
    pub fn render(&self, snapshot: Snapshot) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        let _ = prometheus_client::encoding::prometheus_text::encode(
            &mut text,
            &snapshot.into_registry(),
        );
        text
    }
}

/// The Content-Type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// One step's counters, looked up once per step occurrence.
#[derive(Debug, Clone)]
pub struct StepMeter {
    completed: Counter,
    retrying: Counter,
    failed: Counter,
    retries: Counter,
    seconds: Histogram,
}

impl StepMeter {
    /// An attempt ended so after `took`.
    pub fn attempt(&self, outcome: AttemptOutcome, took: Duration) {
        match outcome {
            AttemptOutcome::completed => self.completed.inc(),
            AttemptOutcome::retrying => {
                self.retries.inc();
                self.retrying.inc()
            }
            AttemptOutcome::failed => self.failed.inc(),
        };
        self.seconds.observe(took.as_secs_f64());
    }

    /// The step failed for good without an attempt (it is unknown).
    pub fn failed_without_attempt(&self) {
        self.failed.inc();
    }
}

/// A live instance, counted until dropped.
#[derive(Debug)]
pub struct InstanceGuard(Gauge);

impl Drop for InstanceGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The LLM families: calls and tokens by provider and model.
#[derive(Debug, Clone)]
pub struct LlmMeter {
    calls: Family<LlmCallLabels, Counter>,
    tokens: Family<LlmTokenLabels, Counter>,
}

impl Default for LlmMeter {
    /// Families registered nowhere (a registry of providers on its own).
    fn default() -> Self {
        LlmMeter {
            calls: Family::default(),
            tokens: Family::default(),
        }
    }
}

impl LlmMeter {
    fn register(registry: &mut Registry) -> LlmMeter {
        let m = LlmMeter::default();
        registry.register(
            "llm_calls",
            "LLM calls (after the host's retries), by provider, model and outcome",
            m.calls.clone(),
        );
        registry.register(
            "llm_tokens",
            "LLM tokens the providers reported, by provider, model and kind",
            m.tokens.clone(),
        );
        m
    }

    /// A call to `provider`'s `model` ended; with its token counts when
    /// it got a reply.
    pub fn call(&self, provider: &str, model: &str, tokens: Option<(u64, u64)>) {
        let outcome = if tokens.is_some() {
            LlmOutcome::ok
        } else {
            LlmOutcome::error
        };
        let labels = LlmCallLabels {
            provider: provider.to_string(),
            model: model.to_string(),
            outcome,
        };
        self.calls.get_or_create(&labels).inc();
        let Some((input, output)) = tokens else {
            return;
        };
        let mut t = LlmTokenLabels {
            provider: labels.provider,
            model: labels.model,
            kind: TokenKind::input,
        };
        self.tokens.get_or_create(&t).inc_by(input);
        t.kind = TokenKind::output;
        self.tokens.get_or_create(&t).inc_by(output);
    }
}
