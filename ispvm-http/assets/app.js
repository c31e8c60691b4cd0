// The live page of the ispvm agent: reads the API, follows the event stream, recolours the
// map, lists incidents, suppression, redundancy lost, maintenance and faults. No framework,
// no network access beyond this server. Every text is inserted with textContent.
"use strict";

const state = {
  session: null,
  tenant: null,
  analysis: null,
  records: new Map(),
  timeline: [],
  simulated: false,
  mapFor: null,
  lintLoaded: false,
};

const $ = (id) => document.getElementById(id);
const nf = new Intl.NumberFormat("en-US");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
  return node;
}

function tenantPath(rest) {
  return "/api/v1/tenants/" + encodeURIComponent(state.tenant) + rest;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.session && state.session.csrf_token) {
    headers["X-CSRF-Token"] = state.session.csrf_token;
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = null; }
  }
  return { status: response.status, ok: response.ok, data };
}

function say(text, isError) {
  const m = $("message");
  m.textContent = text;
  m.hidden = false;
  m.classList.toggle("error", Boolean(isError));
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { m.hidden = true; }, 6000);
}

// Times are shown in UTC, like the analysis.
function fmtTime(iso) {
  return new Date(iso).toISOString().slice(11, 19);
}

function fmtDateTime(iso) {
  const d = new Date(iso);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/Z$/, " UTC");
}

function isOperator() {
  return state.session && state.session.role === "operator";
}

// ---- start -----------------------------------------------------------------------------

async function start() {
  if (new URLSearchParams(location.search).get("login") === "failed") {
    $("login-error").hidden = false;
  }
  const who = await api("GET", "/api/v1/session");
  if (who.status === 401) {
    $("login").hidden = false;
    $("conn").textContent = "signed out";
    $("conn").dataset.state = "idle";
    return;
  }
  if (!who.ok) {
    $("conn").textContent = "error";
    $("conn").dataset.state = "off";
    return;
  }
  state.session = who.data;
  state.tenant = who.data.tenant;
  $("tenant").textContent = state.tenant;
  $("who").textContent = who.data.name + " · " + who.data.role;
  if (who.data.via === "session") {
    $("logout-form").hidden = false;
    $("logout-csrf").value = who.data.csrf_token || "";
  }
  document.body.classList.toggle("viewer", !isOperator());
  $("app").hidden = false;
  wireForms();
  await Promise.all([loadMaintenance(), loadFaults(), loadRecords()]);
  // The first analysis comes with the stream (sent on connect once the tenant has been
  // evaluated): no request is made that would answer 503 while the agent starts.
  connect();
}

// ---- live stream -------------------------------------------------------------------------

function connect() {
  const source = new EventSource(tenantPath("/events"));
  source.addEventListener("open", () => {
    $("conn").textContent = "live";
    $("conn").dataset.state = "live";
  });
  source.addEventListener("error", () => {
    $("conn").textContent = "reconnecting…";
    $("conn").dataset.state = "retry";
  });
  source.addEventListener("analysis", async (event) => {
    let doc;
    try { doc = JSON.parse(event.data); } catch (_) { return; }
    await loadRecords();
    applyAnalysis(doc);
    if (!state.lintLoaded) loadLint();
    loadMaintenance();
    loadFaults();
  });
}

function applyAnalysis(doc) {
  const previous = state.analysis;
  if (previous && doc.evaluated_at < previous.evaluated_at) return;
  state.analysis = doc;
  noteChanges(previous, doc);
  renderStatus(doc);
  renderIncidents(doc);
  renderSuppressed(doc);
  renderRedundancy(doc);
  renderTimeline();
  fillTargets(doc);
  updateMap(doc);
}

// ---- status line -------------------------------------------------------------------------

