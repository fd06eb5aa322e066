// The run page's timeline: each step, sleep, wait and LLM call of a run as
// a bar on the run's time axis, one row each (a Gantt view), so parallel
// steps lie side by side; a step's attempts are segments of its bar, with
// the backoff between them; colour says how each ended and a bar's title
// (and the line under the chart, on hover or focus) says how long it took.
//
// Built from journal entries as the run page fetches them (`add`) and from
// step events for steps still running (`running`). Only the rows in view
// are in the document (a virtualised list), so a run of 10,000 entries
// scrolls as lightly as one of ten. Loaded before run.js, which makes it;
// uses app.js's `el` and run.js's `clock` and `duration` once called.
"use strict";

const ROW_H = 24;
const LABEL_W = 210;
const AXIS_H = 26;
const MAX_VIEW_ROWS = 18;
// Rows drawn beyond the visible ones, so a small scroll shows no gap.
const OVERSCAN = 6;

// What a segment's colour means (its class), in the legend's order.
const OUTCOMES = {
  ok: "completed",
  retried: "attempt failed, retried",
  backoff: "backoff before a retry",
  failed: "failed",
  running: "running",
  sleep: "sleep",
  wait: "waiting",
  answered: "answered",
  llm: "LLM call",
};

// A tick step of 1, 2 or 5 times a power of ten ms, at least `min` ms.
function tickStep(min) {
  let p = 1;
  while (p * 10 <= min) p *= 10;
  for (const m of [1, 2, 5, 10]) if (p * m >= min) return p * m;
  return p * 10;
}

