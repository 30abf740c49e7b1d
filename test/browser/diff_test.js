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
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [pathA, pathB, reportPath, shotPath] = process.argv.slice(2);
let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

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

(async () => {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.TRELLIS_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 1100 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const errors = [], requests = [];
    page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', e => errors.push(String(e)));
    await page.route('**/*', route => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto('file://' + path.resolve(reportPath));
    await page.waitForFunction(() => window.trellisReport !== undefined, null, { timeout: 10000 });

    const tls = await page.evaluate(() => window.trellisReport.timelines.map(t => ({ id: t.id, lanes: t.lanes })));
    check(tls.length === 2, 'two timelines (' + tls.map(t => t.id).join(', ') + ')');
    for (let k = 0; k < Math.min(2, tls.length); k++) {
      check(JSON.stringify([...tls[k].lanes].sort()) === JSON.stringify(runs[k].lanes),
            'timeline ' + 'AB'[k] + ' lanes are its trace\'s tracks ' + runs[k].lanes.join(','));
      const drawn = await page.evaluate(k => {
        const t = window.trellisReport.timelines[k], canvas = document.getElementById(t.id);
        const ctx = canvas.getContext('2d'), s = canvas.width / canvas.clientWidth;
        return t.lanes.map(name => {
          const b = t.laneBox(name);
          const img = ctx.getImageData(Math.round(b.x * s), Math.round(b.y * s),
                                       Math.round(b.w * s), Math.round(b.h * s)).data;
          let coloured = 0;
          for (let p = 0; p < img.length; p += 4)
            if (Math.max(img[p], img[p + 1], img[p + 2]) - Math.min(img[p], img[p + 1], img[p + 2]) > 40)
              coloured++;
          return { name, coloured };
        });
      }, k);
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
    check(errors.length === 0, 'no console errors' + (errors.length ? ': ' + errors.join(' | ') : ''));
    check(requests.length === 0, 'no network requests' + (requests.length ? ': ' + requests.join(' ') : ''));
  } finally {
    await context.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
  if (failures) {
    console.log(failures + ' check(s) failed');
    process.exit(1);
  }
})().catch(e => {
  console.log('FAIL ' + (e && e.stack || e));
  process.exit(1);
});
