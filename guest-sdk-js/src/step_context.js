// The current step attempt, set by `run-step` while a step runs.

let current = null;

/** The current step attempt: `runId`, `workflow`, `step`, `occurrence`, `attempt`, `idempotencyKey`; `null` outside a step. */
export function stepContext() {
  return current;
}

export function setStepContext(ctx) {
  current = ctx;
}
