//! `cairn schedules`: the schedules of the active versions' workflows
//! (declared with `cron(...)` triggers), their recent ticks and next fire
//! times, read from the database.

use cairn::runtime::outside::schedules::schedule_status;
use cairn::server::schedules::{ScheduleList, ScheduleView};

use super::format::{print_json, time};
use super::{Env, Exit, ExitKind};

pub async fn schedules(env: &Env, workflow: Option<String>) -> Result<ExitKind, Exit> {
    let store = env.store()?;
    let now = cairn::clock::now_ms();
    let mut list: Vec<ScheduleView> = schedule_status(&*store)
        .await?
        .into_iter()
        .map(|s| ScheduleView::of(s, now))
        .collect();
    if let Some(w) = &workflow {
        list.retain(|s| &s.workflow == w);
    }
    if env.json {
        let v = serde_json::to_value(ScheduleList { schedules: list }).expect("a view serializes");
        print_json(&v);
        return Ok(ExitKind::Success);
    }
    if list.is_empty() {
        match workflow {
            Some(w) => println!("workflow `{w}` has no schedule"),
            None => println!(
                "no schedules (declare one with #[workflow(triggers = [cron(\"0 9 * * *\")])])"
            ),
        }
    }
    for s in list {
        println!(
            "{}  {:?} in {}  catch-up {}  overlap {}",
            s.workflow,
            s.cron,
            s.tz,
            word(&s.catch_up),
            word(&s.overlap),
        );
        let next: Vec<String> = s.next.iter().take(3).map(|&t| time(t)).collect();
        println!("  next   {}", next.join(", "));
        if let Some(last) = s.recent.first() {
            let runs = if last.runs.is_empty() {
                "no run (skipped)".to_string()
            } else {
                last.runs.join(", ")
            };
            println!("  last   {}  {}", time(last.at), runs);
        }
    }
    Ok(ExitKind::Success)
}

/// A policy as its configuration word (`one`, `cancel-previous`).
fn word(policy: &impl serde::Serialize) -> String {
    match serde_json::to_value(policy) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}
