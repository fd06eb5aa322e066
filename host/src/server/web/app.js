// The cairn web page: runs (live), a run's details and journal, and the
// prompts waiting for a person, with controls for their input type.
// Plain JavaScript against the /v1 API; no build step.
"use strict";

const app = document.getElementById("app");
let token = localStorage.getItem("cairn-token") || "";
let timer = null;
let source = null;
// What the page being left must stop (a run page's pending fetches).
const onLeave = [];

// ---- helpers --------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const DATE_TIME = new Intl.DateTimeFormat([], { dateStyle: "short", timeStyle: "medium" });

function time(ms) {
  if (!ms) return "";
  return DATE_TIME.format(new Date(ms));
}

function ago(ms) {
  const s = Math.round((Date.now() - ms) / 1000);
  if (Math.abs(s) < 60) return s >= 0 ? `${s}s ago` : `in ${-s}s`;
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return m >= 0 ? `${m}m ago` : `in ${-m}m`;
  const h = Math.round(m / 60);
  return h >= 0 ? `${h}h ago` : `in ${-h}h`;
}

function pretty(v) {
  return v === undefined ? "" : JSON.stringify(v, null, 2);
}

function badge(status) {
  return el("span", { class: `status ${status}`, "data-status": status }, status);
}

async function api(path, options = {}) {
  const headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { error: { message: text } }; }
  if (res.status === 401) {
    document.getElementById("token-bar").hidden = false;
  }
  if (!res.ok) {
    const err = new Error((body && body.error && body.error.message) || res.statusText);
    err.status = res.status;
    throw err;
  }
  return body;
}

function stop() {
  if (timer) clearInterval(timer);
  timer = null;
  if (source) source.close();
  source = null;
  for (const f of onLeave.splice(0)) f();
}

function every(ms, f) {
  f();
  timer = setInterval(f, ms);
}

function setNav(name) {
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.dataset.nav === name);
  }
}

async function refreshPromptCount() {
  try {
    const { prompts } = await api("/v1/prompts");
    document.getElementById("prompt-count").textContent = prompts.length ? String(prompts.length) : "";
    document.getElementById("live").classList.remove("off");
  } catch (_) {
    document.getElementById("live").classList.add("off");
  }
}

// ---- runs list ------------------------------------------------------------

// A labelled control of the filters bar.
function field(label, control) {
  return el("label", {}, label, control);
}

// The runs list's filters, from the hash (`#/?status=..&workflow=..&
// session=..&from=..&to=..`, times as `datetime-local` values, local time).
const RUN_FILTERS = ["status", "workflow", "session", "from", "to"];

function runsPage() {
  setNav("runs");
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const status = el("select", { id: "filter-status" },
    el("option", { value: "" }, "any status"),
    STATUSES.map((s) => el("option", { value: s, selected: params.get("status") === s }, s)));
  const workflow = el("input", { id: "filter-workflow", placeholder: "workflow", value: params.get("workflow") || "" });
  const session = el("input", { id: "filter-session", placeholder: "session", value: params.get("session") || "" });
  const from = el("input", { id: "filter-from", type: "datetime-local", step: "1", value: params.get("from") || "" });
  const to = el("input", { id: "filter-to", type: "datetime-local", step: "1", value: params.get("to") || "" });
  const controls = { status, workflow, session, from, to };
  const apply = () => {
    const q = new URLSearchParams();
    for (const k of RUN_FILTERS) if (controls[k].value) q.set(k, controls[k].value);
    location.hash = `#/?${q}`;
  };
  for (const c of Object.values(controls)) c.addEventListener("change", apply);
  // Search by run id: the run's page, or why not.
  const runId = el("input", { id: "search-run", placeholder: "run id", autocomplete: "off" });
  const found = el("span", { class: "message", id: "search-message", role: "status" });
  const search = el("form", { id: "search", role: "search" },
    field("Run id", runId), el("button", { type: "submit" }, "Go"), found);
  search.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = runId.value.trim();
    if (!id) return;
    try {
      await api(`/v1/runs/${encodeURIComponent(id)}`);
      location.hash = `#/runs/${encodeURIComponent(id)}`;
    } catch (e) {
      found.className = "message error";
      found.textContent = e.status === 404 ? `No run ${id}.` : e.message;
    }
  });
  const body = el("tbody");
  const more = el("button", { class: "secondary", hidden: true }, "More");
  let cursor = null;
  app.replaceChildren(
    el("h1", {}, "Runs"),
    el("div", { class: "filters", role: "group", "aria-label": "Filters" },
      field("Status", status), field("Workflow", workflow), field("Session", session),
      field("Created from", from), field("Created before", to), search),
    el("table", { id: "runs" },
      el("thead", {}, el("tr", {}, el("th", {}, "Run"), el("th", {}, "Workflow"), el("th", {}, "Status"), el("th", {}, "Created"), el("th", {}, "Detail"))),
      body),
    el("p", {}, more));
  const query = () => {
    const q = new URLSearchParams({ limit: "50" });
    for (const k of ["status", "workflow", "session"]) if (params.get(k)) q.set(k, params.get(k));
    const ms = (v) => (v ? new Date(v).getTime() : NaN);
    if (!Number.isNaN(ms(params.get("from")))) q.set("created_after", String(ms(params.get("from"))));
    if (!Number.isNaN(ms(params.get("to")))) q.set("created_before", String(ms(params.get("to"))));
    return q;
  };
  const row = (r) => el("tr", { class: "run", "data-run": r.run_id, onclick: () => { location.hash = `#/runs/${r.run_id}`; } },
    el("td", {}, el("a", { href: `#/runs/${r.run_id}` }, el("code", {}, r.run_id))),
    el("td", {}, r.workflow),
    el("td", {}, badge(r.status)),
    el("td", { title: time(r.created_at) }, ago(r.created_at)),
    el("td", { class: "muted" },
      r.status === "sleeping" && r.wake_at ? `wakes ${ago(r.wake_at)}` :
      r.error ? r.error.message : ""));
  every(2000, async () => {
    try {
      const page = await api(`/v1/runs?${query()}`);
      body.replaceChildren(...page.runs.map(row));
      if (!page.runs.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No runs.")));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "message error" }, e.message)));
    }
    refreshPromptCount();
  });
  more.addEventListener("click", async () => {
    stop();
    const q = query();
    q.set("cursor", cursor);
    const page = await api(`/v1/runs?${q}`);
    body.append(...page.runs.map(row));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  });
}

