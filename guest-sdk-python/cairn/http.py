"""A small blocking HTTP client for steps, over ``wasi:http``.

``cairn.http.get(url)`` and ``cairn.http.post_json(url, data)`` return a
:class:`Response`. Inside a step the request goes to the hosts the
workflow is allowed (``cairn deploy --allow-http HOST``) and carries the
step's idempotency key as an ``Idempotency-Key`` header; from the body the
host refuses it ("outbound HTTP is only allowed inside a step").

Errors are :class:`cairn.StepError`, so a step that lets them through is
retried when that can help: connection failures, timeouts, 408, 429 and
5xx (from :meth:`Response.raise_for_status`) are retryable; a host that
is not allowed and other 4xx are not.
"""

from __future__ import annotations

import json as _json
from typing import Any, Optional
from urllib.parse import urlsplit

from ._wit import IN_COMPONENT, Err
from .errors import StepError

# Imported here, at module level: a component has no filesystem at run
# time, so only modules imported while it was built (pre-initialised)
# exist in it.
if IN_COMPONENT:
    from wit_world.imports import http_types as t
    from wit_world.imports import outgoing_handler

_CHUNK = 4096


class Response:
    def __init__(self, status: int, headers: list, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> Optional[str]:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return _json.loads(self.body)

    def raise_for_status(self) -> "Response":
        """Raises a :class:`StepError` for a status that is not 2xx or 3xx."""
        if self.status < 400:
            return self
        retry = self.status in (408, 429) or self.status >= 500
        raise StepError(
            f"the server answered {self.status}: {self.text()[:200]}",
            code=f"http-{self.status}",
            retryable=retry,
        )


def get(url: str, headers: Optional[dict] = None, timeout: Optional[float] = 30.0) -> Response:
    return request("GET", url, headers=headers, timeout=timeout)


def post_json(url: str, data: Any, headers: Optional[dict] = None, timeout: Optional[float] = 30.0) -> Response:
    h = {"content-type": "application/json"}
    h.update(headers or {})
    return request("POST", url, headers=h, body=_json.dumps(data).encode(), timeout=timeout)


def request(
    method: str,
    url: str,
    *,
    headers: Optional[dict] = None,
    body: Optional[bytes] = None,
    timeout: Optional[float] = 30.0,
) -> Response:
    """Sends one request and reads the whole response."""
    if not IN_COMPONENT:
        raise RuntimeError("cairn.http works inside a cairn component only")
    from ._guest import step_context

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StepError.fatal(f"`{url}` is not an http(s) URL", code="bad-url")
    fields = [(k.lower(), str(v).encode()) for k, v in (headers or {}).items()]
    cx = step_context()
    if cx is not None and not any(k == "idempotency-key" for k, _ in fields):
        fields.append(("idempotency-key", cx.idempotency_key.encode()))
    if body and not any(k == "content-length" for k, _ in fields):
        # A known length, not chunked: many servers (and the test suite's)
        # read a body by its Content-Length only.
        fields.append(("content-length", str(len(body)).encode()))
    req = t.OutgoingRequest(t.Fields.from_list(fields))
    req.set_method(_method(method))
    req.set_scheme(t.Scheme_Https() if parts.scheme == "https" else t.Scheme_Http())
    req.set_authority(parts.netloc)
    req.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    out_body = req.body()
    options = None
    if timeout is not None:
        options = t.RequestOptions()
        ns = int(timeout * 1e9)
        options.set_connect_timeout(ns)
        options.set_first_byte_timeout(ns)
        options.set_between_bytes_timeout(ns)
    try:
        future = outgoing_handler.handle(req, options)
    except Err as e:
        raise _error(url, e.value) from None
    if body:
        stream = out_body.write()
        for i in range(0, len(body), _CHUNK):
            stream.blocking_write_and_flush(body[i : i + _CHUNK])
        stream.__exit__(None, None, None)
    t.OutgoingBody.finish(out_body, None)
    pollable = future.subscribe()
    pollable.block()
    got = future.get()
    if got is None:
        raise StepError(f"no response from {url}", code="http-error")
    inner = got.value  # Ok(Ok(resp)) | Ok(Err(code)) | Err(())
    if isinstance(got, Err) or not hasattr(inner, "value"):
        raise StepError(f"the response from {url} was already taken", code="http-error")
    if isinstance(inner, Err):
        raise _error(url, inner.value)
    resp = inner.value
    status = resp.status()
    hdrs = [(k, v.decode("utf-8", "replace")) for k, v in resp.headers().entries()]
    data = _read(resp.consume())
    return Response(status, hdrs, data)


def _read(incoming) -> bytes:
    stream = incoming.stream()
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(65536))
        except Err:
            break  # closed: the body is complete
    return b"".join(chunks)


def _method(m: str):
    name = m.upper()
    known = {
        "GET": t.Method_Get, "HEAD": t.Method_Head, "POST": t.Method_Post, "PUT": t.Method_Put,
        "DELETE": t.Method_Delete, "OPTIONS": t.Method_Options, "PATCH": t.Method_Patch,
    }
    return known[name]() if name in known else t.Method_Other(name)


def _error(url: str, code) -> StepError:
    name = type(code).__name__.replace("ErrorCode_", "")
    detail = getattr(code, "value", None)
    msg = f"{url}: {name}" + (f" ({detail})" if detail not in (None, "") else "")
    if name == "HttpRequestDenied":
        return StepError.fatal(f"{msg}: the host is not allowed for this workflow (cairn deploy --allow-http)", code="http-denied")
    retry = name.startswith(("Dns", "Connection", "Destination")) or "Timeout" in name
    return StepError(msg, code="http-error", retryable=retry)
