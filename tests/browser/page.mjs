// Drives the cairn web page in headless Chromium (Debian's package, via
// playwright-core): sees a waiting run, approves it, sees it complete; and
// answers number and JSON prompts through their controls, wrong first.
//
// Usage: node page.mjs BASE_URL RUNS_JSON OUT_DIR
//   RUNS_JSON = {"approval": RUN_ID, "number": RUN_ID, "json": RUN_ID,
//                "agent": RUN_ID, "effects_url": URL}  (the test's side-effect server:
//                effect 3 fails twice; the agent run called `fetch` once, then answered)
// Screenshots go to OUT_DIR. Exits non-zero on the first failed check.
import { chromium } from "playwright-core";

const [base, runsJson, outDir] = process.argv.slice(2);
const runs = JSON.parse(runsJson);
const shot = (page, name) => page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(20000);

  // The runs list shows the waiting run, live.
  await page.goto(`${base}/#/`);
  await page.locator(`tr[data-run="${runs.approval}"] [data-status="waiting"]`).waitFor();
  await shot(page, "1-runs-list");

  // The prompts page shows approve / reject for it; approve.
  await page.click('a[data-nav="prompts"]');
  const approval = page.locator(`.prompt[data-run="${runs.approval}"]`);
  await approval.waitFor();
  await shot(page, "2-prompts");
  await approval.locator('button[data-option="approve"]').click();
  await approval.locator(".message.ok").waitFor();

  // The run page shows it completed, with its journal.
  await page.goto(`${base}/#/runs/${runs.approval}`);
  await page.locator('#summary [data-status="completed"]').waitFor({ timeout: 30000 });
  await page.locator("#journal li", { hasText: "answer" }).first().waitFor();
  await shot(page, "3-run-completed");

  // A number prompt: out of range is refused with what would fit.
  await page.goto(`${base}/#/prompts`);
  const number = page.locator(`.prompt[data-run="${runs.number}"]`);
  await number.waitFor();
  await number.locator('input[data-input="number"]').fill("50");
  await number.locator("button").click();
  await number.locator(".message.error").waitFor();
  const refused = await number.locator(".message.error").textContent();
  if (!/10/.test(refused)) throw new Error(`the refusal should say what fits: ${refused}`);
  await shot(page, "4-number-refused");
  await number.locator('input[data-input="number"]').fill("7");
  await number.locator("button").click();
  await number.locator(".message.ok").waitFor();

  // A JSON prompt: the editor flags invalid JSON before sending; the
  // server refuses JSON that fails the schema; a fitting value is accepted.
  await page.goto(`${base}/#/prompts`);
  const json = page.locator(`.prompt[data-run="${runs.json}"]`);
  await json.waitFor();
  const area = json.locator('textarea[data-input="json"]');
  await area.fill('{"qty": ');
  await json.locator(".message.error", { hasText: "Not valid JSON" }).waitFor();
  if (!(await json.locator("button").last().isDisabled())) throw new Error("the answer button should be disabled for invalid JSON");
  await shot(page, "5-json-invalid");
  await area.fill('{"qty": "many"}');
  await json.locator("button").last().click();
  await json.locator(".message.error").waitFor();
  await shot(page, "6-json-schema-refused");
  await area.fill('{"qty": 3}');
  await json.locator("button").last().click();
  await json.locator(".message.ok").waitFor();
  await shot(page, "7-json-accepted");
  await agentConversation(page);
  await manySteps(page);
  console.log("ok");
} finally {
  await browser.close();
}

// An agent's run reads as a conversation: its turns (who, tokens, what it
// said, the tools it called with their arguments) and the tool results.
async function agentConversation(page) {
  await page.goto(`${base}/#/runs/${runs.agent}`);
  const turns = page.locator("#conversation li.turn");
  await turns.nth(1).waitFor();
  const first = await turns.first().textContent();
  if (!/tester · turn 1/.test(first) || !/21 in, 7 out/.test(first) || !/fetch/.test(first) || !/agent-page/.test(first)) {
    throw new Error(`the first turn should name the agent, its tokens and the call: ${first}`);
  }
  const result = page.locator('#conversation li.result[data-status="done"]');
  const told = await result.textContent();
  if (!/fetch → done/.test(told) || !/ok \/agent-page/.test(told)) throw new Error(`the tool result: ${told}`);
  const last = await turns.nth(1).textContent();
  if (!/The page says ok\./.test(last)) throw new Error(`the final answer: ${last}`);
  if ((await page.locator("#conversation > li").count()) !== 3) throw new Error("two turns and one result");
  await page.locator("#conversation").screenshot({ path: `${outDir}/8-agent-conversation.png` });
}

