//! `cairn deploy` and `cairn versions`.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use cairn::runtime::{DeployOptions, VersionError};

use super::format::{print_json, time};
use super::{Env, Exit, ExitKind};

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The component (`.wasm`) to deploy.
    file: PathBuf,
    /// Keep runs in flight on their current version.
    #[arg(long)]
    pin: bool,
    /// Fail runs of this version whose journal diverges from the code.
    #[arg(long)]
    strict: bool,
    /// A host (or host:port) the workflow's steps may call over HTTP; repeat for more.
    #[arg(long = "allow-http", value_name = "HOST")]
    allow_http: Vec<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct VersionsArgs {
    #[command(subcommand)]
    command: Option<VersionsCommand>,
    /// Only versions exporting this workflow.
    workflow: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum VersionsCommand {
    /// Delete the versions no run holds and no workflow has active.
    Gc,
}

pub async fn deploy(env: &Env, a: DeployArgs) -> Result<ExitKind, Exit> {
    let bytes = std::fs::read(&a.file).map_err(|e| {
        Exit::new(
            ExitKind::Usage,
            format!("cannot read {}: {e}", a.file.display()),
        )
    })?;
    if a.pin {
        tracing::info!(
            "--pin: runs in flight stay on their version (the default until hot swap lands)"
        );
    }
    let rt = env.runtime().await?;
    let opts = DeployOptions {
        allow_http: a.allow_http,
        strict: a.strict,
        pin: a.pin,
    };
    let result = rt.deploy(bytes, &opts).await;
    rt.stop().await;
    let report = result.map_err(|e| match e {
        VersionError::Store(s) => Exit::from_store(s),
        other => Exit::new(
            ExitKind::Usage,
            format!("cannot deploy {}: {other}", a.file.display()),
        ),
    })?;
    if env.json {
        print_json(&serde_json::to_value(&report).expect("report serializes"));
    } else if report.new {
        println!(
            "deployed version {} ({})",
            &report.version[..12],
            a.file.display()
        );
        println!("  workflows: {}", report.workflows.join(", "));
        println!("  steps:     {}", report.steps.join(", "));
        if !report.allow_http.is_empty() {
            println!("  steps may call: {}", report.allow_http.join(", "));
        }
    } else {
        println!(
            "version {} is already deployed (same bytes); it is the active version of {}",
            &report.version[..12],
            report.workflows.join(", ")
        );
    }
    Ok(ExitKind::Success)
}

pub async fn versions(env: &Env, a: VersionsArgs) -> Result<ExitKind, Exit> {
    if let Some(VersionsCommand::Gc) = a.command {
        return gc(env).await;
    }
    let store = env.store()?;
    let mut versions = store.versions().await?;
    if let Some(w) = &a.workflow {
        versions.retain(|v| v.workflows.contains(w));
        if versions.is_empty() {
            return Err(Exit::new(
                ExitKind::NotFound,
                format!("no deployed version exports workflow `{w}`"),
            ));
        }
    }
    if env.json {
        print_json(&json!({ "versions": versions }));
        return Ok(ExitKind::Success);
    }
    if versions.is_empty() {
        println!("no versions deployed yet (cairn deploy FILE.wasm)");
    }
    for v in versions {
        let active = if v.active_for.is_empty() {
            String::new()
        } else {
            format!("  active for {}", v.active_for.join(", "))
        };
        let flags = match (v.pin, v.strict) {
            (true, true) => "  [pin, strict]",
            (true, false) => "  [pin]",
            (false, true) => "  [strict]",
            (false, false) => "",
        };
        println!(
            "{}  {}  runs {:>4}  workflows {}{}{}",
            &v.sha[..12],
            time(v.deployed_at),
            v.runs,
            v.workflows.join(", "),
            active,
            flags
        );
    }
    Ok(ExitKind::Success)
}

async fn gc(env: &Env) -> Result<ExitKind, Exit> {
    let store = env.store()?;
    let removed = match store.write(cairn::journal::WriteOp::GcVersions).await? {
        cairn::journal::WriteOutcome::Removed(r) => r,
        other => {
            return Err(Exit::new(
                ExitKind::Failure,
                format!("gc answered {other:?}"),
            ));
        }
    };
    if env.json {
        print_json(&json!({ "removed": removed }));
    } else if removed.is_empty() {
        println!("nothing to remove: every version holds runs or is active");
    } else {
        for sha in &removed {
            println!("removed {}", &sha[..12]);
        }
    }
    Ok(ExitKind::Success)
}
