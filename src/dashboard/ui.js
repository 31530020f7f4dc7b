// The dashboard's behaviour: polls /_kms/ui/api/ and the admin API, and draws keys, a key's
// page, per-second traffic charts and the admin controls. Text from the server is only ever
// set with textContent (key descriptions and tags are the users' own strings), never parsed
// as HTML. The admin token comes from /_kms/ui#token=... or the token form, stays in this
// tab's sessionStorage and goes out as Authorization: Bearer.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const state = { scope: null, keys: [], openKey: null, quotaEdits: new Map() };

// ---- plumbing -------------------------------------------------------------------------

// The URL's fragment: #token=... (taken out at once) and #key=<key ID> (a key's page).
function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("token")) {
    sessionStorage.setItem("kms-admin-token", params.get("token"));
    params.delete("token");
    history.replaceState(null, "", location.pathname + location.search + (params.toString() ? "#" + params : ""));
  }
  state.openKey = params.get("key");
}

function openKey(id) {
  state.openKey = id;
  history.replaceState(null, "", location.pathname + location.search + (id ? "#key=" + encodeURIComponent(id) : ""));
  if (!id) document.getElementById("key-section").hidden = true;
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers);
  const token = sessionStorage.getItem("kms-admin-token");
  if (token) headers.Authorization = "Bearer " + token;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { message: text }; }
  if (response.status === 401) {
    document.getElementById("token-form").hidden = false;
    throw new Error("the admin API needs the admin token");
  }
  if (!response.ok) throw new Error((body && body.message) || response.status + " " + response.statusText);
  return body;
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function row(cells, attrs) {
  const tr = el("tr", null, attrs);
  for (const cell of cells) {
    if (cell instanceof Node) { const td = el("td"); td.append(cell); tr.append(td); }
    else tr.append(el("td", cell));
  }
  return tr;
}

function fillTable(id, rows) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren(...rows);
}

function facts(id, entries) {
  const dl = document.getElementById(id);
  dl.replaceChildren();
  for (const [name, value] of entries) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(el("dt", name), el("dd", typeof value === "object" ? JSON.stringify(value) : value));
  }
}

