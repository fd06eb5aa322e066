// Drives the cairn web page's operations views in headless Chromium: a
// run's timeline (parallel spawned steps, a step's retries, a sleep, a
// signal sent from the page, a prompt answered on it), the workflows and
// versions views, search by run id, the runs list's filters, cancel and
// retry, and the timeline of a 10,000-entry run scrolled to its end.
//
// Usage: node operations.mjs BASE_URL RUNS_JSON OUT_DIR
//   RUNS_JSON = {"tour_input": {...}, "failed": RUN_ID, "session_run": RUN_ID,
//                "session": NAME, "big": RUN_ID, "big_steps": N}
// Prints `tour: RUN_ID`, then `ok`. Screenshots go to OUT_DIR. Exits
// non-zero on the first failed check.
import { chromium } from "playwright-core";

const [base, runsJson, outDir] = process.argv.slice(2);
const runs = JSON.parse(runsJson);
const shot = (page, name) => page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };

async function post(path, body) {
  const res = await fetch(`${base}${path}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  const text = await res.text();
  check(res.ok, `POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30000);
  const tour = await timelineTour(page);
  console.log(`tour: ${tour}`);
  await workflowsViews(page);
  await searchAndFilters(page, tour);
  await cancelAndRetry(page);
  await bigRun(page);
  console.log("ok");
} finally {
  await browser.close();
}

// The left and right edges (px) of a row's segments of one outcome.
async function edges(page, row, outcome) {
  return page.locator(`[data-row="${row}"] .seg.${outcome}`).evaluateAll((segs) =>
    segs.map((s) => [parseFloat(s.style.left), parseFloat(s.style.left) + parseFloat(s.style.width)]));
}

// A run of every kind of bar, watched from its start; the signal is sent
// and the prompt answered from the run's page.
async function timelineTour(page) {
  const { run_id: id } = await post("/v1/runs", { workflow: "par_tour", input: runs.tour_input });
  await page.goto(`${base}/#/runs/${id}`);
  // Send the signal from the page's form, by keyboard.
  // Once it waits for the signal (after its sleep).
  await page.locator('#timeline [data-row="sleep#0"]').waitFor();
  await page.locator('#summary [data-status="waiting"]').waitFor({ timeout: 60000 });
  await page.locator("#signal-name").fill("go");
  await page.locator("#signal-payload").fill('{"from": "the page"}');
  await page.locator("#signal-payload").focus();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.locator("#action-message.ok", { hasText: "Signal go sent" }).waitFor();
  // Answer the prompt the run then asks.
  await page.locator('#run-prompt button[data-option="approve"]').click({ timeout: 60000 });
  await page.locator('#summary [data-status="completed"]').waitFor({ timeout: 60000 });
  await page.locator('[data-row="step:item#4"] .seg.ok').waitFor();

  // Parallel steps side by side: the four spawned items' first attempts
  // share a moment.
  const firsts = [];
  for (let i = 0; i < 4; i++) {
    const row = `step:item#${i}`;
    const segs = [...await edges(page, row, "ok"), ...await edges(page, row, "retried")].sort((a, b) => a[0] - b[0]);
    check(segs.length, `no bar for ${row}`);
    firsts.push(segs[0]);
  }
  const latestStart = Math.max(...firsts.map((s) => s[0]));
  const earliestEnd = Math.min(...firsts.map((s) => s[1]));
  check(latestStart < earliestEnd, `the spawned items should overlap in time: ${JSON.stringify(firsts)}`);
  // Retries as segments of their step: two failed attempts, their
  // backoffs, then the success, in time order.
  const retried = await edges(page, "step:item#1", "retried");
  const ok = await edges(page, "step:item#1", "ok");
  check(retried.length === 2 && ok.length === 1, `item #1: 2 failed attempts and 1 success, got ${retried.length} and ${ok.length}`);
  check(retried[0][0] < retried[1][0] && retried[1][0] < ok[0][0], "item #1's attempts in time order");
  check((await page.locator('[data-row="step:item#1"] .seg.backoff').count()) === 2, "two backoffs on item #1");
  // The sleep, the signal wait and the prompt, each ended.
  await page.locator('[data-row="sleep#0"] .seg.sleep').waitFor();
  await page.locator('[data-row="event:go#0"] .seg.answered').waitFor();
  await page.locator('[data-row="prompt#0"] .seg.answered').waitFor();
  const [sleep] = await edges(page, "sleep#0", "sleep");
  const [signal] = await edges(page, "event:go#0", "answered");
  const [prompt] = await edges(page, "prompt#0", "answered");
  check(sleep[1] <= signal[0] + 2 && signal[1] <= prompt[0] + 2, `sleep, then the signal, then the prompt: ${sleep} ${signal} ${prompt}`);
  check(firsts.every((f) => f[1] <= sleep[0] + 2), "the items end before the sleep");
  // Every bar says how long it took; every step's start is known.
  const titles = await page.locator("#timeline .gantt-row .seg").evaluateAll((s) => s.map((x) => x.title));
  const timed = /\d+ ms|\d+(\.\d+)? s|\d+ min/;
  const untimed = titles.filter((t) => !timed.test(t));
  check(!untimed.length, `bars without a duration: ${untimed.join(" | ")}`);
  check((await page.locator('#timeline [data-kind="step"] .seg.unknown-start').count()) === 0, "a step bar without its start");
  // Hovering a bar tells its times below the chart.
  await page.locator('[data-row="step:item#1"] .seg.retried').first().hover();
  const said = await page.locator("#timeline-detail").textContent();
  check(/attempt 1 failed: \d/.test(said) && /→/.test(said), `the hovered bar's detail: ${said}`);
  await page.locator("#timeline").screenshot({ path: `${outDir}/10-timeline.png` });
  await shot(page, "11-tour-run");
  return id;
}

