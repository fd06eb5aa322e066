//! [`HttpError`]: why a request did not produce a usable response, with
//! the `wasi:http` error code and its message when the host gave one.

use std::fmt;

use crate::{StepError, WorkflowError};

/// Why an HTTP request failed.
///
/// Its `Display` includes the host's message, e.g. `HTTP request to
/// http://127.0.0.1:9/ failed: internal-error: outbound HTTP is only
/// allowed inside a step`.
///
/// `?` in a step turns it into a [`StepError`] with code `"http"`:
/// retryable for transport failures (connection refused, timeouts, DNS, ...)
/// and for statuses 408, 429 and 5xx; fatal for requests that cannot
/// succeed as written (bad URL or header, other 4xx, a body that does not
/// decode, or a request the host denies as `http-request-denied`).
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

    pub(crate) fn transport(url: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        let (message, retryable) = describe(error);
        Self::new(Kind::Transport { retryable }, url, message)
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

/// The text of a waki error, with a `wasi:http` error code spelled as in
/// WIT (`internal-error: <message>`), and whether retrying may help.
fn describe(error: &(dyn std::error::Error + 'static)) -> (String, bool) {
    use waki::ErrorCode as E;
    let Some(code) = error.downcast_ref::<E>() else {
        // waki's own failures (stream errors, a response taken twice).
        return (error.to_string(), true);
    };
    let (text, retryable) = match code {
        E::InternalError(Some(m)) => (format!("internal-error: {m}"), true),
        E::InternalError(None) => ("internal-error".to_owned(), true),
        E::HttpRequestDenied => ("http-request-denied".to_owned(), false),
        E::HttpRequestUriInvalid => ("http-request-uri-invalid".to_owned(), false),
        E::HttpRequestMethodInvalid => ("http-request-method-invalid".to_owned(), false),
        E::DestinationIpProhibited => ("destination-ip-prohibited".to_owned(), false),
        E::ConfigurationError => ("configuration-error".to_owned(), false),
        E::ConnectionRefused => ("connection-refused".to_owned(), true),
        E::ConnectionTimeout => ("connection-timeout".to_owned(), true),
        E::HttpResponseTimeout => ("http-response-timeout".to_owned(), true),
        E::DestinationNotFound => ("destination-not-found".to_owned(), true),
        E::DnsError(p) => (
            format!(
                "dns-error: {}",
                p.rcode.as_deref().unwrap_or("no response code")
            ),
            true,
        ),
        // The rest are rare; wit-bindgen's Debug names the variant and its
        // payload.
        other => (format!("{other:?}"), true),
    };
    (text, retryable)
}
