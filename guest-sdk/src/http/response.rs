//! [`Response`]: a status, headers and a body read in full.

use serde::de::DeserializeOwned;

use super::HttpError;

/// An HTTP response, read in full.
///
/// ```no_run
/// # fn f() -> Result<(), cairn_sdk::http::HttpError> {
/// let resp = cairn_sdk::http::get("https://example.com/api")?;
/// if resp.is_success() {
///     let v: cairn_sdk::serde_json::Value = resp.json()?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Response {
    url: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    pub(crate) fn new(
        url: &str,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        Response {
            url: url.to_owned(),
            status,
            headers,
            body,
        }
    }

    /// The status code.
    ///
    /// ```no_run
    /// # fn f(resp: cairn_sdk::http::Response) {
    /// let created = resp.status() == 201;
    /// # }
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    ///
    /// ```no_run
    /// # fn f(resp: cairn_sdk::http::Response) {
    /// assert!(resp.is_success());
    /// # }
    /// ```
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `Ok(self)` for a 2xx status, otherwise an [`HttpError`] holding the
    /// status and the start of the body (retryable for 408, 429 and 5xx).
    ///
    /// ```no_run
    /// # fn f() -> Result<(), cairn_sdk::http::HttpError> {
    /// let resp = cairn_sdk::http::get("https://example.com/")?.error_for_status()?;
    /// # Ok(()) }
    /// ```
    pub fn error_for_status(self) -> Result<Self, HttpError> {
        if self.is_success() {
            Ok(self)
        } else {
            let body = String::from_utf8_lossy(&self.body);
            Err(HttpError::status_error(&self.url, self.status, &body))
        }
    }

    /// The first header named `name` (case-insensitive).
    ///
    /// ```no_run
    /// # fn f(resp: cairn_sdk::http::Response) {
    /// let kind = resp.header("content-type").unwrap_or("");
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers, in order (names lower-case).
    ///
    /// ```no_run
    /// # fn f(resp: cairn_sdk::http::Response) {
    /// for (name, value) in resp.headers() { /* ... */ }
    /// # }
    /// ```
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body's bytes.
    ///
    /// ```no_run
    /// # fn f(resp: cairn_sdk::http::Response) {
    /// let size = resp.bytes().len();
    /// # }
    /// ```
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body as UTF-8 text.
    ///
    /// ```no_run
    /// # fn f(resp: cairn_sdk::http::Response) -> Result<(), cairn_sdk::http::HttpError> {
    /// let text = resp.text()?;
    /// # Ok(()) }
    /// ```
    pub fn text(&self) -> Result<String, HttpError> {
        String::from_utf8(self.body.clone())
            .map_err(|e| HttpError::body(&self.url, format!("the body is not UTF-8: {e}")))
    }

    /// The body, deserialized from JSON.
    ///
    /// ```no_run
    /// # fn f(resp: cairn_sdk::http::Response) -> Result<(), cairn_sdk::http::HttpError> {
    /// let v: cairn_sdk::serde_json::Value = resp.json()?;
    /// # Ok(()) }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            HttpError::body(&self.url, format!("the body is not the JSON expected: {e}"))
        })
    }
}
