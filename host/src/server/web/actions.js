// What a person can do to a run from its page, where the API allows it:
// cancel it (`POST /v1/runs/{id}/cancel`), retry a failed one (`.../retry`),
// send it a signal with a JSON payload (`.../signals/{name}`). Each says
// what it did in a status line. Loaded before run.js, which makes it; uses
// app.js's `el` and `api` once called.
"use strict";

function runActions(id, refresh, retried) {
  const message = el("p", { class: "message", id: "action-message", role: "status", "aria-live": "polite" });
  const say = (text, kind = "") => { message.className = `message ${kind}`; message.textContent = text; };

  const cancel = el("button", { type: "button", class: "danger", id: "cancel", hidden: true, onclick: async () => {
    if (!confirm("Cancel this run?")) return;
    cancel.disabled = true;
    try {
      const r = await api(`/v1/runs/${id}/cancel`, { method: "POST" });
      say(`Cancelled (it was ${r.previous}).`, "ok");
    } catch (e) {
      say(e.message, "error");
    }
    cancel.disabled = false;
    refresh();
  } }, "Cancel run");

  // A failed run gets a new activation from its journal (completed steps
  // are not rerun); the page then follows it afresh.
  const retry = el("button", { type: "button", id: "retry", hidden: true, onclick: async () => {
    retry.disabled = true;
    try {
      await api(`/v1/runs/${id}/retry`, { method: "POST" });
    } catch (e) {
      say(e.message, "error");
      retry.disabled = false;
      return;
    }
    retried();
  } }, "Retry run");

  const name = el("input", { id: "signal-name", required: true, autocomplete: "off", placeholder: "e.g. approved" });
  const payload = el("textarea", { id: "signal-payload", spellcheck: "false", rows: 2, placeholder: "null" });
  const send = el("button", { type: "submit", id: "signal-send" }, "Send signal");
  const form = el("form", { class: "signal", id: "signal-form", "aria-label": "Send a signal" },
    el("label", { for: "signal-name" }, "Signal"), name,
    el("label", { for: "signal-payload" }, "Payload (JSON)"), payload, send);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const signal = name.value.trim();
    if (!signal) { say("Name the signal.", "error"); name.focus(); return; }
    let body = null;
    try {
      body = payload.value.trim() ? JSON.parse(payload.value) : null;
    } catch (e) {
      say(`The payload is not valid JSON: ${e.message}`, "error");
      payload.focus();
      return;
    }
    send.disabled = true;
    try {
      const r = await api(`/v1/runs/${id}/signals/${encodeURIComponent(signal)}`, { method: "POST", body: JSON.stringify(body) });
      say(r.run_status === "waiting"
        ? `Signal ${signal} sent; the run resumes.`
        : `Signal ${signal} sent; it is kept until the run waits for it (the run is ${r.run_status}).`, "ok");
    } catch (e) {
      say(e.message, "error");
    }
    send.disabled = false;
    refresh();
  });

  const box = el("section", { class: "actions", id: "actions", "aria-label": "Actions" },
    el("div", { class: "controls" }, cancel, retry), form, message);

  // Which actions the run's status allows.
  function show(status) {
    cancel.hidden = TERMINAL.includes(status);
    retry.hidden = !RETRYABLE.includes(status);
    form.hidden = TERMINAL.includes(status);
  }
  return { el: box, show, cancel, retry };
}