// Workflows with their active versions; versions with their runs.
async function workflowsViews(page) {
  const versions = (await (await fetch(`${base}/v1/versions`)).json()).versions;
  await page.goto(`${base}/#/`);
  await page.click('a[data-nav="workflows"]');
  const tour = page.locator('#workflows tr[data-workflow="par_tour"]');
  await tour.waitFor();
  const holder = versions.find((v) => v.active_for.includes("par_tour"));
  check((await tour.textContent()).includes(holder.sha.slice(0, 12)), "par_tour's active version");
  for (const v of versions) {
    const row = page.locator(`#versions tr[data-version="${v.sha}"]`);
    const runsCell = await row.locator("td.num").textContent();
    check(runsCell === String(v.runs), `version ${v.sha.slice(0, 12)} holds ${v.runs} runs, the page says ${runsCell}`);
  }
  check((await page.locator("#versions .active-for", { hasText: "par_tour (active)" }).count()) === 1, "par_tour marked active once");
  await shot(page, "12-workflows");
  // A workflow's name leads to its runs.
  await tour.locator("a").click();
  await page.locator("#runs tr.run").first().waitFor();
  const names = await page.locator("#runs tr.run td:nth-child(2)").allTextContents();
  check(names.length && names.every((n) => n === "par_tour"), `runs of par_tour only: ${names}`);
}

async function rowsShown(page) {
  await page.waitForFunction(() => !document.querySelector("#runs tbody").textContent.includes("Loading"));
  await page.waitForTimeout(300);
  return page.locator("#runs tr.run").evaluateAll((trs) => trs.map((t) => t.dataset.run));
}

