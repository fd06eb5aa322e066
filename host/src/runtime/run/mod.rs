//! A run's lifecycle in this process: activations, the scheduler that
//! starts them, ownership and the lease, the heartbeat, replay.
//!
//! `activation.rs` runs one activation and records how it ended;
//! `interrupt.rs` is the traps that end an activation on purpose;
//! `active.rs` is a run this process executes (what cancel and the lease
//! guard reach); `replay.rs` indexes a journal by replay key; `start.rs`
//! holds the checks every start of a run makes; `scheduler.rs` finds due
//! and orphaned runs; `ownership.rs` says whether another worker is alive;
//! `lease.rs` whether this one still may start side effects;
//! `heartbeat.rs` keeps this worker's heartbeat.

pub(in crate::runtime) mod activation;
pub mod active;
pub(in crate::runtime) mod heartbeat;
pub mod interrupt;
pub mod lease;
pub mod ownership;
pub mod replay;
pub mod scheduler;
pub mod start;
