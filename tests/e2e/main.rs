//! End-to-end tests: real components built from `examples/` and
//! `tests/guests/`, the real `cairn` binary, real SQLite files, real
//! processes killed with SIGKILL.

mod support;

mod bad_input;
mod cancel;
mod crash;
mod determinism;
mod examples;
mod examples_parallel;
mod limits;
mod ownership;
mod parallel;
mod replay;
mod retries;
