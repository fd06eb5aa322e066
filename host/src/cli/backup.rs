//! `cairn backup FILE [--force]`: a consistent copy of the database,
//! safe while `cairn serve` writes to it. Restoring is copying it back
//! (with no cairn running on it).

use std::path::PathBuf;

use cairn::journal::sqlite::backup::{BackupError, BackupReport, backup as copy};
use cairn::journal::{Location, StoreError};

use super::format::print_json;
use super::{Env, Exit, ExitKind};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the copy (a new file).
    file: PathBuf,
    /// Replace FILE when it exists.
    #[arg(long)]
    force: bool,
}

pub fn backup(env: &Env, args: BackupArgs) -> Result<ExitKind, Exit> {
    let path = match Location::parse(&env.config.db) {
        Ok(Location::Sqlite(path)) => path,
        Err(StoreError::NotBuiltIn { db, .. }) => {
            return Err(Exit::new(
                ExitKind::Usage,
                format!(
                    "{db}: cairn backup copies SQLite databases; back up PostgreSQL with pg_dump"
                ),
            ));
        }
        Err(e) => return Err(Exit::from_store(e)),
    };
    let lock_timeout = env.open_options().lock_timeout;
    let report = copy(&path, &args.file, args.force, lock_timeout).map_err(exit)?;
    if env.json {
        print_json(&serde_json::to_value(&report).expect("a report serializes"));
    } else {
        print_text(&report);
    }
    Ok(ExitKind::Success)
}

fn exit(e: BackupError) -> Exit {
    match e {
        BackupError::Store(s) => Exit::from_store(s),
        BackupError::NoDatabase(_) => Exit::new(ExitKind::NotFound, e.to_string()),
        BackupError::Exists(_) | BackupError::SameFile(_) | BackupError::Write { .. } => {
            Exit::new(ExitKind::Usage, e.to_string())
        }
        BackupError::BadCopy { .. } => Exit::new(ExitKind::Failure, e.to_string()),
    }
}

fn print_text(r: &BackupReport) {
    println!(
        "backed up {} to {} ({} run(s), {} journal entries, {:.1} KiB)",
        r.database,
        r.backup,
        r.runs,
        r.journal_entries,
        r.bytes as f64 / 1024.0
    );
    println!(
        "restore: stop cairn, then copy {} over {}",
        r.backup, r.database
    );
}
