//! The `follow_up` workflow: welcome a user, sleep durably, follow up.
//!
//! Input: `{"user": "ana", "delay_secs": 2}` (`delay_secs` defaults to 2),
//! and optionally `"notify_url": "http://..."`: each step then POSTs
//! `{"step": NAME, "user": USER}` there, so a test can count how often each
//! side effect really happened. Output: both step outputs and `ctx.now()`
//! (Unix ms) before and after the sleep:
//! `{"welcome", "follow_up", "before_sleep_ms", "after_sleep_ms"}`.
//!
//! The sleep is durable: if the process dies during it, the run resumes by
//! replay when the timer is due, and `send_welcome` does not run again.

use cairn_sdk::prelude::*;

/// The run's input.
#[data]
#[derive(Debug)]
struct FollowUpInput {
    user: String,
    #[serde(default = "default_delay")]
    delay_secs: u64,
    #[serde(default)]
    notify_url: Option<String>,
}

fn default_delay() -> u64 {
    2
}

/// Tells `notify_url`, if any, that step `step` ran for `user`.
fn notify(notify_url: Option<&str>, step: &str, user: &str) -> Result<(), StepError> {
    if let Some(url) = notify_url {
        cairn_sdk::http::post_json(url, &json!({ "step": step, "user": user }))?
            .error_for_status()?;
    }
    Ok(())
}

/// Sends the welcome message (simulated).
#[step]
fn send_welcome(user: String, notify_url: Option<String>) -> Result<String, StepError> {
    notify(notify_url.as_deref(), "send_welcome", &user)?;
    cairn_sdk::log::info(format_args!("welcome sent to {user}"));
    Ok(format!("welcome, {user}!"))
}

/// Sends the follow-up message (simulated).
#[step]
fn send_follow_up(user: String, notify_url: Option<String>) -> Result<String, StepError> {
    notify(notify_url.as_deref(), "send_follow_up", &user)?;
    cairn_sdk::log::info(format_args!("follow-up sent to {user}"));
    Ok(format!("how is it going, {user}?"))
}

/// Welcome, durable sleep, follow-up.
#[workflow]
fn follow_up(ctx: &Ctx, input: FollowUpInput) -> Result<Value, WorkflowError> {
    let FollowUpInput {
        user,
        delay_secs,
        notify_url,
    } = input;
    let welcome = ctx.step(send_welcome, (user.clone(), notify_url.clone()))?;
    ctx.emit("welcomed", &json!({ "user": user }));

    let before = unix_ms(ctx.now());
    ctx.sleep(Duration::from_secs(delay_secs))?;
    let after = unix_ms(ctx.now());

    let follow_up = ctx.step(send_follow_up, (user.clone(), notify_url))?;
    ctx.emit("followed_up", &json!({ "user": user }));
    Ok(json!({
        "welcome": welcome,
        "follow_up": follow_up,
        "before_sleep_ms": before,
        "after_sleep_ms": after,
    }))
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
