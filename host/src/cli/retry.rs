//! `cairn retry RUN [--to VERSION] [--force]`: a failed run gets a new
//! activation from its journal, here, under the configuration now in force.

use clap::Args;
use serde_json::json;

use cairn::runtime::{ClaimError, Outcome, RetryError, UpgradeError};

use super::format::print_json;
use super::run::unknown_run;
use super::{Env, Exit, ExitKind};

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The failed (or diverged) run.
    run: String,
    /// Move it to this version first (sha or unique prefix), after a
    /// replay check.
    #[arg(long)]
    to: Option<String>,
    /// With --to: move even when the check is not clean.
    #[arg(long, requires = "to")]
    force: bool,
}

fn exit_for(e: RetryError) -> Exit {
    let kind = match &e {
        RetryError::UnknownRun(_)
        | RetryError::Version(UpgradeError::UnknownVersion(_) | UpgradeError::UnknownRun(_)) => {
            ExitKind::NotFound
        }
        RetryError::Store(s) if s.problem().is_some() => {
            let RetryError::Store(s) = e else {
                unreachable!()
            };
            return Exit::from_store(s);
        }
        RetryError::NotClean { .. } | RetryError::Store(_) => ExitKind::Failure,
        _ => ExitKind::Usage,
    };
    Exit::new(kind, e.to_string())
}

pub async fn retry(env: &Env, a: RetryArgs) -> Result<ExitKind, Exit> {
    let rt = env.runtime().await?;
    let report = match rt.retry(&a.run, a.to.as_deref(), a.force).await {
        Ok(r) => r,
        Err(e) => {
            rt.stop().await;
            return Err(exit_for(e));
        }
    };
    if !env.json {
        match &report.moved_from {
            Some(from) => println!(
                "run {} retried ({} before) on version {} (moved from {}{})",
                report.run_id,
                report.previous,
                &report.version[..12],
                &from[..12],
                if report.forced { ", forced" } else { "" }
            ),
            None => println!("run {} retried ({} before)", report.run_id, report.previous),
        }
    }
    // Execute it here, as `resume RUN` would; a `serve` worker may have
    // taken it first, which is as good.
    let outcome = match rt.claim_named(&report.run_id).await {
        Ok(claimed) => Some(rt.activate(claimed).await),
        Err(ClaimError::Taken(_) | ClaimError::Busy(..) | ClaimError::Ended(..)) => None,
        Err(ClaimError::Unknown(id)) => {
            rt.stop().await;
            return Err(unknown_run(&id));
        }
        Err(ClaimError::Store(s)) => {
            rt.stop().await;
            return Err(Exit::from_store(s));
        }
    };
    rt.stop().await;
    let status = outcome.as_ref().map(|o| o.status().as_str());
    if env.json {
        print_json(&json!({"retry": report, "status": status, "outcome": outcome}));
    } else {
        match &outcome {
            Some(o) => println!("{}: {}", report.run_id, o.status()),
            None => println!(
                "another worker took it; follow it with `cairn runs watch {}`",
                report.run_id
            ),
        }
    }
    Ok(match outcome {
        Some(Outcome::Completed { .. } | Outcome::Suspended { .. }) | None => ExitKind::Success,
        Some(_) => ExitKind::Failure,
    })
}
