//! `cairn.toml` and its `CAIRN_…` environment overrides.
//!
//! Every key has a default, so no file is needed. Each leaf key can be
//! overridden by an environment variable named after its path:
//! `limits.memory_mb` → `CAIRN_LIMITS_MEMORY_MB`, `durability` →
//! `CAIRN_DURABILITY`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::limits::Limits;
use crate::journal::Durability;

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The database: a SQLite file's path, `sqlite:PATH` or
    /// `sqlite://PATH` (see [`crate::journal::Location`]).
    pub db: PathBuf,
    /// `full` (fsync per commit) or `relaxed` (WAL, synchronous = NORMAL).
    pub durability: Durability,
    /// How long a command waits for another process's write lock on the
    /// database before it gives up and says so.
    pub db_lock_timeout_ms: u64,
    pub limits: Limits,
    pub runtime: RuntimeSettings,
    pub engine: EngineSettings,
    pub server: ServerSettings,
    /// Per-workflow settings, by workflow name.
    pub workflows: BTreeMap<String, WorkflowSettings>,
    /// Webhook sources, by the name in `POST /v1/webhooks/{source}`.
    pub webhooks: BTreeMap<String, WebhookSettings>,
    /// LLM providers for `ctx.llm`.
    pub llm: crate::llm::LlmSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from("cairn.db"),
            durability: Durability::Full,
            db_lock_timeout_ms: crate::journal::DEFAULT_LOCK_TIMEOUT.as_millis() as u64,
            limits: Limits::default(),
            runtime: RuntimeSettings::default(),
            engine: EngineSettings::default(),
            server: ServerSettings::default(),
            workflows: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            llm: crate::llm::LlmSettings::default(),
        }
    }
}

/// Scheduling and ownership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeSettings {
    /// Sleeps and retry waits shorter than this keep the instance live;
    /// longer ones unload it and the run resumes by replay.
    pub suspend_threshold_ms: u64,
    /// A worker that has not been heard from for this long is presumed dead
    /// and its runs are taken over.
    pub lease_secs: u64,
    /// How often an idle worker looks for due runs.
    pub poll_ms: u64,
    /// Runs one process executes at once.
    pub max_active_runs: usize,
    /// Spawned steps (`ctx.spawn`, `batch`, `map`) one process runs at
    /// once, over all its runs. Default: the number of cores × 4, for
    /// I/O-bound steps.
    pub max_concurrent_steps: usize,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            suspend_threshold_ms: 1000,
            lease_secs: 15,
            poll_ms: 200,
            max_active_runs: 256,
            max_concurrent_steps: default_concurrent_steps(),
        }
    }
}

/// The number of cores × 4.
fn default_concurrent_steps() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get()) * 4
}

/// wasmtime settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// Use the pooling instance allocator.
    pub pooling: bool,
    /// The machine's cache of compiled components (`engine/cache.rs`): a
    /// directory, `off`, or empty for `~/.cache/cairn/compiled`.
    pub compile_cache: String,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            pooling: true,
            compile_cache: String::new(),
        }
    }
}

/// The HTTP server of `cairn serve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on. Anything but loopback needs `token`.
    pub listen: String,
    /// Bearer token every request but webhooks must carry (env
    /// `CAIRN_SERVER_TOKEN`). Empty means none.
    pub token: String,
    /// Largest JSON request body, in bytes.
    pub max_body_bytes: u64,
    /// Largest component a deploy may upload, in bytes.
    pub max_component_bytes: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: "127.0.0.1:7370".into(),
            token: String::new(),
            max_body_bytes: 1 << 20,
            max_component_bytes: 64 << 20,
        }
    }
}

/// How deliveries from one webhook source are read and verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Name of the environment variable holding the signing secret; with
    /// none configured, deliveries are not verified.
    pub secret_env: String,
    /// `stripe` (`t=…,v1=…` over `t.body`) or `hmac-sha256` (hex digest of
    /// the body, optionally prefixed `sha256=`).
    pub scheme: String,
    /// The header carrying the signature (default `Stripe-Signature` for
    /// `stripe`, `X-Signature-256` otherwise).
    pub signature_header: String,
    /// The JSON field naming the event type.
    pub event_field: String,
    /// The JSON field naming the delivery id (a `Webhook-Id` or
    /// `X-Delivery-Id` header wins; without either, the body's hash).
    pub id_field: String,
    /// Largest age of a Stripe signature timestamp, in seconds.
    pub tolerance_secs: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            secret_env: String::new(),
            scheme: "hmac-sha256".into(),
            signature_header: String::new(),
            event_field: "type".into(),
            id_field: "id".into(),
            tolerance_secs: 300,
        }
    }
}

/// Settings of one workflow's steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkflowSettings {
    /// Hosts its steps may call over HTTP, added to those given at deploy.
    pub allow_http: Vec<String>,
    /// Names of host environment variables passed to its steps.
    pub env: Vec<String>,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid cairn configuration: {message}")]
    Invalid { path: String, message: String },
    #[error(
        "{var} sets a key inside `{section}`, but {path} gives `{section}` a plain value; \
         write it as a section (`[{section}]`) or remove it"
    )]
    NotATable {
        path: String,
        section: String,
        var: String,
    },
    #[error("environment variable {var}={value:?} is not valid: {message}")]
    Env {
        var: String,
        value: String,
        message: String,
    },
}

