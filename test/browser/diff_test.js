// Opens a `trellis-profile diff --html` report in headless Chromium:
//   node diff_test.js TRACE_A.json TRACE_B.json DIFF.html SCREENSHOT.png
// - no console errors or uncaught exceptions, and no network requests;
// - two timelines, each with one lane per track of its trace, every lane drawn;
// - one time axis: the view covers the longer run;
// - the diff tables: device time of A and B as in the traces, and a row per
//   queue of busy time;
// - saves a screenshot.
'use strict';
const fs = require('fs');
const { check, colouredPixels, withReport } = require('./harness');

const [pathA, pathB, reportPath, shotPath] = process.argv.slice(2);

function tracks(file) {
  const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
  const name = new Map(), used = new Set();
  let end = 0;
  for (const ev of trace.traceEvents) {
    if (ev.ph === 'M' && ev.name === 'thread_name') name.set(ev.tid, ev.args.name);
    if (ev.ph === 'X') { used.add(ev.tid); end = Math.max(end, ev.ts + ev.dur); }
  }
  return { lanes: [...used].map(t => name.get(t)).sort(), endUs: end };
}
const runs = [tracks(pathA), tracks(pathB)];

withReport(reportPath, { width: 1280, height: 1100 }, async page => {
    const tls = await page.evaluate(() => window.trellisReport.timelines.map(t => ({ id: t.id, lanes: t.lanes })));
    check(tls.length === 2, 'two timelines (' + tls.map(t => t.id).join(', ') + ')');
    for (let k = 0; k < Math.min(2, tls.length); k++) {
      check(JSON.stringify([...tls[k].lanes].sort()) === JSON.stringify(runs[k].lanes),
            'timeline ' + 'AB'[k] + ' lanes are its trace\'s tracks ' + runs[k].lanes.join(','));
      const drawn = [];
      for (const name of tls[k].lanes) {
        const box = await page.evaluate(([k, n]) => window.trellisReport.timelines[k].laneBox(n), [k, name]);
        drawn.push({ name, coloured: await colouredPixels(page, tls[k].id, box) });
      }
      check(drawn.every(l => l.coloured > 0), 'timeline ' + 'AB'[k] + ': every lane drawn');
    }
    const view = await page.evaluate(() => window.trellisReport.view);
    const longestNs = Math.max(runs[0].endUs, runs[1].endUs) * 1000;
    check(view.t0 === 0 && view.t1 >= longestNs, 'one time axis covering the longer run (' +
          view.t1.toFixed(0) + ' ns >= ' + longestNs.toFixed(0) + ' ns)');

    const summaryRows = await page.locator('#diff-summary tbody tr').allInnerTexts();
    const device = summaryRows.find(r => r.startsWith('device time')) || '';
    const fmt = us => (us >= 1 ? us.toFixed(3) + ' us' : (us * 1000).toFixed(1) + ' ns');
    check(device.includes(fmt(runs[0].endUs)) && device.includes(fmt(runs[1].endUs)),
          'device time row shows both runs: ' + device.replace(/\s+/g, ' '));
    const engineRows = await page.locator('#diff-engines tbody tr').count();
    check(engineRows >= 2, engineRows + ' rows of busy time per queue');
    const nodeRows = await page.locator('#diff-nodes tbody tr').count();
    check(nodeRows >= 1, nodeRows + ' rows of time per ONNX node');

    await page.screenshot({ path: shotPath, fullPage: true });
    console.log('screenshot: ' + shotPath);
});
