// The fleet view page: one EventSource (/events), no polling. The server sends `snapshot` on
// connect, then `fleet`, `windows`, `alert` and `pipeline` as the job's outputs change.
"use strict";

const FLEET = "__fleet__";
const state = { fleet: [], windows: {}, alerts: [], pipeline: {}, windowsN: 0,
                sort: { key: "vehicle_id", desc: false }, selected: null, seenAlerts: new Set() };
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ formatting
const fmt = {
  speed: (v) => num(v, 1), gear: (v) => num(v, 0), rpm: (v) => num(v, 0), engine_temp: (v) => num(v, 1),
  brake_temp_max: (v) => num(v, 1), tire_temp_max: (v) => num(v, 1), readings_last_window: (v) => num(v, 0),
};
function num(v, digits) { return v === null || v === undefined ? "–" : Number(v).toFixed(digits); }
function parseTime(t) { return t ? Date.parse(t) : NaN; }
function ago(t) {
  const ms = Date.now() - parseTime(t);
  if (!isFinite(ms)) return "–";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}
function clock(t) { return t ? t.replace("T", " ").replace("Z", "") : "–"; }
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// ------------------------------------------------------------------ fleet table
const COLUMNS = ["speed", "gear", "rpm", "engine_temp", "brake_temp_max", "tire_temp_max", "readings_last_window"];

function sortedFleet() {
  const { key, desc } = state.sort;
  const val = (r) => key === "alert" ? (r.alert ? 1 : 0) : key === "last_event_time" ? -parseTime(r[key]) : r[key];
  const rows = [...state.fleet];
  rows.sort((a, b) => {
    const x = val(a), y = val(b);
    const c = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
    return (desc ? -c : c) || a.vehicle_id.localeCompare(b.vehicle_id);
  });
  return rows;
}

function renderFleet(previous) {
  const before = new Map((previous || []).map((r) => [r.vehicle_id, JSON.stringify(r)]));
  const body = document.querySelector("#fleet-table tbody");
  body.replaceChildren();
  for (const r of sortedFleet()) {
    const tr = el("tr", { "data-vehicle": r.vehicle_id });
    if (r.vehicle_id === state.selected) tr.classList.add("selected");
    if (previous && before.get(r.vehicle_id) !== JSON.stringify(r)) tr.classList.add("flash");
    tr.append(el("td", { "data-col": "vehicle_id" }, r.vehicle_id));
    for (const c of COLUMNS) {
      const td = el("td", { "data-col": c, "data-value": r[c] === null || r[c] === undefined ? "" : String(r[c]),
                            class: "num" }, fmt[c](r[c]));
      tr.append(td);
    }
    tr.append(el("td", { "data-col": "since", "data-time": r.last_event_time || "", class: "num since",
                         title: clock(r.last_event_time) }, ago(r.last_event_time)));
    const td = el("td", { "data-col": "alert" });
    if (r.alert) td.append(el("span", { class: "alert-badge", title: `${r.alert.rule} at ${clock(r.alert.event_time)}` },
                              `${r.alert.channel} ${r.alert.rule === "threshold" ? "▲" : "↗"}`));
    tr.append(td);
    tr.addEventListener("click", () => { state.selected = r.vehicle_id; renderFleet(); renderCharts(); });
    body.append(tr);
  }
  $("fleet-count").textContent = `${state.fleet.length}`;
  for (const th of document.querySelectorAll("#fleet-table th")) {
    th.classList.toggle("sorted", th.dataset.sort === state.sort.key);
    th.classList.toggle("desc", th.dataset.sort === state.sort.key && state.sort.desc);
  }
}

for (const th of document.querySelectorAll("#fleet-table th")) {
  th.addEventListener("click", () => {
    const key = th.dataset.sort;
    state.sort = { key, desc: state.sort.key === key ? !state.sort.desc : false };
    renderFleet();
  });
}

// "since last reading" moves with the clock, not with the data: redrawn locally each second.
setInterval(() => {
  for (const td of document.querySelectorAll("td.since")) td.textContent = ago(td.dataset.time);
}, 1000);

// ------------------------------------------------------------------ alerts
function alertItem(a, fresh) {
  const li = el("li", { "data-alert-id": a.alert_id || "", "data-vehicle": a.vehicle_id || "" });
  if (fresh) li.classList.add("new");
  const against = a.rule === "rate_of_change"
    ? `${num(a.value, 1)} vs baseline ${num(a.baseline, 1)} (+${num(a.value - a.baseline, 1)} > ${num(a.threshold, 1)})`
    : `${num(a.value, 1)} > ${num(a.threshold, 1)}`;
  li.append(el("div", { class: "what" }, `${a.vehicle_id} · `),
            el("div", { class: "time" }, clock(a.event_time)));
  li.firstChild.append(el("span", { class: "rule" }, `${a.rule} ${a.channel}`), document.createTextNode(` ${against}`));
  return li;
}

function renderAlerts() {
  const feed = $("alert-feed");
  feed.replaceChildren(...state.alerts.map((a) => alertItem(a, false)));
  $("alert-count").textContent = `${state.alerts.length}`;
}

function addAlert(a) {
  if (a.alert_id && state.seenAlerts.has(a.alert_id)) return;   // at least once upstream: de-duplicate
  if (a.alert_id) state.seenAlerts.add(a.alert_id);
  state.alerts.unshift(a);
  state.alerts.length = Math.min(state.alerts.length, 200);
  const feed = $("alert-feed");
  feed.prepend(alertItem(a, true));
  while (feed.children.length > 200) feed.lastChild.remove();
  $("alert-count").textContent = `${state.alerts.length}`;
  window.lastAlertShownAt = Date.now();   // for the browser test's latency measurement
  if (a.arrived_at) {
    const ms = Date.now() - a.arrived_at * 1000;
    $("alert-latency").textContent = `${Math.max(0, Math.round(ms))} ms`;
    $("alert-latency").title = `alert ${a.alert_id}: from the alert stream to this page`;
  }
}

