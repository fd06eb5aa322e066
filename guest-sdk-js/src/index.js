// cairn-sdk for JavaScript: write cairn durable workflows as ES modules.
//
//   import { workflow, step, StepError } from "cairn-sdk";
//
//   export const charge = step("charge", { maxAttempts: 5, timeout: "30s" }, (orderId, amount) => {
//     ...
//   });
//
//   export const order = workflow("order", (ctx, input) => {
//     const receipt = ctx.step(charge, input.orderId, input.total);
//     ctx.sleep("24h");
//     return { receipt };
//   });
//
// `cairn-build-js app.js -o app.wasm` builds the component (QuickJS,
// through componentize-qjs); `cairn deploy app.wasm` deploys it.

export { cron, event, step, webhook, workflow } from "./registry.js";
export { Ctx, Handle, Prompt, State } from "./ctx.js";
export { StepError, WaitError, WorkflowError } from "./errors.js";
export { SDK_VERSION } from "./guest.js";
export { stepContext } from "./step_context.js";
export { http, Response } from "./http.js";
