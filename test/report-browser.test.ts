// Opens a generated report in a real headless browser (Debian's chromium, driven by
// playwright-core; no browser is ever downloaded) and checks that every chart drew, that nothing
// was fetched and nothing logged an error. Leaves a full-page screenshot in os.tmpdir().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { parseReportInput, writeReport } from '../src/report';

const CHROMIUM = process.env.DEEPCUT_CHROMIUM ?? '/usr/bin/chromium';
const FIXTURE = path.join(__dirname, '../../test/fixtures/report/report-input.json');

const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface CanvasProbe {
  id: string;
  hasChart: boolean;
  chartType: string;
  expectedElements: number;
  elements: number;
  width: number;
  height: number;
  /** The canvas's CSS width and its container's: equal when the chart fills its card. */
  cssWidth: number;
  boxWidth: number;
  /** Pixels with any opacity, as a fraction of the canvas. */
  inkedFraction: number;
  /** Distinct opaque colours (quantised), a crude "it drew more than a frame" measure. */
  distinctColours: number;
}

const SETTLE = `new Promise((resolve) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(resolve)), 50))`;

// Runs in the page (as a string: the project compiles without DOM typings).
const PROBE_CANVASES = `(() => Array.from(document.querySelectorAll('canvas')).map((canvas) => {
  const chart = Chart.getChart(canvas);
  let elements = 0;
  if (chart) chart.data.datasets.forEach((_, i) => {
    chart.getDatasetMeta(i).data.forEach((el, j) => {
      const raw = chart.data.datasets[i].data[j];
      const y = raw !== null && typeof raw === 'object' ? raw.y : raw;
      if (y !== null && y !== undefined && !el.skip) elements += 1;
    });
  });
  const ctx = canvas.getContext('2d');
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let inked = 0;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    inked += 1;
    if (data[i + 3] > 200) colours.add((data[i] >> 4) << 8 | (data[i + 1] >> 4) << 4 | (data[i + 2] >> 4));
  }
  return { id: canvas.id, cssWidth: canvas.clientWidth, boxWidth: canvas.parentElement.clientWidth, hasChart: !!chart, chartType: chart ? chart.config.type : '', expectedElements: Number(canvas.dataset.expectedElements),
    elements, width: canvas.width, height: canvas.height, inkedFraction: inked / (canvas.width * canvas.height), distinctColours: colours.size };
}))()`;

