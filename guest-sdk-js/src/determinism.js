// `Math.random`, `Date.now` and `new Date()` routed to the journaled
// imports while a workflow body runs.
//
// A body instance's WASI clock and randomness are already replay-stable
// (the host gives it the journal's logical time and a stream seeded from
// the run id), but QuickJS seeds `Math.random` once, when the component is
// built and its engine snapshotted, so every instance would draw the same
// numbers. Inside `run` the SDK therefore points:
// - `Date.now()` and `new Date()` (no arguments) at `ctx.now()`: one
//   journal entry per call, the same value on every replay;
// - `Math.random()` at a generator (sfc32) seeded, at its first use, by one
//   journaled `ctx.random()`: different per run, the same on every replay.
// A step instance keeps the engine's own clock and randomness: steps are
// not replayed, their outputs are journaled.

import host from "cairn:workflow/context@0.1.2";

const RealDate = Date;

function sfc32(a, b, c, d) {
  return () => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function journaledRandom() {
  let next = null;
  return () => {
    if (next === null) {
      const bits = host.random();
      const lo = bits % 4294967296;
      const hi = Math.floor(bits / 4294967296);
      next = sfc32(0x9e3779b9, hi | 0, lo | 0, 0x85ebca6b);
      for (let i = 0; i < 12; i++) next();
    }
    return next();
  };
}

function journaledDate() {
  function CairnDate(...args) {
    if (!new.target) return new RealDate(host.now()).toString();
    return args.length === 0 ? new RealDate(host.now()) : new RealDate(...args);
  }
  CairnDate.prototype = RealDate.prototype;
  CairnDate.now = () => host.now();
  CairnDate.parse = RealDate.parse;
  CairnDate.UTC = RealDate.UTC;
  return CairnDate;
}

/** Runs `f` with the body's clock and randomness journaled. */
export function inBody(f) {
  const saved = { random: Math.random, Date: globalThis.Date };
  Math.random = journaledRandom();
  globalThis.Date = journaledDate();
  try {
    return f();
  } finally {
    Math.random = saved.random;
    globalThis.Date = saved.Date;
  }
}