function date(seconds) {
  if (typeof seconds !== "number") return seconds || "";
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function status(message, isError) {
  const p = document.getElementById("status");
  p.textContent = message || "";
  p.className = isError ? "error" : "";
}

async function guarded(work) {
  try { await work(); status(""); } catch (e) { status(e.message, true); }
}

// ---- summary and scopes ---------------------------------------------------------------

async function loadSummary() {
  const s = await api("/_kms/ui/api/summary");
  facts("summary", [
    ["version", s.version], ["emulated time", s.now], ["auth", s.auth],
    ["throttling", s.throttle ? "on" : "off"], ["keys", s.keys], ["storage", s.storage],
    ["audit log", s.audit_log ? "on" : "off"],
  ]);
  document.getElementById("clock").textContent =
    s.now + (s.clock_offset_seconds ? " (" + s.clock_offset_seconds + " s ahead)" : "");
  const select = document.getElementById("scope");
  const scopes = s.scopes.map((x) => x.account + "/" + x.region);
  const home = s.default_account + "/" + s.default_region;
  if (!scopes.includes(home)) scopes.unshift(home);
  if (state.scope === null) state.scope = home;
  const counts = new Map(s.scopes.map((x) => [x.account + "/" + x.region, x.keys]));
  const current = [...select.options].map((o) => o.value + ":" + o.textContent).join();
  const wanted = scopes.map((v) => v + ":" + v + " (" + (counts.get(v) || 0) + " keys)").join();
  if (current !== wanted) {
    select.replaceChildren(...scopes.map((v) => el("option", v + " (" + (counts.get(v) || 0) + " keys)", { value: v })));
  }
  select.value = state.scope;
}

// ---- keys -----------------------------------------------------------------------------

function scopeQuery() {
  const [account, region] = state.scope.split("/");
  return "account=" + encodeURIComponent(account) + "&region=" + encodeURIComponent(region);
}

async function loadKeys() {
  if (state.scope === null) return;
  const answer = await api("/_kms/ui/api/keys?" + scopeQuery());
  state.keys = answer.keys;
  state.total = answer.total;
  const specs = document.getElementById("filter-spec");
  const chosen = specs.value;
  const known = [...new Set(state.keys.map((k) => k.KeySpec))].sort();
  const listed = [...specs.options].slice(1).map((o) => o.value);
  if (listed.join() !== known.join()) {
    specs.replaceChildren(el("option", "any", { value: "" }), ...known.map((s) => el("option", s)));
    specs.value = known.includes(chosen) ? chosen : "";
  }
  drawKeys();
}

function drawKeys() {
  const wantState = document.getElementById("filter-state").value;
  const wantSpec = document.getElementById("filter-spec").value;
  const wantAlias = document.getElementById("filter-alias").value.trim().toLowerCase();
  const shown = state.keys.filter((k) =>
    (!wantState || k.KeyState === wantState) &&
    (!wantSpec || k.KeySpec === wantSpec) &&
    (!wantAlias || k.Aliases.some((a) => a.toLowerCase().includes(wantAlias))));
  fillTable("keys", shown.map((k) => row([
    el("span", k.KeyId, { class: "key-id" }), k.Aliases.join(", "), k.KeySpec, k.KeyUsage,
    el("span", k.KeyState, { class: "state-" + k.KeyState }), date(k.CreationDate), k.Description,
  ], { class: "key-row", "data-key-id": k.KeyId })));
  document.querySelectorAll("#keys tbody td:first-child").forEach((td) => td.classList.add("id"));
  document.getElementById("keys-count").textContent =
    shown.length + " of " + state.keys.length + " keys in " + state.scope +
    (state.total > state.keys.length ? " (the first " + state.keys.length + " of " + state.total + " are listed)" : "");
}

// ---- one key --------------------------------------------------------------------------

function failed(part) { return part && typeof part === "object" && typeof part.error === "string"; }

async function loadKey() {
  if (!state.openKey) return;
  const k = await api("/_kms/ui/api/key?" + scopeQuery() + "&id=" + encodeURIComponent(state.openKey));
  document.getElementById("key-section").hidden = false;
  const m = k.metadata;
  document.getElementById("key-title").textContent = m.KeyId;
  facts("key-metadata", [
    ["ARN", m.Arn], ["state", m.KeyState], ["spec", m.KeySpec], ["usage", m.KeyUsage],
    ["origin", m.Origin], ["manager", m.KeyManager], ["description", m.Description],
    ["created", date(m.CreationDate)], ["deletion date", date(m.DeletionDate)],
    ["multi-Region", m.MultiRegion ? "yes" : "no"], ["current material", m.CurrentKeyMaterialId],
    ["encryption algorithms", (m.EncryptionAlgorithms || []).join(", ")],
    ["signing algorithms", (m.SigningAlgorithms || []).join(", ")],
    ["MAC algorithms", (m.MacAlgorithms || []).join(", ")],
    ["key agreement", (m.KeyAgreementAlgorithms || []).join(", ")],
    ["custom key store", m.CustomKeyStoreId],
  ]);
  const aliases = document.getElementById("key-aliases");
  aliases.replaceChildren(...(failed(k.aliases) ? [el("li", k.aliases.error)]
    : k.aliases.map((a) => el("li", a.AliasName))));
  fillTable("key-tags", failed(k.tags) ? [row([k.tags.error])]
    : (k.tags.Tags || []).map((t) => row([t.TagKey, t.TagValue])));
  const usage = k.last_usage;
  facts("key-usage", failed(usage) ? [["", usage.error]] : [
    ...Object.entries(usage.KeyLastUsage || {}).map(([name, value]) => [name, typeof value === "number" ? date(value) : value]),
    ["tracked since", date(usage.TrackingStartDate)]]);
  const rs = k.rotation_status;
  document.getElementById("key-rotation-status").textContent = failed(rs) ? rs.error
    : "automatic rotation " + (rs.KeyRotationEnabled ? "on, every " + rs.RotationPeriodInDays + " days, next " + date(rs.NextRotationDate) : "off");
  fillTable("key-rotations", failed(k.rotations) ? [row([k.rotations.error])]
    : (k.rotations.Rotations || []).map((r) => row([
      r.KeyMaterialId || "", r.RotationType || "", r.KeyMaterialState || "", date(r.RotationDate)])));
  fillTable("key-grants", failed(k.grants) ? [row([k.grants.error])]
    : (k.grants.Grants || []).map((g) => row([
      g.GrantId, g.Name || "", g.GranteePrincipal, (g.Operations || []).join(", "),
      g.Constraints ? JSON.stringify(g.Constraints) : ""])));
  document.getElementById("key-policy").textContent = JSON.stringify(k.policy, null, 2);
}

// ---- traffic --------------------------------------------------------------------------

function chart(title, series, limit, attrs) {
  const figure = el("figure", null, Object.assign({ class: "chart" }, attrs));
  const peak = Math.max(1, limit || 0, ...series.flatMap((s) => s.values));
  const top = peak * 1.1;
  const width = 60, height = 30;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("preserveAspectRatio", "none");
  const y = (v) => (height - (v / top) * height).toFixed(2);
  if (limit !== null && limit !== undefined) {
    const line = document.createElementNS(SVG, "line");
    line.setAttribute("class", "limit");
    line.setAttribute("x1", 0); line.setAttribute("x2", width);
    line.setAttribute("y1", y(limit)); line.setAttribute("y2", y(limit));
    svg.append(line);
  }
  for (const s of series) {
    const poly = document.createElementNS(SVG, "polyline");
    poly.setAttribute("class", s.name);
    poly.setAttribute("points", s.values.map((v, i) => i + "," + y(v)).join(" "));
    svg.append(poly);
  }
  const caption = el("figcaption");
  const sum = (name) => series.find((s) => s.name === name).values.reduce((a, b) => a + b, 0);
  const last = series[0].values[series[0].values.length - 1];
  caption.append(el("strong", title), el("span", last + "/s now" + (limit !== null && limit !== undefined ? ", limit " + limit + "/s" : ""), { class: "muted" }));
  figure.append(caption, svg);
  for (const s of series) figure.setAttribute("data-" + s.name, sum(s.name));
  return figure;
}

async function loadTraffic() {
  const t = await api("/_kms/ui/api/traffic");
  const total = (values) => values.reduce((a, b) => a + b, 0);
  const quotas = t.quotas.slice().sort((a, b) => total(b.admitted) + total(b.throttled) - total(a.admitted) - total(a.throttled));
  const quotaCharts = document.getElementById("quota-charts");
  quotaCharts.replaceChildren(...quotas.map((q) => chart(q.quota, [
    { name: "admitted", values: q.admitted }, { name: "throttled", values: q.throttled }],
  t.throttle ? q.limit : null, { "data-quota": q.quota, "data-limit": q.limit })));
  if (!quotas.length) quotaCharts.append(el("p", "no requests in the last minute", { class: "muted" }));
  const ops = t.operations.slice().sort((a, b) => total(b.requests) - total(a.requests));
  const opCharts = document.getElementById("operation-charts");
  opCharts.replaceChildren(...ops.map((o) => chart(o.operation, [
    { name: "admitted", values: o.requests }, { name: "errors", values: o.errors },
    { name: "throttled", values: o.throttles }], null, { "data-operation": o.operation })));
  if (!ops.length) opCharts.append(el("p", "no requests in the last minute", { class: "muted" }));
}

// ---- administration -------------------------------------------------------------------

async function loadFaults() {
  const f = await api("/_kms/faults");
  document.getElementById("faults").textContent = f.rules.length ? JSON.stringify(f.rules, null, 2) : "no faults";
}

async function loadQuotas() {
  const q = await api("/_kms/quotas");
  document.getElementById("throttle-on").checked = q.throttle === "aws";
  const used = new Map(q.usage.filter((u) => u.account === q.account && u.region === q.region)
    .map((u) => [u.quota, u.used]));
  const focused = document.activeElement && document.activeElement.classList.contains("rate");
  if (focused) return;
  fillTable("quotas", Object.entries(q.quotas).map(([name, rate]) => {
    const input = el("input", null, { class: "rate", type: "number", min: "0", step: "any", name });
    input.value = state.quotaEdits.has(name) ? state.quotaEdits.get(name) : rate;
    input.addEventListener("input", () => state.quotaEdits.set(name, input.value));
    return row([name, input, used.has(name) ? used.get(name) : ""], { "data-quota": name });
  }));
}

async function loadAudit() {
  const a = await api("/_kms/ui/api/audit");
  document.getElementById("audit-state").textContent = a.enabled
    ? (a.dropped ? a.dropped + " events dropped by a busy writer" : "")
    : "the audit log is off: start the emulator with --audit-log PATH (or - for stdout) to see events here";
  fillTable("audit", a.events.slice(0, 30).map((e) => row([
    e.eventTime, e.eventName, (e.userIdentity && (e.userIdentity.arn || e.userIdentity.accountId)) || "",
    ((e.resources || [])[0] || {}).ARN || "", e.errorCode || ""])));
}

function wire() {
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("kms-admin-token", document.getElementById("token").value);
    document.getElementById("token-form").hidden = true;
    refreshAll();
  });
  document.getElementById("scope").addEventListener("change", (event) => {
    state.scope = event.target.value;
    openKey(null);
    guarded(loadKeys);
  });
  for (const id of ["filter-state", "filter-spec", "filter-alias"]) {
    document.getElementById(id).addEventListener("input", drawKeys);
  }
  document.querySelector("#keys tbody").addEventListener("click", (event) => {
    const tr = event.target.closest("tr.key-row");
    if (!tr) return;
    openKey(tr.getAttribute("data-key-id"));
    guarded(loadKey);
  });
  document.getElementById("key-close").addEventListener("click", () => openKey(null));
  document.querySelectorAll("button[data-advance]").forEach((button) => {
    button.addEventListener("click", () => guarded(async () => {
      const out = await api("/_kms/clock", { method: "POST", body: JSON.stringify({ advance_seconds: Number(button.dataset.advance) }) });
      document.getElementById("clock-result").textContent = "now " + out.now + ": " + out.rotations + " rotations, " +
        out.deletions + " deletions, " + out.expirations + " expirations";
      await loadSummary(); await loadKeys(); await loadKey();
    }));
  });
  document.getElementById("faults-apply").addEventListener("click", () => guarded(async () => {
    const text = document.getElementById("faults-edit").value;
    try { await api("/_kms/faults", { method: "PUT", body: text }); document.getElementById("faults-result").textContent = "applied"; }
    catch (e) { document.getElementById("faults-result").textContent = e.message; }
    await loadFaults();
  }));
  document.getElementById("faults-clear").addEventListener("click", () => guarded(async () => {
    await api("/_kms/faults", { method: "DELETE" });
    document.getElementById("faults-result").textContent = "cleared";
    await loadFaults();
  }));
  document.getElementById("throttle-on").addEventListener("change", (event) => guarded(async () => {
    await api("/_kms/quotas", { method: "PUT", body: JSON.stringify({ throttle: event.target.checked ? "aws" : "off" }) });
    await loadQuotas(); await loadSummary();
  }));
  document.getElementById("quotas-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const changes = {};
      for (const [name, value] of state.quotaEdits) changes[name] = value === "" ? null : Number(value);
      const result = document.getElementById("quotas-result");
      try {
        await api("/_kms/quotas", { method: "PUT", body: JSON.stringify(changes) });
        result.textContent = Object.keys(changes).length + " rates changed, for every account and Region";
        state.quotaEdits.clear();
      } catch (e) { result.textContent = e.message; }
      document.activeElement.blur();
      await loadQuotas();
    });
  });
}

function refreshAll() {
  guarded(async () => {
    await loadSummary();
    await Promise.all([loadKeys(), loadKey(), loadTraffic(), loadFaults(), loadQuotas(), loadAudit()]);
    document.body.setAttribute("data-loaded", "true");
  });
}

readFragment();
wire();
refreshAll();
setInterval(() => guarded(loadTraffic), 1000);
setInterval(() => guarded(async () => { await loadSummary(); await loadKeys(); await loadAudit(); await loadQuotas(); }), 3000);
