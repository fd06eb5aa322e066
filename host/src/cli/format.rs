//! Small helpers for human-readable output.

use std::time::{Duration, UNIX_EPOCH};

use cairn::journal::UnixMs;

/// `2026-11-22T10:00:00.123Z`.
pub fn time(ms: UnixMs) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

/// `in 4s`, `2m ago`.
pub fn relative(ms: UnixMs, now: UnixMs) -> String {
    let d = Duration::from_millis((ms - now).unsigned_abs() / 1000 * 1000);
    let s = humantime::format_duration(d).to_string();
    let s = if s.is_empty() || d.is_zero() {
        "now".to_string()
    } else {
        s
    };
    if d.is_zero() {
        s
    } else if ms >= now {
        format!("in {s}")
    } else {
        format!("{s} ago")
    }
}

/// JSON text on one line, shortened to `max` characters.
pub fn json_brief(text: &str, max: usize) -> String {
    let compact = serde_json::from_str::<serde_json::Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_string());
    if compact.chars().count() <= max {
        compact
    } else {
        let cut: String = compact.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

pub use cairn::server::views::json_value;

/// Prints a JSON value on one line.
pub fn print_json(v: &serde_json::Value) {
    println!("{v}");
}