function makeTimeline() {
  const rows = [];
  const byKey = new Map();
  let runStart = null;
  let runEnd = null;
  let live = true;
  let maxEnd = 0;
  let zoom = 1;
  let dirty = false;
  let frame = 0;
  let tick = 0;

  const detail = el("p", { class: "gantt-detail muted", id: "timeline-detail", role: "status", "aria-live": "polite" },
    "Hover over or focus a bar for its times.");
  const spacer = el("div", { class: "gantt-spacer" });
  const axis = el("div", { class: "gantt-axis", "aria-hidden": "true" });
  const body = el("div", { class: "gantt-body", id: "timeline-rows", tabindex: "0", role: "list",
    "aria-label": "Timeline rows; scroll with the arrow keys" }, axis, spacer);
  const count = el("span", { class: "muted", id: "timeline-count" });
  const zoomBy = (f) => { zoom = Math.min(256, Math.max(1, zoom * f)); schedule(); };
  const tools = el("div", { class: "gantt-tools" },
    el("div", { class: "legend", "aria-label": "Colours" },
      Object.entries(OUTCOMES).map(([k, v]) => el("span", {}, el("i", { class: `seg ${k}` }), v))),
    el("div", { class: "controls" }, count,
      el("button", { class: "secondary", type: "button", id: "zoom-out", "aria-label": "Zoom out", onclick: () => zoomBy(0.5) }, "−"),
      el("button", { class: "secondary", type: "button", id: "zoom-in", "aria-label": "Zoom in", onclick: () => zoomBy(2) }, "+"),
      el("button", { class: "secondary", type: "button", id: "zoom-fit", onclick: () => { zoom = 1; schedule(); } }, "Fit")));
  const root = el("section", { id: "timeline", "aria-labelledby": "timeline-head", hidden: true },
    el("h2", { id: "timeline-head" }, "Timeline"), el("div", { class: "gantt" }, tools, body, detail));
  body.addEventListener("scroll", schedule);
  window.addEventListener("resize", schedule);
  const showDetail = (ev) => {
    const seg = ev.target.closest(".seg");
    if (seg && seg.title) detail.textContent = seg.title;
  };
  body.addEventListener("mouseover", showDetail);
  body.addEventListener("focusin", showDetail);

  function row(key, kind, label, order) {
    let r = byKey.get(key);
    if (!r) {
      r = { key, kind, label, order, segs: [] };
      byKey.set(key, r);
      rows.push(r);
      dirty = true;
    }
    return r;
  }

  function seg(r, s) {
    r.segs.push(s);
    if (s.start !== null && s.start !== undefined) r.first = Math.min(r.first ?? s.start, s.start);
    for (const t of [s.start, s.end]) if (t) maxEnd = Math.max(maxEnd, t);
    if (runStart === null && s.start) runStart = s.start;
    dirty = true;
  }

  function span(start, end) {
    return start !== null && start !== undefined && end !== null && end !== undefined
      ? `${duration(end - start)} (${clock(start)} → ${clock(end)})`
      : end ? `at ${clock(end)}, start unknown` : `since ${clock(start)}`;
  }

  const stepLabel = (name, occ) => (occ ? `${name} #${occ}` : name);

  function addStep(e) {
    const r = row(`step:${e.name}#${e.occurrence}`, "step", `step ${stepLabel(e.name, e.occurrence)}`, e.seq);
    r.segs = r.segs.filter((s) => s.outcome !== "running");
    const v = e.value || {};
    if (e.kind === "step-attempt") {
      seg(r, { start: e.started_at ?? null, end: e.at, outcome: "retried",
        title: `${r.label}, attempt ${v.attempt} failed: ${span(e.started_at, e.at)}${v.error ? `: ${v.error.message}` : ""}` });
      if (v.retry_at) seg(r, { start: e.at, end: v.retry_at, outcome: "backoff", title: `${r.label}, backoff ${span(e.at, v.retry_at)}` });
      return;
    }
    const attempts = r.segs.filter((s) => s.outcome === "retried").length + 1;
    const what = e.ok ? "completed" : `failed${v.error ? `: ${v.error.message}` : ""}`;
    seg(r, { start: e.started_at ?? null, end: e.at, outcome: e.ok ? "ok" : "failed",
      title: `${r.label}, attempt ${attempts} ${what}: ${span(e.started_at, e.at)}` });
    r.done = true;
  }

  // A journal entry; kinds the timeline does not draw are ignored.
  function add(e) {
    const v = e.value || {};
    switch (e.kind) {
      case "step":
      case "step-attempt":
        addStep(e);
        break;
      case "sleep": {
        // A wait's timeout timer (`event:NAME`) is drawn as the wait.
        if (e.name !== "sleep") break;
        const r = row(`sleep#${e.occurrence}`, "sleep", `sleep #${e.occurrence}`, e.seq);
        seg(r, { start: e.at, end: v.wake_at, outcome: "sleep", title: `${r.label} until ${clock(v.wake_at)}: ${span(e.at, v.wake_at)}` });
        break;
      }
      case "prompt": {
        const r = row(`prompt#${e.occurrence}`, "wait", `prompt: ${v.question || ""}`, e.seq);
        seg(r, { start: e.at, end: null, outcome: "wait", title: `${r.label}, waiting since ${clock(e.at)}` });
        break;
      }
      case "answer": {
        const r = byKey.get(`prompt#${e.occurrence}`);
        if (!r) break;
        const open = r.segs.find((s) => s.end === null);
        if (open) {
          open.end = e.at;
          open.outcome = e.ok ? "answered" : "failed";
          open.title = `${r.label}, ${e.ok ? `answered by ${v.by}` : "timed out"}: ${span(open.start, e.at)}`;
          maxEnd = Math.max(maxEnd, e.at);
          dirty = true;
        }
        break;
      }
      case "event": {
        const r = row(`event:${e.name}#${e.occurrence}`, "wait", `signal ${stepLabel(e.name, e.occurrence)}`, e.seq);
        seg(r, { start: e.started_at ?? null, end: e.at, outcome: e.ok ? "answered" : "failed",
          title: `${r.label}, ${e.ok ? "received" : "timed out"}: ${e.started_at ? span(e.started_at, e.at) : `at ${clock(e.at)} (the run did not wait)`}` });
        break;
      }
      case "llm": {
        const r = row(`llm:${e.name}#${e.occurrence}`, "llm", `LLM ${stepLabel(e.name, e.occurrence)}`, e.seq);
        seg(r, { start: e.started_at ?? null, end: e.at, outcome: e.ok ? "llm" : "failed",
          title: `${r.label}, ${e.ok ? "replied" : "failed"}: ${span(e.started_at, e.at)}` });
        break;
      }
      default:
        return;
    }
    schedule();
  }

  // A step attempt reported as started (a slow step): running until its
  // entry arrives.
  function running(d, at) {
    const r = row(`step:${d.step}#${d.occurrence}`, "step", `step ${stepLabel(d.step, d.occurrence)}`, Infinity);
    if (r.done || r.segs.some((s) => s.outcome === "running")) return;
    seg(r, { start: at, end: null, outcome: "running", title: `${r.label}, attempt ${d.attempt} running since ${clock(at)}` });
    schedule();
  }

  // The run's own times: the axis starts at its creation; an open bar of
  // an ended run ends with it.
  function setRun(run, terminal) {
    runStart = run.created_at;
    live = !terminal;
    runEnd = terminal ? run.updated_at : null;
    schedule();
  }

  function schedule() {
    if (frame) return;
    frame = requestAnimationFrame(() => { frame = 0; render(); });
  }

  function ordered() {
    if (!dirty) return;
    dirty = false;
    rows.sort((a, b) => (a.first ?? a.segs[0]?.end ?? Infinity) - (b.first ?? b.segs[0]?.end ?? Infinity) || a.order - b.order);
  }

  function render() {
    if (!rows.length) { root.hidden = true; return; }
    root.hidden = false;
    ordered();
    const now = live ? Date.now() : (runEnd ?? maxEnd);
    const t0 = runStart ?? 0;
    const t1 = Math.max(maxEnd, now, t0 + 1);
    const trackW = Math.max(200, (body.clientWidth || 900) - LABEL_W - 16) * zoom;
    const x = (t) => ((t - t0) / (t1 - t0)) * trackW;
    spacer.style.height = `${rows.length * ROW_H}px`;
    spacer.style.width = `${LABEL_W + trackW + 8}px`;
    body.style.height = `${AXIS_H + Math.min(rows.length, MAX_VIEW_ROWS) * ROW_H + 2}px`;
    count.textContent = `${rows.length} ${rows.length === 1 ? "bar" : "bars"}`;
    drawAxis(t0, t1, trackW, x);
    const top = Math.max(0, body.scrollTop);
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + body.clientHeight) / ROW_H) + OVERSCAN);
    const shown = [];
    for (let i = first; i < last; i++) shown.push(drawRow(rows[i], i, x, now));
    spacer.replaceChildren(...shown);
    // Open bars grow while the run lives.
    if (live && !tick && rows.some((r) => r.segs.some((s) => s.end === null))) {
      tick = setTimeout(() => { tick = 0; schedule(); }, 1000);
    }
  }

  function drawAxis(t0, t1, trackW, x) {
    const step = tickStep(((t1 - t0) * 90) / trackW);
    const ticks = [el("span", { class: "gantt-axis-label" }, `from ${clock(t0)}`)];
    for (let t = 0; t0 + t <= t1; t += step) {
      ticks.push(el("span", { class: "tick", style: `left:${LABEL_W + x(t0 + t)}px` }, t === 0 ? "0" : `+${duration(t)}`));
    }
    axis.style.width = `${LABEL_W + trackW + 8}px`;
    axis.replaceChildren(...ticks);
  }

  function drawRow(r, i, x, now) {
    const segs = r.segs.map((s) => {
      const end = s.end ?? now;
      const start = s.start ?? end;
      const left = LABEL_W + x(start);
      const width = Math.max(s.start === null ? 3 : 2, x(end) - x(start));
      return el("span", { class: `seg ${s.outcome}${s.start === null ? " unknown-start" : ""}`, tabindex: "-1",
        "data-outcome": s.outcome, title: s.title, style: `left:${left}px;width:${width}px` });
    });
    const outcome = r.segs.length ? r.segs[r.segs.length - 1].outcome : "";
    const summary = r.segs.map((s) => s.title).join("; ");
    return el("div", { class: `gantt-row ${r.kind}`, role: "listitem", "data-row": r.key, "data-kind": r.kind,
      "data-outcome": outcome, "aria-label": summary, style: `top:${i * ROW_H}px` },
      el("span", { class: "gantt-label", title: r.label }, r.label), segs);
  }

  return { el: root, add, running, setRun, render: schedule, zoomBy };
}
