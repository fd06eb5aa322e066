//! What is done to a run from outside it: answers to its prompts and
//! signals (`respond.rs`, with `human.rs` saying what a valid prompt and a
//! fitting answer are), `cairn retry` (`retry.rs`), `cairn runs restart`
//! (`restart.rs`), and the triggers that
//! start runs (`triggers.rs`) and the schedules that start them at their
//! ticks (`schedules.rs`).

pub mod human;
pub mod respond;
pub mod restart;
pub mod retry;
pub mod schedules;
pub mod triggers;
