// GRU Explainer's live view: subscribes to the push route and draws a run's
// curves, progress, samples and gate heatmaps. No Streamlit rerun is needed for
// any update; the frames follow gru_core/broadcast/frames.py and the rules of
// gru_core/broadcast/viewer.py (apply a delta only at its cursor; a gap means
// resume; a new generation means redraw from the next reset).

const PLOTLY_SRC = "/api/assets/plotly.min.js"
const VIEWS = { update_gate: "Z (update)", reset_gate: "R (reset)", candidate: "H̃ (candidate)", hidden: "H (state)",
  input_gate: "I (input)", forget_gate: "F (forget)", output_gate: "O (output)", candidate_memory: "C̃ (candidate memory)",
  memory: "C (memory cell)" }
const GATE_SCALE = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"]
const STATE_SCALE = ["#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac"]
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
// Networks in words: gru_core.models.CELL_NAMES, sent with the component's data.
const NAMES = {}
const MAX_POINTS = 1500
const SHOWN = { " ": "␣", "\ufffd": "\ufffd" }
const instances = new WeakMap()

let plotlyLoading = null
function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly)
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script")
      script.src = PLOTLY_SRC
      script.onload = () => resolve(window.Plotly)
      script.onerror = () => { plotlyLoading = null; reject(new Error("plotly.js did not load")) }
      document.head.appendChild(script)
    })
  }
  return plotlyLoading
}

// ------------------------------------------------------------------ frames

async function decodeFrame(buffer) {
  const view = new DataView(buffer)
  const length = view.getUint32(0)
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)))
  let payload = null
  if (buffer.byteLength > 4 + length) {
    const packed = new Blob([new Uint8Array(buffer, 4 + length)])
    const stream = packed.stream().pipeThrough(new DecompressionStream("deflate"))
    payload = new Uint8Array(await new Response(stream).arrayBuffer())
  }
  return { header, payload }
}

function rowsToRecords(fields, rows, networks) {
  return rows.map((row) => {
    const record = {}
    fields.forEach((name, i) => { record[name] = row[i] })
    if (record.model !== undefined && record.model !== null) record.model = networks[record.model]
    for (const name of Object.keys(record)) {
      if (record[name] === "inf") record[name] = Infinity
      else if (record[name] === "nan") record[name] = NaN
    }
    return record
  })
}

class Viewer {
  constructor() { this.reset() }
  reset() {
    this.generation = null; this.cursor = 0; this.networks = []; this.fields = {}
    this.records = { batches: [], epochs: [], samples: [], lr_changes: [] }
    this.status = {}; this.heatmaps = {}; this.notable = []; this.quantities = []
    this.labels = {}
  }
  // returns "reset" | "applied" | "duplicate" | "gap" | "heatmap" | "waiting"
  apply({ header, payload }) {
    if (header.kind === "waiting") { this.waiting = header.message; return "waiting" }
    this.waiting = null
    if (header.kind === "heatmap" || header.kind === "notable") {
      if (header.generation !== this.generation) return "duplicate"
      if (header.kind === "notable") { this.notable = header.findings; return "notable" }
      this.heatmaps[header.quantity] = { ...header, levels: payload }
      return "heatmap"
    }
    let outcome = "applied"
    if (header.kind === "reset") {
      this.reset()
      this.generation = header.generation; this.networks = header.networks; this.fields = header.fields
      this.quantities = header.quantities || []
      this.labels = header.labels || {}
      outcome = "reset"
    } else if (header.generation !== this.generation || header.after > this.cursor) {
      return "gap"
    } else if (header.after < this.cursor) {  // a repeat (or an overlap, never sent)
      return header.cursor <= this.cursor ? "duplicate" : "gap"
    }  // else a delta at our cursor, maybe with no record: the status moved on
    for (const [kind, rows] of Object.entries(header.records)) {
      this.records[kind].push(...rowsToRecords(this.fields[kind], rows, this.networks))
    }
    this.cursor = header.cursor; this.status = header.status
    return outcome
  }
}

// ------------------------------------------------------------------ the socket

