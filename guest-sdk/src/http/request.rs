//! [`Request`]: a builder for one HTTP request, sent with
//! [`Request::send`].

use std::time::Duration;

use serde::Serialize;
use waki::header::{HeaderName, HeaderValue};

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
    fn to_waki(self) -> waki::Method {
        match self {
            Method::Get => waki::Method::Get,
            Method::Post => waki::Method::Post,
            Method::Put => waki::Method::Put,
            Method::Patch => waki::Method::Patch,
            Method::Delete => waki::Method::Delete,
            Method::Head => waki::Method::Head,
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

    /// Bounds the time to connect to the server. (The step's own `timeout`
    /// bounds the whole attempt.)
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
        if let Some(cx) = crate::step_context() {
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
        let url = normalize_url(&self.url).map_err(|m| HttpError::request(&self.url, m))?;
        let mut builder = waki::Client::new().request(self.method.to_waki(), &url);
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| HttpError::request(&url, format!("header name `{name}`: {e}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| HttpError::request(&url, format!("header `{name}`: {e}")))?;
            builder = builder.header(name, value);
        }
        if let Some(t) = self.timeout {
            builder = builder.connect_timeout(t);
        }
        if !self.body.is_empty() {
            builder = builder.body(self.body);
        }
        let response = builder
            .send()
            .map_err(|e| HttpError::transport(&url, &*e))?;
        Response::read(&url, response)
    }
}

/// Checks that `url` is an absolute http(s) URL and gives it a path (`/`)
/// if it has none, since `wasi:http` wants one.
fn normalize_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| "the URL must start with http:// or https://".to_owned())?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if authority_end == 0 {
        return Err("the URL has no host".to_owned());
    }
    let scheme_len = url.len() - rest.len();
    let split = scheme_len + authority_end;
    if url[split..].starts_with('/') {
        Ok(url.to_owned())
    } else {
        Ok(format!("{}/{}", &url[..split], &url[split..]))
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_url;

    #[test]
    fn urls_get_a_path() {
        assert_eq!(normalize_url("http://a:9").unwrap(), "http://a:9/");
        assert_eq!(normalize_url("https://a/x?y").unwrap(), "https://a/x?y");
        assert_eq!(normalize_url("http://a?q=1").unwrap(), "http://a/?q=1");
        assert!(normalize_url("ftp://a/").is_err());
        assert!(normalize_url("http:///x").is_err());
    }
}
