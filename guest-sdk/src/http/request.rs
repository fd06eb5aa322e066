//! [`Request`]: a builder for one HTTP request, sent with
//! [`Request::send`].

use std::time::Duration;

use serde::Serialize;
use wasip2::http::types::Method as WasiMethod;

use super::wire::{self, Outgoing};
use super::{HttpError, Response};

/// An HTTP method.
///
/// ```no_run
/// use cairn_sdk::http::{Method, Request};
/// let req = Request::new(Method::Put, "https://example.com/items/1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
}

impl Method {
    fn to_wasi(self) -> WasiMethod {
        match self {
            Method::Get => WasiMethod::Get,
            Method::Post => WasiMethod::Post,
            Method::Put => WasiMethod::Put,
            Method::Patch => WasiMethod::Patch,
            Method::Delete => WasiMethod::Delete,
            Method::Head => WasiMethod::Head,
        }
    }
}

/// One HTTP request, built up and then [sent](Self::send).
///
/// ```no_run
/// # fn f() -> Result<(), cairn_sdk::http::HttpError> {
/// use std::time::Duration;
/// use cairn_sdk::http::Request;
///
/// let resp = Request::post("https://api.example/v1/orders")
///     .header("Authorization", "Bearer token")
///     .json(&cairn_sdk::serde_json::json!({ "id": "A-1" }))
///     .timeout(Duration::from_secs(5))
///     .send()?
///     .error_for_status()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Option<Duration>,
    /// A building error, reported by `send`.
    error: Option<String>,
}

impl Request {
    /// A request with `method` to `url`.
    ///
    /// ```no_run
    /// use cairn_sdk::http::{Method, Request};
    /// let req = Request::new(Method::Delete, "https://example.com/items/1");
    /// ```
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: None,
            error: None,
        }
    }

    /// A `GET` request.
    ///
    /// ```no_run
    /// let req = cairn_sdk::http::Request::get("https://example.com/");
    /// ```
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A `POST` request.
    ///
    /// ```no_run
    /// let req = cairn_sdk::http::Request::post("https://example.com/").body("hello");
    /// ```
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// Adds a header (a later one with the same name is sent too).
    ///
    /// ```no_run
    /// let req = cairn_sdk::http::Request::get("https://example.com/").header("Accept", "text/plain");
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    ///
    /// ```no_run
    /// let req = cairn_sdk::http::Request::post("https://example.com/").body(vec![1, 2, 3]);
    /// ```
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the body to `value` as JSON, and `Content-Type:
    /// application/json`.
    ///
    /// ```no_run
    /// let req = cairn_sdk::http::Request::post("https://example.com/").json(&[1, 2, 3]);
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => {
                self.body = body;
                self.header("Content-Type", "application/json")
            }
            Err(e) => {
                self.error = Some(format!("the JSON body does not serialize: {e}"));
                self
            }
        }
    }

    /// Bounds the whole request: connecting, sending, waiting for the
    /// response and reading its body. Past it the request fails with a
    /// retryable [`HttpError`] (`timed out after ...`) and is cancelled.
    ///
    /// It is also given to the host as `wasi:http`'s connect, first-byte and
    /// between-bytes timeouts. Outside a step (where the host refuses HTTP
    /// anyway) only those apply, since a workflow body may not set timers.
    /// The step's own `timeout` still bounds the whole attempt.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let req = cairn_sdk::http::Request::get("https://example.com/").timeout(Duration::from_secs(3));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request and reads the whole response.
    ///
    /// A response with an error status is still `Ok`; see
    /// [`Response::error_for_status`]. Inside a step, an `Idempotency-Key`
    /// header with the step's key is added unless one is set.
    ///
    /// ```no_run
    /// # fn f() -> Result<(), cairn_sdk::http::HttpError> {
    /// let status = cairn_sdk::http::Request::get("https://example.com/").send()?.status();
    /// # Ok(()) }
    /// ```
    pub fn send(mut self) -> Result<Response, HttpError> {
        if let Some(message) = self.error.take() {
            return Err(HttpError::request(&self.url, message));
        }
        let step = crate::step_context();
        let in_step = step.is_some();
        if let Some(cx) = step {
            let has_key = self
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("idempotency-key"));
            if !has_key {
                self.headers
                    .push(("Idempotency-Key".to_owned(), cx.idempotency_key));
            }
        }
        // Without a length wasi:http sends the body chunked, which some
        // servers (and simple test servers) do not read.
        let has_length = self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
        if !self.body.is_empty() && !has_length {
            self.headers
                .push(("Content-Length".to_owned(), self.body.len().to_string()));
        }
        let target = Target::parse(&self.url).map_err(|m| HttpError::request(&self.url, m))?;
        let url = target.url();
        let incoming = wire::exchange(Outgoing {
            method: self.method.to_wasi(),
            https: target.https,
            authority: &target.authority,
            path_with_query: &target.path_with_query,
            headers: &self.headers,
            body: &self.body,
            timeout: self.timeout,
            whole_deadline: in_step,
        })
        .map_err(|f| HttpError::failure(&url, f))?;
        Ok(Response::new(
            &url,
            incoming.status,
            incoming.headers,
            incoming.body,
        ))
    }
}

/// Where a request goes, from an absolute http(s) URL.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    https: bool,
    authority: String,
    /// Starts with `/` (`wasi:http` wants a path); no fragment.
    path_with_query: String,
}

impl Target {
    /// Splits `url`, giving it the path `/` if it has none and dropping a
    /// `#fragment` (never sent).
    fn parse(url: &str) -> Result<Target, String> {
        let (https, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else {
            return Err("the URL must start with http:// or https://".to_owned());
        };
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if authority_end == 0 {
            return Err("the URL has no host".to_owned());
        }
        let (authority, path) = rest.split_at(authority_end);
        let path_with_query = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Ok(Target {
            https,
            authority: authority.to_owned(),
            path_with_query,
        })
    }

    /// The URL as sent, for messages.
    fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.path_with_query)
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    fn url(u: &str) -> String {
        Target::parse(u).unwrap().url()
    }

    #[test]
    fn urls_get_a_path() {
        assert_eq!(url("http://a:9"), "http://a:9/");
        assert_eq!(url("https://a/x?y"), "https://a/x?y");
        assert_eq!(url("http://a?q=1"), "http://a/?q=1");
        assert_eq!(url("http://a/x#frag"), "http://a/x");
        assert!(Target::parse("ftp://a/").is_err());
        assert!(Target::parse("http:///x").is_err());
    }

    #[test]
    fn urls_split() {
        let t = Target::parse("https://api.example:8443/v1/items?id=3").unwrap();
        assert!(t.https);
        assert_eq!(t.authority, "api.example:8443");
        assert_eq!(t.path_with_query, "/v1/items?id=3");
    }
}