function renderStatus(doc) {
  const incidents = doc.incidents || [];
  const subscribers = incidents.reduce((n, i) => n + (i.subscribers_affected || 0), 0);
  const counts = {};
  for (const e of doc.entities) counts[e.status] = (counts[e.status] || 0) + 1;
  const status = $("status");
  let headline;
  if (incidents.length === 0) {
    const degraded = (counts.degraded || 0) + (counts.down || 0);
    headline = degraded ? "No incident, " + degraded + " entit" + (degraded === 1 ? "y" : "ies") + " not fully up" : "All good";
    status.dataset.level = degraded ? "warn" : "ok";
  } else {
    headline = incidents.length + (incidents.length === 1 ? " incident, " : " incidents, ") +
      nf.format(subscribers) + (subscribers === 1 ? " subscriber affected" : " subscribers affected");
    status.dataset.level = "bad";
  }
  $("headline").textContent = headline;
  const parts = ["up", "degraded", "down", "unreachable", "maintenance", "unknown"]
    .filter((s) => counts[s])
    .map((s) => nf.format(counts[s]) + " " + s);
  $("subline").textContent = doc.entities.length + " entities: " + parts.join(", ") +
    " · evaluated " + fmtDateTime(doc.evaluated_at);
  document.title = (incidents.length ? "(" + incidents.length + ") " : "") + "ispvm: " + headline;
}

// ---- incidents ---------------------------------------------------------------------------

async function loadRecords() {
  const r = await api("GET", tenantPath("/incidents?state=all"));
  if (!r.ok) return;
  state.records = new Map(r.data.incidents.map((rec) => [rec.id, rec]));
  state.timeline = state.timeline.filter((t) => t.local);
  for (const rec of r.data.incidents) {
    for (const h of rec.history || []) {
      state.timeline.push({ at: h.at, text: h.summary, kind: h.change, incident: rec.id });
    }
  }
}

function renderIncidents(doc) {
  const box = $("incidents");
  box.replaceChildren();
  const incidents = doc.incidents || [];
  $("incident-count").textContent = incidents.length;
  if (!incidents.length) {
    box.append(el("p", { class: "muted" }, "No open incident."));
    return;
  }
  for (const inc of incidents) {
    const record = state.records.get(inc.id);
    const labelled = record && record.feedback ? record.feedback.true_cause : null;
    const card = el("article", { class: "incident", dataset: { incident: inc.id } },
      el("div", { class: "incident-head" },
        el("strong", {}, inc.summary),
        el("span", { class: "subs" }, nf.format(inc.subscribers_affected) + " subscribers")),
      el("div", { class: "meta" }, "opened " + fmtDateTime(inc.opened_at) + " · " + inc.id));
    const causes = el("ul", { class: "causes" });
    for (const cause of inc.root_causes) {
      const pct = Math.round(cause.confidence * 100);
      const evidence = el("ul", { class: "evidence" });
      for (const ev of cause.evidence || []) {
        const what = ev.state ? ev.signal + " " + ev.state : ev.signal + " = " + ev.value;
        evidence.append(el("li", {}, what + " (weight " + ev.weight + ")" + (ev.note ? ": " + ev.note : "")));
      }
      const row = el("li", { class: "cause " + cause.role },
        el("span", { class: "role" }, cause.role),
        el("button", { class: "entity-link", type: "button", onclick: () => showEntity(cause.entity) }, cause.entity),
        el("span", { class: "kind" }, cause.kind),
        el("span", { class: "confidence", title: "confidence" },
          meter(pct),
          pct + " %"));
      if (labelled === cause.entity) {
        row.append(el("span", { class: "labelled" }, "✓ marked true cause"));
      } else if (isOperator()) {
        row.append(el("button", {
          class: "feedback", type: "button", dataset: { cause: cause.entity },
          onclick: () => sendFeedback(inc.id, cause.entity),
        }, "This is the true cause"));
      }
      row.append(evidence);
      causes.append(row);
    }
    card.append(causes);
    if (inc.impacted && inc.impacted.length) {
      card.append(el("div", { class: "impacted" }, "Impacted: " + inc.impacted.join(", ")));
    }
    box.append(card);
  }
}

