//! Command-line parsing and dispatch. Every command takes `--db`,
//! `--config` and `--json`; exit codes: 0 success (a suspended run
//! included), 1 the run failed, 2 bad usage or input, 3 not found.

mod backup;
mod conversation;
mod deploy;
mod doctor;
mod exit;
mod format;
mod human;
mod input;
mod logs;
mod progress;
mod quickstart;
mod restart;
mod retry;
mod run;
pub mod runs;
mod schedules;
mod upgrade;
mod user;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

use cairn::config::Config;
use cairn::journal::OpenOptions;
use cairn::journal::Storage;
use cairn::runtime::{Runtime, RuntimeError};

pub use exit::{Exit, ExitKind};

#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "A durable workflow host for WebAssembly components"
)]
pub struct Cli {
    /// The database: a path, sqlite:PATH or sqlite://PATH (default
    /// ./cairn.db; env CAIRN_DB).
    #[arg(long, global = true, env = "CAIRN_DB")]
    db: Option<PathBuf>,
    /// Configuration file (default ./cairn.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    /// How log lines on standard error are written: text, or json (one
    /// object a line); RUST_LOG picks which are (default warn).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t,
        env = "CAIRN_LOG_FORMAT"
    )]
    log_format: logs::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the schedules (`cron(...)` triggers), their last ticks and
    /// next fire times; `serve` fires them.
    Schedules {
        /// Only this workflow's.
        workflow: Option<String>,
    },
    /// Register a component version and make it active for its workflows.
    Deploy(deploy::DeployArgs),
    /// List versions, which is active, and how many runs each holds.
    Versions(deploy::VersionsArgs),
    /// Start a run and execute it until it completes or suspends.
    Run(run::RunArgs),
    /// List runs, or show or watch one.
    Runs(runs::RunsArgs),
    /// Move a run to another version after a replay check.
    Upgrade(upgrade::UpgradeArgs),
    /// Replay a run's journal against its version or a file, without side
    /// effects; exit 0 when clean, 1 when divergent.
    Replay(upgrade::ReplayArgs),
    /// List the prompts waiting for a person's answer.
    Prompts(human::PromptsArgs),
    /// Answer a waiting run's prompt (`--json-value`: the value is JSON).
    Respond(human::RespondArgs),
    /// Send a signal to a run, for its `wait_for_event` (`--json-value`: the data is JSON).
    Signal(human::SignalArgs),
    /// Cancel a run; steps pending are not retried.
    Cancel {
        /// The run id.
        run: String,
    },
    /// Give a failed run a new activation from its journal, here, under
    /// the configuration now in force (completed steps are not rerun).
    Retry(retry::RetryArgs),
    /// Run what is due now (timers fired, orphaned runs), or one run, then exit.
    Resume {
        /// Only this run.
        run: Option<String>,
    },
    /// Run the worker, the HTTP API and the web page until stopped.
    Serve {
        /// Address for the HTTP API (default server.listen, 127.0.0.1:7370).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Fire an event: starts every workflow subscribed to it.
    Emit {
        /// The event name.
        event: String,
        /// The payload, as JSON: each run's input (default `null`).
        /// `@FILE` reads it from a file, `-` from standard input.
        #[arg(allow_hyphen_values = true)]
        data: Option<String>,
        /// The payload is JSON: always so for `emit` (it is the runs'
        /// input); accepted as for `respond` and `signal`.
        #[arg(long)]
        json_value: bool,
    },
    /// Print a completion script for a shell: `cairn completions bash >
    /// /etc/bash_completion.d/cairn`, `cairn completions zsh > ~/.zfunc/_cairn`,
    /// `cairn completions fish > ~/.config/fish/completions/cairn.fish`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Build the bundled `order` example, run it on a temporary database
    /// and show what happened, step by step.
    Quickstart,
    /// Examine the database without changing it: location, permissions,
    /// schema version, the write lock and a full integrity check; exit 2
    /// on any problem.
    Doctor,
    /// Copy the database consistently to FILE, even while `cairn serve`
    /// runs on it (restore: copy it back with no cairn running).
    Backup(backup::BackupArgs),
}

/// Everything a command needs from the global flags.
pub struct Env {
    pub config: Config,
    pub json: bool,
}

impl Env {
    /// Opens the journal.
    pub fn store(&self) -> Result<Arc<dyn Storage>, Exit> {
        cairn::journal::open(&self.config.db, self.open_options()).map_err(Exit::from_store)
    }

    /// How the configuration says to open the journal.
    pub fn open_options(&self) -> OpenOptions {
        OpenOptions {
            durability: self.config.durability,
            lock_timeout: std::time::Duration::from_millis(self.config.db_lock_timeout_ms),
        }
    }

    /// Opens the journal and starts a runtime on it.
    pub async fn runtime(&self) -> Result<Arc<Runtime>, Exit> {
        let store = self.store()?;
        Runtime::start(store, self.config.clone())
            .await
            .map_err(|e| match e {
                RuntimeError::Store(s) => Exit::from_store(s),
                other => Exit::new(ExitKind::Failure, other.to_string()),
            })
    }
}

/// Entry point of the binary.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    logs::init(cli.log_format);
    let json = cli.json;
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Exit::new(ExitKind::Failure, format!("cannot start tokio: {e}")))
        .and_then(|rt| rt.block_on(dispatch(cli)));
    match result {
        Ok(code) => code.into(),
        Err(exit) => exit.report(json),
    }
}

async fn dispatch(cli: Cli) -> Result<ExitKind, Exit> {
    // Before the configuration: a broken cairn.toml must not break the
    // shell's completions.
    if let Command::Completions { shell } = cli.command {
        let mut cmd = Cli::command();
        clap_complete::generate(shell, &mut cmd, "cairn", &mut std::io::stdout());
        return Ok(ExitKind::Success);
    }
    let mut config = Config::load(cli.config.as_deref())
        .map_err(|e| Exit::new(ExitKind::Usage, e.to_string()))?;
    if let Some(db) = cli.db {
        config.db = db;
    }
    let env = Env {
        config,
        json: cli.json,
    };
    match cli.command {
        Command::Deploy(a) => deploy::deploy(&env, a).await,
        Command::Versions(a) => deploy::versions(&env, a).await,
        Command::Upgrade(a) => upgrade::upgrade(&env, a).await,
        Command::Replay(a) => upgrade::replay(&env, a).await,
        Command::Run(a) => run::run(&env, a).await,
        Command::Runs(a) => runs::runs(&env, a).await,
        Command::Prompts(a) => human::prompts(&env, a).await,
        Command::Respond(a) => human::respond(&env, a).await,
        Command::Signal(a) => human::signal(&env, a).await,
        Command::Cancel { run } => run::cancel(&env, &run).await,
        Command::Retry(a) => retry::retry(&env, a).await,
        Command::Resume { run } => run::resume(&env, run).await,
        Command::Serve { listen } => run::serve(&env, listen).await,
        Command::Emit { event, data, .. } => run::emit(&env, &event, data).await,
        Command::Quickstart => quickstart::quickstart(&env).await,
        Command::Doctor => doctor::doctor(&env),
        Command::Schedules { workflow } => schedules::schedules(&env, workflow).await,
        Command::Backup(a) => backup::backup(&env, a),
        Command::Completions { .. } => Ok(ExitKind::Success),
    }
}
