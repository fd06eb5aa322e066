// The workflows and versions views (`#/workflows`): each workflow with its
// active version and how many versions export it; each deployed version
// with the workflows it is active for, its deploy time and how many runs
// it holds. From `GET /v1/versions`. Loaded before app.js; uses its
// helpers (`el`, `api`, `time`, `ago`, `every`) once called.
"use strict";

// Workflow name → { active, versions: [version] }, names in order.
function byWorkflow(versions) {
  const flows = new Map();
  for (const v of versions) {
    for (const w of v.workflows) {
      if (!flows.has(w)) flows.set(w, { name: w, active: null, versions: [] });
      const f = flows.get(w);
      f.versions.push(v);
      if (v.active_for.includes(w)) f.active = v;
    }
  }
  return [...flows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function shortSha(sha) {
  return el("code", { title: sha }, sha.slice(0, 12));
}

function workflowRow(f) {
  const runs = f.versions.reduce((n, v) => n + v.runs, 0);
  return el("tr", { "data-workflow": f.name },
    el("td", {}, el("a", { href: `#/?workflow=${encodeURIComponent(f.name)}` }, f.name)),
    el("td", {}, f.active ? shortSha(f.active.sha) : el("span", { class: "muted" }, "none")),
    el("td", { title: f.active ? time(f.active.deployed_at) : "" }, f.active ? ago(f.active.deployed_at) : ""),
    el("td", { class: "num" }, String(f.versions.length)),
    el("td", { class: "num", title: "runs on the versions that export it" }, String(runs)));
}

function versionRow(v) {
  const flows = v.workflows.map((w) => (v.active_for.includes(w)
    ? el("span", { class: "active-for", title: "the active version of this workflow" }, `${w} (active)`)
    : el("span", { class: "muted" }, w)));
  const options = [v.pin ? "pin" : null, v.strict ? "strict" : null,
    v.allow_http.length ? `http: ${v.allow_http.join(", ")}` : null].filter(Boolean).join(" · ");
  return el("tr", { "data-version": v.sha, "data-active": v.active_for.length ? "true" : "false" },
    el("td", {}, shortSha(v.sha)),
    el("td", { class: "flows" }, flows.flatMap((f, i) => (i ? [", ", f] : [f]))),
    el("td", { title: time(v.deployed_at) }, ago(v.deployed_at)),
    el("td", { class: "num" }, String(v.runs)),
    el("td", { class: "muted" }, options));
}

function workflowsPage() {
  setNav("workflows");
  // A column name ending in "#" is a number's (right-aligned).
  const head = (...names) => el("thead", {}, el("tr", {}, names.map((n) => (n.endsWith("#")
    ? el("th", { scope: "col", class: "num" }, n.slice(0, -1))
    : el("th", { scope: "col" }, n)))));
  const flows = el("tbody");
  const versions = el("tbody");
  app.replaceChildren(
    el("h1", {}, "Workflows"),
    el("table", { id: "workflows" }, head("Workflow", "Active version", "Deployed", "Versions#", "Runs on its versions#"), flows),
    el("h2", {}, "Versions"),
    el("table", { id: "versions" }, head("Version", "Workflows", "Deployed", "Runs#", "Options"), versions));
  every(5000, async () => {
    try {
      const list = (await api("/v1/versions")).versions;
      list.sort((a, b) => b.deployed_at - a.deployed_at);
      flows.replaceChildren(...byWorkflow(list).map(workflowRow));
      versions.replaceChildren(...list.map(versionRow));
      if (!list.length) flows.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "Nothing is deployed.")));
    } catch (e) {
      flows.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "message error" }, e.message)));
    }
    refreshPromptCount();
  });
}
