// The errors a workflow author throws and catches. Both carry a
// machine-readable `code`, a `message` for people and optional JSON
// `details`: what the WIT `error-info` record holds.

/**
 * Why a step attempt failed, or (as the body sees it) why a step failed
 * for good.
 *
 * Throw it from a step: the host retries the attempt when `retryable` is
 * true (the default) and the step's policy allows; `StepError.fatal(..)`
 * is never retried. Anything else a step throws is a retryable failure
 * with code `"error"`. In the body, `ctx.step` throws the final failure
 * with `step` and `attempts` filled in; left uncaught it fails the run
 * with code `"step-failed"`.
 */
export class StepError extends Error {
  constructor(message, { code = "error", details = null, retryable = true } = {}) {
    super(message);
    this.name = "StepError";
    this.code = code;
    this.details = details;
    this.retryable = retryable;
    this.step = null;
    this.attempts = null;
  }

  /** A failure retrying cannot help. */
  static fatal(message, { code = "error", details = null } = {}) {
    return new StepError(message, { code, details, retryable: false });
  }
}

/**
 * Why a workflow failed: throw it from the body. Anything else the body
 * throws fails the run too, with code `"error"`.
 */
export class WorkflowError extends Error {
  constructor(message, { code = "error", details = null } = {}) {
    super(message);
    this.name = "WorkflowError";
    this.code = code;
    this.details = details;
  }
}

/** A wait (`waitForUser`, `waitForEvent`) timed out or was refused. */
export class WaitError extends WorkflowError {
  constructor(message, { code }) {
    super(message, { code });
    this.name = "WaitError";
  }
}