function meter(pct) {
  const fill = el("span", { class: "fill" });
  fill.style.width = pct + "%";
  return el("span", { class: "meter", role: "meter", "aria-valuenow": pct, "aria-valuemin": 0, "aria-valuemax": 100 }, fill);
}

async function sendFeedback(incident, cause) {
  const r = await api("POST", tenantPath("/incidents/" + encodeURIComponent(incident) + "/feedback"), { true_cause: cause });
  if (r.status === 204) {
    say("Recorded: " + cause + " is the true cause.");
    await loadRecords();
    if (state.analysis) renderIncidents(state.analysis);
  } else {
    say("Feedback refused: " + ((r.data && r.data.error) || r.status), true);
  }
}

// ---- suppression, redundancy, timeline -------------------------------------------------

function renderSuppressed(doc) {
  const rows = doc.entities.filter((e) => e.suppressed);
  $("suppressed-count").textContent = rows.length;
  const box = $("suppressed");
  box.replaceChildren();
  if (!rows.length) { box.append(el("p", { class: "muted" }, "None.")); return; }
  const list = el("ul", { class: "plain" });
  for (const e of rows) {
    list.append(el("li", {},
      el("span", { class: "chip status-" + e.status }, e.status),
      el("button", { class: "entity-link", type: "button", onclick: () => showEntity(e.id) }, e.id),
      e.explained_by && e.explained_by.length ? el("span", { class: "why" }, " explained by " + e.explained_by.join(", ")) : null,
      (e.reasons || []).length ? el("div", { class: "reasons" }, e.reasons.join("; ")) : null));
  }
  box.append(list);
}

function renderRedundancy(doc) {
  const rows = doc.entities.filter((e) => (e.redundancy_lost || []).length);
  $("redundancy-count").textContent = rows.length;
  const box = $("redundancy");
  box.replaceChildren();
  if (!rows.length) { box.append(el("p", { class: "muted" }, "None.")); return; }
  const list = el("ul", { class: "plain" });
  for (const e of rows) {
    list.append(el("li", {},
      el("button", { class: "entity-link", type: "button", onclick: () => showEntity(e.id) }, e.id),
      el("span", { class: "why" }, " " + e.redundancy_lost.join("; "))));
  }
  box.append(list);
}

function noteChanges(previous, doc) {
  if (!previous) return;
  const before = new Map(previous.entities.map((e) => [e.id, e.status]));
  for (const e of doc.entities) {
    const was = before.get(e.id);
    if (was && was !== e.status && !e.suppressed) {
      state.timeline.push({ at: doc.evaluated_at, text: e.id + ": " + was + " → " + e.status, kind: "status", local: true });
    }
  }
}

function timelineStamp(iso) {
  const reference = state.analysis ? state.analysis.evaluated_at.slice(0, 10) : "";
  return iso.slice(0, 10) === reference ? fmtTime(iso) : iso.slice(5, 10) + " " + fmtTime(iso);
}

function renderTimeline() {
  const list = $("timeline");
  list.replaceChildren();
  const items = state.timeline.slice().sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, 40);
  if (!items.length) { list.append(el("li", { class: "muted" }, "Nothing yet.")); return; }
  for (const t of items) {
    list.append(el("li", { class: "tl-" + t.kind },
      el("time", { datetime: t.at }, timelineStamp(t.at)), " ", t.text));
  }
}

// ---- map ---------------------------------------------------------------------------------

