//! End-to-end tests: real components built from `examples/` and
//! `tests/guests/`, the real `cairn` binary, real SQLite files, real
//! processes killed with SIGKILL.

mod fake_llm;
mod support;

mod agent;
mod agent_durable;
mod api;
mod backends;
mod backup;
mod bad_input;
mod browser;
mod browser_operations;
mod cancel;
mod cli_input;
mod compat;
mod config;
mod crash;
mod database;
mod determinism;
mod examples;
mod examples_agent;
mod examples_parallel;
mod human;
mod js;
mod lease;
mod limits;
mod llm;
mod logs;
mod metrics;
mod ownership;
mod parallel;
mod progress;
mod python;
mod python_agent;
mod replay;
mod restart;
mod retries;
mod retry;
mod schedules;
mod signals;
mod start_checks;
mod versions;
mod versions_check;
mod versions_moves;
mod vocabulary;
