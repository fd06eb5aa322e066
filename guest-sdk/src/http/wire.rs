//! One request/response exchange over `wasi:http`, written against the
//! `wasip2` bindings and run to completion on wstd's runtime.
//!
//! Why not `wstd::http::Client`: it writes the request body and awaits the
//! response as a `try_zip`, so when the host drops the outgoing body first
//! (it refused the request, the connection failed, or the server answered
//! and closed the connection) the body's `StreamError::Closed` surfaces as
//! a bare "connection reset" that can win the race against the response's
//! own result and hide the host's message. Here a closed body stream is
//! never an error by itself: the request is over one way or the other, and
//! the response (or its `error-code`) says which. A stream that closes
//! after the whole body was written is simply done, as it should be.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, HeaderError, IncomingBody, Method, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::{InputStream, StreamError};
use wstd::future::FutureExt as _;
use wstd::runtime::AsyncPollable;

/// What to send.
pub(crate) struct Outgoing<'a> {
    pub method: Method,
    pub https: bool,
    pub authority: &'a str,
    pub path_with_query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    /// Bounds the connection, the wait for the first byte and each wait
    /// between bytes (`wasi:http` request options).
    pub timeout: Option<Duration>,
    /// Also bounds the whole exchange with a guest-side timer. Only
    /// possible where the guest may use the monotonic clock: in a step, not
    /// in a workflow body (whose timers trap).
    pub whole_deadline: bool,
}

/// What came back.
pub(crate) struct Incoming {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why there is no response.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The request could not be built as written.
    Request(String),
    /// `wasi:http` failed the request with an error code.
    Code(ErrorCode),
    /// The whole exchange took longer than the timeout.
    Timeout(Duration),
    /// Something else went wrong on the way (a stream error without a
    /// `wasi:http` code).
    Other(String),
}

/// Sends `req` and reads the whole response, blocking until done.
pub(crate) fn exchange(req: Outgoing<'_>) -> Result<Incoming, Failure> {
    let request = build(&req)?;
    let options = req.timeout.map(options);
    let body = req.body;
    let deadline = req.timeout.filter(|_| req.whole_deadline);
    // Note for a workflow body, where every WASI timer traps: wstd's
    // `block_on` creates one (a zero-length `subscribe-duration`) only when
    // a task wakes itself while running, and nothing here does; pollables
    // are only waited on through the reactor.
    wstd::runtime::block_on(async move {
        // Take the body before `handle` consumes the request; a request
        // without one is sent with an empty body (no `Transfer-Encoding`).
        let outgoing_body = if body.is_empty() {
            None
        } else {
            Some(
                request
                    .body()
                    .map_err(|()| Failure::Other("the request body was taken twice".into()))?,
            )
        };
        let pending = outgoing_handler::handle(request, options).map_err(Failure::Code)?;
        let both = send_and_receive(write_body(outgoing_body, body), receive(pending));
        match deadline {
            None => both.await,
            Some(limit) => match both.timeout(wstd::time::Duration::from(limit)).await {
                Ok(result) => result,
                // Dropping the exchange drops its wasi:http resources, which
                // cancels the request in the host.
                Err(_) => Err(Failure::Timeout(limit)),
            },
        }
    })
}

/// The `outgoing-request`, with its method, target and headers.
fn build(req: &Outgoing<'_>) -> Result<OutgoingRequest, Failure> {
    let fields = Fields::new();
    for (name, value) in req.headers {
        fields.append(name, value.as_bytes()).map_err(|e| {
            let why = match e {
                HeaderError::InvalidSyntax => "is not a valid header",
                HeaderError::Forbidden => "may not be set by a guest (wasi:http forbids it)",
                HeaderError::Immutable => "cannot be set",
            };
            Failure::Request(format!("header `{name}: {value}` {why}"))
        })?;
    }
    let request = OutgoingRequest::new(fields);
    request
        .set_method(&req.method)
        .map_err(|()| Failure::Request(format!("method {:?} is not accepted", req.method)))?;
    let scheme = if req.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| Failure::Request("the scheme is not accepted".into()))?;
    request
        .set_authority(Some(req.authority))
        .map_err(|()| Failure::Request(format!("the host `{}` is not accepted", req.authority)))?;
    request
        .set_path_with_query(Some(req.path_with_query))
        .map_err(|()| {
            Failure::Request(format!(
                "the path `{}` is not accepted",
                req.path_with_query
            ))
        })?;
    Ok(request)
}

/// `wasi:http` request options with every timeout set to `timeout`. A host
/// that does not support one of them ignores it.
fn options(timeout: Duration) -> RequestOptions {
    let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));
    options
}

