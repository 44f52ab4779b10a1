// Token Monitor dashboard: live figures from server-sent events, history from /api/history.
// Every string from the data is set with textContent (never parsed as HTML).
"use strict";
(function () {
  const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
  const $ = (id) => document.getElementById(id);
  const state = { live: null, history: null, version: -1, days: 30, measure: "tokens",
                  tz: undefined, charts: {}, fetching: false, again: false };
  const PALETTE = ["#3b6fd8", "#e07b39", "#2e9d4f", "#9b59b6", "#d64541", "#16a0a0",
                   "#c29b0c", "#7f8c8d", "#e84393", "#5d6d7e"];

  // -- formatting -----------------------------------------------------------------------
  const int = (n) => (n == null ? "—" : Math.round(n).toLocaleString("en-US"));
  function compact(n) {
    if (n == null) return "—";
    const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
    for (const [u, s] of units) {
      if (Math.abs(n) >= u) { const v = n / u; return (v < 10 ? v.toFixed(1) : v.toFixed(0)).replace(/\.0$/, "") + s; }
    }
    return String(Math.round(n));
  }
  const money = (v) => (v == null ? "—" : "$" + v.toFixed(v < 10 ? 2 : 0).replace(/\B(?=(\d{3})+(?!\d))/g, ","));
  // A total with unpriced responses shows the priced part and says that some is missing.
  const cost = (t) => money(t.cost_usd) + (t.cost_complete === false ? " + unpriced" : "");
  const pct = (v) => (v == null ? "—" : v.toFixed(v < 10 ? 1 : 0) + "%");
  function when(ts, withDate) {
    if (ts == null) return "—";
    const opts = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (withDate) { opts.month = "short"; opts.day = "numeric"; }
    try { return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: state.tz }, opts)).format(new Date(ts * 1000)); }
    catch (e) { return new Intl.DateTimeFormat("en-GB", opts).format(new Date(ts * 1000)); }
  }
  function duration(s) {
    if (s == null) return "—";
    s = Math.max(0, Math.round(s / 60));
    const h = Math.floor(s / 60), m = s % 60;
    return h ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m`;
  }
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  function text(el, value, raw) {
    el.textContent = value;
    if (raw !== undefined) el.dataset.value = raw == null ? "" : String(raw);
  }
  function levelColor(p) {
    if (p == null) return css("--muted");
    return p >= 95 ? css("--danger") : p >= 80 ? css("--warn") : css("--ok");
  }
  function el(tag, cls, content) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content !== undefined) e.textContent = content;
    return e;
  }

  // -- live part ------------------------------------------------------------------------
  function renderLive(live) {
    state.live = live;
    const status = $("status");
    status.textContent = live.status === "active" ? "active" : live.status.replace("_", " ");
    status.className = "pill " + (live.status === "active" ? "active" : live.status === "error" ? "error" : "");
    if (live.status === "error" && live.error) status.title = live.error;
    if (live.published_at) $("updated").textContent = "updated " + when(live.published_at, false);
    if (live.totals) {
      text($("total-tokens"), int(live.totals.total_tokens), live.totals.total_tokens);
      text($("total-cost"), cost(live.totals), live.totals.cost_usd);
      text($("total-responses"), int(live.totals.responses), live.totals.responses);
    }
    $("now-rate").textContent = live.tokens_per_sec_last_minute != null
      ? `${compact(live.tokens_per_sec_last_minute)} tokens/s (last minute)` : "—";
    const b = live.active_block;
    const fill = $("gauge-fill"), proj = $("gauge-proj");
    if (!b) {
      text($("block-tokens"), live.status === "starting" ? "…" : "no active block", 0);
      for (const id of ["block-limit", "block-cost", "block-rate", "block-reset", "block-projection"]) $(id).textContent = "—";
      $("gauge-text").textContent = "idle";
      fill.style.strokeDasharray = "0 100"; proj.style.strokeDasharray = "0 100";
      fill.style.opacity = "0"; proj.style.opacity = "0";
    } else {
      const p = b.percent;
      text($("block-tokens"), int(b.total_tokens), b.total_tokens);
      $("block-limit").textContent = b.limit_tokens
        ? `${int(b.limit_tokens)} (${b.limit_label})`
        : (p != null ? b.limit_label : "no limit yet");
      $("block-cost").textContent = cost(b);
      $("block-rate").textContent = b.tokens_per_minute == null ? "—"
        : `${compact(b.tokens_per_minute)} tokens/min · ${b.usd_per_hour == null ? "—" : money(b.usd_per_hour)}/h`;
      $("block-reset").textContent = `${when(b.end, false)} (in ${duration(b.end - Date.now() / 1000)})${b.official_reset ? " · official" : ""}`;
      $("block-projection").textContent = b.projected_tokens == null ? "—"
        : `${compact(b.projected_tokens)} tokens · ${money(b.projected_cost_usd)} by the reset`;
      $("gauge-text").textContent = p == null ? compact(b.total_tokens) : pct(p);
      const shown = Math.min(100, p || 0);
      fill.style.strokeDasharray = `${shown} 100`;
      fill.style.opacity = shown > 0 ? "1" : "0";
      fill.style.stroke = levelColor(p);
      const projected = b.limit_tokens && b.projected_tokens ? Math.min(100, b.projected_tokens * 100 / b.limit_tokens) : 0;
      proj.style.strokeDasharray = `${projected} 100`;
      proj.style.opacity = projected > shown ? "1" : "0";
    }
    renderWeekly(live.limits || []);
  }

  function renderWeekly(limits) {
    const box = $("week-official");
    box.replaceChildren();
    const weekly = limits.filter((l) => l.window && l.window.startsWith("seven_day") && l.percent != null);
    if (!weekly.length) {
      box.appendChild(el("p", "muted", "Claude Code has not reported a weekly % (it does through the status line on Pro/Max)."));
      return;
    }
    for (const l of weekly) {
      const row = el("div", "budget");
      const head = el("div", "row");
      head.append(el("span", "", l.window.replace(/_/g, " ")), el("span", "", `${pct(l.percent)} · ${l.label}${l.estimated ? " (estimated)" : ""}`));
      const bar = el("div", "bar"), span = el("span");
      span.style.width = Math.min(100, l.percent) + "%";
      span.style.background = levelColor(l.percent);
      bar.appendChild(span);
      row.append(head, bar);
      if (l.resets_at) row.appendChild(el("div", "muted", "resets " + when(l.resets_at, true)));
      box.appendChild(row);
    }
  }

  // -- history part ---------------------------------------------------------------------
  function renderHistory(h) {
    state.history = h;
    if (h.timezone) { state.tz = validTz(h.timezone); $("tz").textContent = "times in " + h.timezone; }
    text($("week-tokens"), int(h.rolling_7d.total_tokens), h.rolling_7d.total_tokens);
    $("week-cost").textContent = cost(h.rolling_7d);
    renderBudgets(h.budgets);
    renderDaily();
    renderTimeline(h.timeline);
    renderBurn(h.block);
    renderHeatmap(h.daily.heatmap);
    renderModels(h.models);
    renderSessions(h.sessions);
  }
  function validTz(name) {
    try { new Intl.DateTimeFormat("en-GB", { timeZone: name }); return name; } catch (e) { return undefined; }
  }

  function renderBudgets(list) {
    const box = $("budgets");
    if (!list.length) return;
    box.replaceChildren();
    for (const b of list) {
      const row = el("div", "budget");
      row.dataset.period = b.period;
      const head = el("div", "row");
      head.append(el("span", "", b.period), el("span", "", `${money(b.spent_usd)} of ${money(b.budget_usd)} (${pct(b.percent)})`));
      const bar = el("div", "bar"), span = el("span");
      span.style.width = Math.min(100, b.percent) + "%";
      span.style.background = levelColor(b.percent);
      bar.appendChild(span);
      let note = b.forecast_usd == null ? "forecast after the first hour" : `forecast ${money(b.forecast_usd)} by ${when(b.end - 1, true)}`;
      if (b.runs_out_at != null) note += b.percent >= 100 ? " · budget used up" : ` · runs out ${when(b.runs_out_at, true)}`;
      if (b.unpriced) note += ` · ${b.unpriced} unpriced responses not included`;
      row.append(head, bar, el("div", "muted", note));
      box.appendChild(row);
    }
  }

  function chartSize(id, height) {
    const box = $(id);
    return { width: Math.max(200, box.clientWidth), height: height };
  }
  function axes(yFmt) {
    const stroke = css("--muted"), grid = css("--line");
    return [
      { stroke: stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
      { stroke: stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 60,
        values: (u, vals) => vals.map(yFmt) },
    ];
  }
  function replaceChart(key, id, opts, data) {
    // Axis clocks in the user's zone (config `timezone`), like every other time on the page.
    if (state.tz) opts.tzDate = (ts) => uPlot.tzDate(new Date(ts * 1000), state.tz);
    if (state.charts[key]) state.charts[key].destroy();
    $(id).replaceChildren();
    state.charts[key] = new uPlot(opts, data, $(id));
  }

  function renderDaily() {
    const d = state.history && state.history.daily;
    if (!d) return;
    const n = state.days, from = d.days.length - n;
    const xs = d.days.slice(from).map((day) => Date.parse(day + "T12:00:00Z") / 1000);
    const rows = (state.measure === "cost" ? d.cost : d.tokens).map((r) => r.slice(from));
    const cum = [];
    rows.forEach((r, i) => cum.push(r.map((v, j) => v + (i ? cum[i - 1][j] : 0))));
    const bars = uPlot.paths.bars({ size: [0.8, 40] });
    const series = [{}];
    const data = [xs];
    for (let i = cum.length - 1; i >= 0; i--) {
      const color = PALETTE[i % PALETTE.length];
      series.push({ label: d.models[i], fill: color, stroke: color, paths: bars, points: { show: false } });
      data.push(cum[i]);
    }
    if (!cum.length) { series.push({ label: "none" }); data.push(xs.map(() => 0)); }
    const fmt = state.measure === "cost" ? (v) => money(v) : (v) => compact(v);
    const size = chartSize("daily-chart", 260);
    replaceChart("daily", "daily-chart", Object.assign(size, {
      series: series, axes: axes(fmt), legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true, range: (u, lo, hi) => [lo - 43200, hi + 43200] } },
    }), data);
    const legend = $("daily-legend");
    legend.replaceChildren();
    d.models.forEach((m, i) => {
      const li = el("li"), sw = el("i");
      sw.style.background = PALETTE[i % PALETTE.length];
      li.append(sw, document.createTextNode(m));
      legend.appendChild(li);
    });
  }

  function renderTimeline(t) {
    const xs = t.blocks.map((b) => b.start);
    const ys = t.blocks.map((b) => b.tokens);
    $("timeline-limit").textContent = t.limit_tokens ? "limit " + compact(t.limit_tokens) : "";
    const series = [{}, { label: "tokens", fill: css("--accent"), stroke: css("--accent"),
      paths: uPlot.paths.bars({ size: [0.7, 30] }), points: { show: false } }];
    const data = [xs, ys];
    if (t.limit_tokens) {
      series.push({ label: "limit", stroke: css("--danger"), width: 1.5, dash: [6, 4], points: { show: false } });
      data.push(xs.map(() => t.limit_tokens));
    }
    if (!xs.length) { data[0] = [Date.now() / 1000]; data[1] = [0]; if (data[2]) data[2] = [t.limit_tokens]; }
    replaceChart("timeline", "timeline-chart", Object.assign(chartSize("timeline-chart", 240), {
      series: series, axes: axes(compact), legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true } },
    }), data);
  }

  function renderBurn(b) {
    const note = $("burn-note");
    if (!b) {
      if (state.charts.burn) { state.charts.burn.destroy(); delete state.charts.burn; }
      $("burn-chart").replaceChildren(el("p", "muted", "No active block."));
      note.textContent = "";
      return;
    }
    const xs = b.times.slice(), used = b.tokens.slice();
    const last = used[used.length - 1];
    const now = Math.min(b.end, Math.max(b.now || xs[xs.length - 1], xs[xs.length - 1]));
    const proj = xs.map(() => null);
    if (b.projected_tokens != null) {
      // the burn-rate line: from the last response to the block's end at the current rate
      xs.push(now, b.end); used.push(last, null); proj.push(null, null);
      proj[xs.length - 3] = last; proj[xs.length - 1] = b.projected_tokens;
    } else {
      xs.push(b.end); used.push(null); proj.push(null);
    }
    const series = [{}, { label: "used", stroke: css("--accent"), width: 2, fill: css("--track"), points: { show: false } },
      { label: "at this rate", stroke: css("--warn"), width: 2, dash: [6, 4], spanGaps: true, points: { show: false } }];
    const data = [xs, used, proj];
    if (b.limit_tokens) {
      series.push({ label: "limit", stroke: css("--danger"), width: 1.5, dash: [2, 3], points: { show: false } });
      data.push(xs.map(() => b.limit_tokens));
    }
    note.textContent = `${when(b.start, false)}–${when(b.end, false)}` + (b.projected_tokens != null ? ` · ${compact(b.projected_tokens)} by the reset at this rate` : "");
    replaceChart("burn", "burn-chart", Object.assign(chartSize("burn-chart", 240), {
      series: series, axes: axes(compact), legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(hi, b.limit_tokens || 0) * 1.05] } },
    }), data);
  }

  function renderHeatmap(heat) {
    const box = $("heatmap");
    box.replaceChildren();
    const max = Math.max(1, ...heat.flat());
    const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    box.appendChild(el("div", "lbl"));
    for (let h = 0; h < 24; h++) box.appendChild(el("div", "hour", h % 3 === 0 ? String(h) : ""));
    const accent = css("--accent");
    heat.forEach((row, d) => {
      box.appendChild(el("div", "lbl", days[d]));
      row.forEach((v, h) => {
        const cell = el("div");
        cell.style.background = accent;
        cell.style.opacity = v ? String(0.12 + 0.88 * Math.sqrt(v / max)) : "0.05";
        cell.title = `${days[d]} ${h}:00 — ${int(v)} tokens`;
        box.appendChild(cell);
      });
    });
  }

  function renderModels(models) {
    const body = $("models").tBodies[0];
    body.replaceChildren();
    models.forEach((m, i) => {
      const tr = el("tr");
      const share = el("td", "share"), bar = el("div", "bar"), span = el("span");
      span.style.width = (m.share * 100).toFixed(1) + "%";
      span.style.background = PALETTE[i % PALETTE.length];
      bar.appendChild(span);
      share.append(bar, el("span", "muted", pct(m.share * 100)));
      tr.append(el("td", "", m.model), el("td", "num", int(m.total_tokens)), share,
        el("td", "num", cost(m)), el("td", "num", m.cache_hit_ratio == null ? "—" : pct(m.cache_hit_ratio * 100)));
      body.appendChild(tr);
    });
  }

  function renderSessions(sessions) {
    const body = $("sessions").tBodies[0];
    if (body.querySelector("input")) return;  // never rebuild under a rename in progress
    body.replaceChildren();
    for (const s of sessions) {
      const tr = el("tr");
      tr.dataset.session = s.session_id;
      const project = (s.project_path || "").replace(/\/+$/, "").split("/").pop();
      const name = el("td", "name", s.name || `${project || "session"} · ${s.session_id.slice(0, 8)}`);
      if (!s.name) name.classList.add("muted");
      const btn = el("button", "rename", "Rename");
      btn.addEventListener("click", () => startRename(tr, name, s));
      const act = el("td");
      act.appendChild(btn);
      const proj = el("td", "muted", s.project_path || "");
      tr.append(name, proj, el("td", "", when(s.last_activity, true)),
        el("td", "num", int(s.total_tokens)), el("td", "num", cost(s)), act);
      body.appendChild(tr);
    }
  }

  function startRename(tr, cell, s) {
    const form = el("form", "rename-form");
    const input = el("input");
    input.value = s.name || "";
    input.maxLength = 80;
    input.setAttribute("aria-label", "session name");
    const save = el("button", "", "Save");
    save.type = "submit";
    form.append(input, save);
    cell.replaceChildren(form);
    input.focus();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const err = $("rename-error");
      const answer = await fetch(base + "api/sessions/" + encodeURIComponent(s.session_id) + "/name", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: input.value }),
      });
      const body = await answer.json();
      if (!answer.ok) { err.hidden = false; err.textContent = body.error || "rename failed"; return; }
      err.hidden = true;
      cell.replaceChildren(document.createTextNode(body.name || s.session_id.slice(0, 8)));
      cell.classList.toggle("muted", !body.name);
      s.name = body.name;
    });
  }

  // -- data flow ------------------------------------------------------------------------
  async function loadHistory() {
    if (state.fetching) { state.again = true; return; }
    state.fetching = true;
    try {
      const answer = await fetch(base + "api/history");
      if (answer.ok) {
        const h = await answer.json();
        renderHistory(h);
        // The server answers from its cache while responses stream in: ask again shortly.
        if (h.version < state.version) setTimeout(loadHistory, 1500);
      }
    } finally {
      state.fetching = false;
      if (state.again) { state.again = false; loadHistory(); }
    }
  }

  function onState(payload) {
    renderLive(payload.live);
    if (payload.version !== state.version) { state.version = payload.version; loadHistory(); }
  }

  function connect() {
    const source = new EventSource(base + "api/events");
    source.onmessage = (ev) => onState(JSON.parse(ev.data));
    source.onerror = () => { $("status").textContent = "reconnecting…"; };
  }

  document.querySelectorAll("[data-days]").forEach((b) => b.addEventListener("click", () => {
    state.days = Number(b.dataset.days);
    document.querySelectorAll("[data-days]").forEach((o) => o.classList.toggle("on", o === b));
    renderDaily();
  }));
  document.querySelectorAll("[data-measure]").forEach((b) => b.addEventListener("click", () => {
    state.measure = b.dataset.measure;
    document.querySelectorAll("[data-measure]").forEach((o) => o.classList.toggle("on", o === b));
    renderDaily();
  }));
  let resizeTimer = 0;
  new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (state.history) { renderDaily(); renderTimeline(state.history.timeline); renderBurn(state.history.block); }
    }, 150);
  }).observe(document.querySelector("main"));
  setInterval(() => { if (state.live) renderLive(state.live); }, 30000);  // countdown text only
  connect();
})();
