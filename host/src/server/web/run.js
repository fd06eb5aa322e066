// The run page: a run's summary, input and output, its journal with each
// step's attempts grouped under it, and its live events.
//
// It follows a live run from its server-sent events rather than by
// reloading: events update the page in place, the journal is fetched by
// cursor (only entries after the last seq shown), and fetches are
// coalesced so a run with hundreds of steps costs a handful of API calls,
// not several per event. Loaded before app.js, whose helpers (`el`, `api`,
// `badge`, `promptCard`, ...) it calls once the page routes here.
"use strict";

// The least time between two fetches of the same thing while events pour in.
const FETCH_GAP_MS = 1000;
// The most events the list keeps (the newest); a run of 10,000 steps has
// more than twice that.
const MAX_EVENTS_SHOWN = 1000;
// How long one animation frame may spend on queued events.
const EVENT_BUDGET_MS = 8;

// Runs `f` when asked, never two at once and at most once per `gap` ms;
// requests made while it runs or waits fold into one more call. Once the
// page is left (`page.left`), a pending or folded call is dropped.
function coalesced(f, gap, page) {
  let running = false;
  let again = false;
  let last = 0;
  let timer = null;
  const go = async () => {
    timer = null;
    if (page.left) return;
    running = true;
    again = false;
    last = Date.now();
    try { await f(); } catch (_) { /* shown by f; the next request retries */ }
    running = false;
    if (again) ask();
  };
  const ask = () => {
    if (page.left) return;
    if (running) { again = true; return; }
    if (timer) return;
    timer = setTimeout(go, Math.max(0, last + gap - Date.now()));
  };
  ask.now = () => { if (timer) clearTimeout(timer); timer = null; return running ? (again = true) : go(); };
  return ask;
}

// One formatter for every time shown: making one per call (what
// `toLocaleTimeString` with options does) costs a run of 10,000 entries
// seconds.
const HMS = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