class Connection {
  constructor(room, onFrame, onState) {
    this.room = room; this.onFrame = onFrame; this.onState = onState
    this.view = "hidden"; this.retry = 0; this.closed = false; this.viewer = new Viewer()
    this.queue = Promise.resolve()
  }
  url() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://"
    const params = new URLSearchParams({ view: this.view })
    if (this.viewer.generation) {
      params.set("cursor", this.viewer.cursor); params.set("generation", this.viewer.generation)
    }
    return `${scheme}${location.host}/api/live/${encodeURIComponent(this.room)}?${params}`
  }
  open() {
    if (this.closed) return
    const socket = new WebSocket(this.url())
    socket.binaryType = "arraybuffer"
    this.socket = socket
    socket.onopen = () => { this.retry = 0; this.onState("connected") }
    socket.onmessage = (event) => {
      // frames are decoded in order (decompression is asynchronous)
      this.queue = this.queue.then(async () => {
        const frame = await decodeFrame(event.data)
        const outcome = this.viewer.apply(frame)
        if (outcome === "gap") { socket.close(); return }  // reconnect from the cursor
        if (outcome !== "duplicate") this.onFrame(outcome, frame.header)
      }).catch((error) => console.error("GRU Explainer live view:", error))
    }
    socket.onclose = () => {
      if (this.socket !== socket || this.closed) return
      this.onState("reconnecting")
      const delay = Math.min(10000, 500 * 2 ** this.retry) * (0.75 + Math.random() / 2)
      this.retry += 1
      this.timer = setTimeout(() => this.open(), delay)
    }
  }
  setView(view) {
    this.view = view
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ view }))
  }
  close() { this.closed = true; clearTimeout(this.timer); if (this.socket) this.socket.close() }
}

// ------------------------------------------------------------------ drawing helpers

function scale(colours) { return colours.map((c, i) => [i / (colours.length - 1), c]) }
// the run's own labels first (nn.GRU from d2l's init says so), else the cell's name
function name(viewer, network) { return (viewer.labels || {})[network] || NAMES[network] || network }
function colour(i) { return COLOURS[i % COLOURS.length] }
function fmtSeconds(s) {
  if (s === null || s === undefined || !isFinite(s)) return "–"
  s = Math.round(s)
  return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : `${s} s`
}
function thin(xs, ys) {  // every n-th point and always the last, at most MAX_POINTS
  if (xs.length <= MAX_POINTS) return [xs, ys]
  const step = Math.ceil(xs.length / MAX_POINTS), x = [], y = []
  for (let i = 0; i < xs.length; i += step) { x.push(xs[i]); y.push(ys[i]) }
  if (x[x.length - 1] !== xs[xs.length - 1]) { x.push(xs[xs.length - 1]); y.push(ys[ys.length - 1]) }
  return [x, y]
}
function layout(options, extra, entries, narrow) {
  const font = options.present ? 18 : 13
  // Many entries (a lab's cells) or a phone: the legend goes under the plot, where
  // it may take rows without squeezing the curves.
  const below = entries > 4 || narrow
  const legend = below ? { orientation: "h", x: 0, y: -0.2, yanchor: "top", font: { size: font - 1 } }
    : { orientation: "h", x: 0, y: 1.01, yanchor: "bottom", font: { size: font - 1 } }
  const height = (options.present ? 400 : 320) + (below ? 22 * Math.ceil(entries / (narrow ? 1 : 3)) : 0)
  return {
    font: { size: font }, margin: { l: 60, r: 16, t: below ? 16 : 34, b: 48 }, height,
    showlegend: true, legend,
    uirevision: "keep", paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#ffffff",
    xaxis: { gridcolor: "#eeeeee", zeroline: false }, yaxis: { gridcolor: "#eeeeee", zeroline: false },
    hovermode: "closest", ...extra,
  }
}
function logTicks(values) {  // 1, 1.5, 2, 3, 5, 7, 10, ... covering the data: readable log axes
  const finite = values.filter((v) => isFinite(v) && v > 0)
  if (!finite.length) return {}
  const low = Math.min(...finite), high = Math.max(...finite), ticks = []
  for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++) {
    for (const m of [1, 1.5, 2, 3, 5, 7]) ticks.push(m * 10 ** decade)
  }
  return { type: "log", tickvals: ticks, ticktext: ticks.map((t) => String(Number(t.toPrecision(2)))) }
}
function lrMarks(changes, x) {  // vertical dashed lines where the learning rate changed
  const shapes = [], annotations = []
  for (const change of changes) {
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: change[x], x1: change[x], y0: 0, y1: 1,
      line: { color: "#7f7f7f", dash: "dash", width: 1.5 } })
    annotations.push({ xref: "x", yref: "paper", x: change[x], y: 1, text: `lr → ${change.lr}`,
      showarrow: false, xanchor: "left", yanchor: "top", font: { size: 11, color: "#555" },
      bgcolor: "rgba(255,255,255,0.8)" })
  }
  return { shapes, annotations }
}

