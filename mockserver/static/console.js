// The mockserver console: a live feed from GET /_mock/events, the state from
// GET /_mock/data, and the control plane's own calls for the presenter's controls.
"use strict";
const $ = (id) => document.getElementById(id);
const FEED_ROWS = 200; // requests kept on the page (and their details)
const STATE_ROWS = 8; // newest records shown per collection
const TOKEN_KEY = "mockserver.adminToken";
const OPS = JSON.parse($("operations").textContent);
const entries = new Map(); // feed id -> entry, for the detail view
const states = new Map(); // "vendor/collection/key" -> state shown, to mark moves
const pending = new Map(); // "vendor/collection" -> timer of a re-fetch
let clock = null, clockAt = 0, rules = [];

function el(tag, attrs = {}, ...kids) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...kids);
  return node;
}
function say(text) { $("message").textContent = text; }

// Control-plane calls: JSON bodies (guard.py refuses other writes) and, when the server
// has one, the admin token kept in this tab's sessionStorage (asked for on a 403).
async function api(method, path, body) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    const init = { method, headers };
    if (method !== "GET") init.body = JSON.stringify(body === undefined ? {} : body);
    const response = await fetch(path, init);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (response.status === 403 && data && data.code === "AdminTokenRequired" && attempt === 0) {
      if (!askToken()) return { ok: false, status: 403, data };
      continue;
    }
    if (!response.ok && data && data.message) say(`${method} ${path}: ${data.message}`);
    return { ok: response.ok, status: response.status, data };
  }
}
function askToken() {
  const given = prompt("Admin token (the server's --admin-token); kept for this tab only:");
  if (given === null) return false;
  if (given) sessionStorage.setItem(TOKEN_KEY, given.trim());
  else sessionStorage.removeItem(TOKEN_KEY);
  return true;
}

// The feed
function outcome(e) {
  const parts = [];
  if (e.fault) parts.push("fault " + (e.fault.fault || e.fault.status || e.fault.source));
  if (e.auth) parts.push("auth " + e.auth);
  return parts.join(", ");
}
function addRequest(e) {
  entries.set(e.id, e);
  const status = e.status == null ? "-" : String(e.status);
  const row = el("tr", { tabindex: "0", class: "new", "data-id": e.id,
      onclick: () => showDetail(e.id), onkeydown: (k) => { if (k.key === "Enter") showDetail(e.id); } },
    el("td", { text: e.time.slice(11, 23) }), el("td", { text: e.vendor || "-" }),
    el("td", { text: e.operation || e.method + " " + e.path, title: e.method + " " + e.path }),
    el("td", { class: "s" + status[0], text: status }),
    el("td", { class: "num", text: e.duration_ms.toFixed(1) }),
    el("td", { class: "outcome", text: outcome(e) }));
  prepend(row);
}
function prepend(row) {
  const body = $("feed").tBodies[0];
  body.prepend(row);
  while (body.rows.length > FEED_ROWS) {
    entries.delete(Number(body.lastElementChild.dataset.id));
    body.lastElementChild.remove();
  }
}
function showDetail(id) {
  const e = entries.get(id);
  if (!e) return;
  $("detail-title").textContent = `${e.method} ${e.path} -> ${e.status ?? "nothing answered"}`;
  const block = (title, value) => [el("h3", { text: title }),
    el("pre", { text: value == null ? "(none)" : typeof value === "string" ? value : JSON.stringify(value, null, 2) })];
  const captured = e.sent !== undefined;
  $("detail-body").replaceChildren(
    el("p", { text: `${e.time}  ${e.vendor || "-"} ${e.operation || ""}  ${e.duration_ms} ms  request id ${e.request_id || "-"}` }),
    ...block("Query", e.query), ...block("Auth headers (masked)", e.headers),
    ...(e.fault ? block("Fault", e.fault) : []),
    ...block("Body", captured ? e.sent : e.body ?? "(not captured: sent before this console opened)"),
    ...block("Answer", captured ? e.answer : "(not captured: sent before this console opened)"));
  $("detail").showModal();
}

