// The component's exports: `describe`, `describe-ext`, `run` and
// `run-step`, dispatched through the registry `workflow()` and `step()`
// fill. `cairn-build-js` makes an entry module that imports the app and
// re-exports these.

import { inBody } from "./determinism.js";
import { Ctx } from "./ctx.js";
import { STEPS, WORKFLOWS } from "./registry.js";
import { errorInfo } from "./wire.js";
import { StepError } from "./errors.js";
import { setStepContext } from "./step_context.js";

export const SDK_VERSION = "cairn-sdk-js/0.1.0";


function byName(map) {
  return [...map.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function describe() {
  return {
    sdkVersion: SDK_VERSION,
    // A schedule rides in the manifest extension: WIT's trigger variant
    // has no case for it.
    workflows: byName(WORKFLOWS).map((w) => ({
      name: w.name,
      triggers: w.triggers.filter((t) => t.tag !== "cron"),
    })),
    steps: byName(STEPS).map((s) => ({ name: s.name, policy: s.policy })),
  };
}

export function describeExt() {
  const workflows = byName(WORKFLOWS).map((w) => {
    const doc = { name: w.name, session: w.session };
    if (w.inputSchema) doc.input_schema = w.inputSchema;
    const schedules = w.triggers.filter((t) => t.tag === "cron").map((t) => t.val);
    if (schedules.length > 0) doc.schedules = schedules;
    return doc;
  });
  return JSON.stringify({ version: 1, sdk: SDK_VERSION, workflows });
}

function failed(code, message) {
  return { tag: "failed", val: { code, message, details: null } };
}

export function run(workflow, input) {
  const entry = WORKFLOWS.get(workflow);
  if (!entry) throw { tag: "unknown-workflow", val: workflow };
  let value;
  try {
    value = JSON.parse(input);
  } catch (e) {
    throw { tag: "bad-input", val: `the input of workflow \`${workflow}\` is not JSON: ${e.message}` };
  }
  let out;
  try {
    out = inBody(() => entry.fn(new Ctx(), value));
  } catch (e) {
    throw { tag: "failed", val: errorInfo(e) };
  }
  if (out instanceof Promise) {
    throw failed("bad-output", `workflow \`${workflow}\` returned a Promise: bodies are synchronous (ctx calls block)`);
  }
  const text = JSON.stringify(out === undefined ? null : out);
  if (text === undefined) throw failed("bad-output", `the output of workflow \`${workflow}\` is not JSON`);
  return text;
}

function args(entry, value) {
  if (entry.arity === 0) return [];
  if (entry.arity === 1) return [value];
  if (!Array.isArray(value) || value.length !== entry.arity) {
    throw { tag: "bad-input", val: `step \`${entry.name}\` takes ${entry.arity} arguments, as a JSON array` };
  }
  return value;
}

export function runStep(step, input, ctx) {
  const entry = STEPS.get(step);
  if (!entry) throw { tag: "unknown-step", val: step };
  let value;
  try {
    value = JSON.parse(input);
  } catch (e) {
    throw { tag: "bad-input", val: `the input of step \`${step}\` is not JSON: ${e.message}` };
  }
  const a = args(entry, value);
  setStepContext(ctx);
  let out;
  try {
    out = entry.fn(...a);
  } catch (e) {
    const retryable = !(e instanceof StepError) || e.retryable;
    throw { tag: retryable ? "retryable" : "fatal", val: errorInfo(e) };
  } finally {
    setStepContext(null);
  }
  const text = JSON.stringify(out === undefined ? null : out);
  if (text === undefined || out instanceof Promise) {
    throw { tag: "fatal", val: { code: "bad-output", message: `the output of step \`${step}\` is not JSON`, details: null } };
  }
  return text;
}
