//! `cairn upgrade` and `cairn replay`: move a run to another version after
//! a replay check, or just run the check.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use cairn::runtime::{Check, UpgradeError};

use super::format::print_json;
use super::{Env, Exit, ExitKind};

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The run to move.
    run: String,
    /// The version to move it to (sha or unique prefix).
    #[arg(long)]
    to: String,
    /// Only run and print the check.
    #[arg(long)]
    dry_run: bool,
    /// Move even when the check finds a divergence (recorded as forced).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The run whose journal to replay.
    run: String,
    /// A component file to replay against instead of the run's version
    /// (it need not be deployed).
    #[arg(long)]
    with: Option<PathBuf>,
}

fn exit_for(e: UpgradeError) -> Exit {
    let kind = match &e {
        UpgradeError::UnknownRun(_) | UpgradeError::UnknownVersion(_) => ExitKind::NotFound,
        UpgradeError::Store(_) => ExitKind::Failure,
        _ => ExitKind::Usage,
    };
    Exit::new(kind, e.to_string())
}

pub async fn upgrade(env: &Env, a: UpgradeArgs) -> Result<ExitKind, Exit> {
    let rt = env.runtime().await?;
    let result = rt.upgrade(&a.run, &a.to, a.dry_run, a.force).await;
    rt.stop().await;
    let report = result.map_err(exit_for)?;
    if env.json {
        print_json(&serde_json::to_value(&report).expect("report serializes"));
    } else {
        println!(
            "run {}: {} → {}",
            report.run_id,
            &report.from[..12],
            &report.to[..12]
        );
        println!("check: {}", report.check.describe());
        if report.moved && report.forced {
            println!("moved (forced: the divergence is recorded on the run)");
        } else if report.moved {
            println!("moved");
        } else if a.dry_run {
            println!("not moved (--dry-run)");
        } else if report.from == report.to {
            println!("already on that version");
        } else {
            println!("not moved: it stays on its version (use --force to move it anyway)");
        }
    }
    Ok(if report.check.is_clean() || report.moved {
        ExitKind::Success
    } else {
        ExitKind::Failure
    })
}

pub async fn replay(env: &Env, a: ReplayArgs) -> Result<ExitKind, Exit> {
    let bytes = match &a.with {
        None => None,
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            Exit::new(
                ExitKind::Usage,
                format!("cannot read {}: {e}", path.display()),
            )
        })?),
    };
    let rt = env.runtime().await?;
    let result = rt.replay_check(&a.run, bytes).await;
    rt.stop().await;
    let check = result.map_err(exit_for)?;
    if env.json {
        print_json(&json!({"run_id": a.run, "check": check}));
    } else {
        match &check {
            Check::Clean { .. } => println!("clean ({})", check.describe()),
            Check::Divergent(d) => {
                println!("divergent: {}", d.message);
                println!("  expected: {}", d.expected);
                println!("  found:    {}", d.found);
            }
            Check::Failed { .. } => println!("{}", check.describe()),
        }
    }
    Ok(if check.is_clean() {
        ExitKind::Success
    } else {
        ExitKind::Failure
    })
}
