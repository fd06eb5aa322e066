// Drives the cairn web page in headless Chromium (Debian's package, via
// playwright-core): sees a waiting run, approves it, sees it complete; and
// answers number and JSON prompts through their controls, wrong first.
//
// Usage: node page.mjs BASE_URL RUNS_JSON OUT_DIR
//   RUNS_JSON = {"approval": RUN_ID, "number": RUN_ID, "json": RUN_ID}
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
  console.log("ok");
} finally {
  await browser.close();
}