// ------------------------------------------------------------------ charts (plain SVG)
const SVGNS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function drawChart(svg, windows, series) {
  const w = svg.clientWidth || 480, h = svg.clientHeight || 150;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.replaceChildren();
  const pad = { l: 40, r: 8, t: 8, b: 18 };
  const values = series.flatMap((s) => windows.map((p) => p[s.key])).filter((v) => v !== null && v !== undefined);
  if (!windows.length || !values.length) {
    svg.append(Object.assign(svgEl("text", { x: w / 2, y: h / 2, "text-anchor": "middle" }), { textContent: "no closed window yet" }));
    return;
  }
  let lo = Math.min(...values), hi = Math.max(...values);
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const span = hi - lo; lo -= span * 0.05; hi += span * 0.05;
  const n = windows.length;
  const x = (i) => pad.l + (n === 1 ? (w - pad.l - pad.r) / 2 : i * (w - pad.l - pad.r) / (n - 1));
  const y = (v) => pad.t + (hi - v) * (h - pad.t - pad.b) / (hi - lo);
  const digits = hi - lo < 3 ? 2 : hi - lo < 30 ? 1 : 0;
  for (const v of [hi, (hi + lo) / 2, lo]) {
    svg.append(svgEl("line", { class: "grid", x1: pad.l, x2: w - pad.r, y1: y(v), y2: y(v) }));
    svg.append(Object.assign(svgEl("text", { x: pad.l - 4, y: y(v) + 3, "text-anchor": "end" }), { textContent: v.toFixed(digits) }));
  }
  const label = (i, anchor) => Object.assign(svgEl("text", { x: x(i), y: h - 4, "text-anchor": anchor }),
                                              { textContent: (windows[i].window_start || "").slice(11, 19) + " UTC" });
  svg.append(label(0, "start"));
  if (n > 1) svg.append(label(n - 1, "end"));
  for (const s of series) {
    const pts = windows.map((p, i) => [i, p[s.key]]).filter(([, v]) => v !== null && v !== undefined);
    svg.append(svgEl("polyline", { class: s.cls, "data-series": s.key, points: pts.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ") }));
    for (const [i, v] of pts) {
      const dot = svgEl("circle", { cx: x(i), cy: y(v), r: 2.5, class: s.cls, fill: "currentColor" });
      dot.append(Object.assign(svgEl("title", {}), { textContent: `${windows[i].window_start}: ${s.key} ${v}` }));
      svg.append(dot);
    }
  }
}

function renderCharts() {
  for (const e of document.querySelectorAll(".windows-n")) e.textContent = state.windowsN;
  const speed = [{ key: "avg_speed", cls: "avg" }, { key: "max_speed", cls: "max" }];
  const engine = [{ key: "max_engine_temp", cls: "engine" }];
  drawChart($("fleet-speed"), state.windows[FLEET] || [], speed);
  drawChart($("fleet-engine"), state.windows[FLEET] || [], engine);
  if (!state.selected && state.fleet.length) state.selected = sortedFleet()[0].vehicle_id;
  $("chart-vehicle").textContent = state.selected || "-";
  drawChart($("vehicle-speed"), state.windows[state.selected] || [], speed);
  drawChart($("vehicle-engine"), state.windows[state.selected] || [], engine);
}
window.addEventListener("resize", renderCharts);

// ------------------------------------------------------------------ pipeline strip
function renderPipeline() {
  const p = state.pipeline || {};
  const job = $("job-state");
  job.textContent = p.job || "n/a";
  job.className = `badge ${p.job || ""}`;
  $("records-per-s").textContent = p.records_per_s === null || p.records_per_s === undefined ? "–" : p.records_per_s;
  const letters = p.dead_letters || {};
  $("dead-letters-total").textContent = Object.values(letters).reduce((a, b) => a + b, 0);
  $("dead-letters").replaceChildren(...Object.entries(letters).map(([r, n]) =>
    el("span", { class: "chip", "data-reason": r }, `${r} ${n}`)));
  $("source").textContent = p.source || "";
  $("errors").textContent = Object.entries(p.errors || {}).map(([k, v]) => `${k}: ${v}`).join(" · ");
}

// ------------------------------------------------------------------ the event stream
function connect() {
  const es = new EventSource("/events");
  const status = $("connection");
  es.onopen = () => { status.textContent = "live"; status.className = "badge live"; };
  es.onerror = () => { status.textContent = "reconnecting"; status.className = "badge off"; };
  es.addEventListener("snapshot", (e) => {
    const s = JSON.parse(e.data);
    state.fleet = s.fleet; state.windows = s.windows; state.pipeline = s.pipeline; state.windowsN = s.windows_n;
    state.alerts = s.alerts; state.seenAlerts = new Set(s.alerts.map((a) => a.alert_id));
    renderFleet(); renderAlerts(); renderCharts(); renderPipeline();
    document.body.dataset.ready = "true";
  });
  es.addEventListener("fleet", (e) => { const prev = state.fleet; state.fleet = JSON.parse(e.data); renderFleet(prev); });
  es.addEventListener("windows", (e) => { Object.assign(state.windows, JSON.parse(e.data)); renderCharts(); });
  es.addEventListener("alert", (e) => addAlert(JSON.parse(e.data)));
  es.addEventListener("pipeline", (e) => { state.pipeline = JSON.parse(e.data); renderPipeline(); });
}
connect();
