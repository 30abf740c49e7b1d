// Opens a `trellis-profile html` report in headless Chromium and checks it:
//   node report_test.js TRACE.json REPORT.html SCREENSHOT.png
// - no console errors or uncaught exceptions, and no network requests;
// - one lane per track of the trace that has instructions, and each lane
//   has coloured pixels on the canvas;
// - hovering an instruction of every lane shows a tooltip with its opcode,
//   assembly line, ops, ONNX node, start and duration (and the wait, where
//   it waited);
// - the wheel zooms in; clicking a node row zooms to that node's span;
// - saves a screenshot.
'use strict';
const fs = require('fs');
const { check, colouredPixels, withReport } = require('./harness');

const [tracePath, reportPath, shotPath] = process.argv.slice(2);

// The lanes the report must draw: tracks that hold at least one instruction.
const trace = JSON.parse(fs.readFileSync(tracePath, 'utf8'));
const trackName = new Map(), used = new Set(), waited = new Set();
for (const ev of trace.traceEvents) {
  if (ev.ph === 'M' && ev.name === 'thread_name') trackName.set(ev.tid, ev.args.name);
  if (ev.ph === 'X') {
    used.add(ev.tid);
    if (ev.args.waited_on) waited.add(ev.tid);
  }
}
const expectedLanes = [...used].map(tid => trackName.get(tid)).sort();

withReport(reportPath, { width: 1280, height: 900 }, async page => {
    const lanes = await page.evaluate(() => window.trellisReport.lanes);
    check(JSON.stringify([...lanes].sort()) === JSON.stringify(expectedLanes),
          'lanes ' + lanes.join(',') + ' are the trace\'s tracks ' + expectedLanes.join(','));
    // Every lane drawn: non-background pixels in its bar row.
    const drawn = [];
    for (const [li, name] of lanes.entries()) {
      const box = await page.evaluate(n => window.trellisReport.laneBox(n), name);
      const rects = await page.evaluate(li => window.trellisReport.laneRects[li], li);
      drawn.push({ name, rects, coloured: await colouredPixels(page, 'timeline', box) });
    }
    for (const l of drawn)
      check(l.coloured > 0 && l.rects > 0, 'lane ' + l.name + ' drawn (' + l.rects + ' rects, ' +
            l.coloured + ' coloured pixels)');

    // The PE utilisation and HBM bandwidth strips over the lanes: the MLP's
    // matmuls and weight loads must show in them.
    const strips = [];
    for (const which of ['pe', 'hbm']) {
      const b = await page.evaluate(w => window.trellisReport.chartBox(w), which);
      strips.push({ which, coloured: await colouredPixels(page, 'timeline', b),
                    mid: { x: b.x + b.w / 2, y: b.y + b.h / 2 } });
    }
    for (const st of strips)
      check(st.coloured > 0, st.which + ' over-time strip drawn (' + st.coloured + ' coloured pixels)');
    const cbox = await page.locator('#timeline').boundingBox();
    await page.mouse.move(cbox.x + strips[0].mid.x, cbox.y + strips[0].mid.y);
    const chartTip = await page.locator('#tooltip').innerText();
    check(/PE utilisation\s+[\d.]+%/.test(chartTip) && /HBM bandwidth\s+[\d.]+ GB\/s/.test(chartTip),
          'hovering the strips shows PE utilisation and HBM bandwidth: ' + chartTip.replace(/\n/g, ' | '));

    // Hover the widest instruction of every lane.
    let sawWait = false;
    for (const name of lanes) {
      const p = await page.evaluate(n => window.trellisReport.hoverPoint(n), name);
      await page.mouse.move(p.x, p.y);
      const tip = page.locator('#tooltip');
      const visible = await tip.isVisible();
      const text = visible ? await tip.innerText() : '';
      const fields = ['ops', 'node', 'start', 'duration'].every(f => text.includes(f)) &&
                     new RegExp('^asm\\s+isa\\.' + p.opcode + ' ', 'm').test(text);
      check(visible && text.startsWith(p.opcode) && fields && (!p.node || text.includes(p.node)),
            'tooltip on ' + name + ': ' + text.split('\n')[0]);
      sawWait = sawWait || /waited\s+\S+ \S+ on /.test(text);
    }
    check(sawWait || waited.size === 0, 'a tooltip shows what an instruction waited for');
    await page.mouse.move(5, 5);

    // Wheel zoom in the middle of the plot.
    const before = await page.evaluate(() => window.trellisReport.view);
    const box = await page.locator('#timeline').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + 60);
    await page.mouse.wheel(0, -400);
    await page.waitForTimeout(100);
    const after = await page.evaluate(() => window.trellisReport.view);
    check(after.t1 - after.t0 < (before.t1 - before.t0) / 2, 'the wheel zooms in');

    // Clicking a node row zooms to its span: first start to last end of its
    // instructions (plus 5% padding).
    const row = page.locator('#nodes tbody tr').first();
    const node = await row.getAttribute('data-name');
    let s0 = Infinity, s1 = 0;
    for (const ev of trace.traceEvents) {
      if (ev.ph !== 'X' || (ev.args.node || '(none)') !== node) continue;
      s0 = Math.min(s0, ev.ts * 1000);
      s1 = Math.max(s1, (ev.ts + ev.dur) * 1000);
    }
    await row.click();
    const v = await page.evaluate(() => window.trellisReport.view);
    check(v.t0 <= s0 + 1e-6 && v.t1 >= s1 - 1e-6 && v.t1 - v.t0 <= (s1 - s0) * 1.11 + 1,
          'clicking node ' + node + ' zooms to its span ' + s0.toFixed(1) + '..' + s1.toFixed(1) +
          ' ns (view ' + v.t0.toFixed(1) + '..' + v.t1.toFixed(1) + ')');

    await page.click('#reset');
    await page.mouse.move(5, 5);
    await page.screenshot({ path: shotPath, fullPage: true });
    console.log('screenshot: ' + shotPath);
});