// ---- one run: run.js -------------------------------------------------------

// ---- prompts --------------------------------------------------------------

function promptCard(p, after) {
  const message = el("div", { class: "message" });
  const send = async (value, buttons) => {
    buttons.forEach((b) => { b.disabled = true; });
    message.className = "message";
    message.textContent = "Sending…";
    try {
      const r = await api(`/v1/runs/${p.run_id}/respond`, { method: "POST", body: JSON.stringify({ value, by: "web" }) });
      message.className = "message ok";
      message.textContent = `Answered: ${JSON.stringify(r.value)}. The run resumes.`;
      setTimeout(after, 300);
    } catch (e) {
      message.className = "message error";
      message.textContent = e.message;
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  let controls;
  const type = p.input_type;
  if (type === "approval") {
    const buttons = p.options.map((o, i) => el("button", {
      class: i === 0 ? "" : "secondary", "data-option": o.id,
      onclick: () => send(o.id, buttons),
    }, o.label));
    controls = el("div", { class: "controls" }, buttons);
  } else if (type === "choice") {
    const select = el("select", { "data-input": "choice" }, p.options.map((o) => el("option", { value: o.id }, o.label)));
    const b = el("button", { onclick: () => send(select.value, [b]) }, "Answer");
    controls = el("div", { class: "controls" }, select, b);
  } else if (type === "number") {
    const input = el("input", { type: "number", step: "any", "data-input": "number", min: p.min ?? undefined, max: p.max ?? undefined });
    const b = el("button", { onclick: () => {
      if (input.value.trim() === "" || Number.isNaN(Number(input.value))) {
        message.className = "message error";
        message.textContent = "Enter a number.";
        return;
      }
      send(Number(input.value), [b]);
    } }, "Answer");
    controls = el("div", { class: "controls" }, input, b);
  } else if (type === "json") {
    const area = el("textarea", { "data-input": "json", spellcheck: "false" }, p.default !== undefined && p.default !== null ? pretty(p.default) : "");
    const b = el("button", {}, "Answer");
    const check = () => {
      try {
        JSON.parse(area.value);
        message.className = "message";
        message.textContent = p.schema ? "Valid JSON; the server checks it against the schema." : "Valid JSON.";
        b.disabled = false;
        return true;
      } catch (e) {
        message.className = "message error";
        message.textContent = `Not valid JSON: ${e.message}`;
        b.disabled = true;
        return false;
      }
    };
    area.addEventListener("input", check);
    b.addEventListener("click", () => { if (check()) send(JSON.parse(area.value), [b]); });
    controls = el("div", {}, area, p.schema ? el("details", {}, el("summary", {}, "Schema"), el("pre", {}, pretty(p.schema))) : null,
      el("div", { class: "controls" }, b));
  } else {
    const area = el("textarea", { "data-input": "text" });
    const b = el("button", { onclick: () => send(area.value, [b]) }, "Answer");
    controls = el("div", {}, area, el("div", { class: "controls" }, b));
  }
  return el("div", { class: "prompt", "data-run": p.run_id },
    el("div", { class: "question" }, p.question),
    el("div", { class: "meta" },
      el("a", { href: `#/runs/${p.run_id}` }, p.workflow), ` · asked ${ago(p.asked_at)}`,
      p.deadline ? ` · times out ${ago(p.deadline)}` : "", ` · ${p.fits}`),
    p.context ? el("pre", {}, pretty(p.context)) : null,
    controls, message);
}

function promptsPage() {
  setNav("prompts");
  const list = el("div", { id: "prompts" });
  app.replaceChildren(el("h1", {}, "Waiting for a person"), list);
  let shown = "";
  every(2000, async () => {
    try {
      const { prompts } = await api("/v1/prompts");
      const key = prompts.map((p) => `${p.run_id}:${p.asked_at}`).join(",");
      if (key !== shown) {
        shown = key;
        list.replaceChildren(...prompts.map((p) => promptCard(p, () => { shown = ""; })));
        if (!prompts.length) list.append(el("p", { class: "muted" }, "No prompts are waiting."));
      }
    } catch (e) {
      list.replaceChildren(el("p", { class: "message error" }, e.message));
    }
    refreshPromptCount();
  });
}

// ---- routing --------------------------------------------------------------

function route() {
  stop();
  const hash = location.hash.replace(/^#/, "") || "/";
  const run = hash.match(/^\/runs\/([^/?]+)/);
  if (run) runPage(decodeURIComponent(run[1]));
  else if (hash.startsWith("/prompts")) promptsPage();
  else if (hash.startsWith("/workflows")) workflowsPage();
  else runsPage();
}

document.getElementById("token-save").addEventListener("click", () => {
  token = document.getElementById("token").value.trim();
  localStorage.setItem("cairn-token", token);
  document.getElementById("token-bar").hidden = true;
  route();
});
window.addEventListener("hashchange", route);
route();
