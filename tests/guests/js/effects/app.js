// The JavaScript guest of tests/e2e/js.rs.
//
// - `chain`: `n` steps in a row, each a request to `url/i` on the test's
//   side-effect server: the crash test kills the host mid-chain.
// - `clock`: `Date.now()`, `new Date()` and `Math.random()` in the body,
//   around a durable sleep: journaled, so the replay after the sleep gives
//   the same values, and two runs draw different numbers.
// - `yearly`: a `cron` trigger at midnight on 1 January in Paris, listed
//   by `cairn schedules` (it never fires during a test).

import { cron, http, step, workflow } from "cairn-sdk";

export const hit = step("hit", { maxAttempts: 3, initialBackoff: "100ms" }, (url, i) => {
  return http.postJson(`${url}/${i}`, { i }).raiseForStatus().text();
});

export const chain = workflow("chain", (ctx, input) => {
  const out = [];
  for (let i = 0; i < input.n; i++) out.push(ctx.step(hit, input.url, i));
  return out;
});

export const clock = workflow("clock", (ctx, input) => {
  const before = { now: Date.now(), date: new Date().getTime(), random: Math.random() };
  ctx.state().set("before", before);
  ctx.sleep(input.sleepMs);
  const after = { now: Date.now(), random: Math.random() };
  return { before, after, activation: ctx.runInfo().activation };
});

export const bodyHttp = workflow("body_http", (ctx, input) => {
  try {
    http.get(input.url);
    return { sent: true };
  } catch (e) {
    return { code: e.code, message: e.message };
  }
});

// A schedule (far apart, so no test run sees it fire): `cairn schedules`
// lists it from the manifest extension.
export const yearly = workflow(
  "yearly",
  { triggers: [cron("0 0 1 1 *", { tz: "Europe/Paris", catchUp: "skip" })] },
  () => null,
);