function clock(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  const hms = HMS.format(d);
  return `${hms}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

function duration(ms) {
  if (ms === undefined || ms === null) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

function shortJson(v, max = 160) {
  const s = v === null || v === undefined ? "" : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function parseJson(text) {
  try { return JSON.parse(text); } catch { return text; }
}

function errorText(err) {
  if (!err) return "";
  return err.message ? `[${err.code}] ${err.message}` : shortJson(err);
}

// A journal entry other than a step's, in words; times as times.
function describeEntry(e) {
  const v = e.value === null || e.value === undefined ? "" : JSON.stringify(e.value);
  const short = v.length > 160 ? `${v.slice(0, 159)}…` : v;
  switch (e.kind) {
    case "sleep": return `durable sleep until ${clock(e.value && e.value.wake_at)}`;
    case "prompt": return `asked a person: ${e.value && e.value.question}`;
    case "answer": return e.ok ? `answer: ${JSON.stringify(e.value && e.value.value)} by ${e.value && e.value.by}` : `no answer: ${short}`;
    case "event": return `signal ${e.name} → ${short}`;
    case "llm": return `LLM ${e.name} → ${short}`;
    case "state-set": return `state ${e.name.replace(":", " ")} set`;
    case "state-delete": return `state ${e.name.replace(":", " ")} deleted`;
    case "state-get": return `state ${e.name.replace(":", " ")} read → ${short || "nothing"}`;
    case "now": return `clock read → ${clock(e.value)}`;
    case "random": return `random number → ${short}`;
    case "patched": return `patch marker ${e.name} → ${short}`;
    case "moved": return `moved to version ${String(e.value && e.value.to).slice(0, 12)}${e.value && e.value.forced ? " (forced)" : ""}`;
    default: return `${e.kind} ${e.name} → ${short}`;
  }
}

function runPage(id) {
  setNav("runs");
  const summary = el("dl", { class: "grid", id: "summary" });
  const io = el("div", { class: "cols" });
  const prompt = el("div", { id: "run-prompt" });
  const empty = el("li", { class: "muted empty" }, "Nothing journaled yet.");
  const journal = el("ol", { class: "timeline", id: "journal" }, empty);
  const events = el("ol", { class: "timeline", id: "events" });
  const eventsNote = el("p", { class: "muted", id: "events-note", hidden: true });
  let eventCount = 0;
  // An SDK agent's turns and tool results (its `agent.turn` and
  // `agent.tool` events), shown as a conversation once the first arrives.
  const conversation = el("ol", { class: "conversation", id: "conversation" });
  const conversationHead = el("h2", { hidden: true }, "Conversation");
  conversation.hidden = true;
  const timeline = makeTimeline();
  const actions = runActions(id, () => { loadRun.now(); }, () => { stop(); runPage(id); });
  app.replaceChildren(
    el("h1", {}, "Run ", el("code", {}, id)),
    summary, actions.el, prompt,
    timeline.el,
    io, conversationHead, conversation,
    el("h2", {}, "Journal"), journal,
    el("h2", {}, "Events"), eventsNote, events);

  // Steps by journal key, `name#occurrence`: their group in the journal
  // and what the events said of their attempts.
  const steps = new Map();
  let lastSeq = null;
  // Left when the route changes (app.js `stop`) or a retry redraws it.
  const page = { left: false };
  onLeave.push(() => { page.left = true; });
  let status = null;

  function step(name, occurrence) {
    const key = `${name}#${occurrence}`;
    let s = steps.get(key);
    if (!s) {
      s = { key, attempts: new Map(), li: null };
      steps.set(key, s);
    }
    return s;
  }

  // The step's group in the journal, made when its first entry arrives.
  function stepGroup(s, e) {
    if (s.li) return s.li;
    s.head = el("span", {}, `step ${e.name}`);
    s.dur = el("span", { class: "duration muted" });
    s.list = el("ol", { class: "attempts" });
    s.li = el("li", { class: "step", "data-step": s.key, "data-seq": e.seq },
      el("span", { class: "muted" }, `#${e.seq}`),
      el("span", { class: "muted", title: time(e.at) }, clock(e.at)),
      el("div", {}, el("div", { class: "step-head" }, s.head, s.dur), s.list));
    journal.append(s.li);
    return s.li;
  }

  // Duration: what the attempts took, from the step events.
  function showDuration(s) {
    if (!s.dur) return;
    const ms = [...s.attempts.values()].reduce((t, a) => t + (a.ms || 0), 0);
    const n = Math.max(s.attempts.size, s.list ? s.list.children.length + (s.done ? 1 : 0) : 0);
    const known = [...s.attempts.values()].some((a) => a.ms !== undefined);
    s.dur.textContent = known ? `${duration(ms)}${n > 1 ? ` over ${n} attempts` : ""}` : (n > 1 ? `${n} attempts` : "");
  }

  function addEntry(e) {
    timeline.add(e);
    // (A search of the journal per entry would cost a run of 10,000
    // entries seconds.)
    empty.remove();
    if (e.kind === "step" || e.kind === "step-attempt") {
      const s = step(e.name, e.occurrence);
      stepGroup(s, e);
      if (e.kind === "step-attempt") {
        const v = e.value || {};
        s.list.append(el("li", { class: "attempt failed", "data-seq": e.seq },
          `attempt ${v.attempt} failed: ${errorText(v.error)}`,
          v.retry_at ? ` — retry at ${clock(v.retry_at)}` : ""));
        s.head.textContent = `step ${e.name}: retrying`;
      } else {
        s.done = true;
        s.li.classList.toggle("failed", !e.ok);
        s.head.textContent = e.ok
          ? `step ${e.name} → ${shortJson(e.value)}`
          : `step ${e.name} failed: ${errorText(e.value && e.value.error)}`;
      }
      showDuration(s);
      return;
    }
    journal.append(el("li", { "data-seq": e.seq, "data-kind": e.kind },
      el("span", { class: "muted" }, `#${e.seq}`),
      el("span", { class: "muted", title: time(e.at) }, clock(e.at)),
      el("span", { class: e.ok ? "" : "failed" }, describeEntry(e))));
  }

  const loadJournal = coalesced(async () => {
    let after = lastSeq;
    for (;;) {
      const j = await api(`/v1/runs/${id}/journal${after === null ? "" : `?after=${after}`}`);
      for (const e of j.entries) {
        if (lastSeq !== null && e.seq <= lastSeq) continue;
        addEntry(e);
        lastSeq = e.seq;
      }
      if (j.next_after === null || j.next_after === undefined) break;
      after = j.next_after;
    }
  }, FETCH_GAP_MS, page);

  function showSummary(run) {
    const dt = (k, v) => [el("dt", {}, k), el("dd", {}, v)];
    summary.replaceChildren(
      ...dt("status", badge(run.status)),
      ...dt("workflow", run.workflow),
      ...dt("version", el("code", {}, run.version.slice(0, 12))),
      ...dt("created", time(run.created_at)),
      ...dt("activations", String(run.activations)),
      ...(run.session_id ? dt("session", run.session_id) : []),
      ...(run.wake_at && run.status === "sleeping" ? dt("wakes", `${time(run.wake_at)} (${ago(run.wake_at)})`) : []),
      ...dt("LLM tokens", `${run.llm.input_tokens} in, ${run.llm.output_tokens} out (${run.llm.calls} calls)`));
    actions.show(run.status);
    timeline.setRun(run, TERMINAL.includes(run.status));
    io.replaceChildren(
      el("div", {}, el("h2", {}, "Input"), el("pre", { id: "input" }, pretty(run.input))),
      el("div", {}, el("h2", {}, run.error ? "Error" : "Output"),
        el("pre", { id: run.error ? "error" : "output" }, run.error ? `[${run.error.code}] ${run.error.message}` : pretty(run.output))),
      el("div", {}, el("h2", {}, "State"), el("pre", { id: "state" }, pretty(run.state))),
      run.session_state ? el("div", {}, el("h2", {}, "Session state"), el("pre", {}, pretty(run.session_state))) : el("div"));
  }

  const loadRun = coalesced(async () => {
    let run;
    try {
      run = await api(`/v1/runs/${id}`);
    } catch (e) {
      if (e.status === 404) {
        app.replaceChildren(el("p", { class: "message error" }, e.message));
        stop();
      }
      throw e;
    }
    status = run.status;
    showSummary(run);
  }, FETCH_GAP_MS, page);

  const loadPrompts = coalesced(async () => {
    const { prompts } = await api("/v1/prompts");
    const mine = prompts.filter((p) => p.run_id === id);
    prompt.replaceChildren(...mine.map((p) => promptCard(p, () => { loadPrompts(); loadRun(); })));
  }, FETCH_GAP_MS, page);

  // A status change alters the summary badge at once; the run itself is
  // fetched again only where it changes more than that (a wake time, an
  // output, an error, state).
  function onStatus(d) {
    status = d.status;
    const badgeEl = summary.querySelector("[data-status]");
    if (badgeEl) badgeEl.replaceWith(badge(d.status));
    actions.show(d.status);
    if (d.status !== "running") loadRun();
    if (d.status === "waiting") loadPrompts();
    else if (prompt.children.length) loadPrompts();
    if (d.status !== "running" && d.status !== "pending") loadJournal();
  }

  function onStep(d, at) {
    if (d.state === "started") timeline.running(d, at);
    const s = step(d.step, d.occurrence);
    const a = s.attempts.get(d.attempt) || {};
    if (d.ms !== undefined) a.ms = d.ms;
    a.state = d.state;
    s.attempts.set(d.attempt, a);
    showDuration(s);
    if (d.state !== "started") loadJournal();
  }

  function describeEvent(e) {
    const d = e.data || {};
    switch (e.kind) {
      case "status": return `status → ${d.status}${d.retried ? ` (retried after ${d.previous})` : ""}${d.wake_at ? ` until ${clock(d.wake_at)}` : ""}`;
      case "step": return `step ${d.step} attempt ${d.attempt} ${d.state}${d.ms !== undefined ? ` (${duration(d.ms)})` : ""}${d.error ? `: ${d.error.message}` : ""}${d.retry_at ? `; retry at ${clock(d.retry_at)}` : ""}`;
      case "log": return `${d.step ? `[${d.step}] ` : ""}${d.level || d.stream}: ${d.message}`;
      case "emit": return `${d.kind}: ${JSON.stringify(d.data)}`;
      default: return `${e.kind}: ${JSON.stringify(d)}`;
    }
  }

  // One model turn: who, which turn, its tokens, what it said, the tools
  // it called with their arguments.
  function onAgentTurn(d) {
    const calls = (d.tool_calls || []).map((c) =>
      el("li", { class: "call" }, el("code", {}, c.name), " ", el("code", { class: "muted" }, shortJson(parseJson(c.arguments), 300))));
    return el("li", { class: "turn", "data-turn": d.turn },
      el("div", { class: "who" }, `${d.agent} · turn ${d.turn}`,
        el("span", { class: "muted tokens" }, `${d.input_tokens} in, ${d.output_tokens} out`)),
      d.content ? el("div", { class: "said" }, d.content) : null,
      calls.length ? el("ul", { class: "calls" }, calls) : null);
  }

  // One tool result, as the model was told it.
  function onAgentTool(d) {
    return el("li", { class: `result ${d.status}`, "data-status": d.status },
      el("div", { class: "who" }, `${d.tool} → ${d.status}`),
      el("pre", {}, d.result));
  }

  function onAgentEvent(kind, d) {
    const item = kind === "agent.turn" ? onAgentTurn(d) : onAgentTool(d);
    conversationHead.hidden = false;
    conversation.hidden = false;
    conversation.append(item);
  }

  function onEvent(m) {
    const e = JSON.parse(m.data);
    const d = e.data || {};
    events.append(el("li", { "data-kind": e.kind },
      el("span", { class: "muted" }, e.kind),
      el("span", { class: "muted", title: time(e.at) }, clock(e.at)),
      el("span", {}, describeEvent(e))));
    eventCount += 1;
    if (eventCount > MAX_EVENTS_SHOWN) {
      events.firstChild.remove();
      eventsNote.hidden = false;
      eventsNote.textContent = `The last ${MAX_EVENTS_SHOWN} of ${eventCount} events.`;
    }
    if (e.kind === "emit" && (d.kind === "agent.turn" || d.kind === "agent.tool")) onAgentEvent(d.kind, d.data || {});
    if (e.kind === "status") onStatus(d);
    else if (e.kind === "step") onStep(d, e.at);
    else if (["prompt", "answer", "signal", "llm", "version"].includes(e.kind)) {
      loadJournal();
      if (e.kind === "prompt" || e.kind === "answer") loadPrompts();
      if (e.kind === "version" || e.kind === "llm") loadRun();
    }
  }

  // Events are handled a frame's budget at a time: an ended run's stream
  // replays all its events at once, and the page must keep drawing.
  const queue = [];
  let head = 0;
  function drain() {
    const until = performance.now() + EVENT_BUDGET_MS;
    while (head < queue.length && !page.left && performance.now() < until) onEvent(queue[head++]);
    if (head < queue.length && !page.left) { requestAnimationFrame(drain); return; }
    queue.length = 0;
    head = 0;
  }
  function queued(m) {
    queue.push(m);
    if (queue.length === 1) requestAnimationFrame(drain);
  }

  loadRun.now();
  loadJournal.now();
  loadPrompts.now();
  const url = `/v1/runs/${id}/events${token ? `?token=${encodeURIComponent(token)}` : ""}`;
  source = new EventSource(url);
  for (const kind of EVENT_KINDS) {
    source.addEventListener(kind, queued);
  }
  source.onmessage = queued;
  // The stream ends with the run: fetch what the last events announced.
  source.onerror = () => {
    if (source) source.close();
    source = null;
    if (TERMINAL.includes(status)) { loadRun(); loadJournal(); }
  };
}
