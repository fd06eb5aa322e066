// `workflow()` and `step()` and the registry they fill. A module's calls
// run when it is evaluated, which for a built component is at build time
// (componentize-qjs snapshots the initialised engine), so the registry is
// part of the component's memory image and `describe` only reads it.

export const WORKFLOWS = new Map();
export const STEPS = new Map();

/** Start the workflow on the named event (`cairn emit NAME`). */
export function event(name) {
  return { tag: "event", val: name };
}

/** Start the workflow on a verified webhook delivery from `source`. */
export function webhook(source, eventType = "*") {
  return { tag: "webhook", val: { source, event: eventType } };
}

const CATCH_UP = ["skip", "one", "all"];
const OVERLAP = ["skip", "allow", "cancel-previous"];

/**
 * Start the workflow at each tick of a cron expression (five fields, or
 * six with seconds first, or `@daily` and the like), input `null`.
 * Options: `tz` (an IANA zone; UTC by default), `catchUp` (`"skip"`,
 * `"one"` (default) or `"all"`: ticks missed while no worker ran),
 * `overlap` (`"skip"` (default), `"allow"` or `"cancel-previous"`: a tick
 * while the previous run is going). The host checks the expression and
 * the zone at deploy.
 */
export function cron(expr, opts = {}) {
  if (typeof expr !== "string" || expr.trim() === "") {
    throw new TypeError("cron() takes the expression as a non-empty string");
  }
  const catchUp = opts.catchUp ?? "one";
  const overlap = opts.overlap ?? "skip";
  if (!CATCH_UP.includes(catchUp)) {
    throw new TypeError(`cron: catchUp is "skip", "one" or "all", not ${JSON.stringify(catchUp)}`);
  }
  if (!OVERLAP.includes(overlap)) {
    throw new TypeError(
      `cron: overlap is "skip", "allow" or "cancel-previous", not ${JSON.stringify(overlap)}`,
    );
  }
  const schedule = { cron: expr, catch_up: catchUp, overlap };
  if (opts.tz !== undefined) schedule.tz = opts.tz;
  return { tag: "cron", val: schedule };
}

const UNIT_MS = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** `"30s"`, `"500ms"`, `"2m"`, `"1h"`, `"1d"`, or a number of milliseconds. */
export function durationMs(value, what) {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) {
    return Math.round(value);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(String(value));
  if (!m) {
    throw new TypeError(
      `${what}: \`${value}\` is not a duration (write "500ms", "30s", "2m", "1h", "1d" or a number of milliseconds)`,
    );
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2]]);
}

function checkName(kind, name) {
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new TypeError(`${kind} name \`${name}\` must be letters, digits, _ . or -, not starting with a digit`);
  }
}

function split(optsOrFn, maybeFn) {
  return typeof optsOrFn === "function" ? [{}, optsOrFn] : [optsOrFn ?? {}, maybeFn];
}

/**
 * Declares a step: `step(name, [options], fn)`. Options: `maxAttempts`
 * (default 3), `initialBackoff` (default "1s"), `backoffFactor` (2),
 * `maxBackoff` ("60s"), `timeout` (the host's default). Returns `fn`,
 * tagged so `ctx.step(fn, ...args)` knows its name.
 */
export function step(name, optsOrFn, maybeFn) {
  const [opts, fn] = split(optsOrFn, maybeFn);
  checkName("step", name);
  if (typeof fn !== "function") throw new TypeError(`step \`${name}\` needs a function`);
  if (STEPS.has(name)) throw new TypeError(`two steps are named \`${name}\``);
  const policy = {
    maxAttempts: opts.maxAttempts ?? 3,
    initialBackoffMs: durationMs(opts.initialBackoff ?? 1000, `step ${name} initialBackoff`),
    backoffFactor: opts.backoffFactor ?? 2.0,
    maxBackoffMs: durationMs(opts.maxBackoff ?? 60000, `step ${name} maxBackoff`),
    timeoutMs: opts.timeout === undefined ? 0 : durationMs(opts.timeout, `step ${name} timeout`),
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new TypeError(`step \`${name}\`: maxAttempts must be a whole number of at least 1`);
  }
  STEPS.set(name, { name, fn, policy, arity: fn.length });
  fn.stepName = name;
  return fn;
}

/**
 * Declares a workflow: `workflow(name, [options], fn)`, where `fn(ctx,
 * input)` is the body. Options: `triggers` (a list of `event(..)`,
 * `webhook(..)` and `cron(..)`), `session` (`"required"` when the body uses session
 * state), `inputSchema` (a JSON Schema the host checks a run's input
 * against before the run is created).
 */
export function workflow(name, optsOrFn, maybeFn) {
  const [opts, fn] = split(optsOrFn, maybeFn);
  checkName("workflow", name);
  if (typeof fn !== "function") throw new TypeError(`workflow \`${name}\` needs a function`);
  if (WORKFLOWS.has(name)) throw new TypeError(`two workflows are named \`${name}\``);
  const session = opts.session ?? "optional";
  if (session !== "optional" && session !== "required") {
    throw new TypeError(`workflow \`${name}\`: session is "optional" or "required"`);
  }
  WORKFLOWS.set(name, {
    name,
    fn,
    triggers: opts.triggers ?? [],
    session,
    inputSchema: opts.inputSchema ?? null,
  });
  fn.workflowName = name;
  return fn;
}