impl Config {
    /// Loads `path` (or `./cairn.toml` if it exists), then applies `CAIRN_…`
    /// environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let (text, origin) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?,
                p.display().to_string(),
            ),
            None if Path::new("cairn.toml").exists() => (
                std::fs::read_to_string("cairn.toml").map_err(|source| ConfigError::Read {
                    path: "cairn.toml".into(),
                    source,
                })?,
                "cairn.toml".to_string(),
            ),
            None => (String::new(), "defaults".to_string()),
        };
        Self::from_parts(&text, &origin, std::env::vars())
    }

    /// Parses `text` and applies overrides from `vars`.
    pub fn from_parts(
        text: &str,
        origin: &str,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut doc: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        let defaults =
            toml::Table::try_from(Config::default()).map_err(|e| ConfigError::Invalid {
                path: "the built-in defaults".into(),
                message: e.to_string(),
            })?;
        for (var, value) in vars {
            let Some(rest) = var.strip_prefix("CAIRN_") else {
                continue;
            };
            if let Some(path) = find_leaf(&defaults, &rest.to_ascii_lowercase()) {
                let parsed =
                    parse_scalar(&path, &defaults, &value).map_err(|message| ConfigError::Env {
                        var: var.clone(),
                        value: value.clone(),
                        message,
                    })?;
                set_path(&mut doc, &path, parsed).map_err(|section| ConfigError::NotATable {
                    path: origin.to_string(),
                    section,
                    var: var.clone(),
                })?;
            }
        }
        let config: Config = toml::Value::Table(doc)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid {
                path: origin.to_string(),
                message: e.to_string(),
            })?;
        config
            .check_ranges()
            .map_err(|message| ConfigError::Invalid {
                path: origin.to_string(),
                message,
            })?;
        Ok(config)
    }

    /// Refuses values the host cannot honour (a zero that would stall
    /// every run, a size past what wasm32 or SQLite can hold, a duration
    /// whose milliseconds overflow), naming the key and the range.
    fn check_ranges(&self) -> Result<(), String> {
        const DAY_SECS: u64 = 86_400;
        const YEAR_SECS: u64 = 365 * DAY_SECS;
        let checks: [(&str, u64, u64, u64, &str); 9] = [
            (
                "limits.memory_mb",
                self.limits.memory_mb,
                1,
                4096,
                "a wasm32 instance addresses at most 4 GiB",
            ),
            (
                "limits.body_deadline_secs",
                self.limits.body_deadline_secs,
                1,
                DAY_SECS,
                "",
            ),
            (
                "limits.step_timeout_secs",
                self.limits.step_timeout_secs,
                1,
                YEAR_SECS,
                "",
            ),
            (
                "limits.max_value_bytes",
                self.limits.max_value_bytes,
                1,
                1_000_000_000,
                "SQLite holds values of at most 1 GB",
            ),
            (
                "runtime.suspend_threshold_ms",
                self.runtime.suspend_threshold_ms,
                0,
                YEAR_SECS * 1000,
                "",
            ),
            (
                "runtime.lease_secs",
                self.runtime.lease_secs,
                1,
                DAY_SECS,
                "",
            ),
            ("runtime.poll_ms", self.runtime.poll_ms, 1, 3_600_000, ""),
            (
                "runtime.max_active_runs",
                self.runtime.max_active_runs as u64,
                1,
                1 << 20,
                "with 0 no run would ever execute",
            ),
            (
                "runtime.max_concurrent_steps",
                self.runtime.max_concurrent_steps as u64,
                1,
                1 << 20,
                "with 0 no spawned step would ever start",
            ),
        ];
        for (key, value, min, max, why) in checks {
            if value < min || value > max {
                let why = if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                };
                return Err(format!(
                    "{key} = {value} is out of range: it takes {min} to {max}{why}"
                ));
            }
        }
        Ok(())
    }

    /// The allow-list and environment of a workflow's steps.
    pub fn workflow(&self, name: &str) -> WorkflowSettings {
        self.workflows.get(name).cloned().unwrap_or_default()
    }
}

/// Finds the leaf whose path, joined with `_`, is `flat`.
fn find_leaf(table: &toml::Table, flat: &str) -> Option<Vec<String>> {
    for (k, v) in table {
        if let toml::Value::Table(t) = v {
            if let Some(rest) = flat.strip_prefix(&format!("{k}_"))
                && let Some(mut p) = find_leaf(t, rest)
            {
                p.insert(0, k.clone());
                return Some(p);
            }
        } else if k == flat {
            return Some(vec![k.clone()]);
        }
    }
    None
}