test('a generated report renders every chart in headless Chromium, offline and without errors', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    const reason = `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the browser test`;
    console.log(`skipping browser test: ${reason}`);
    t.skip(reason);
    return;
  }
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-report-browser-'));
  const reportFile = path.join(dir, 'report.html');
  const input = parseReportInput(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
  writeReport(reportFile, input);
  const reportUrl = pathToFileURL(reportFile).href;

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 60_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));

    await page.goto(reportUrl, { waitUntil: 'load' });
    await page.waitForFunction(`document.documentElement.hasAttribute('data-charts-rendered') || document.documentElement.hasAttribute('data-charts-error')`, undefined, { timeout: 30_000 });
    const chartError = await page.evaluate(`document.documentElement.getAttribute('data-charts-error')`);
    assert.equal(chartError, null, `charts failed: ${String(chartError)}`);

    // Make the viewport as tall as the page so the screenshot needs no scrolling or stitching (a
    // full-page capture resizes the viewport mid-capture and Chart.js redraws asynchronously),
    // then let Chart.js's resize (throttled to animation frames) settle before measuring.
    const pageHeight = Number(await page.evaluate('document.documentElement.scrollHeight'));
    await page.setViewportSize({ width: 1280, height: Math.min(pageHeight, 8000) });
    await page.evaluate(SETTLE);
    const probes = (await page.evaluate(PROBE_CANVASES)) as CanvasProbe[];
    const rendered = Number(await page.evaluate(`document.documentElement.getAttribute('data-charts-rendered')`));
    assert.deepEqual(
      probes.map((p) => p.id),
      ['chart-latent-0', 'chart-latent-1', 'chart-latent-2', 'chart-methods', 'chart-stopping-0', 'chart-relearn', 'chart-loss-0'],
    );
    assert.equal(rendered, probes.length);
    for (const probe of probes) {
      assert.ok(probe.hasChart, `${probe.id}: no Chart.js instance`);
      assert.ok(probe.width > 200 && probe.height > 100, `${probe.id}: canvas too small (${probe.width}x${probe.height})`);
      assert.ok(Math.abs(probe.cssWidth - probe.boxWidth) <= 2, `${probe.id}: chart ${probe.cssWidth}px wide in a ${probe.boxWidth}px box`);
      assert.equal(probe.elements, probe.expectedElements, `${probe.id}: drawn elements`);
      assert.ok(probe.inkedFraction > 0.02, `${probe.id}: canvas nearly blank (${(probe.inkedFraction * 100).toFixed(2)}% inked)`);
      assert.ok(probe.distinctColours >= 4, `${probe.id}: only ${probe.distinctColours} colours drawn`);
    }
    const byId = new Map(probes.map((p) => [p.id, p]));
    assert.equal(byId.get('chart-latent-0')!.expectedElements, 200);
    assert.equal(byId.get('chart-methods')!.expectedElements, 8 * 4);
    assert.equal(byId.get('chart-methods')!.chartType, 'bar');
    assert.equal(byId.get('chart-loss-0')!.chartType, 'line');
    // 6 checks (0, 5, 10 coarse; 11-15 replayed), 2 + 2 flat reference points, the returned marker.
    assert.equal(byId.get('chart-stopping-0')!.expectedElements, 8 + 8 + 2 + 2 + 1);
    assert.equal(byId.get('chart-relearn')!.expectedElements, 3 * 3, 'three models relearned, scored at 0, 5 and 50 steps');

    const screenshot = path.join(os.tmpdir(), `deepcut-report-${process.pid}.png`);
    await page.screenshot({ path: screenshot });
    console.log(`report screenshot: ${screenshot} (browser test ${((Date.now() - started) / 1000).toFixed(1)} s)`);

    assert.deepEqual(consoleErrors, [], 'no console errors or warnings');
    assert.deepEqual(requests, [reportUrl], 'the page requested nothing but itself');
  } finally {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile strings in a report stay text in the browser: no script runs, nothing is fetched', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} not found`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-report-browser-'));
  const reportFile = path.join(dir, 'hostile.html');
  const input = parseReportInput(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
  const evil = '<script>alert(1)</script><img src="http://127.0.0.1:9/x.png" onerror="alert(2)">';
  writeReport(reportFile, {
    ...input,
    dataset: evil,
    title: `</title>${evil}`,
    models: input.models.map((m, i) => (i === 0 ? { ...m, name: evil } : m)),
    lossCurves: { [`</script>${evil}`]: input.lossCurves!['deepcut (seed 1)']! },
    stoppingTimelines: { [evil]: { ...input.stoppingTimelines!['deepcut (seed 1)']!, rule: evil, target: { accuracy: 0.9, source: evil } } },
  });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 60_000 });
    const page = await browser.newPage();
    const dialogs: string[] = [];
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load' });
    await page.waitForFunction(`document.documentElement.hasAttribute('data-charts-rendered') || document.documentElement.hasAttribute('data-charts-error')`, undefined, { timeout: 30_000 });
    assert.equal(await page.evaluate(`document.documentElement.getAttribute('data-charts-rendered')`), '7');
    assert.equal(await page.evaluate(`document.querySelectorAll('img').length`), 0);
    assert.ok(String(await page.evaluate('document.body.textContent')).includes('<script>alert(1)</script>'), 'shown as text');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [pathToFileURL(reportFile).href]);
  } finally {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
