// The script of the `trellis-profile html` report (docs/profiling.md).
// Plain JS, no libraries: reads the JSON of <script id="trellis-data"> (its
// layout is described at the top of lib/Profile/Html.cpp), draws the
// timeline on a canvas and fills the summary and the node table.
// window.trellisReport exposes a few hooks for test/browser/report_test.js.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('trellis-data').textContent);
  const S = data.strings, I = data.inst, N = I.ts.length, summary = data.summary;

  // ---- Instructions in nanoseconds, grouped into lanes sorted by start.
  const start = new Float64Array(N), end = new Float64Array(N), wait = new Float64Array(N);
  let lastEnd = 0;
  for (let i = 0; i < N; i++) {
    start[i] = I.ts[i] / 1000;
    end[i] = start[i] + I.dur[i] / 1000;
    wait[i] = I.wait[i] / 1000;
    lastEnd = Math.max(lastEnd, end[i]);
  }
  const deviceTime = Math.max(lastEnd, summary.device_time_us * 1000, 1);
  const lanes = data.tracks.map(t => ({ name: t.name, list: [] }));
  for (let i = 0; i < N; i++) lanes[I.track[i]].list.push(i);
  for (const lane of lanes) {
    lane.list.sort((a, b) => start[a] - start[b]);
    lane.insts = Int32Array.from(lane.list);
    delete lane.list;
    // Running maximum of the ends: monotonic, so the first instruction that
    // reaches into the view is found by binary search even if some overlap.
    lane.maxEnd = new Float64Array(lane.insts.length);
    let m = 0;
    lane.insts.forEach((i, k) => { m = Math.max(m, end[i]); lane.maxEnd[k] = m; });
  }

  // First k with lane.maxEnd[k] >= t.
  function firstReaching(lane, t) {
    let lo = 0, hi = lane.insts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lane.maxEnd[mid] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // ---- Colours by opcode: fixed for the common ones, hashed for the rest.
  const fixedColours = {
    multiply_moving: '#3b6fd8', load_stationary: '#93b4f0', activation: '#e07b39',
    dma: '#3aa776', tensor_tensor: '#a05bd0', tensor_scalar: '#c77fd9', nop: '#999999',
  };
  const colourOf = {};
  function colour(nameIdx) {
    if (colourOf[nameIdx]) return colourOf[nameIdx];
    const name = S[nameIdx];
    let c = fixedColours[name];
    if (!c) {
      let h = 0;
      for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      c = 'hsl(' + (h % 360) + ',55%,52%)';
    }
    return (colourOf[nameIdx] = c);
  }
  const WAIT_COLOUR = '#d9534f';

  // ---- Canvas geometry and the view (a time window in ns).
  const canvas = document.getElementById('timeline');
  const ctx = canvas.getContext('2d');
  const GUTTER = 130, AXIS = 24, LANE = 22, BAR_TOP = 3, BAR_H = 12, WAIT_H = 3;
  const view = { t0: 0, t1: deviceTime * 1.02 };
  let width = 0, plotW = 1, lastRects = 0;
  const laneRects = new Array(lanes.length).fill(0);

  function resize() {
    const dpr = window.devicePixelRatio || 1;
    width = canvas.clientWidth || 800;
    const height = AXIS + lanes.length * LANE + 4;
    canvas.style.height = height + 'px';
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    plotW = Math.max(1, width - GUTTER - 8);
    draw();
  }
  const xOf = t => GUTTER + (t - view.t0) / (view.t1 - view.t0) * plotW;
  const tOf = x => view.t0 + (x - GUTTER) / plotW * (view.t1 - view.t0);

  function fmtTime(ns) {
    const a = Math.abs(ns);
    if (a >= 1e6) return (ns / 1e6).toFixed(3) + ' ms';
    if (a >= 1e3) return (ns / 1e3).toFixed(3) + ' us';
    if (a >= 1) return ns.toFixed(1) + ' ns';
    return (ns * 1000).toFixed(0) + ' ps';
  }

  function drawAxis() {
    const span = view.t1 - view.t0;
    const raw = span / 8, pow = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(m => m * pow).find(s => s >= raw);
    ctx.fillStyle = '#555';
    ctx.strokeStyle = '#e4e4e4';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      const x = Math.round(xOf(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, AXIS - 4);
      ctx.lineTo(x, AXIS + lanes.length * LANE);
      ctx.stroke();
      ctx.fillText(fmtTime(t), x + 3, AXIS / 2);
    }
  }

  // One lane. Instructions at least 1.5 px wide are drawn as they are; the
  // narrower ones collapse into one 1-px column per pixel (the colour of the
  // first one there), so a lane never costs more rects than it has pixels.
  function drawLane(li) {
    const lane = lanes[li], insts = lane.insts, y = AXIS + li * LANE;
    let rects = 0, lastCol = -1, waitX = -Infinity, fill = '';
    for (let k = firstReaching(lane, view.t0); k < insts.length; k++) {
      const i = insts[k];
      // Past the view, only the first instruction's wait can reach into it.
      if (start[i] - wait[i] > view.t1) break;
      if (wait[i] > 0) { // semaphore wait: ready (start - wait) .. start
        const wa = Math.max(xOf(start[i] - wait[i]), waitX), wb = xOf(start[i]);
        if (wb - wa >= 0.5) {
          ctx.fillStyle = fill = WAIT_COLOUR;
          ctx.fillRect(wa, y + BAR_TOP + BAR_H + 2, wb - wa, WAIT_H);
          waitX = wb;
          rects++;
        }
      }
      if (start[i] > view.t1) continue;
      const xa = xOf(start[i]), xb = xOf(end[i]);
      const c = colour(I.name[i]);
      if (xb - xa >= 1.5) {
        if (fill !== c) ctx.fillStyle = fill = c;
        ctx.fillRect(xa, y + BAR_TOP, xb - xa - 0.5, BAR_H);
        lastCol = Math.floor(xb);
        rects++;
      } else {
        const col = Math.floor(xa);
        if (col <= lastCol) continue;
        if (fill !== c) ctx.fillStyle = fill = c;
        ctx.fillRect(col, y + BAR_TOP, 1, BAR_H);
        lastCol = col;
        rects++;
      }
    }
    laneRects[li] = rects;
    return rects;
  }

  function draw() {
    const height = AXIS + lanes.length * LANE + 4;
    ctx.clearRect(0, 0, width, height);
    for (let li = 0; li < lanes.length; li++) {
      ctx.fillStyle = li % 2 ? '#f6f7fa' : '#ffffff';
      ctx.fillRect(0, AXIS + li * LANE, width, LANE);
    }
    drawAxis();
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, 0, plotW, height);
    ctx.clip();
    lastRects = 0;
    for (let li = 0; li < lanes.length; li++) lastRects += drawLane(li);
    ctx.restore();
    ctx.fillStyle = '#222';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    lanes.forEach((lane, li) => ctx.fillText(lane.name, 8, AXIS + li * LANE + LANE / 2));
    document.getElementById('range').textContent =
      fmtTime(view.t0) + ' .. ' + fmtTime(view.t1) + ' (' + fmtTime(view.t1 - view.t0) +
      ' shown; device time ' + fmtTime(deviceTime) + ', ' + N + ' instructions)';
  }

  let pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }

  function zoomTo(t0, t1) {
    const pad = Math.max((t1 - t0) * 0.05, 0.5);
    view.t0 = Math.max(0, t0 - pad);
    view.t1 = Math.max(view.t0 + 0.01, t1 + pad);
    draw();
  }

  // ---- Wheel zooms around the pointer, dragging pans.
  canvas.addEventListener('wheel', ev => {
    ev.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const tm = tOf(ev.clientX - rect.left), f = Math.exp(ev.deltaY * 0.002);
    const span = Math.min(Math.max((view.t1 - view.t0) * f, 0.01), deviceTime * 4);
    const r = (tm - view.t0) / (view.t1 - view.t0);
    view.t0 = tm - r * span;
    view.t1 = view.t0 + span;
    redraw();
  }, { passive: false });
  let drag = null;
  canvas.addEventListener('mousedown', ev => {
    drag = { x: ev.clientX, t0: view.t0, t1: view.t1 };
    canvas.classList.add('dragging');
  });
  window.addEventListener('mouseup', () => { drag = null; canvas.classList.remove('dragging'); });
  window.addEventListener('mousemove', ev => {
    if (!drag) return;
    const dt = (ev.clientX - drag.x) / plotW * (drag.t1 - drag.t0);
    view.t0 = drag.t0 - dt;
    view.t1 = drag.t1 - dt;
    redraw();
  });
  document.getElementById('reset').addEventListener('click', () => zoomTo(0, deviceTime));

  // ---- Hover: the instruction under the pointer (or within 3 px of it).
  function instructionAt(x, y) {
    const li = Math.floor((y - AXIS) / LANE);
    if (x < GUTTER || li < 0 || li >= lanes.length) return -1;
    const lane = lanes[li], t = tOf(x), tol = 3 * (view.t1 - view.t0) / plotW;
    let best = -1, bestDist = tol;
    for (let k = firstReaching(lane, t - tol); k < lane.insts.length; k++) {
      const i = lane.insts[k];
      if (start[i] > t + tol) break;
      const d = t < start[i] ? start[i] - t : t > end[i] ? t - end[i] : 0;
      if (d <= bestDist && (best < 0 || d < bestDist || end[i] - start[i] > end[best] - start[best])) {
        best = i;
        bestDist = d;
      }
    }
    return best;
  }

  const tooltip = document.getElementById('tooltip');
  const esc = s => String(s).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  function describe(i) {
    const lane = data.tracks[I.track[i]].name, waits = S[I.waits[i]];
    const lines = ['<b>' + esc(S[I.name[i]]) + '</b>  ' + esc(lane) + '  #' + I.index[i] +
                   (waits ? '  wait ' + esc(waits) : '')];
    lines.push('ops       ' + esc([S[I.isa[i]], S[I.tile[i]], S[I.graph[i]]].filter(s => s).join(' < ') || '(unknown)'));
    lines.push('node      ' + esc(S[I.node[i]] || '(none)'));
    lines.push('start     ' + fmtTime(start[i]));
    lines.push('duration  ' + fmtTime(end[i] - start[i]));
    if (wait[i] > 0) lines.push('waited    ' + fmtTime(wait[i]) + ' on ' + esc(S[I.waitedOn[i]]));
    if (S[I.detail[i]]) lines.push('          ' + esc(S[I.detail[i]]));
    return lines.join('\n');
  }
  canvas.addEventListener('mousemove', ev => {
    const rect = canvas.getBoundingClientRect();
    const i = drag ? -1 : instructionAt(ev.clientX - rect.left, ev.clientY - rect.top);
    if (i < 0) { tooltip.style.display = 'none'; return; }
    tooltip.innerHTML = describe(i);
    tooltip.style.display = 'block';
    const w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    tooltip.style.left = Math.min(ev.clientX + 14, window.innerWidth - w - 4) + 'px';
    tooltip.style.top = Math.min(ev.clientY + 14, window.innerHeight - h - 4) + 'px';
  });
  canvas.addEventListener('mouseleave', () => { tooltip.style.display = 'none'; });

  // ---- Legend, summary, engines, stalls.
  const legend = document.getElementById('legend');
  [...new Set(I.name)].forEach(n => {
    legend.insertAdjacentHTML('beforeend', '<span><i style="background:' + colour(n) + '"></i>' + esc(S[n]) + '</span>');
  });
  legend.insertAdjacentHTML('beforeend', '<span><i style="background:' + WAIT_COLOUR +
    ';height:3px"></i>semaphore wait (ready until start)</span>');

  const us = v => fmtTime(v * 1000);
  const pct = v => v.toFixed(1) + '%';
  function rows(id, list) {
    document.querySelector('#' + id + ' tbody').innerHTML = list.map(r =>
      '<tr>' + r.map((c, j) => '<td' + (j ? ' class="num"' : '') + '>' + c + '</td>').join('') + '</tr>').join('');
  }
  rows('summary', [
    ['device time', us(summary.device_time_us)],
    ['roofline time', us(summary.roofline_time_us) + ' (' + esc(summary.bound) + '-bound)'],
    ['roofline ratio', summary.roofline_ratio.toPrecision(4) + ' (1 = at the physical limit)'],
    ['achieved', summary.achieved_tflops.toPrecision(4) + ' TFLOPS of ' + summary.peak_tflops + ' (' + esc(summary.matmul_dtype) + ')'],
    ['PE utilisation', pct(summary.pe_utilization * 100)],
    ['PE busy', pct(summary.pe_busy_pct)],
    ['DMA busy', pct(summary.dma.busy_pct) + ' (any of ' + summary.dma.queues + ' queues)'],
    ['instructions', String(summary.instructions)],
  ]);
  const queueRank = name => {
    const fixed = ['pe', 'act', 'dve', 'pool', 'sp'].indexOf(name);
    return fixed >= 0 ? fixed : 10 + Number(name.slice(1));
  };
  rows('engines', Object.keys(summary.engines).sort((a, b) => queueRank(a) - queueRank(b)).map(q => {
    const p = summary.engine_busy_pct[q];
    return [esc(q), us(summary.engines[q]), pct(p), '<span class="bar" style="width:' + Math.round(p) + 'px"></span>'];
  }));
  rows('stalls', summary.stalls.map(s => [
    esc(s.waiter) + ' waited on ' + esc(s.waited_on) + (s.waited_on_dma ? ' (DMA)' : ''),
    us(s.wait_us), s.count + (s.count === 1 ? ' wait' : ' waits')]));

  // ---- Time per ONNX node / graph op: sortable; a click zooms to its span.
  const spans = { nodes: new Map(), graph_ops: new Map() };
  for (let i = 0; i < N; i++) {
    for (const [map, key] of [[spans.nodes, S[I.node[i]] || '(none)'], [spans.graph_ops, S[I.graph[i]] || '(none)']]) {
      const s = map.get(key);
      if (!s) map.set(key, [start[i], end[i]]);
      else { s[0] = Math.min(s[0], start[i]); s[1] = Math.max(s[1], end[i]); }
    }
  }
  const table = { by: 'nodes', key: 'time_us', desc: true };
  function renderTable() {
    const cols = [['name', 'name', false], ['time_us', 'time', true], ['pct', '% of instr. time', true],
                  ['instructions', 'instr.', true]];
    if (table.by === 'nodes') cols.splice(1, 0, ['graph_op', 'graph op', false]);
    const list = summary[table.by].slice().sort((a, b) => {
      const x = a[table.key], y = b[table.key];
      return (x < y ? -1 : x > y ? 1 : 0) * (table.desc ? -1 : 1);
    });
    document.querySelector('#nodes thead').innerHTML = '<tr>' + cols.map(([k, label, num]) =>
      '<th data-key="' + k + '" class="' + (num ? 'num ' : '') +
      (k === table.key ? (table.desc ? 'sorted-desc' : 'sorted-asc') : '') + '">' + label + '</th>').join('') + '</tr>';
    document.querySelector('#nodes tbody').innerHTML = list.map(r => '<tr data-name="' + esc(r.name) + '">' +
      cols.map(([k, , num]) => '<td' + (num ? ' class="num"' : '') + '>' +
        (k === 'time_us' ? us(r[k]) : k === 'pct' ? pct(r[k]) : esc(r[k])) + '</td>').join('') + '</tr>').join('');
  }
  document.querySelector('#nodes thead').addEventListener('click', ev => {
    const key = ev.target.dataset && ev.target.dataset.key;
    if (!key) return;
    table.desc = table.key === key ? !table.desc : key !== 'name' && key !== 'graph_op';
    table.key = key;
    renderTable();
  });
  document.querySelector('#nodes tbody').addEventListener('click', ev => {
    const tr = ev.target.closest('tr');
    const span = tr && spans[table.by].get(tr.dataset.name);
    if (span) {
      zoomTo(span[0], span[1]);
      canvas.scrollIntoView({ block: 'nearest' });
    }
  });
  document.querySelectorAll('input[name=by]').forEach(r => r.addEventListener('change', () => {
    table.by = r.value;
    renderTable();
  }));
  renderTable();

  window.addEventListener('resize', resize);
  resize();

  // ---- Hooks for tests and the console.
  window.trellisReport = {
    lanes: lanes.map(l => l.name),
    laneRects,                   // rects drawn per lane in the last frame
    get lastRects() { return lastRects; },
    get view() { return { t0: view.t0, t1: view.t1 }; },
    zoomTo,
    draw,
    // Lane `name`'s bar row in canvas CSS pixels (for pixel checks).
    laneBox(name) {
      const li = lanes.findIndex(l => l.name === name);
      return li < 0 ? null : { x: GUTTER, y: AXIS + li * LANE + BAR_TOP, w: plotW, h: BAR_H };
    },
    // Page coordinates of the middle of lane `name`'s widest visible
    // instruction: where to hover to get its tooltip.
    hoverPoint(name) {
      const li = lanes.findIndex(l => l.name === name);
      if (li < 0) return null;
      let best = -1;
      for (const i of lanes[li].insts)
        if (best < 0 || end[i] - start[i] > end[best] - start[best]) best = i;
      const rect = canvas.getBoundingClientRect();
      const xa = Math.max(xOf(start[best]), GUTTER), xb = Math.min(xOf(end[best]), GUTTER + plotW);
      return { x: rect.left + (xa + xb) / 2, y: rect.top + AXIS + li * LANE + BAR_TOP + BAR_H / 2,
               opcode: S[I.name[best]], node: S[I.node[best]] };
    },
  };
})();