// The state: the newest records of each collection, re-read when a "changed" event names it
function refetch(vendor, collection, follow = false) {
  const key = vendor + "/" + collection;
  if (pending.has(key)) return;
  pending.set(key, setTimeout(async () => {
    pending.delete(key);
    await loadCollection(vendor, collection);
    if (follow) show($(`state-${vendor}-${collection}`));
  }, 100));
}
function show(box) { // the collection that just changed, scrolled into the state panel
  const panel = $("state");
  if (box && !panel.contains(document.activeElement)) panel.scrollTop = box.offsetTop;
}
async function page(vendor, collection, offset) {
  const q = new URLSearchParams({ vendor, collection, offset, limit: STATE_ROWS });
  const r = await api("GET", "/_mock/data?" + q);
  return r.ok ? r.data : null;
}
async function loadCollection(vendor, collection) {
  let data = await page(vendor, collection, 0);
  if (data && data.total > STATE_ROWS) data = await page(vendor, collection, data.total - STATE_ROWS);
  if (!data) return;
  renderCollection(vendor, collection, data.records.slice().reverse(), data.total);
}
const isState = (k) => /^(state|status|lifecycle)$|Status$|State$/i.test(k);
function columns(records, keys) {
  const fields = [];
  for (const r of records) for (const [k, v] of Object.entries(r))
    if (!fields.includes(k) && (v === null || typeof v !== "object")) fields.push(k);
  const ranked = keys.filter((k) => fields.includes(k));
  const add = (k) => { if (!ranked.includes(k)) ranked.push(k); };
  fields.filter(isState).forEach(add);
  fields.filter((k) => /name$/i.test(k)).slice(0, 2).forEach(add);
  for (const k of fields) if (ranked.length < 6) add(k);
  return ranked.slice(0, 6);
}
function renderCollection(vendor, collection, records, total) {
  const box = $(`state-${vendor}-${collection}`);
  if (!box) return;
  const keys = OPS[vendor]?.keys?.[collection] || [];
  const cols = columns(records, keys);
  const head = el("tr", {}, ...cols.map((k) => el("th", { text: k })));
  const rows = records.map((r) => {
    const key = (keys.length ? keys : cols.slice(0, 1)).map((k) => String(r[k])).join("/");
    return el("tr", { "data-key": key }, ...cols.map((k) => {
      const text = r[k] == null ? "" : String(r[k]);
      const cell = el("td", { text, title: text });
      if (isState(k)) {
        cell.className = "state state-" + text;
        const seen = `${vendor}/${collection}/${key}/${k}`;
        if (states.has(seen) && states.get(seen) !== text) cell.classList.add("moved");
        states.set(seen, text);
      }
      return cell;
    }));
  });
  box.replaceChildren(el("h3", { text: `${OPS[vendor]?.title || vendor}: ${collection} (${total})` }),
    records.length ? el("table", { "data-vendor": vendor, "data-collection": collection },
      el("thead", {}, head), el("tbody", {}, ...rows)) : el("p", { class: "label", text: "no records" }));
}
function buildState(records) {
  const boxes = [];
  for (const [vendor, cols] of Object.entries(records))
    for (const collection of Object.keys(cols)) {
      boxes.push(el("div", { id: `state-${vendor}-${collection}` }));
      refetch(vendor, collection);
    }
  $("state").replaceChildren(...boxes);
}

// The clock, ticking here between the server's reports
function setClock(state) { if (state && state.time !== undefined) { clock = state; clockAt = Date.now(); drawClock(); } }
function drawClock() {
  if (!clock) return;
  const now = clock.frozen ? clock.time : clock.time + (Date.now() - clockAt) / 1000;
  $("clock-now").textContent = new Date(now * 1000).toISOString().slice(0, 19).replace("T", " ") + " UTC";
  const ahead = Math.round(clock.offset_s || 0);
  $("clock-note").textContent = (clock.frozen ? "frozen " : "") + (ahead ? `(${ahead > 0 ? "+" : ""}${ahead} s)` : "");
}
async function advance() {
  const seconds = Number($("advance-by").value);
  const r = await api("POST", "/_mock/clock", { advance_s: seconds });
  if (r.ok) { setClock(r.data); say(`Clock advanced by ${$("advance-by").selectedOptions[0].text}`); }
  else if (r.status === 404 || r.status === 405) say("This server has no clock control (POST /_mock/clock).");
}
async function reset() {
  const r = await api("POST", "/_mock/reset");
  if (r.ok) { say("Reset: back to the loaded data"); refreshAll(); }
}

