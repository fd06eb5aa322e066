//! Lines for the run log, through the host's `log` import.
//!
//! They work in a workflow body and in a step. Lines logged by the body
//! are not repeated when the run is replayed.
//!
//! ```no_run
//! cairn_sdk::log::info("charging the customer");
//! cairn_sdk::log::warn(format_args!("attempt {} failed", 2));
//! ```

use std::fmt::Display;

use crate::bindings::host;
use crate::bindings::types::LogLevel;

fn log(level: LogLevel, message: impl Display) {
    host::log(level, &message.to_string());
}

/// Logs at level `trace`.
///
/// ```no_run
/// cairn_sdk::log::trace("entering the loop");
/// ```
pub fn trace(message: impl Display) {
    log(LogLevel::Trace, message);
}

/// Logs at level `debug`.
///
/// ```no_run
/// cairn_sdk::log::debug(format_args!("payload is {} bytes", 42));
/// ```
pub fn debug(message: impl Display) {
    log(LogLevel::Debug, message);
}

/// Logs at level `info`.
///
/// ```no_run
/// cairn_sdk::log::info("order validated");
/// ```
pub fn info(message: impl Display) {
    log(LogLevel::Info, message);
}

/// Logs at level `warn`.
///
/// ```no_run
/// cairn_sdk::log::warn("inventory low");
/// ```
pub fn warn(message: impl Display) {
    log(LogLevel::Warn, message);
}

/// Logs at level `error`.
///
/// ```no_run
/// cairn_sdk::log::error("payment failed for good");
/// ```
pub fn error(message: impl Display) {
    log(LogLevel::Error, message);
}

/// Tells the host that a value it handed the body (a step's output, a
/// state value, a signal's payload, an answer) does not decode into the
/// type the code asks for. The host's replay check against a new version
/// takes it as "this code cannot read the run's history", whether or not
/// the body goes on; the line also lands in the run log. The prefix is the
/// host's `UNREADABLE`.
pub(crate) fn unreadable(message: &str) {
    log(LogLevel::Error, format_args!("unreadable: {message}"));
}
