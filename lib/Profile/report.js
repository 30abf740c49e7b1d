// The script of the `trellis-profile html` and `diff --html` reports
// (docs/profiling.md). Plain JS, no libraries: reads the JSON of
// <script id="trellis-data"> (its layout is described at the top of
// lib/Profile/Html.cpp): one run, or two runs and their diff. Each run gets
// a canvas timeline (PE utilisation and HBM bandwidth strips over the
// lanes); all timelines share one time window, so two runs line up. One
// run also gets the summary and the node table; two get the diff tables.
// window.trellisReport exposes a few hooks for test/browser/report_test.js.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('trellis-data').textContent);
  const runs = data.runs;
  const diffMode = runs.length > 1;

  function fmtTime(ns) {
    const a = Math.abs(ns);
    if (a >= 1e6) return (ns / 1e6).toFixed(3) + ' ms';
    if (a >= 1e3) return (ns / 1e3).toFixed(3) + ' us';
    if (a >= 1) return ns.toFixed(1) + ' ns';
    return (ns * 1000).toFixed(0) + ' ps';
  }
  const esc = s => String(s).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const us = v => fmtTime(v * 1000);
  const pct = v => v.toFixed(1) + '%';

  // ---- Colours by opcode: fixed for the common ones, hashed for the rest.
  const fixedColours = {
    multiply_moving: '#3b6fd8', load_stationary: '#93b4f0', activation: '#e07b39',
    dma: '#3aa776', tensor_tensor: '#a05bd0', tensor_scalar: '#c77fd9', nop: '#999999',
  };
  const colourOfName = {};
  function colourNamed(name) {
    if (colourOfName[name]) return colourOfName[name];
    let c = fixedColours[name];
    if (!c) {
      let h = 0;
      for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      c = 'hsl(' + (h % 360) + ',55%,52%)';
    }
    return (colourOfName[name] = c);
  }
  const WAIT_COLOUR = '#d9534f', PE_COLOUR = '#3b6fd8', HBM_COLOUR = '#3aa776';

  // ---- The shared view (a time window in ns) and redrawing.
  const longest = Math.max(1, ...runs.map(r => {
    let e = r.summary.device_time_us * 1000;
    for (let i = 0; i < r.inst.ts.length; i++) e = Math.max(e, (r.inst.ts[i] + r.inst.dur[i]) / 1000);
    return e;
  }));
  const view = { t0: 0, t1: longest * 1.02 };
  const timelines = [];
  let pending = false;
  function drawAll() { timelines.forEach(t => t.draw()); }
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; drawAll(); });
  }
  function zoomTo(t0, t1) {
    const pad = Math.max((t1 - t0) * 0.05, 0.5);
    view.t0 = Math.max(0, t0 - pad);
    view.t1 = Math.max(view.t0 + 0.01, t1 + pad);
    drawAll();
  }

  const tooltip = document.getElementById('tooltip');
  function showTooltip(html, ev) {
    tooltip.innerHTML = html;
    tooltip.style.display = 'block';
    const w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    tooltip.style.left = Math.min(ev.clientX + 14, window.innerWidth - w - 4) + 'px';
    tooltip.style.top = Math.min(ev.clientY + 14, window.innerHeight - h - 4) + 'px';
  }

  // ---- One run's timeline.
  function makeTimeline(run, k, container) {
    const S = run.strings, I = run.inst, N = I.ts.length, summary = run.summary;
    const start = new Float64Array(N), end = new Float64Array(N), wait = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      start[i] = I.ts[i] / 1000;
      end[i] = start[i] + I.dur[i] / 1000;
      wait[i] = I.wait[i] / 1000;
    }
    const deviceTime = Math.max(summary.device_time_us * 1000, 1);
    const lanes = run.tracks.map(t => ({ name: t.name, list: [] }));
    for (let i = 0; i < N; i++) lanes[I.track[i]].list.push(i);
    for (const lane of lanes) {
      lane.list.sort((a, b) => start[a] - start[b]);
      lane.insts = Int32Array.from(lane.list);
      delete lane.list;
      // Running maximum of the ends: monotonic, so the first instruction that
      // reaches into the view is found by binary search even if some overlap.
      lane.maxEnd = new Float64Array(lane.insts.length);
      let m = 0;
      lane.insts.forEach((i, j) => { m = Math.max(m, end[i]); lane.maxEnd[j] = m; });
      lane.pe = lane.insts.some(i => I.flops[i] > 0);
      lane.hbm = lane.insts.some(i => I.hbm[i] > 0);
    }
    // First j with lane.maxEnd[j] >= t.
    function firstReaching(lane, t) {
      let lo = 0, hi = lane.insts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (lane.maxEnd[mid] < t) lo = mid + 1; else hi = mid;
      }
      return lo;
    }

    if (diffMode)
      container.insertAdjacentHTML('beforeend', '<h2 class="run">' + esc(run.label) + ': ' +
        esc(run.title) + ' &mdash; ' + fmtTime(deviceTime) + '</h2>');
    const canvas = document.createElement('canvas');
    canvas.id = k === 0 ? 'timeline' : 'timeline-' + k;
    canvas.className = 'timeline';
    container.appendChild(canvas);
    const ctx = canvas.getContext('2d');
    const GUTTER = 130, AXIS = 24, CHART = 34, LANE = 22, BAR_TOP = 3, BAR_H = 12, WAIT_H = 3;
    const LANES_TOP = AXIS + 2 * CHART;
    const height = LANES_TOP + lanes.length * LANE + 4;
    let width = 0, plotW = 1, lastRects = 0;
    const laneRects = new Array(lanes.length).fill(0);
    const peakFlopsPerNs = (summary.peak_tflops || 0) * 1e3; // TFLOPS = 1e3 FLOP/ns
    const hbmPeak = summary.hbm_gbps || 0;                    // GB/s = bytes/ns
    let peSeries = null, hbmSeries = null;

    function resize() {
      const dpr = window.devicePixelRatio || 1;
      width = canvas.clientWidth || 800;
      canvas.style.height = height + 'px';
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      plotW = Math.max(1, width - GUTTER - 8);
      draw();
    }
    const xOf = t => GUTTER + (t - view.t0) / (view.t1 - view.t0) * plotW;
    const tOf = x => view.t0 + (x - GUTTER) / plotW * (view.t1 - view.t0);

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
        ctx.lineTo(x, height - 4);
        ctx.stroke();
        ctx.fillText(fmtTime(t), x + 3, AXIS / 2);
      }
    }

    // PE FLOPs and HBM bytes per ns, each instruction's amount spread evenly
    // over its duration: exactly from the visible instructions when zoomed
    // in, from fine bins made once (as prefix sums) when a pixel spans
    // several bins, so a whole-run frame does not walk every instruction.
    const BINS = 16384, binNs = Math.max(longest, 1) / BINS;
    function prefixOf(pick, amount) {
      const bins = new Float64Array(BINS + 1);
      for (const lane of lanes) {
        if (!lane[pick]) continue;
        for (const i of lane.insts) {
          const a = amount(i);
          if (!(a > 0)) continue;
          const dur = Math.max(end[i] - start[i], 1e-9);
          const ba = Math.min(BINS - 1, Math.floor(start[i] / binNs));
          const bb = Math.min(BINS - 1, Math.floor(end[i] / binNs));
          for (let b = ba; b <= bb; b++) {
            const lo = Math.max(start[i], b * binNs), hi = Math.min(end[i], (b + 1) * binNs);
            if (hi > lo) bins[b + 1] += a * (hi - lo) / dur;
          }
        }
      }
      for (let b = 1; b <= BINS; b++) bins[b] += bins[b - 1];
      return bins;
    }
    const prefix = { pe: prefixOf('pe', i => I.flops[i]), hbm: prefixOf('hbm', i => I.hbm[i] ? I.bytes[i] : 0) };
    // The amount before time t, interpolated inside its bin.
    function cumulative(p, t) {
      const x = Math.min(Math.max(t / binNs, 0), BINS), b = Math.min(Math.floor(x), BINS - 1);
      return p[b] + (p[b + 1] - p[b]) * (x - b);
    }
    function series(pick, amount) {
      const cols = new Float64Array(Math.ceil(plotW));
      const nsPerPx = (view.t1 - view.t0) / plotW;
      if (nsPerPx >= 4 * binNs) {
        const p = prefix[pick];
        for (let c = 0; c < cols.length; c++) {
          const ta = view.t0 + c * nsPerPx;
          cols[c] = (cumulative(p, ta + nsPerPx) - cumulative(p, ta)) / nsPerPx;
        }
        return cols;
      }
      for (const lane of lanes) {
        if (!lane[pick]) continue;
        for (let j = firstReaching(lane, view.t0); j < lane.insts.length; j++) {
          const i = lane.insts[j];
          if (start[i] > view.t1) break;
          const a = amount(i);
          if (!(a > 0)) continue;
          const dur = Math.max(end[i] - start[i], 1e-9);
          const ca = Math.max(0, Math.floor((start[i] - view.t0) / nsPerPx));
          const cb = Math.min(cols.length - 1, Math.floor((end[i] - view.t0) / nsPerPx));
          for (let c = ca; c <= cb; c++) {
            const lo = Math.max(start[i], view.t0 + c * nsPerPx);
            const hi = Math.min(end[i], view.t0 + (c + 1) * nsPerPx);
            if (hi > lo) cols[c] += a * (hi - lo) / dur;
          }
        }
      }
      for (let c = 0; c < cols.length; c++) cols[c] /= nsPerPx; // per ns
      return cols;
    }

    // A filled strip: value / scale per column, 0..1 of the strip's height.
    function drawStrip(y, cols, scale, colour, label, unit) {
      ctx.fillStyle = '#fbfbfd';
      ctx.fillRect(GUTTER, y + 2, plotW, CHART - 6);
      ctx.fillStyle = colour;
      const h = CHART - 6;
      for (let c = 0; c < cols.length; c++) {
        const v = Math.min(1, scale > 0 ? cols[c] / scale : 0);
        if (v > 0) ctx.fillRect(GUTTER + c, y + 2 + h * (1 - v), 1, h * v);
      }
      let peak = 0, sum = 0;
      for (let c = 0; c < cols.length; c++) { peak = Math.max(peak, cols[c]); sum += cols[c]; }
      ctx.fillStyle = '#222';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      ctx.fillText(label, 8, y + CHART / 2 - 6);
      ctx.fillStyle = '#666';
      ctx.fillText(unit(sum / Math.max(cols.length, 1)) + ' avg', 8, y + CHART / 2 + 7);
    }

    function drawCharts() {
      peSeries = series('pe', i => I.flops[i]);
      hbmSeries = series('hbm', i => I.hbm[i] ? I.bytes[i] : 0);
      drawStrip(AXIS, peSeries, peakFlopsPerNs, PE_COLOUR, 'PE utilisation',
                v => pct(peakFlopsPerNs > 0 ? 100 * v / peakFlopsPerNs : 0));
      drawStrip(AXIS + CHART, hbmSeries, Math.max(hbmPeak, 1e-9), HBM_COLOUR, 'HBM GB/s',
                v => v.toFixed(0) + (hbmPeak ? ' of ' + hbmPeak : ''));
    }

    // One lane. Instructions at least 1.5 px wide are drawn as they are; the
    // narrower ones collapse into one 1-px column per pixel (the colour of the
    // first one there), so a lane never costs more rects than it has pixels.
    function drawLane(li) {
      const lane = lanes[li], insts = lane.insts, y = LANES_TOP + li * LANE;
      let rects = 0, lastCol = -1, waitX = -Infinity, fill = '';
      for (let j = firstReaching(lane, view.t0); j < insts.length; j++) {
        const i = insts[j];
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
        const c = colourNamed(S[I.name[i]]);
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
      ctx.clearRect(0, 0, width, height);
      for (let li = 0; li < lanes.length; li++) {
        ctx.fillStyle = li % 2 ? '#f6f7fa' : '#ffffff';
        ctx.fillRect(0, LANES_TOP + li * LANE, width, LANE);
      }
      drawAxis();
      ctx.save();
      ctx.beginPath();
      ctx.rect(GUTTER, 0, plotW, height);
      ctx.clip();
      lastRects = 0;
      for (let li = 0; li < lanes.length; li++) lastRects += drawLane(li);
      ctx.restore();
      drawCharts();
      ctx.fillStyle = '#222';
      ctx.font = '12px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      lanes.forEach((lane, li) => ctx.fillText(lane.name, 8, LANES_TOP + li * LANE + LANE / 2));
      if (k === 0)
        document.getElementById('range').textContent =
          fmtTime(view.t0) + ' .. ' + fmtTime(view.t1) + ' (' + fmtTime(view.t1 - view.t0) +
          ' shown; device time ' + runs.map(r => fmtTime(r.summary.device_time_us * 1000)).join(' vs ') +
          ', ' + runs.map(r => r.inst.ts.length).join(' vs ') + ' instructions)';
    }

    // ---- Wheel zooms around the pointer, dragging pans (every timeline).
    canvas.addEventListener('wheel', ev => {
      ev.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const tm = tOf(ev.clientX - rect.left), f = Math.exp(ev.deltaY * 0.002);
      const span = Math.min(Math.max((view.t1 - view.t0) * f, 0.01), longest * 4);
      const r = (tm - view.t0) / (view.t1 - view.t0);
      view.t0 = tm - r * span;
      view.t1 = view.t0 + span;
      redraw();
    }, { passive: false });
    canvas.addEventListener('mousedown', ev => {
      drag = { x: ev.clientX, t0: view.t0, t1: view.t1, plotW };
      canvas.classList.add('dragging');
    });

    // ---- Hover: the instruction under the pointer (or within 3 px of it),
    // or the chart value.
    function instructionAt(x, y) {
      const li = Math.floor((y - LANES_TOP) / LANE);
      if (x < GUTTER || li < 0 || li >= lanes.length) return -1;
      const lane = lanes[li], t = tOf(x), tol = 3 * (view.t1 - view.t0) / plotW;
      let best = -1, bestDist = tol;
      for (let j = firstReaching(lane, t - tol); j < lane.insts.length; j++) {
        const i = lane.insts[j];
        if (start[i] > t + tol) break;
        const d = t < start[i] ? start[i] - t : t > end[i] ? t - end[i] : 0;
        if (d <= bestDist && (best < 0 || d < bestDist || end[i] - start[i] > end[best] - start[best])) {
          best = i;
          bestDist = d;
        }
      }
      return best;
    }
    function describe(i) {
      const lane = run.tracks[I.track[i]].name, waits = S[I.waits[i]];
      const lines = ['<b>' + esc(S[I.name[i]]) + '</b>  ' + esc(lane) + '  #' + I.index[i] +
                     (waits ? '  wait ' + esc(waits) : '')];
      if (I.asm && S[I.asm[i]]) lines.push('asm       ' + esc(S[I.asm[i]]));
      lines.push('ops       ' + esc([S[I.isa[i]], S[I.tile[i]], S[I.graph[i]]].filter(s => s).join(' < ') || '(unknown)'));
      lines.push('node      ' + esc(S[I.node[i]] || '(none)'));
      lines.push('start     ' + fmtTime(start[i]));
      lines.push('duration  ' + fmtTime(end[i] - start[i]));
      if (wait[i] > 0) lines.push('waited    ' + fmtTime(wait[i]) + ' on ' + esc(S[I.waitedOn[i]]));
      if (I.flops[i] > 0) lines.push('          ' + I.flops[i] + ' FLOPs ' + esc(S[I.dtype[i]]));
      if (I.bytes[i] > 0) lines.push('          ' + I.bytes[i] + ' bytes' + (I.hbm[i] ? ' (HBM)' : ''));
      return lines.join('\n');
    }
    function describeChart(x, y) {
      if (x < GUTTER || y < AXIS || y >= LANES_TOP || !peSeries) return '';
      const c = Math.min(Math.floor(x - GUTTER), peSeries.length - 1);
      const t = tOf(x);
      return '<b>at ' + fmtTime(t) + '</b>\nPE utilisation  ' +
        pct(peakFlopsPerNs > 0 ? 100 * peSeries[c] / peakFlopsPerNs : 0) +
        '\nHBM bandwidth   ' + hbmSeries[c].toFixed(1) + ' GB/s' + (hbmPeak ? ' of ' + hbmPeak : '');
    }
    canvas.addEventListener('mousemove', ev => {
      if (drag) { tooltip.style.display = 'none'; return; }
      const rect = canvas.getBoundingClientRect();
      const x = ev.clientX - rect.left, y = ev.clientY - rect.top;
      const i = instructionAt(x, y);
      const html = i >= 0 ? describe(i) : describeChart(x, y);
      if (!html) { tooltip.style.display = 'none'; return; }
      showTooltip(html, ev);
    });
    canvas.addEventListener('mouseleave', () => { tooltip.style.display = 'none'; });

    // Span of each ONNX node and graph op: first start to last end.
    const spans = { nodes: new Map(), graph_ops: new Map() };
    for (let i = 0; i < N; i++) {
      for (const [map, key] of [[spans.nodes, S[I.node[i]] || '(none)'], [spans.graph_ops, S[I.graph[i]] || '(none)']]) {
        const s = map.get(key);
        if (!s) map.set(key, [start[i], end[i]]);
        else { s[0] = Math.min(s[0], start[i]); s[1] = Math.max(s[1], end[i]); }
      }
    }

    return {
      canvas, lanes, laneRects, spans, resize, draw, deviceTime,
      opcodes: [...new Set(I.name)].map(n => S[n]),
      get lastRects() { return lastRects; },
      laneBox(name) {
        const li = lanes.findIndex(l => l.name === name);
        return li < 0 ? null : { x: GUTTER, y: LANES_TOP + li * LANE + BAR_TOP, w: plotW, h: BAR_H };
      },
      chartBox(which) {
        return { x: GUTTER, y: AXIS + (which === 'hbm' ? CHART : 0) + 2, w: plotW, h: CHART - 6 };
      },
      hoverPoint(name) {
        const li = lanes.findIndex(l => l.name === name);
        if (li < 0) return null;
        let best = -1;
        for (const i of lanes[li].insts)
          if (best < 0 || end[i] - start[i] > end[best] - start[best]) best = i;
        const rect = canvas.getBoundingClientRect();
        const xa = Math.max(xOf(start[best]), GUTTER), xb = Math.min(xOf(end[best]), GUTTER + plotW);
        return { x: rect.left + (xa + xb) / 2, y: rect.top + LANES_TOP + li * LANE + BAR_TOP + BAR_H / 2,
                 opcode: S[I.name[best]], node: S[I.node[best]] };
      },
    };
  }

  let drag = null;
  window.addEventListener('mouseup', () => {
    drag = null;
    document.querySelectorAll('canvas.timeline').forEach(c => c.classList.remove('dragging'));
  });
  window.addEventListener('mousemove', ev => {
    if (!drag) return;
    const dt = (ev.clientX - drag.x) / drag.plotW * (drag.t1 - drag.t0);
    view.t0 = drag.t0 - dt;
    view.t1 = drag.t1 - dt;
    redraw();
  });
  document.getElementById('reset').addEventListener('click', () => zoomTo(0, longest));

  const container = document.getElementById('timeline-wrap');
  runs.forEach((run, k) => timelines.push(makeTimeline(run, k, container)));

  // ---- Legend.
  const legend = document.getElementById('legend');
  [...new Set(timelines.flatMap(t => t.opcodes))].forEach(n => {
    legend.insertAdjacentHTML('beforeend', '<span><i style="background:' + colourNamed(n) + '"></i>' + esc(n) + '</span>');
  });
  legend.insertAdjacentHTML('beforeend', '<span><i style="background:' + WAIT_COLOUR +
    ';height:3px"></i>semaphore wait (ready until start)</span>');

  function rows(id, list) {
    document.querySelector('#' + id + ' tbody').innerHTML = list.map(r =>
      '<tr>' + r.map((c, j) => '<td' + (j ? ' class="num"' : '') + '>' + c + '</td>').join('') + '</tr>').join('');
  }
  const queueRank = name => {
    const fixed = ['pe', 'act', 'dve', 'pool', 'sp'].indexOf(name);
    return fixed >= 0 ? fixed : name.startsWith('q') ? 10 + Number(name.slice(1)) : 1000;
  };

  if (!diffMode) {
    // ---- One run: summary, engines, stalls, time per node / graph op.
    const summary = runs[0].summary, spans = timelines[0].spans;
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
    rows('engines', Object.keys(summary.engines).sort((a, b) => queueRank(a) - queueRank(b)).map(q => {
      const p = summary.engine_busy_pct[q];
      return [esc(q), us(summary.engines[q]), pct(p), '<span class="bar" style="width:' + Math.round(p) + 'px"></span>'];
    }));
    rows('stalls', summary.stalls.map(s => [
      esc(s.waiter) + ' waited on ' + esc(s.waited_on) + (s.waited_on_dma ? ' (DMA)' : ''),
      us(s.wait_us), s.count + (s.count === 1 ? ' wait' : ' waits')]));

    const table = { by: 'nodes', key: 'time_us', desc: true };
    function renderTable() {
      const cols = [['name', 'name', false], ['time_us', 'time', true], ['pct', '% of instr. time', true],
                    ['instructions', 'instr.', true]];
      if (table.by === 'nodes') cols.splice(1, 0, ['graph_op', 'graph op', false]);
      const list = summary[table.by].slice().sort((a, b) => {
        const x = a[table.key], y = b[table.key];
        return (x < y ? -1 : x > y ? 1 : 0) * (table.desc ? -1 : 1);
      });
      document.querySelector('#nodes thead').innerHTML = '<tr>' + cols.map(([key, label, num]) =>
        '<th data-key="' + key + '" class="' + (num ? 'num ' : '') +
        (key === table.key ? (table.desc ? 'sorted-desc' : 'sorted-asc') : '') + '">' + label + '</th>').join('') + '</tr>';
      document.querySelector('#nodes tbody').innerHTML = list.map(r => '<tr data-name="' + esc(r.name) + '">' +
        cols.map(([key, , num]) => '<td' + (num ? ' class="num"' : '') + '>' +
          (key === 'time_us' ? us(r[key]) : key === 'pct' ? pct(r[key]) : esc(r[key])) + '</td>').join('') + '</tr>').join('');
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
        timelines[0].canvas.scrollIntoView({ block: 'nearest' });
      }
    });
    document.querySelectorAll('input[name=by]').forEach(r => r.addEventListener('change', () => {
      table.by = r.value;
      renderTable();
    }));
    renderTable();
  } else {
    // ---- Two runs: the diff of `trellis-profile diff`, B - A.
    document.getElementById('single').style.display = 'none';
    document.getElementById('diff').style.display = '';
    const d = data.diff;
    const delta = (v, unit) => (v > 0 ? '+' : '') + unit(v);
    const change = (a, b) => a > 0 ? ' (' + (b >= a ? '+' : '') + (100 * (b - a) / a).toFixed(1) + '%)' : '';
    rows('diff-summary', [
      ['device time', us(d.device_time_us.a), us(d.device_time_us.b),
       delta(d.device_time_us.delta, us) + change(d.device_time_us.a, d.device_time_us.b)],
      ['roofline time', us(d.roofline_time_us.a), us(d.roofline_time_us.b), delta(d.roofline_time_us.delta, us)],
      ['roofline ratio', d.roofline_ratio.a.toFixed(4), d.roofline_ratio.b.toFixed(4),
       delta(d.roofline_ratio.delta, v => v.toFixed(4))],
      ['PE utilisation', pct(100 * d.pe_utilization.a), pct(100 * d.pe_utilization.b),
       delta(100 * d.pe_utilization.delta, v => v.toFixed(2) + ' pts')],
    ]);
    const diffRows = list => list.map(r => [esc(r.name), us(r.a_us), us(r.b_us),
      delta(r.delta_us, us) + change(r.a_us, r.b_us)]);
    rows('diff-engines', diffRows(d.engines));
    rows('diff-nodes', diffRows(d.nodes));
    rows('diff-ops', diffRows(d.graph_ops));
    rows('diff-stalls', diffRows(d.stalls));
  }

  window.addEventListener('resize', () => timelines.forEach(t => t.resize()));
  timelines.forEach(t => t.resize());

  // ---- Hooks for tests and the console (the first timeline, and all).
  const first = timelines[0];
  window.trellisReport = {
    lanes: first.lanes.map(l => l.name),
    laneRects: first.laneRects,      // rects drawn per lane in the last frame
    get lastRects() { return first.lastRects; },
    get view() { return { t0: view.t0, t1: view.t1 }; },
    zoomTo,
    draw: drawAll,
    laneBox: name => first.laneBox(name),     // a lane's bar row, canvas CSS pixels
    chartBox: which => first.chartBox(which), // the 'pe' or 'hbm' strip
    hoverPoint: name => first.hoverPoint(name),
    timelines: timelines.map(t => ({
      id: t.canvas.id, lanes: t.lanes.map(l => l.name), laneRects: t.laneRects,
      laneBox: name => t.laneBox(name), chartBox: which => t.chartBox(which),
      hoverPoint: name => t.hoverPoint(name),
    })),
  };
})();
