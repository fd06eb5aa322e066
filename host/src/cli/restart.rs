//! `cairn runs restart RUN --from SEQ [--to VERSION] [--wait]`: a new run
//! whose journal is a copy of RUN's entries before SEQ, executed here like
//! `cairn run` (the copied prefix replays; the rest runs live).

use cairn::runtime::{RestartError, RestartOptions, UpgradeError};

use super::run::report;
use super::{Env, Exit, ExitKind};

pub async fn restart(
    env: &Env,
    run: &str,
    from: u32,
    to: Option<String>,
    wait: bool,
) -> Result<ExitKind, Exit> {
    let rt = env.runtime().await?;
    let options = RestartOptions { to, owned: true };
    let new = match rt.restart(run, from, &options).await {
        Ok(r) => r,
        Err(e) => {
            rt.stop().await;
            return Err(restart_exit(e));
        }
    };
    if !env.json {
        eprintln!(
            "restarted run {run} from seq {from} as run {} (version {})",
            new.id,
            &new.version[..12.min(new.version.len())]
        );
    }
    let outcome = rt.drive(new.clone(), wait).await;
    rt.stop().await;
    Ok(report(env, &new.id, &new.workflow, &outcome))
}

fn restart_exit(e: RestartError) -> Exit {
    match &e {
        RestartError::UnknownRun(_)
        | RestartError::Version(UpgradeError::UnknownVersion(_) | UpgradeError::UnknownRun(_)) => {
            Exit::new(ExitKind::NotFound, e.to_string())
        }
        RestartError::Store(_) => Exit::new(ExitKind::Failure, e.to_string()),
        _ => Exit::new(ExitKind::Usage, e.to_string()),
    }
}