// ------------------------------------------------------------------ the view

class LiveView {
  constructor(root, options, setTriggerValue) {
    this.root = root; this.options = options; this.setTriggerValue = setTriggerValue
    this.tab = options.tab || "curves"; this.order = "number"; this.lastState = null
    this.dirty = new Set(); this.hover = {}
    root.classList.toggle("present", !!options.present)
    root.innerHTML = `
      <div class="gru-live-head"><span class="gru-live-status">Connecting…</span>
        <span class="gru-live-conn"></span></div>
      <div class="gru-live-progress"><div></div></div>
      <div class="gru-live-message"></div>
      <div class="gru-live-tabs"></div>
      <div class="gru-live-panel" data-panel="curves">
        <div class="gru-live-grid">
          <figure><figcaption>Perplexity per epoch</figcaption><div class="gru-plot" data-plot="ppl"></div></figure>
          <figure><figcaption>Loss per batch (cross-entropy)</figcaption><div class="gru-plot" data-plot="loss"></div></figure>
          <figure><figcaption>Gradient norm per batch, before clipping</figcaption><div class="gru-plot" data-plot="grad"></div></figure>
          <figure><figcaption>Latest samples (greedy continuation)</figcaption><div class="gru-live-samples"></div></figure>
        </div>
      </div>
      <div class="gru-live-panel" data-panel="gates">
        <div class="gru-live-views"></div>
        <figure><figcaption class="gru-live-heat-title"></figcaption>
          <div class="gru-live-heat-scroll"><div class="gru-plot" data-plot="heat"></div></div></figure>
        <div class="gru-live-notable"></div>
      </div>`
    this.buildTabs()
    const panels = options.panels || ["curves", "gates"]
    this.showTab(panels.length ? (panels.includes(this.tab) ? this.tab : panels[0]) : null)
  }
  el(selector) { return this.root.querySelector(selector) }
  buildTabs() {
    const tabs = this.el(".gru-live-tabs")
    const panels = this.options.panels || ["curves", "gates"]
    if (panels.length < 2) tabs.style.display = "none"
    for (const panel of panels) {
      const button = document.createElement("button")
      button.type = "button"; button.dataset.tab = panel
      button.textContent = panel === "curves" ? "Training curves" : "Gates, live"
      button.onclick = () => this.showTab(panel)
      tabs.appendChild(button)
    }
    this.buildViews(Object.keys(VIEWS).slice(0, 4))
  }
  buildViews(quantities) {  // one button per quantity of the cell on show, and the order
    const views = this.el(".gru-live-views")
    if (views.dataset.quantities === quantities.join()) return
    views.dataset.quantities = quantities.join()
    views.replaceChildren()
    if (!quantities.includes(this.options.view)) {
      this.options.view = quantities.includes("hidden") ? "hidden" : quantities[0]
      if (this.connection) this.connection.setView(this.options.view)
    }
    for (const quantity of quantities) {
      const button = document.createElement("button")
      button.type = "button"; button.dataset.view = quantity; button.textContent = VIEWS[quantity] || quantity
      button.onclick = () => { this.options.view = quantity; this.connection.setView(quantity); this.markViews(); this.draw("heat") }
      views.appendChild(button)
    }
    const order = document.createElement("button")
    order.type = "button"; order.className = "gru-live-order"
    order.onclick = () => { this.order = this.order === "number" ? "mean" : "number"; this.draw("heat") }
    views.appendChild(order)
    this.markViews()
  }
  markViews() {
    for (const b of this.root.querySelectorAll("[data-view]")) b.classList.toggle("on", b.dataset.view === this.options.view)
  }
  showTab(tab) {
    this.tab = tab
    for (const p of this.root.querySelectorAll("[data-panel]")) p.style.display = p.dataset.panel === tab ? "" : "none"
    for (const b of this.root.querySelectorAll("[data-tab]")) b.classList.toggle("on", b.dataset.tab === tab)
    for (const plot of ["ppl", "loss", "grad", "heat"]) this.dirty.add(plot)
    this.schedule()
  }
  setOptions(options) {
    const view = this.options.view, room = this.options.room
    this.options = { ...options, view }
    this.root.classList.toggle("present", !!options.present)
    if (options.room !== room && this.connection) {  // the page now follows another run
      this.connection.close(); this.connect(options.room)
    }
    for (const plot of ["ppl", "loss", "grad", "heat"]) this.dirty.add(plot)
    this.schedule()
  }
  connect(room) {
    this.connection = new Connection(room, (outcome, header) => this.onFrame(outcome, header),
      (state) => { this.el(".gru-live-conn").textContent = state === "connected" ? "" : "reconnecting…" })
    this.connection.view = this.options.view
    this.connection.open()
  }
  onFrame(outcome, header) {
    if (outcome === "reset" && this.connection.viewer.quantities.length) {
      if (this.options.view !== "none") this.buildViews(this.connection.viewer.quantities)
    }
    if (outcome === "notable") this.dirty.add("notable")
    if (outcome === "heatmap") this.dirty.add("heat")
    else if (outcome === "waiting") this.dirty.add("status")
    else for (const plot of ["status", "ppl", "loss", "grad", "samples"]) this.dirty.add(plot)
    if (outcome === "reset") this.dirty.add("heat")
    const state = this.connection.viewer.status.state
    if (state && state !== this.lastState) {
      if (this.lastState !== null && this.options.rerun_on_state) this.setTriggerValue("state", state)
      this.lastState = state
    }
    this.schedule()
  }
  schedule() {
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = null
      for (const what of [...this.dirty]) {
        const charted = !["status", "samples", "notable"].includes(what)
        if (charted && !window.Plotly) continue  // drawn once plotly.js has loaded
        this.draw(what)
        this.dirty.delete(what)
      }
    })
  }
  draw(what) {
    const viewer = this.connection && this.connection.viewer
    if (!viewer) return
    if (what === "status") return this.drawStatus(viewer)
    if (what === "notable") return this.drawNotable(viewer)
    if (what === "samples") return this.drawSamples(viewer)
    if (what === "heat") return this.tab === "gates" && this.drawHeatmap(viewer)
    if (this.tab !== "curves") return
    if (what === "ppl") this.drawPerplexity(viewer)
    if (what === "loss") this.drawLoss(viewer)
    if (what === "grad") this.drawGradient(viewer)
  }
  drawStatus(viewer) {
    const status = viewer.status, bar = this.el(".gru-live-progress div")
    if (viewer.waiting) { this.el(".gru-live-status").textContent = viewer.waiting; bar.style.width = "0%"; return }
    if (!status.state) return
    const per = Math.max(status.batches_per_epoch || 1, 1)
    const done = ((status.epoch || 0) + (status.batch_in_epoch || 0) / per) / Math.max(status.num_epochs, 1)
    bar.style.width = `${Math.min(100, 100 * done).toFixed(1)}%`
    const parts = [`${status.state}`, `epoch ${status.epoch}/${status.num_epochs}`,
      `batch ${status.batch_in_epoch}/${per}`, `elapsed ${fmtSeconds(status.elapsed_s)}`]
    if (status.state === "running") parts.push(`ETA ${fmtSeconds(status.eta_s)}`)
    parts.push(`lr ${status.lr}`)
    for (const network of viewer.networks) {  // the latest epoch of each network, small
      const rows = viewer.records.epochs.filter((r) => r.model === network)
      const last = rows[rows.length - 1]
      if (!last) continue
      let text = `${name(viewer, network)}: perplexity ${last.perplexity.toFixed(2)}`
      if (last.heldout_perplexity !== null && last.heldout_perplexity !== undefined) text += ` (held-out ${last.heldout_perplexity.toFixed(2)})`
      parts.push(`${text}, ${Math.round(last.tokens_per_second).toLocaleString("en")} tokens/s`)
    }
    this.el(".gru-live-status").textContent = parts.join(" · ")
    const message = this.el(".gru-live-message")
    message.textContent = status.message || ""
    message.style.display = status.message ? "" : "none"
  }
  drawNotable(viewer) {
    const box = this.el(".gru-live-notable")
    box.replaceChildren()
    if (!viewer.notable.length) return
    const head = document.createElement("div"); head.className = "gru-live-notable-head"
    head.textContent = "Units worth a look now (measured on the start of the training text, as it trains):"
    const list = document.createElement("ul")
    for (const finding of viewer.notable) {
      const item = document.createElement("li"); item.textContent = finding.sentence
      list.appendChild(item)
    }
    box.append(head, list)
  }
  drawSamples(viewer) {
    const latest = {}
    for (const record of viewer.records.samples) latest[record.model] = record
    const box = this.el(".gru-live-samples")
    box.replaceChildren()
    const entries = Object.values(latest)
    if (!entries.length) { box.textContent = "The greedy continuation of “time traveller” appears every few epochs."; return }
    for (const record of entries) {
      const label = document.createElement("div"); label.className = "gru-live-sample-label"
      label.textContent = `${name(viewer, record.model)}, epoch ${record.epoch}:`
      const text = document.createElement("pre"); text.textContent = record.text
      box.append(label, text)
    }
  }
  react(key, data, extraLayout) {
    const div = this.el(`[data-plot="${key}"]`)
    const narrow = this.root.clientWidth < 600
    const config = { displaylogo: false, responsive: true, displayModeBar: narrow ? false : "hover",
      toImageButtonOptions: { format: "png", scale: 2, filename: `gru-explainer-${key}` } }
    window.Plotly.react(div, data, layout(this.options, extraLayout, data.length, narrow), config)
    if (!div.dataset.hooked) {  // keep the hovered point across live updates
      div.dataset.hooked = "1"
      div.on("plotly_hover", (event) => { const p = event.points[0]; this.hover[key] = { curveNumber: p.curveNumber, pointNumber: p.pointNumber } })
      div.on("plotly_unhover", () => { delete this.hover[key] })
    }
    if (this.hover[key]) { try { window.Plotly.Fx.hover(div, [this.hover[key]]) } catch (e) { delete this.hover[key] } }
  }
  drawPerplexity(viewer) {
    const data = [], values = []
    viewer.networks.forEach((network, i) => {
      const rows = viewer.records.epochs.filter((r) => r.model === network)
      const x = rows.map((r) => r.epoch), y = rows.map((r) => r.perplexity)
      values.push(...y)
      data.push({ type: "scatter", mode: "lines", name: `${name(viewer, network)}: training`, x, y,
        line: { color: colour(i), width: 3 }, hovertemplate: `${name(viewer, network)}, training<br>epoch %{x}: %{y:.3f}<extra></extra>` })
      const held = rows.filter((r) => r.heldout_perplexity !== null && r.heldout_perplexity !== undefined)
      if (held.length) {
        const hy = held.map((r) => r.heldout_perplexity)
        values.push(...hy)
        data.push({ type: "scatter", mode: "lines", name: `${name(viewer, network)}: held-out text`, x: held.map((r) => r.epoch), y: hy,
          line: { color: colour(i), width: 3, dash: "dot" }, hovertemplate: `${name(viewer, network)}, held-out<br>epoch %{x}: %{y:.3f}<extra></extra>` })
      }
    })
    const marks = lrMarks(viewer.records.lr_changes, "epoch")
    this.react("ppl", data, { xaxis: { title: { text: "epoch" }, gridcolor: "#eee" },
      yaxis: { title: { text: "perplexity (log)" }, gridcolor: "#eee", ...logTicks(values) }, ...marks })
  }
  drawLoss(viewer) {
    const data = viewer.networks.map((network, i) => {
      const rows = viewer.records.batches.filter((r) => r.model === network)
      const [x, y] = thin(rows.map((r) => r.step), rows.map((r) => r.loss))
      return { type: "scattergl", mode: "lines", name: name(viewer, network), x, y, line: { color: colour(i), width: 2 },
        hovertemplate: `${name(viewer, network)}<br>batch %{x}: %{y:.4f}<extra></extra>` }
    })
    this.react("loss", data, { xaxis: { title: { text: "batch" }, gridcolor: "#eee" },
      yaxis: { title: { text: "cross-entropy" }, gridcolor: "#eee" }, ...lrMarks(viewer.records.lr_changes, "step") })
  }
  drawGradient(viewer) {
    const theta = viewer.status.clip_theta, data = [], values = [theta]
    viewer.networks.forEach((network, i) => {
      const rows = viewer.records.batches.filter((r) => r.model === network)
      const [x, y] = thin(rows.map((r) => r.step), rows.map((r) => r.grad_norm))
      values.push(...y)
      const clipped = rows.filter((r) => r.clipped)
      const share = rows.length ? Math.round(100 * clipped.length / rows.length) : 0
      data.push({ type: "scattergl", mode: "lines", name: `${name(viewer, network)}`, x, y, line: { color: colour(i), width: 2 },
        hovertemplate: `${name(viewer, network)}<br>batch %{x}: ‖g‖ = %{y:.3f}<extra></extra>` })
      const [cx, cy] = thin(clipped.map((r) => r.step), clipped.map((r) => r.grad_norm))
      data.push({ type: "scattergl", mode: "markers", name: `clipped (${share}% of batches)`, x: cx, y: cy,
        marker: { symbol: "x", size: 6, color: "#b2182b" }, hoverinfo: "skip" })
    })
    const steps = viewer.records.batches.map((r) => r.step)
    if (theta !== undefined && steps.length) {
      data.push({ type: "scatter", mode: "lines", name: `clip θ = ${theta}`, x: [Math.min(...steps), Math.max(...steps)], y: [theta, theta],
        line: { color: "#b2182b", dash: "dash", width: 2 }, hoverinfo: "skip" })
    }
    this.react("grad", data, { xaxis: { title: { text: "batch" }, gridcolor: "#eee" },
      yaxis: { title: { text: "‖g‖ (log)" }, gridcolor: "#eee", ...logTicks(values) }, ...lrMarks(viewer.records.lr_changes, "step") })
  }
  drawHeatmap(viewer) {
    const quantity = this.options.view, map = viewer.heatmaps[quantity]
    const title = this.el(".gru-live-heat-title"), order = this.el(".gru-live-order")
    order.textContent = this.order === "number" ? "Order: unit number" : "Order: mean value"
    if (!map) { title.textContent = `${VIEWS[quantity]}: waiting for the first picture of the model…`; return }
    const [steps, units] = map.shape, z = []
    const values = (t, u) => map.low + (map.levels[t * units + u] / 255) * (map.high - map.low)
    let rows = [...Array(units).keys()]
    if (this.order === "mean") {
      const means = rows.map((u) => { let s = 0; for (let t = 0; t < steps; t++) s += values(t, u); return s / steps })
      rows.sort((a, b) => means[b] - means[a])
    }
    for (const u of rows) { const row = new Array(steps); for (let t = 0; t < steps; t++) row[t] = values(t, u); z.push(row) }
    const ticks = map.chars.map((c) => SHOWN[c] || c)
    const gate = quantity.endsWith("_gate")
    title.textContent = `${VIEWS[quantity]} of every unit (rows) after each character (columns) — the live model at epoch ${map.at.epoch}, batch ${map.at.batch}`
    const x = ticks.map((c, t) => t)
    this.react("heat", [{ type: "heatmap", z, x, y: rows.map((u) => `unit ${u}`), zmin: map.low, zmax: map.high,
      colorscale: scale(gate ? GATE_SCALE : STATE_SCALE), colorbar: { thickness: 12, len: 0.9 },
      customdata: z.map(() => ticks), hovertemplate: "'%{customdata}' at %{x}<br>%{y}: %{z:.3f}<extra></extra>" }],
      { height: this.options.present ? 640 : (this.root.clientWidth < 600 ? 420 : 520), showlegend: false,
        margin: { l: 64, r: 8, t: 8, b: 40 }, dragmode: "pan",
        xaxis: { tickmode: "array", tickvals: x, ticktext: ticks, tickangle: 0, range: [-0.5, Math.min(steps, this.root.clientWidth < 600 ? 40 : 80) - 0.5] },
        yaxis: { showticklabels: false, ticks: "", title: { text: `${units} units` } } })
  }
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component
  Object.assign(NAMES, data.names || {})
  const root = parentElement.querySelector(".gru-live")
  let instance = instances.get(root)
  if (!instance) {
    const view = new LiveView(root, { ...data, view: data.view || "hidden" }, setTriggerValue)
    instances.set(root, view)
    instance = view
    view.connect(data.room)  // the socket first: status and data do not wait for plotly.js
    loadPlotly().then(() => { for (const plot of ["ppl", "loss", "grad", "heat"]) view.dirty.add(plot); view.schedule() })
      .catch(() => { root.querySelector(".gru-live-message").textContent = "The charts could not load (plotly.js). Reload the page." })
  } else {
    instance.setTriggerValue = setTriggerValue
    instance.setOptions(data)
  }
  return () => { if (instance.connection) instance.connection.close(); instances.delete(root) }
}