// Faults: an outage switch per vendor, any rule added from the form, each removable
function isOutage(rule, vendor) {
  return rule.vendor === vendor && rule.status === OPS[vendor].outage && !rule.operation && !rule.path &&
    !rule.workspace && rule.times == null && !rule.fault && !rule.sequence && !rule.window;
}
function renderFaults(list) {
  rules = list;
  $("outages").replaceChildren(...Object.entries(OPS).filter(([, v]) => v.outage).map(([vendor, v]) => {
    const rule = rules.find((r) => isOutage(r, vendor));
    return el("button", { type: "button", class: rule ? "on" : "", "aria-pressed": rule ? "true" : "false",
      "data-vendor": vendor, onclick: () => toggleOutage(vendor),
      text: `${v.title.split(" (")[0]}: ${rule ? `OUTAGE (${v.outage})` : "up"}` });
  }));
  $("rules").replaceChildren(...rules.map((r) => el("li", {},
    `#${r.id} ${r.vendor || "any vendor"} ${r.operation || ""} ${r.path || ""} -> ` +
    `${r.fault || r.status || "steps"}${r.times != null ? `, ${r.times} left` : ""}`,
    el("button", { type: "button", text: "Remove", onclick: () => removeRule(r.id) }))));
}
async function loadFaults() { const r = await api("GET", "/_mock/faults"); if (r.ok) renderFaults(r.data.faults); }
async function toggleOutage(vendor) {
  const rule = rules.find((r) => isOutage(r, vendor));
  if (rule) await api("DELETE", "/_mock/faults/" + rule.id);
  else await api("POST", "/_mock/faults", { vendor, status: OPS[vendor].outage });
  await loadFaults();
}
async function removeRule(id) { await api("DELETE", "/_mock/faults/" + id); await loadFaults(); }
async function addRule(event) {
  event.preventDefault();
  const spec = { vendor: $("fault-vendor").value, status: Number($("fault-status").value) };
  if ($("fault-operation").value) spec.operation = $("fault-operation").value;
  if ($("fault-times").value) spec.times = Number($("fault-times").value);
  const r = await api("POST", "/_mock/faults", spec);
  if (r.ok) say(`Fault rule #${r.data.id} added`);
  await loadFaults();
}
function fillFaultForm() {
  $("fault-vendor").replaceChildren(...Object.entries(OPS).map(([n, v]) => el("option", { value: n, text: v.title })));
  const ops = () => {
    const v = OPS[$("fault-vendor").value];
    $("fault-operation").replaceChildren(el("option", { value: "", text: "any" }),
      ...v.operations.map((o) => el("option", { text: o })));
    $("fault-status").replaceChildren(...v.statuses.map((s) => el("option", { text: s })));
  };
  $("fault-vendor").addEventListener("change", ops);
  ops();
}

// Snapshots, where the server has them (GET /_mock/snapshots)
async function loadSnapshots() {
  const r = await fetch("/_mock/snapshots", { headers: { Accept: "application/json" } });
  if (!r.ok) return;
  const names = ((await r.json()).snapshots || []).map((s) => s.name);
  $("snapshot").replaceChildren(...names.map((n) => el("option", { text: n })));
  $("snapshots").hidden = names.length === 0;
}
async function restore() {
  const name = $("snapshot").value;
  if (!name) return;
  const r = await api("POST", `/_mock/snapshots/${encodeURIComponent(name)}/restore`);
  if (r.ok) { say(`Restored snapshot ${name}`); refreshAll(); }
}

async function refreshAll() {
  const r = await api("GET", "/_mock/health");
  if (r.ok) buildState(r.data.records);
  loadFaults(); loadSnapshots();
}
function connect() {
  const source = new EventSource("/_mock/events");
  const link = $("link");
  source.onopen = () => { link.textContent = "live"; link.className = "pill live"; };
  source.onerror = () => { link.textContent = "reconnecting"; link.className = "pill"; };
  const on = (name, handle) => source.addEventListener(name, (m) => handle(JSON.parse(m.data)));
  on("hello", (h) => { setClock(h.clock); renderFaults(h.faults); buildState(h.records); loadSnapshots(); });
  on("request", addRequest);
  on("skipped", (s) => prepend(el("tr", {}, el("td", { colspan: "6", class: "outcome",
    text: `... ${s.skipped} requests skipped (this page fell behind)` }))));
  on("changed", (c) => refetch(c.vendor, c.collection, true));
  on("clock", setClock);
  on("faults", (f) => renderFaults(f.faults));
}
async function history() {
  const r = await api("GET", "/_mock/requests");
  if (!r.ok) return;
  r.data.requests.slice(-50).forEach((e, i) => addRequest({ ...e, id: -1 - i }));
}

document.addEventListener("keydown", (k) => {
  if (k.ctrlKey || k.metaKey || k.altKey || document.querySelector("dialog[open]")) return;
  if (/^(INPUT|SELECT|TEXTAREA)$/.test(k.target.tagName)) return;
  const actions = { a: advance, r: reset, c: () => { $("feed").tBodies[0].replaceChildren(); entries.clear(); },
    f: () => $("feed").tBodies[0].rows[0]?.focus(), "?": () => $("keys").showModal() };
  const action = actions[k.key.toLowerCase()];
  if (action) { k.preventDefault(); action(); }
});
$("advance").addEventListener("click", advance);
$("reset").addEventListener("click", reset);
$("restore").addEventListener("click", restore);
$("token").addEventListener("click", askToken);
$("help").addEventListener("click", () => $("keys").showModal());
$("clear").addEventListener("click", () => { $("feed").tBodies[0].replaceChildren(); entries.clear(); });
$("fault-form").addEventListener("submit", addRule);
fillFaultForm();
setInterval(drawClock, 1000);
history().then(connect);