// The map is drawn by the server (ispvm_report::svg). Each new analysis recolours it at once
// (status classes on nodes and edges), then the drawing is fetched again so that its captions
// (status, cause) match too; the layout does not move.
async function updateMap(doc) {
  recolour(doc);
  const wanted = doc.evaluated_at;
  if (state.mapFor === wanted) return;
  state.mapFor = wanted;
  const response = await fetch(tenantPath("/map.svg"), { credentials: "same-origin" });
  const box = $("map");
  if (state.mapFor !== wanted) return;
  if (!response.ok) {
    box.replaceChildren(el("p", { class: "muted" }, "No topology loaded."));
    return;
  }
  const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
  const svg = parsed.documentElement;
  if (svg.nodeName.toLowerCase() !== "svg" || state.mapFor !== wanted) return;
  box.replaceChildren(document.importNode(svg, true));
  box.querySelectorAll("[data-entity]").forEach((node) => {
    node.addEventListener("click", (event) => {
      event.preventDefault();
      showEntity(node.getAttribute("data-entity"));
    });
  });
  recolour(state.analysis);
}

function setStatusClass(node, status) {
  for (const c of Array.from(node.classList)) if (c.startsWith("status-")) node.classList.remove(c);
  node.classList.add("status-" + status);
}

function recolour(doc) {
  if (!doc) return;
  const status = new Map(doc.entities.map((e) => [e.id, e.status]));
  const causes = new Map();
  for (const inc of doc.incidents || []) for (const c of inc.root_causes) causes.set(c.entity, c.role);
  const box = $("map");
  box.querySelectorAll("[data-entity]").forEach((node) => {
    const id = node.getAttribute("data-entity");
    const s = status.get(id) || "unknown";
    setStatusClass(node, s);
    node.setAttribute("data-status", s);
    node.classList.toggle("cause", causes.has(id));
    node.classList.toggle("primary", causes.get(id) === "primary");
  });
  box.querySelectorAll("[data-from]").forEach((edge) => {
    setStatusClass(edge, status.get(edge.getAttribute("data-from")) || "unknown");
  });
}

async function showEntity(id) {
  const box = $("entity");
  const r = await api("GET", tenantPath("/entities/" + encodeURIComponent(id)));
  box.hidden = false;
  box.replaceChildren();
  if (!r.ok) {
    box.append(el("p", {}, id + ": " + ((r.data && r.data.error) || r.status)));
    return;
  }
  const v = r.data;
  box.append(
    el("div", { class: "entity-head" },
      el("strong", {}, v.id), " ", el("span", { class: "chip status-" + v.status }, v.status),
      v.suppressed ? el("span", { class: "why" }, " suppressed") : null,
      el("button", { type: "button", class: "link-button", onclick: () => { box.hidden = true; } }, "close")),
    v.explained_by.length ? el("div", {}, "Explained by " + v.explained_by.join(", ")) : null,
    v.reasons.length ? el("div", { class: "reasons" }, v.reasons.join("; ")) : null,
    v.redundancy_lost.length ? el("div", {}, "Redundancy lost: " + v.redundancy_lost.join("; ")) : null,
    v.evidence.length ? el("div", {}, "Evidence: " + v.evidence.map((e) => e.signal + " " + (e.state || e.value)).join(", ")) : null,
    v.incidents.length ? el("div", {}, "Incidents: " + v.incidents.join(", ")) : null);
}

// ---- style guide (topology linter) -------------------------------------------------------

async function loadLint() {
  const r = await api("GET", tenantPath("/lint"));
  const box = $("lint");
  box.replaceChildren();
  if (!r.ok || !r.data) {
    $("lint-count").textContent = "?";
    box.append(el("p", { class: "muted" }, "Not available yet."));
    return;
  }
  state.lintLoaded = true;
  const s = r.data.summary;
  $("lint-count").textContent = String(r.data.findings.length);
  $("lint-card").dataset.level = s.errors ? "error" : s.warnings ? "warning" : "clean";
  if (!r.data.findings.length) {
    box.append(el("p", { class: "muted" }, "Clean: the topology follows the style guide."));
    return;
  }
  box.append(el("p", { class: "lint-summary" },
    s.errors + " error(s), " + s.warnings + " warning(s), " + s.hints + " hint(s)"));
  const list = el("ul", { class: "plain lint" });
  for (const f of r.data.findings) {
    list.append(el("li", { class: "finding " + f.severity, dataset: { code: f.code } },
      el("span", { class: "sev" }, f.severity),
      " ", el("code", {}, f.code), " ",
      el("strong", {}, f.subject), ": " + f.message,
      el("div", { class: "fix" }, "fix: " + f.fix)));
  }
  box.append(list);
}