fn parse_scalar(path: &[String], defaults: &toml::Table, s: &str) -> Result<toml::Value, String> {
    // `find_leaf` found `path` in these same defaults, so each step is there.
    let mut cur = defaults;
    let (leaf, sections) = path.split_last().ok_or("an empty key")?;
    for p in sections {
        cur = cur
            .get(p)
            .and_then(toml::Value::as_table)
            .ok_or_else(|| format!("`{p}` is not a section"))?;
    }
    match cur
        .get(leaf)
        .ok_or_else(|| format!("`{leaf}` is not a key"))?
    {
        toml::Value::Integer(_) => s
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| "expected a whole number".into()),
        toml::Value::Boolean(_) => match s {
            "1" | "true" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
            "0" | "false" | "no" | "off" => Ok(toml::Value::Boolean(false)),
            _ => Err("expected true or false".into()),
        },
        toml::Value::Float(_) => s
            .parse::<f64>()
            .map(toml::Value::Float)
            .map_err(|_| "expected a number".into()),
        _ => Ok(toml::Value::String(s.to_string())),
    }
}

/// Sets `path` in `doc`, making the sections on the way; `Err` names a
/// section the file gave a plain value instead (`limits = 1`).
fn set_path(doc: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let Some((leaf, sections)) = path.split_last() else {
        return Ok(());
    };
    let mut cur = doc;
    let mut walked: Vec<&str> = Vec::new();
    for p in sections {
        walked.push(p);
        cur = cur
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| walked.join("."))?;
    }
    cur.insert(leaf.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn defaults_serve_without_a_file() {
        let c = Config::from_parts("", "t", vars(&[])).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.durability, Durability::Full);
    }

    #[test]
    fn environment_overrides_file() {
        let c = Config::from_parts(
            "durability = \"full\"\n[limits]\nmemory_mb = 64\n",
            "t",
            vars(&[
                ("CAIRN_DURABILITY", "relaxed"),
                ("CAIRN_LIMITS_MAX_VALUE_BYTES", "1024"),
                ("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "5"),
            ]),
        )
        .unwrap();
        assert_eq!(c.durability, Durability::Relaxed);
        assert_eq!(c.limits.memory_mb, 64);
        assert_eq!(c.limits.max_value_bytes, 1024);
        assert_eq!(c.runtime.suspend_threshold_ms, 5);
    }

    #[test]
    fn llm_providers_come_from_the_file_and_llm_settings_from_the_environment() {
        let c = Config::from_parts(
            "[llm.providers.local]\nkind = \"openai\"\nbase_url = \"http://localhost:11434/v1\"\n",
            "t",
            vars(&[("CAIRN_LLM_TIMEOUT_SECS", "5")]),
        )
        .unwrap();
        let local = &c.llm.providers["local"];
        assert_eq!(local.kind, crate::llm::ProviderKind::Openai);
        assert_eq!(local.base_url.as_deref(), Some("http://localhost:11434/v1"));
        assert_eq!(local.api_key_env, None);
        assert_eq!(c.llm.timeout_secs, 5);
        let e = Config::from_parts(
            "[llm.providers.x]\nkind = \"openai\"\nkey = \"s\"\n",
            "t",
            vars(&[]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("key"), "{e}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let e = Config::from_parts("durabilty = \"full\"", "t", vars(&[])).unwrap_err();
        assert!(e.to_string().contains("durabilty"), "{e}");
        let e =
            Config::from_parts("", "t", vars(&[("CAIRN_LIMITS_MEMORY_MB", "lots")])).unwrap_err();
        assert!(e.to_string().contains("CAIRN_LIMITS_MEMORY_MB"), "{e}");
    }

    // Issue 9 item 18: this reached an `expect` and panicked.
    #[test]
    fn a_section_given_as_a_value_with_an_override_inside_it_is_an_error() {
        let e = Config::from_parts(
            "limits = 1",
            "cairn.toml",
            vars(&[("CAIRN_LIMITS_MEMORY_MB", "64")]),
        )
        .unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("CAIRN_LIMITS_MEMORY_MB") && m.contains("[limits]"),
            "{m}"
        );
        let e = Config::from_parts(
            "runtime = \"fast\"",
            "t",
            vars(&[("CAIRN_RUNTIME_POLL_MS", "5")]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("[runtime]"), "{e}");
        let e = Config::from_parts("limits = 1", "t", vars(&[])).unwrap_err();
        assert!(e.to_string().contains("limits"), "{e}");
    }

    #[test]
    fn values_out_of_range_are_refused_with_the_range() {
        for (text, key) in [
            ("[limits]\nmemory_mb = 0", "limits.memory_mb"),
            ("[limits]\nmemory_mb = 9000000000000", "limits.memory_mb"),
            (
                "[runtime]\nlease_secs = 9223372036854775807",
                "runtime.lease_secs",
            ),
            ("[runtime]\nmax_active_runs = 0", "runtime.max_active_runs"),
            (
                "[limits]\nstep_timeout_secs = 0",
                "limits.step_timeout_secs",
            ),
        ] {
            let e = Config::from_parts(text, "t", vars(&[]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(key) && e.contains("out of range"), "{text}: {e}");
        }
        let e = Config::from_parts("", "t", vars(&[("CAIRN_LIMITS_MEMORY_MB", "-1")])).unwrap_err();
        assert!(e.to_string().contains("memory_mb"), "{e}");
    }
}
