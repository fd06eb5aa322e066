//! [`HttpError`]: why a request did not produce a usable response, with
//! the `wasi:http` error code and its message when the host gave one.

use std::fmt;

use wasip2::http::types::{ErrorCode, FieldSizePayload};

use super::wire::Failure;
use crate::{StepError, WorkflowError};

/// Why an HTTP request failed.
///
/// Its `Display` includes the host's message, e.g. `HTTP request to
/// http://127.0.0.1:9/ failed: internal-error: outbound HTTP is only
/// allowed inside a step`.
///
/// `?` in a step turns it into a [`StepError`] with code `"http"`:
/// retryable for transport failures (connection refused or reset,
/// timeouts, DNS, other internal errors, ...) and for statuses 408, 429
/// and 5xx; fatal for requests that cannot succeed as written (bad URL or
/// header, other 4xx, a body that does not decode, a request the host
/// denies as `http-request-denied`) and for the host's policy refusals: an
/// `internal-error` saying the host is not allow-listed (`... is not
/// allowed ...`) or that HTTP is only allowed inside a step. Retrying those
/// cannot help until the workflow is redeployed or changed.
///
/// ```no_run
/// # fn f() -> Result<(), cairn_sdk::StepError> {
/// match cairn_sdk::http::get("https://example.com/") {
///     Ok(resp) => cairn_sdk::log::info(resp.status()),
///     Err(e) if e.status() == Some(404) => {}
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    kind: Kind,
    url: String,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The request could not be built.
    Request,
    /// `wasi:http` (the host or the network) failed the request.
    Transport { retryable: bool },
    /// The server answered with an error status.
    Status(u16),
    /// The body could not be read or decoded.
    Body,
}

impl HttpError {
    pub(crate) fn request(url: &str, message: impl Into<String>) -> Self {
        Self::new(Kind::Request, url, message)
    }

    pub(crate) fn failure(url: &str, failure: Failure) -> Self {
        match failure {
            Failure::Request(message) => Self::request(url, message),
            Failure::Code(code) => {
                let (message, retryable) = describe(&code);
                Self::new(Kind::Transport { retryable }, url, message)
            }
            Failure::Timeout(limit) => Self::new(
                Kind::Transport { retryable: true },
                url,
                format!("timed out after {limit:?}"),
            ),
            Failure::Other(message) => Self::new(Kind::Transport { retryable: true }, url, message),
        }
    }

    pub(crate) fn status_error(url: &str, status: u16, body: &str) -> Self {
        let mut message = format!("status {status}");
        let body = body.trim();
        if !body.is_empty() {
            let cut: String = body.chars().take(200).collect();
            message = format!("{message}: {cut}");
        }
        Self::new(Kind::Status(status), url, message)
    }

    pub(crate) fn body(url: &str, message: impl Into<String>) -> Self {
        Self::new(Kind::Body, url, message)
    }

    fn new(kind: Kind, url: &str, message: impl Into<String>) -> Self {
        HttpError {
            kind,
            url: url.to_owned(),
            message: message.into(),
        }
    }

    /// The HTTP status, for an error made by
    /// [`Response::error_for_status`](super::Response::error_for_status).
    ///
    /// ```no_run
    /// # fn f(e: cairn_sdk::http::HttpError) {
    /// let not_found = e.status() == Some(404);
    /// # }
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            Kind::Status(s) => Some(s),
            _ => None,
        }
    }

    /// Whether trying again may help (see the type's documentation).
    ///
    /// ```no_run
    /// # fn f(e: cairn_sdk::http::HttpError) {
    /// if !e.is_retryable() { /* give up */ }
    /// # }
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            Kind::Request | Kind::Body => false,
            Kind::Transport { retryable } => retryable,
            Kind::Status(s) => s == 408 || s == 429 || s >= 500,
        }
    }

    /// The URL of the request.
    ///
    /// ```no_run
    /// # fn f(e: cairn_sdk::http::HttpError) {
    /// cairn_sdk::log::warn(format_args!("calling {} failed", e.url()));
    /// # }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP request to {} failed: {}", self.url, self.message)
    }
}

/// A failed request fails the step with code `"http"`, retryable as
/// [`HttpError::is_retryable`] says.
impl From<HttpError> for StepError {
    fn from(e: HttpError) -> Self {
        let base = if e.is_retryable() {
            StepError::retryable(e.to_string())
        } else {
            StepError::fatal(e.to_string())
        };
        base.with_code("http")
    }
}

/// A failed request (in a body, where HTTP is refused) fails the workflow
/// with code `"http"`.
impl From<HttpError> for WorkflowError {
    fn from(e: HttpError) -> Self {
        WorkflowError::new(e.to_string()).with_code("http")
    }
}

/// Whether an `internal-error` message is one of the host's policy
/// refusals (a host not allow-listed, or HTTP outside a step), which no
/// retry can get past.
fn is_policy_refusal(message: &str) -> bool {
    message.contains("is not allowed") || message.contains("only allowed inside a step")
}

