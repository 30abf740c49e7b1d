// Times a `trellis-profile html` report in headless Chromium (used by
// bench/profile_report.py): load until the page has drawn, then the median
// of 5 redraws of the whole run, of 1/100 of it and of 1/10000 of it.
// Prints one JSON line.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.TRELLIS_CHROMIUM || '/usr/bin/chromium', headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const t0 = Date.now();
    await page.goto('file://' + path.resolve(process.argv[2]), { timeout: 300000 });
    await page.waitForFunction(() => window.trellisReport !== undefined, null, { timeout: 300000 });
    const load_ms = Date.now() - t0;
    const times = await page.evaluate(() => {
      const r = window.trellisReport, full = r.view.t1;
      const median = f => {
        const ts = [];
        for (let k = 0; k < 5; k++) { const a = performance.now(); f(); ts.push(performance.now() - a); }
        return ts.sort((x, y) => x - y)[2];
      };
      const at = span => median(() => { r.zoomTo(full / 2, full / 2 + span); });
      return { full_ms: median(() => r.zoomTo(0, full)), zoom100_ms: at(full / 100),
               zoom10000_ms: at(full / 10000) };
    });
    console.log(JSON.stringify(Object.assign({ load_ms }, times)));
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch(e => { console.error(e); process.exit(1); });