/// Writes the body while the response is awaited, and returns the
/// response's result. A body that fails outright (see [`write_body`]) fails
/// the exchange unless the response is already there.
async fn send_and_receive(
    send: impl Future<Output = Result<(), Failure>>,
    receive: impl Future<Output = Result<Incoming, Failure>>,
) -> Result<Incoming, Failure> {
    let mut send = pin!(send);
    let mut receive = pin!(receive);
    let mut sending = true;
    let mut body_failure = None;
    poll_fn(|cx| {
        if sending && let Poll::Ready(outcome) = send.as_mut().poll(cx) {
            sending = false;
            body_failure = outcome.err();
        }
        if let Poll::Ready(result) = receive.as_mut().poll(cx) {
            // Whatever became of the body, the response has the last word.
            return Poll::Ready(result);
        }
        match body_failure.take() {
            Some(failure) => Poll::Ready(Err(failure)),
            None => Poll::Pending,
        }
    })
    .await
}

/// Writes `bytes` to the request's body and finishes it.
///
/// `Ok` also when the host closes the body stream before all of it was
/// written: the request is over then (refused, failed, or answered early)
/// and the response says how. `Err` only when the body itself is wrong
/// (e.g. longer or shorter than its `Content-Length`).
async fn write_body(body: Option<OutgoingBody>, bytes: &[u8]) -> Result<(), Failure> {
    let Some(body) = body else {
        return Ok(());
    };
    // Declared after `body` so it is dropped first (a child resource).
    let stream = body
        .write()
        .map_err(|()| Failure::Other("the request body stream was taken twice".into()))?;
    {
        let ready = AsyncPollable::new(stream.subscribe());
        let mut rest = bytes;
        while !rest.is_empty() {
            let permit = match stream.check_write() {
                Ok(0) => {
                    ready.wait_for().await;
                    continue;
                }
                Ok(n) => usize::try_from(n).unwrap_or(usize::MAX).min(rest.len()),
                Err(StreamError::Closed) => return Ok(()),
                Err(StreamError::LastOperationFailed(e)) => return Err(stream_failure(e)),
            };
            match stream.write(&rest[..permit]) {
                Ok(()) => rest = &rest[permit..],
                Err(StreamError::Closed) => return Ok(()),
                Err(StreamError::LastOperationFailed(e)) => return Err(stream_failure(e)),
            }
        }
        // All written. No flush and no further `check-write`: the host may
        // close the stream at any moment now (the server can answer and
        // close the connection as soon as it has the body), and that is not
        // a failure.
    }
    drop(stream);
    OutgoingBody::finish(body, None).map_err(Failure::Code)
}

/// Awaits the response and reads its body in full.
async fn receive(pending: FutureIncomingResponse) -> Result<Incoming, Failure> {
    let response = {
        let ready = AsyncPollable::new(pending.subscribe());
        loop {
            match pending.get() {
                Some(Ok(result)) => break result.map_err(Failure::Code)?,
                Some(Err(())) => return Err(Failure::Other("the response was taken twice".into())),
                None => ready.wait_for().await,
            }
        }
    };
    let status = response.status();
    let headers = {
        let fields = response.headers();
        fields
            .entries()
            .into_iter()
            .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
            .collect()
    };
    let body = response
        .consume()
        .map_err(|()| Failure::Other("the response body was taken twice".into()))?;
    let bytes = read_body(&body).await?;
    // Trailers are not read; dropping their future is allowed.
    drop(IncomingBody::finish(body));
    Ok(Incoming {
        status,
        headers,
        body: bytes,
    })
}

/// Reads an incoming body's stream to its end.
async fn read_body(body: &IncomingBody) -> Result<Vec<u8>, Failure> {
    let stream: InputStream = body
        .stream()
        .map_err(|()| Failure::Other("the response body stream was taken twice".into()))?;
    let ready = AsyncPollable::new(stream.subscribe());
    let mut bytes = Vec::new();
    loop {
        match stream.read(64 * 1024) {
            Ok(chunk) if chunk.is_empty() => ready.wait_for().await,
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => return Err(stream_failure(e)),
        }
    }
    // The pollable is a child of the stream: drop it first.
    drop(ready);
    drop(stream);
    Ok(bytes)
}

/// A stream error, as the `wasi:http` error code it carries if any.
fn stream_failure(error: wasip2::io::error::Error) -> Failure {
    match wasip2::http::types::http_error_code(&error) {
        Some(code) => Failure::Code(code),
        None => Failure::Other(error.to_debug_string()),
    }
}