/// A `wasi:http` error code spelled as in WIT (`internal-error: <message>`),
/// and whether retrying may help.
fn describe(code: &ErrorCode) -> (String, bool) {
    use ErrorCode as E;
    fn opt<T: fmt::Display>(name: &str, value: &Option<T>) -> String {
        match value {
            Some(v) => format!("{name}: {v}"),
            None => name.to_owned(),
        }
    }
    fn field(name: &str, p: &FieldSizePayload) -> String {
        match (&p.field_name, p.field_size) {
            (Some(n), Some(s)) => format!("{name}: {n} ({s} bytes)"),
            (Some(n), None) => format!("{name}: {n}"),
            (None, Some(s)) => format!("{name}: {s} bytes"),
            (None, None) => name.to_owned(),
        }
    }
    match code {
        E::InternalError(Some(m)) => (format!("internal-error: {m}"), !is_policy_refusal(m)),
        E::InternalError(None) => ("internal-error".to_owned(), true),
        // The request cannot succeed as written, or the host will not send it.
        E::HttpRequestDenied => ("http-request-denied".to_owned(), false),
        E::HttpRequestUriInvalid => ("http-request-uri-invalid".to_owned(), false),
        E::HttpRequestUriTooLong => ("http-request-uri-too-long".to_owned(), false),
        E::HttpRequestMethodInvalid => ("http-request-method-invalid".to_owned(), false),
        E::HttpRequestBodySize(n) => (opt("http-request-body-size", n), false),
        E::HttpRequestHeaderSectionSize(n) => (opt("http-request-header-section-size", n), false),
        E::HttpRequestHeaderSize(p) => (
            p.as_ref()
                .map_or("http-request-header-size".to_owned(), |p| {
                    field("http-request-header-size", p)
                }),
            false,
        ),
        E::DestinationIpProhibited => ("destination-ip-prohibited".to_owned(), false),
        E::ConfigurationError => ("configuration-error".to_owned(), false),
        // Transport failures: another attempt may get through.
        E::ConnectionRefused => ("connection-refused".to_owned(), true),
        E::ConnectionTerminated => ("connection-terminated".to_owned(), true),
        E::ConnectionTimeout => ("connection-timeout".to_owned(), true),
        E::ConnectionReadTimeout => ("connection-read-timeout".to_owned(), true),
        E::ConnectionWriteTimeout => ("connection-write-timeout".to_owned(), true),
        E::ConnectionLimitReached => ("connection-limit-reached".to_owned(), true),
        E::HttpResponseTimeout => ("http-response-timeout".to_owned(), true),
        E::HttpResponseIncomplete => ("http-response-incomplete".to_owned(), true),
        E::HttpProtocolError => ("http-protocol-error".to_owned(), true),
        E::DestinationNotFound => ("destination-not-found".to_owned(), true),
        E::DestinationUnavailable => ("destination-unavailable".to_owned(), true),
        E::DestinationIpUnroutable => ("destination-ip-unroutable".to_owned(), true),
        E::DnsTimeout => ("dns-timeout".to_owned(), true),
        E::DnsError(p) => (
            format!(
                "dns-error: {}",
                p.rcode.as_deref().unwrap_or("no response code")
            ),
            true,
        ),
        E::TlsProtocolError => ("tls-protocol-error".to_owned(), true),
        E::TlsCertificateError => ("tls-certificate-error".to_owned(), true),
        E::TlsAlertReceived(p) => (opt("tls-alert-received", &p.alert_message), true),
        // The rest are rare; the bindings' Debug names the variant and its
        // payload.
        other => (format!("{other:?}"), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const URL: &str = "http://127.0.0.1:9/";

    fn code(code: ErrorCode) -> HttpError {
        HttpError::failure(URL, Failure::Code(code))
    }

    fn internal(message: &str) -> HttpError {
        code(ErrorCode::InternalError(Some(message.to_owned())))
    }

    #[test]
    fn policy_refusals_are_fatal_and_keep_the_host_message() {
        let body = "outbound HTTP is only allowed inside a step (cairn runs the workflow \
                    body without network access so it can be replayed; move the call into a #[step])";
        let e = internal(body);
        assert!(!e.is_retryable());
        assert_eq!(
            e.to_string(),
            format!("HTTP request to {URL} failed: internal-error: {body}")
        );

        let host = "outbound HTTP to 127.0.0.1:9 is not allowed: this workflow's steps may call \
                    no host (add it with `cairn deploy --allow-http 127.0.0.1`)";
        let e = internal(host);
        assert!(!e.is_retryable());
        assert!(e.to_string().contains(host));
        let step = StepError::from(e);
        assert!(!step.retryable);
        assert!(step.message.contains("--allow-http"));
    }

    #[test]
    fn transport_failures_are_retryable() {
        assert!(internal("connection reset by peer").is_retryable());
        assert!(code(ErrorCode::InternalError(None)).is_retryable());
        assert!(code(ErrorCode::ConnectionRefused).is_retryable());
        assert!(code(ErrorCode::HttpResponseTimeout).is_retryable());
        let timeout = HttpError::failure(URL, Failure::Timeout(Duration::from_secs(5)));
        assert!(timeout.is_retryable());
        assert!(timeout.to_string().ends_with("timed out after 5s"));
        assert!(HttpError::failure(URL, Failure::Other("stream closed".into())).is_retryable());
        assert!(StepError::from(code(ErrorCode::ConnectionRefused)).retryable);
    }

    #[test]
    fn requests_that_cannot_succeed_are_fatal() {
        assert!(!code(ErrorCode::HttpRequestDenied).is_retryable());
        assert!(!code(ErrorCode::HttpRequestUriInvalid).is_retryable());
        assert!(!code(ErrorCode::HttpRequestBodySize(Some(3))).is_retryable());
        assert!(!HttpError::failure(URL, Failure::Request("bad header".into())).is_retryable());
    }

    #[test]
    fn statuses() {
        for (status, retryable) in [
            (404, false),
            (400, false),
            (408, true),
            (429, true),
            (503, true),
        ] {
            let e = HttpError::status_error(URL, status, "");
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.is_retryable(), retryable, "{status}");
        }
    }
}
