//! What `cairn run --wait` shows on a terminal while it waits: the run id
//! first, then a line per step, sleep, prompt and emitted event, under a
//! spinner saying what the run is doing now. It reads the run's events
//! from the journal (as `runs watch` does), so it shows what happened,
//! not what this process guesses. Nothing of it is drawn when standard
//! error is not a terminal or with `--json`.

use cairn::journal::EventKind;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use cairn::journal::{RunEvent, Storage};

use super::format::{relative, time};

/// A running display; [`Progress::finish`] clears the spinner.
pub struct Progress {
    bar: ProgressBar,
    /// The id of the last event shown.
    shown: Arc<AtomicI64>,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    /// Starts following `run_id` on standard error.
    pub fn start(store: Arc<dyn Storage>, run_id: &str, workflow: &str) -> Progress {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.println(format!(
            "run {run_id} ({workflow}) started; Ctrl-C stops following it, the run goes on"
        ));
        bar.set_message("starting");
        bar.enable_steady_tick(Duration::from_millis(120));
        let shown = Arc::new(AtomicI64::new(0));
        let task = tokio::spawn(follow(
            store,
            run_id.to_string(),
            bar.clone(),
            shown.clone(),
        ));
        Progress { bar, shown, task }
    }

    /// Shows the events not shown yet, then clears the spinner.
    pub async fn finish(self, store: &dyn Storage, run_id: &str) {
        self.task.abort();
        let _ = self.task.await;
        // Events written with the run's last status are shown too.
        let mut view = View::new(run_id);
        view.after = self.shown.load(Ordering::Relaxed);
        if let Ok(events) = store.events(run_id, view.after).await {
            for e in &events {
                view.show(e, &self.bar);
            }
        }
        self.bar.finish_and_clear();
    }
}

/// Polls the run's events and shows each once.
async fn follow(store: Arc<dyn Storage>, run_id: String, bar: ProgressBar, shown: Arc<AtomicI64>) {
    let mut view = View::new(&run_id);
    loop {
        if let Ok(events) = store.events(&run_id, view.after).await {
            for e in &events {
                view.show(e, &bar);
                shown.store(view.after, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the display knows of the run.
struct View {
    run_id: String,
    after: i64,
    /// The question of the last prompt, until it is answered.
    asking: Option<(String, String)>,
}

impl View {
    fn new(run_id: &str) -> View {
        View {
            run_id: run_id.to_string(),
            after: 0,
            asking: None,
        }
    }

    fn show(&mut self, e: &RunEvent, bar: &ProgressBar) {
        if e.id <= self.after {
            return;
        }
        self.after = e.id;
        let d = &e.data;
        let s = |k: &str| d[k].as_str().unwrap_or("?").to_string();
        match e.kind {
            EventKind::Step => self.step(d, bar),
            EventKind::Status => self.status(d, bar),
            EventKind::Prompt => {
                self.asking = Some((s("question"), s("input_type")));
            }
            EventKind::Answer => {
                self.asking = None;
                bar.println(format!("  answered {} by {}", d["value"], s("by")));
            }
            EventKind::Event if d["timed_out"] == true => {
                bar.println(format!("  the wait for signal {} timed out", s("name")))
            }
            EventKind::Event => bar.println(format!("  signal {} taken", s("name"))),
            EventKind::Emit => {
                bar.println(format!(
                    "  {}",
                    super::conversation::agent_line(&s("kind"), &d["data"])
                        .unwrap_or_else(|| format!("{} {}", s("kind"), brief(&d["data"])))
                ))
            }
            EventKind::Log => bar.println(format!("  log: {}", s("message"))),
            EventKind::Divergence => bar.println(format!("  DIVERGENCE {}", s("message"))),
            _ => {}
        }
    }

    fn step(&mut self, d: &Value, bar: &ProgressBar) {
        let step = d["step"].as_str().unwrap_or("?");
        let attempt = d["attempt"].as_u64().unwrap_or(1);
        let nth = if attempt > 1 {
            format!(" (attempt {attempt})")
        } else {
            String::new()
        };
        match d["state"].as_str().unwrap_or("") {
            "started" => bar.set_message(format!("step {step}{nth}")),
            "completed" => {
                let ms = d["ms"]
                    .as_u64()
                    .map(|m| format!(" in {m} ms"))
                    .unwrap_or_default();
                bar.println(format!("  step {step}{nth} done{ms}"));
            }
            state => {
                let why = d["error"]["message"].as_str().unwrap_or("");
                let retry = d["retry_at"]
                    .as_i64()
                    .map(|t| format!("; retrying {}", relative(t, cairn::clock::now_ms())))
                    .unwrap_or_default();
                bar.println(format!("  step {step}{nth} {state}: {why}{retry}"));
            }
        }
    }

    fn status(&mut self, d: &Value, bar: &ProgressBar) {
        let run = &self.run_id;
        match d["status"].as_str().unwrap_or("") {
            "sleeping" => {
                let until = d["wake_at"]
                    .as_i64()
                    .map(|w| format!("{} ({})", time(w), relative(w, cairn::clock::now_ms())))
                    .unwrap_or_else(|| "its timer".into());
                bar.println(format!("  sleeping until {until}"));
                bar.set_message(format!("sleeping until {until}"));
            }
            "waiting" => match &self.asking {
                Some((question, input_type)) => {
                    bar.println(format!("  asks: {question} [{input_type}]"));
                    let line = format!(
                        "waiting for a person: answer with `cairn respond {run} VALUE` \
                         (`cairn prompts --run {run}` says what fits)"
                    );
                    bar.println(format!("  {line}"));
                    bar.set_message(line);
                }
                None => {
                    let line =
                        format!("waiting for a signal: send it with `cairn signal {run} NAME`");
                    bar.println(format!("  {line}"));
                    bar.set_message(line);
                }
            },
            "running" => bar.set_message("running"),
            _ => {}
        }
    }
}

fn brief(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 120 {
        let mut end = 117;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &text[..end])
    } else {
        text
    }
}