async function searchAndFilters(page, tour) {
  // Search by run id, with the keyboard.
  await page.goto(`${base}/#/`);
  await page.locator("#search-run").fill("no-such-run");
  await page.keyboard.press("Enter");
  await page.locator("#search-message.error", { hasText: "No run no-such-run" }).waitFor();
  await page.locator("#search-run").fill(tour);
  await page.keyboard.press("Enter");
  await page.waitForURL(`**/#/runs/${tour}`);
  await page.locator('#summary [data-status="completed"]').waitFor();

  // Status.
  await page.goto(`${base}/#/`);
  await page.locator(`tr[data-run="${runs.failed}"]`).waitFor();
  await page.selectOption("#filter-status", "failed");
  await page.waitForURL("**/#/?status=failed");
  await page.locator(`tr[data-run="${runs.failed}"]`).waitFor();
  const statuses = await page.locator("#runs tr.run [data-status]").evaluateAll((b) => b.map((x) => x.dataset.status));
  check(statuses.length && statuses.every((s) => s === "failed"), `failed runs only: ${statuses}`);
  // Session.
  await page.goto(`${base}/#/?session=${runs.session}`);
  await page.locator(`tr[data-run="${runs.session_run}"]`).waitFor();
  check(JSON.stringify(await rowsShown(page)) === JSON.stringify([runs.session_run]), "the session's run only");
  check((await page.inputValue("#filter-session")) === runs.session, "the session filter shows its value");
  // Time range: nothing before 2001; everything since then.
  await page.goto(`${base}/#/?to=2001-01-01T00:00`);
  await page.locator("#runs td", { hasText: "No runs." }).waitFor();
  await page.goto(`${base}/#/?from=2001-01-01T00:00`);
  await page.locator(`tr[data-run="${tour}"]`).waitFor();
  // From a minute ahead: nothing yet.
  const ahead = new Date(Date.now() + 3600_000);
  const local = new Date(ahead.getTime() - ahead.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await page.goto(`${base}/#/?from=${local}`);
  await page.locator("#runs td", { hasText: "No runs." }).waitFor();
  await shot(page, "13-runs-filtered");
}

async function summaryValue(page, name) {
  return page.locator("#summary dt", { hasText: name }).locator("xpath=following-sibling::dd[1]").textContent();
}

async function cancelAndRetry(page) {
  // Cancel, by keyboard, after confirming.
  await page.goto(`${base}/#/runs/${runs.session_run}`);
  await page.locator('#summary [data-status="waiting"]').waitFor();
  page.once("dialog", (d) => d.accept());
  await page.locator("#cancel").focus();
  await page.keyboard.press("Enter");
  await page.locator("#action-message.ok", { hasText: "Cancelled (it was waiting)" }).waitFor();
  await page.locator('#summary [data-status="cancelled"]').waitFor();
  check(await page.locator("#cancel").isHidden(), "no cancel on a cancelled run");
  await shot(page, "14-cancelled");

  // Retry: a new activation, which fails again the same way.
  await page.goto(`${base}/#/runs/${runs.failed}`);
  await page.locator('#summary [data-status="failed"]').waitFor();
  const before = Number(await summaryValue(page, "activations"));
  await page.locator("#retry").click();
  await page.waitForFunction(([n]) => {
    const dt = [...document.querySelectorAll("#summary dt")].find((d) => d.textContent === "activations");
    const status = document.querySelector("#summary [data-status]");
    return dt && Number(dt.nextElementSibling.textContent) > n && status && status.dataset.status === "failed";
  }, [before], { timeout: 60000 });
  await shot(page, "15-retried");
}

// A 10,000-entry run: its timeline draws only the rows in view and
// scrolls to the last one.
async function bigRun(page) {
  await page.goto(`${base}/#/runs/${runs.big}`);
  await page.waitForFunction((n) => document.getElementById("timeline-count")?.textContent === `${n} bars`,
    runs.big_steps, { timeout: 300000 });
  const inDom = await page.locator("#timeline .gantt-row").count();
  check(inDom > 0 && inDom < 100, `the timeline should hold only the rows in view, not ${inDom}`);
  await page.locator('[data-row="step:noop#0"]').waitFor();
  await page.locator("#timeline-rows").focus();
  await page.keyboard.press("End");
  const last = `step:noop#${runs.big_steps - 1}`;
  await page.locator(`[data-row="${last}"]`).waitFor();
  check(await page.locator(`[data-row="${last}"]`).isVisible(), "the last row is in view after End");
  check((await page.locator('[data-row="step:noop#0"]').count()) === 0, "the first row left the document");
  await page.keyboard.press("Home");
  await page.locator('[data-row="step:noop#0"]').waitFor();
  await page.locator("#timeline").screenshot({ path: `${outDir}/16-big-timeline.png` });
}
