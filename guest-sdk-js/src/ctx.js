// The body's handle on the host: every call here is journaled, so a replay
// answers it from the journal instead of doing it again.

import host from "cairn:workflow/context@0.1.2";

import { durationMs } from "./registry.js";
import { dumps, encodeArgs, stateError, stepFailure, waitError } from "./wire.js";

function stepName(step) {
  if (typeof step === "string") return step;
  if (typeof step === "function" && step.stepName) return step.stepName;
  throw new TypeError("ctx.step takes a function declared with step(name, ..) or a step's name");
}

/** A spawned step: `join()` gives its output or throws its StepError. */
export class Handle {
  constructor(step, id) {
    this.step = step;
    this.id = id;
  }

  join() {
    let raw;
    try {
      raw = host.join(this.id);
    } catch (e) {
      throw stepFailure(this.step, e);
    }
    return JSON.parse(raw);
  }
}

/** Run or session state: JSON values under string keys. */
export class State {
  constructor(scope) {
    this.scope = scope;
  }

  get(key, fallback = null) {
    let raw;
    try {
      raw = host.stateGet(this.scope, key);
    } catch (e) {
      throw stateError(e);
    }
    return raw === null || raw === undefined ? fallback : JSON.parse(raw);
  }

  set(key, value) {
    try {
      host.stateSet(this.scope, key, dumps(value, `state \`${key}\``));
    } catch (e) {
      throw stateError(e);
    }
  }

  delete(key) {
    try {
      host.stateDelete(this.scope, key);
    } catch (e) {
      throw stateError(e);
    }
  }
}

/** Prompts for `ctx.waitForUser`. */
export const Prompt = {
  /** Approve or reject (or the given options: `[{id, label}]`). */
  approval(question, opts = {}) {
    return prompt(question, "approval", opts);
  },
  /** Free text. */
  text(question, opts = {}) {
    return prompt(question, "text", opts);
  },
  /** One of `options` (`[{id, label}]` or strings). */
  choice(question, options, opts = {}) {
    return prompt(question, "choice", { ...opts, options });
  },
};

function prompt(question, inputType, opts) {
  const options = (opts.options ?? []).map((o) => (typeof o === "string" ? { id: o, label: o } : o));
  return {
    question,
    inputType,
    options,
    min: opts.min ?? null,
    max: opts.max ?? null,
    schema: opts.schema === undefined ? null : JSON.stringify(opts.schema),
    timeoutMs: opts.timeout === undefined ? null : durationMs(opts.timeout, "prompt timeout"),
    default: opts.default === undefined ? null : String(opts.default),
    context: opts.context === undefined ? null : JSON.stringify(opts.context),
  };
}

const LEVELS = new Set(["trace", "debug", "info", "warn", "error"]);

/** What a workflow body gets: `workflow(name, (ctx, input) => ..)`. */
export class Ctx {
  /** Runs a step (its attempts, retries and timeout by the host) and returns its output. */
  step(step, ...args) {
    const name = stepName(step);
    let raw;
    try {
      raw = host.step(name, encodeArgs(name, args));
    } catch (e) {
      throw stepFailure(name, e);
    }
    return JSON.parse(raw);
  }

  /** Starts a step without waiting for it; `handle.join()` waits. */
  spawn(step, ...args) {
    const name = stepName(step);
    const id = host.spawn(name, encodeArgs(name, args), { group: null, maxConcurrency: null });
    return new Handle(name, id);
  }

  /** Joins handles in order; throws the first failure. */
  joinAll(handles) {
    return handles.map((h) => h.join());
  }

  /** A durable sleep: `"24h"`, `"30s"` or milliseconds; survives a restart. */
  sleep(duration) {
    host.sleep(durationMs(duration, "ctx.sleep"));
  }

  /** Sleeps until a time: a `Date` or Unix milliseconds. */
  sleepUntil(when) {
    host.sleepUntil(when instanceof Date ? when.getTime() : Number(when));
  }

  /** The time, in Unix milliseconds, journaled. */
  now() {
    return host.now();
  }

  /** A number in [0, 1), journaled. */
  random() {
    const v = host.random() / 18446744073709551616;
    return v >= 1 ? 1 - Number.EPSILON : v;
  }

  /** A version-4 UUID from journaled randomness. */
  uuid() {
    const hex = [];
    for (let i = 0; i < 4; i++) {
      hex.push(Math.floor(this.random() * 4294967296).toString(16).padStart(8, "0"));
    }
    const h = hex.join("");
    const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** This run's state. */
  state() {
    return new State("run");
  }

  /** State shared by the runs of this run's session. */
  session() {
    return new State("session");
  }

  /** Facts about this run: `runId`, `workflow`, `version`, `sessionId`, `activation`, `startedAtMs`. */
  runInfo() {
    return host.getRunInfo();
  }

  /** Asks a person; the run waits (unloaded if long) for the answer. */
  waitForUser(p) {
    let a;
    try {
      a = host.waitForUser(p);
    } catch (e) {
      throw waitError(e);
    }
    return { value: a.value, by: a.by, atMs: a.atMs, timedOut: a.timedOut };
  }

  /** Waits for a signal sent to this run (`cairn signal RUN NAME`); its data. */
  waitForEvent(name, timeout) {
    let raw;
    try {
      raw = host.waitForEvent(name, timeout === undefined ? null : durationMs(timeout, "ctx.waitForEvent"));
    } catch (e) {
      throw waitError(e);
    }
    return JSON.parse(raw);
  }

  /** Fires an event; workflows subscribed to it start once. */
  emit(kind, data = null) {
    host.emit(kind, dumps(data, `the data of event \`${kind}\``));
  }

  /** A line in the run's log (`trace`, `debug`, `info`, `warn`, `error`). */
  log(level, message) {
    host.log(LEVELS.has(level) ? level : "info", String(message));
  }

  /** True when this run first got here on code that has change `id`. */
  patched(id) {
    return host.patched(id);
  }
}
