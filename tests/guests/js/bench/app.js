// The JavaScript twin of tests/guests/bench (the `js` bench group):
// `chain`, input `{"steps": N}`, runs N sequential no-op steps.

import { step, workflow } from "cairn-sdk";

export const noop = step("noop", (i) => i + 1);

export const chain = workflow("chain", (ctx, input) => {
  let last = 0;
  for (let i = 0; i < input.steps; i++) last = ctx.step(noop, i);
  return { steps: input.steps, last };
});
