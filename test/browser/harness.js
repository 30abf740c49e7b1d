// Shared by the browser tests: open a report in headless Chromium with no
// network, collect console errors, count checks, count coloured pixels.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

// Coloured (not grey) pixels of canvas `id` in `box` (CSS pixels).
function colouredPixels(page, id, box) {
  return page.evaluate(([id, b]) => {
    const canvas = document.getElementById(id);
    const ctx = canvas.getContext('2d'), k = canvas.width / canvas.clientWidth;
    const img = ctx.getImageData(Math.round(b.x * k), Math.round(b.y * k),
                                 Math.round(b.w * k), Math.round(b.h * k)).data;
    let coloured = 0;
    for (let p = 0; p < img.length; p += 4)
      if (Math.max(img[p], img[p + 1], img[p + 2]) - Math.min(img[p], img[p + 1], img[p + 2]) > 40)
        coloured++;
    return coloured;
  }, [id, box]);
}

// Opens `reportPath`, waits for window.trellisReport, runs `body(page)`,
// then checks there were no console errors and no network requests, and
// exits non-zero if any check failed.
function withReport(reportPath, viewport, body) {
  (async () => {
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: process.env.TRELLIS_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      viewport,
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
      await body(page);
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
}

module.exports = { check, colouredPixels, withReport };
