//! Sending a request to a provider, with retries on 429, 5xx and
//! connection failures, honouring `Retry-After`.

use crate::error_code::ErrorCode;
use std::time::Duration;

use super::{LlmError, LlmSettings};

/// Longest `Retry-After` honoured; a provider asking for more fails the
/// call instead of holding it for hours.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// A 2xx reply's body.
pub(super) struct Reply {
    pub body: bytes::Bytes,
}

/// Sends the request `build` makes (once per attempt) until a 2xx reply,
/// a failure retrying cannot help, or `max_attempts`.
pub(super) async fn send(
    settings: &LlmSettings,
    provider: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Reply, LlmError> {
    let max_attempts = settings.max_attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let failure = match build().send().await {
            Ok(resp) => {
                let status = resp.status();
                let retry_after = retry_after(resp.headers());
                let body = match resp.bytes().await {
                    Ok(b) => b,
                    Err(e) => {
                        return Err(transport(provider, &e, attempt, settings));
                    }
                };
                if status.is_success() {
                    return Ok(Reply { body });
                }
                let detail = error_detail(&body);
                let code = status.as_u16();
                if code == 429 || status.is_server_error() {
                    Failure {
                        error: LlmError::Provider {
                            provider: provider.to_string(),
                            code: if code == 429 {
                                ErrorCode::RateLimited
                            } else {
                                ErrorCode::ServerError
                            },
                            message: format!(
                                "LLM provider `{provider}` answered HTTP {code}{detail} \
                                 after {attempt} attempt{}",
                                plural(attempt)
                            ),
                            status: Some(code),
                            attempts: attempt,
                        },
                        retry_after,
                    }
                } else {
                    return Err(LlmError::Provider {
                        provider: provider.to_string(),
                        code: ErrorCode::Refused,
                        message: format!(
                            "LLM provider `{provider}` refused the request: HTTP {code}{detail}"
                        ),
                        status: Some(code),
                        attempts: attempt,
                    });
                }
            }
            Err(e) => Failure {
                error: transport(provider, &e, attempt, settings),
                retry_after: None,
            },
        };
        if attempt >= max_attempts {
            return Err(failure.error);
        }
        let wait = match failure.retry_after {
            Some(d) if d > MAX_RETRY_AFTER => return Err(failure.error),
            Some(d) => d,
            None => backoff(settings, attempt),
        };
        tracing::info!(provider, attempt, wait_ms = wait.as_millis() as u64,
            error = %failure.error, "llm request failed, retrying");
        tokio::time::sleep(wait).await;
    }
}

struct Failure {
    error: LlmError,
    retry_after: Option<Duration>,
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The wait before attempt `attempt + 1` when the provider did not say.
fn backoff(settings: &LlmSettings, attempt: u32) -> Duration {
    let factor = 2u64.saturating_pow(attempt.saturating_sub(1));
    Duration::from_millis(
        settings
            .backoff_ms
            .saturating_mul(factor)
            .min(settings.max_backoff_ms),
    )
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A connection failure or timeout, described without the URL.
fn transport(provider: &str, e: &reqwest::Error, attempt: u32, s: &LlmSettings) -> LlmError {
    let (code, what) = if e.is_timeout() {
        (
            ErrorCode::Timeout,
            format!(
                "did not answer within {} s (llm.timeout_secs)",
                s.timeout_secs
            ),
        )
    } else if e.is_connect() {
        (
            ErrorCode::Unreachable,
            format!("could not be reached ({})", root_cause(e)),
        )
    } else {
        (ErrorCode::Unreachable, format!("failed: {}", root_cause(e)))
    };
    LlmError::Provider {
        provider: provider.to_string(),
        code,
        message: format!(
            "LLM provider `{provider}` {what} after {attempt} attempt{}",
            plural(attempt)
        ),
        status: None,
        attempts: attempt,
    }
}

/// The innermost cause of a reqwest error (reqwest's own text names the
/// URL, which must not reach the guest).
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    let mut depth = 0;
    while let Some(next) = cause.source() {
        cause = next;
        depth += 1;
    }
    if depth > 0 {
        return cause.to_string();
    }
    // No source: reqwest's own text, with the URL cut off.
    let mut text = e.to_string();
    if let Some(i) = text.find(" for url (") {
        text.truncate(i);
    }
    text
}

/// `: <provider's message>` from an error body, if it has one.
fn error_detail(body: &[u8]) -> String {
    let v: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            return if text.is_empty() {
                String::new()
            } else {
                format!(": {}", truncate(text, 300))
            };
        }
    };
    let msg = v["error"]["message"]
        .as_str()
        .or(v["error"].as_str())
        .or(v["message"].as_str());
    match msg {
        Some(m) => format!(": {}", truncate(m, 300)),
        None => String::new(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = std::time::SystemTime::now() + Duration::from_secs(20);
        h.insert(
            reqwest::header::RETRY_AFTER,
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let d = retry_after(&h).unwrap();
        assert!(
            d <= Duration::from_secs(20) && d >= Duration::from_secs(18),
            "{d:?}"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = LlmSettings {
            backoff_ms: 100,
            max_backoff_ms: 300,
            ..LlmSettings::default()
        };
        assert_eq!(backoff(&s, 1), Duration::from_millis(100));
        assert_eq!(backoff(&s, 2), Duration::from_millis(200));
        assert_eq!(backoff(&s, 3), Duration::from_millis(300));
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(
            error_detail(br#"{"error": {"message": "model not found"}}"#),
            ": model not found"
        );
        assert_eq!(error_detail(b""), "");
        assert_eq!(error_detail(b"busy"), ": busy");
    }
}
