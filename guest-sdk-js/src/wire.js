// Values across the boundary: JSON text both ways, and the host's errors
// (componentize-qjs throws an import's `result` error as an Error whose
// `payload` is the WIT value) turned into the SDK's error types.

import { StepError, WaitError, WorkflowError } from "./errors.js";

/** One JSON text of `value`; `null` for `undefined`. */
export function dumps(value, what) {
  let text;
  try {
    text = JSON.stringify(value === undefined ? null : value);
  } catch (e) {
    throw StepError.fatal(`${what} is not JSON: ${e.message}`, { code: "bad-input" });
  }
  if (text === undefined) {
    throw StepError.fatal(`${what} is not JSON (a function or a symbol)`, { code: "bad-input" });
  }
  return text;
}

/** A step's arguments: none is `null`, one is itself, several an array. */
export function encodeArgs(step, args) {
  const value = args.length === 0 ? null : args.length === 1 ? args[0] : args;
  return dumps(value, `the input of step \`${step}\``);
}

/** The WIT payload of an error an import threw, or the error itself. */
export function payload(e) {
  return e && typeof e === "object" && "payload" in e ? e.payload : e;
}

function details(raw) {
  if (raw === null || raw === undefined) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** A `step-failure` as the body sees it: a StepError naming the step. */
export function stepFailure(step, e) {
  const f = payload(e);
  if (!f || typeof f !== "object" || !f.error) throw e;
  const err = new StepError(f.error.message, {
    code: f.error.code,
    details: details(f.error.details),
    retryable: false,
  });
  err.step = step;
  err.attempts = f.attempts;
  err.message = `step \`${step}\` failed after ${f.attempts} attempt${f.attempts === 1 ? "" : "s"}: ${f.error.code}: ${f.error.message}`;
  return err;
}

/** A `state-error` as a WorkflowError. */
export function stateError(e) {
  const p = payload(e);
  if (p?.tag === "no-session") {
    return new WorkflowError("session state needs a run started with a session (`cairn run --session ID`)", {
      code: "no-session",
    });
  }
  if (p?.tag === "reserved-key") {
    return new WorkflowError(`state keys starting with \`_\` are reserved for cairn: \`${p.val}\``, {
      code: "reserved-key",
    });
  }
  return e;
}

/** A `wait-error` as a WaitError (`timeout` or `bad-prompt`). */
export function waitError(e) {
  const p = payload(e);
  if (p?.tag === "timeout" || p?.tag === "bad-prompt") {
    return new WaitError(p.val, { code: p.tag });
  }
  return e;
}

/** An `error-info` record from any thrown value. */
export function errorInfo(e, fallbackCode = "error") {
  if (e instanceof StepError && e.step !== null) {
    return info("step-failed", e.message, { step: e.step, attempts: e.attempts, code: e.code, details: e.details });
  }
  if (e instanceof StepError || e instanceof WorkflowError) {
    return info(e.code, e.message, e.details);
  }
  if (e instanceof Error) {
    return info(fallbackCode, `${e.name}: ${e.message}`, e.stack ? { stack: String(e.stack) } : null);
  }
  return info(fallbackCode, `thrown: ${safeString(e)}`, null);
}

function info(code, message, d) {
  let text = null;
  if (d !== null && d !== undefined) {
    try {
      text = JSON.stringify(d) ?? null;
    } catch {
      text = JSON.stringify(String(d));
    }
  }
  return { code, message, details: text };
}

function safeString(v) {
  try {
    return typeof v === "string" ? v : JSON.stringify(v);
  } catch {
    return String(v);
  }
}
