// A small blocking HTTP client for steps, over the host's `context.http`
// (QuickJS cannot bind `wasi:http`'s resources at build time).
//
//   import { http } from "cairn-sdk";
//   const reply = http.postJson(url, { orderId });
//   reply.raiseForStatus();
//   return reply.json();
//
// Inside a step the request goes to the hosts the workflow is allowed
// (`cairn deploy --allow-http HOST`) and carries the step's idempotency key
// as an `Idempotency-Key` header; from the body the host refuses it
// ("outbound HTTP is only allowed inside a step"). Errors are StepErrors,
// so a step that lets them through is retried when that can help:
// connection failures, timeouts, 408, 429 and 5xx are retryable; a host
// that is not allowed and other 4xx are not.

import host from "cairn:workflow/context@0.1.2";

import { StepError } from "./errors.js";
import { stepContext } from "./step_context.js";
import { payload } from "./wire.js";
import { utf8Decode, utf8Encode } from "./utf8.js";

/** A whole response: `status`, `headers` (`[name, value]` pairs), `body` bytes. */
export class Response {
  constructor(status, headers, body) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  header(name) {
    const n = name.toLowerCase();
    const hit = this.headers.find(([k]) => k.toLowerCase() === n);
    return hit ? hit[1] : null;
  }

  text() {
    return utf8Decode(this.body);
  }

  json() {
    return JSON.parse(this.text());
  }

  /** Throws a StepError for a status that is not 2xx or 3xx. */
  raiseForStatus() {
    if (this.status < 400) return this;
    const retryable = this.status === 408 || this.status === 429 || this.status >= 500;
    throw new StepError(`the server answered ${this.status}: ${this.text().slice(0, 200)}`, {
      code: `http-${this.status}`,
      retryable,
    });
  }
}

function headerList(headers, body) {
  const list = Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]);
  const cx = stepContext();
  if (cx && !list.some(([k]) => k === "idempotency-key")) {
    list.push(["idempotency-key", cx.idempotencyKey]);
  }
  if (body.length > 0 && !list.some(([k]) => k === "content-length")) {
    // A known length, not chunked: many servers read a body by its length.
    list.push(["content-length", String(body.length)]);
  }
  return list;
}

function httpError(e) {
  const p = payload(e);
  if (!p || typeof p.tag !== "string") return e;
  if (p.tag === "denied") return StepError.fatal(p.val, { code: "http-denied" });
  if (p.tag === "bad-request") return StepError.fatal(p.val, { code: "bad-request" });
  return new StepError(p.val, { code: "http-error", retryable: true });
}

/**
 * Sends one request and reads the whole response, through the host's
 * `context.http` (a step only). `body`: a string or bytes; `timeout`:
 * milliseconds for the whole exchange (default 30 s).
 */
export function request(method, url, { headers = {}, body = null, timeout = null } = {}) {
  const bytes = body === null ? new Uint8Array(0) : typeof body === "string" ? utf8Encode(body) : body;
  let resp;
  try {
    resp = host.http({
      method: method.toUpperCase(),
      url,
      headers: headerList(headers, bytes),
      body: bytes,
      timeoutMs: timeout,
    });
  } catch (e) {
    throw httpError(e);
  }
  const data = resp.body instanceof Uint8Array ? resp.body : Uint8Array.from(resp.body);
  return new Response(resp.status, resp.headers, data);
}

export const http = {
  request,
  get(url, opts = {}) {
    return request("GET", url, opts);
  },
  postJson(url, data, opts = {}) {
    const headers = { "content-type": "application/json", ...(opts.headers ?? {}) };
    return request("POST", url, { ...opts, headers, body: JSON.stringify(data) });
  },
};