// ---- maintenance and faults --------------------------------------------------------------

async function loadMaintenance() {
  const r = await api("GET", tenantPath("/maintenance"));
  const box = $("maintenance");
  box.replaceChildren();
  if (!r.ok || !r.data.windows.length) {
    box.append(el("p", { class: "muted" }, "No window."));
    return;
  }
  const list = el("ul", { class: "plain" });
  for (const w of r.data.windows) {
    const li = el("li", {},
      el("strong", {}, w.entities.join(", ")),
      " until " + fmtDateTime(w.end) + (w.reason ? " · " + w.reason : "") + " · by " + w.created_by);
    if (isOperator()) {
      li.append(" ", el("button", {
        type: "button", class: "small", onclick: async () => {
          const e = await api("DELETE", tenantPath("/maintenance/" + encodeURIComponent(w.id)));
          if (e.ok) { say("Window ended."); loadMaintenance(); } else say("Could not end it: " + (e.data && e.data.error), true);
        },
      }, "End now"));
    }
    list.append(li);
  }
  box.append(list);
}

async function loadFaults() {
  const r = await api("GET", tenantPath("/sim/faults"));
  state.simulated = r.ok;
  $("sim-card").hidden = !r.ok;
  if (!r.ok) return;
  const box = $("faults");
  box.replaceChildren();
  if (!r.data.faults.length) { box.append(el("p", { class: "muted" }, "No active fault.")); return; }
  const list = el("ul", { class: "plain" });
  for (const f of r.data.faults) {
    const li = el("li", {}, el("strong", {}, f.fault.replace("_", " ")), " on " + f.target + " since " + fmtTime(f.created_at));
    if (isOperator()) {
      li.append(" ", el("button", {
        type: "button", class: "small", onclick: async () => {
          const e = await api("DELETE", tenantPath("/sim/faults/" + encodeURIComponent(f.id)));
          if (e.status === 204) { say("Repaired " + f.target + "."); loadFaults(); } else say("Repair failed: " + (e.data && e.data.error), true);
        },
      }, "Repair"));
    }
    list.append(li);
  }
  box.append(list);
}

function fillTargets(doc) {
  const select = $("fault-target");
  const current = select.value;
  const ids = doc.entities.map((e) => e.id);
  if (select.options.length === ids.length) return;
  select.replaceChildren(...ids.map((id) => el("option", { value: id }, id)));
  if (ids.includes(current)) select.value = current;
}

function wireForms() {
  $("maintenance-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const entities = form.entities.value.split(/[\s,]+/).filter(Boolean);
    const minutes = Number(form.minutes.value);
    const end = new Date(Date.now() + minutes * 60000).toISOString();
    const body = { entities, end };
    if (form.reason.value) body.reason = form.reason.value;
    const r = await api("POST", tenantPath("/maintenance"), body);
    if (r.status === 201) { say("Maintenance window started."); form.reset(); loadMaintenance(); }
    else say("Refused: " + ((r.data && r.data.error) || r.status), true);
  });
  $("fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const r = await api("POST", tenantPath("/sim/faults"), { fault: form.fault.value, target: form.target.value });
    if (r.status === 201) { say("Fault injected: " + form.fault.value + " on " + form.target.value + "."); loadFaults(); }
    else say("Refused: " + ((r.data && r.data.error) || r.status), true);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  start().catch(() => {
    $("conn").textContent = "error";
    $("conn").dataset.state = "off";
  });
});