// A run of 300 steps, watched from its start: the page follows its events
// and fetches the journal by cursor, so it makes a handful of API calls a
// second at most, not several per event. Retries are grouped under their
// step, times are times, and each step shows its duration.
async function manySteps(page) {
  const STEPS = 300;
  const calls = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith("/v1/")) calls.push(`${r.method()} ${u.pathname}${u.search}`);
  });
  const res = await fetch(`${base}/v1/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ workflow: "effects", input: { url: runs.effects_url, steps: STEPS } }),
  });
  if (res.status !== 201) throw new Error(`starting the run: ${res.status} ${await res.text()}`);
  const { run_id: id } = await res.json();
  const started = Date.now();
  calls.length = 0;
  await page.goto(`${base}/#/runs/${id}`);
  await page.locator('#summary [data-status="completed"]').waitFor({ timeout: 180000 });
  await page.waitForFunction((n) => document.querySelectorAll("#journal li.step").length === n, STEPS, { timeout: 30000 });
  // What the last events asked for arrives within a fetch gap or two.
  await page.waitForTimeout(2500);
  const seconds = (Date.now() - started) / 1000;
  await shot(page, "8-many-steps");

  const journalCalls = calls.filter((c) => c.includes(`/v1/runs/${id}/journal`));
  // (Another run's journal here would be a page left behind: logged.)
  const otherJournals = calls.filter((c) => c.includes("/journal") && !journalCalls.includes(c));
  if (otherJournals.length) console.log(`other-journals: ${otherJournals.join(" | ")}`);
  console.log(`api-calls: ${calls.length} in ${seconds.toFixed(1)} s for ${STEPS} steps (${journalCalls.length} journal pages)`);
  // About one fetch of each kind per second while events pour in, however
  // many events there are: the bound grows with the run's time, not with
  // its steps (reloading per event made 3 calls per event).
  const bound = 10 + 3 * Math.ceil(seconds);
  if (calls.length > bound || calls.length >= STEPS) {
    throw new Error(`the page made ${calls.length} API calls in ${seconds} s (at most ${bound}):\n${calls.join("\n")}`);
  }
  // From the start until entries exist, then always after the last seq
  // shown, never the whole journal again.
  const firstCursor = journalCalls.findIndex((c) => c.includes("after="));
  if (firstCursor < 0 || journalCalls.slice(firstCursor).some((c) => !c.includes("after="))) {
    throw new Error(`journal fetches must go by cursor once entries exist: ${journalCalls.map((c) => c.replace(/.*\/journal/, "")).join(" | ")}`);
  }

  // Retries grouped under their step, with the retry time as a time.
  const retried = page.locator('#journal li.step[data-step="effect#3"]');
  const attempts = retried.locator("li.attempt");
  if ((await attempts.count()) !== 2) throw new Error(`effect#3 should show 2 failed attempts: ${await retried.textContent()}`);
  const first = await attempts.first().textContent();
  if (!/retry at \d{1,2}:\d{2}:\d{2}/.test(first)) throw new Error(`a retry time should read as a time: ${first}`);
  await retried.screenshot({ path: `${outDir}/9-retries-grouped.png` });
  const text = await page.locator("#journal").textContent();
  if (/\d{13}/.test(text)) throw new Error("the journal shows an epoch number where a time belongs");
  const attemptsElsewhere = await page.locator("#journal > li.attempt, #journal > li[data-kind='step-attempt']").count();
  if (attemptsElsewhere) throw new Error("attempts must sit under their step, not in the journal's top level");
  // Every step shows its duration.
  const missing = await page.$$eval("#journal li.step", (lis) =>
    lis.filter((li) => !li.querySelector(".duration").textContent.trim()).map((li) => li.dataset.step));
  if (missing.length) throw new Error(`steps without a duration: ${missing.slice(0, 10).join(", ")}`);
  const dur = await retried.locator(".duration").textContent();
  if (!/over 3 attempts/.test(dur)) throw new Error(`the retried step's duration should count its attempts: ${dur}`);
}
