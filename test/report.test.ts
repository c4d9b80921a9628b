import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  escapeHtml,
  jsonForScript,
  parseReportInput,
  relativeHref,
  renderIndex,
  renderReport,
  writeReport,
  type ReportIndexEntry,
  type ReportInput,
} from '../src/report';
import { formatDelta, formatPercent, formatScore, formatSeconds } from '../src/report/format';
import { stoppingTimelineOf } from '../src/report/stopping';

const FIXTURE = path.join(__dirname, '../../test/fixtures/report/report-input.json');

function fixture(): ReportInput {
  return parseReportInput(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
}

/** A small input with only the summary table (no latent, methods or losses). */
function minimal(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    title: 'minimal',
    dataset: 'toy',
    forget: { spec: 'random:0.01', count: 3, hash: 'abc' },
    createdAt: '2025-01-02T03:04:05Z',
    models: [
      { name: 'original', metrics: { 'accuracy.forget': 1, 'accuracy.test': 0.9 } },
      { name: 'retrained', metrics: { 'accuracy.forget': 0.8, 'accuracy.test': 0.89 } },
    ],
    ...overrides,
  };
}

/** Text content of the <td> in the row whose header contains `rowName`, for metric `key`. */
function cell(html: string, rowName: string, key: string): { text: string; classes: string } {
  const row = html.split('<tr').find((chunk) => chunk.includes(`<th scope="row">${rowName}`));
  assert.ok(row, `row ${rowName} not found`);
  const match = new RegExp(`<td(?: class="([^"]*)")? data-key="${key.replace('.', '\\.')}">([^<]*)`).exec(row);
  assert.ok(match, `cell ${key} not found in row ${rowName}`);
  return { text: match[2]!, classes: match[1] ?? '' };
}

/** All src/href attribute values (the page's resource references and links). */
function resourceReferences(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]*)/gi)].map((m) => m[1]!);
}

test('formatting: percent, score, seconds, delta, n/a', () => {
  assert.equal(formatPercent(0.93417), '93.4%');
  assert.equal(formatPercent(NaN), 'n/a');
  assert.equal(formatPercent(undefined), 'n/a');
  assert.equal(formatScore(0.51234), '0.512');
  assert.equal(formatScore(Infinity), 'n/a');
  assert.equal(formatSeconds(0.842), '0.84 s');
  assert.equal(formatSeconds(96.4), '1 min 36 s');
  assert.equal(formatSeconds(1843.2), '30 min 43 s');
  assert.equal(formatSeconds(7380), '2 h 03 min');
  assert.equal(formatDelta(0.0053, 'pp'), '+0.5 pp');
  assert.equal(formatDelta(-0.0093, 'score'), '\u22120.009');
  assert.equal(formatDelta(NaN, 'score'), 'n/a');
});

test('the summary table shows each model metric formatted, with deltas and best-vs-reference cells', () => {
  const html = renderReport(fixture());
  assert.deepEqual(cell(html, 'original', 'accuracy.forget').text, '100.0%');
  assert.equal(cell(html, 'unlearned (deepcut)', 'accuracy.forget').text, '94.2%');
  assert.equal(cell(html, 'retrained', 'accuracy.forget').text, '93.7%');
  assert.equal(cell(html, 'unlearned (deepcut)', 'accuracy.test').text, '97.0%');
  assert.equal(cell(html, 'unlearned (deepcut)', 'macro_f1.test').text, '96.4%');
  assert.equal(cell(html, 'unlearned (deepcut)', 'mia.loss_auc').text, '0.512');
  assert.equal(cell(html, 'unlearned (deepcut)', 'mia.efficacy').text, '0.438');
  assert.equal(cell(html, 'unlearned (deepcut)', 'gap.average').text, '0.006');
  assert.equal(cell(html, 'unlearned (deepcut)', 'wall_seconds').text, '1 min 36 s');
  assert.equal(cell(html, 'original', 'wall_seconds').text, '30 min 43 s');
  // deepcut is closer to the reference than the original on forget accuracy and MIA AUC.
  assert.match(cell(html, 'unlearned (deepcut)', 'accuracy.forget').classes, /\bbest\b/);
  assert.match(cell(html, 'unlearned (deepcut)', 'mia.loss_auc').classes, /\bbest\b/);
  assert.doesNotMatch(cell(html, 'original', 'accuracy.forget').classes, /\bbest\b/);
  // The reference never competes; its row is marked.
  assert.doesNotMatch(cell(html, 'retrained', 'gap.average').classes, /\bbest\b/);
  assert.match(html, /<tr class="reference"><th scope="row">retrained<span class="tag">reference<\/span>/);
  assert.match(html, /94\.2%<span class="delta">\+0\.5 pp vs ref\.<\/span>/);
});

test('a malicious dataset name (and other user strings) is escaped, never executed', () => {
  const evil = '<script>alert(1)</script>';
  const input = fixture();
  const html = renderReport({
    ...input,
    title: `t ${evil}`,
    dataset: evil,
    forget: { ...input.forget, spec: `ids:"><img src=x onerror=alert(2)>` },
    models: input.models.map((m, i) => (i === 0 ? { ...m, name: `${evil}&` } : m)),
    methods: { [`${evil}m`]: { 'accuracy.forget': 0.5 }, ...input.methods },
    lossCurves: { [`</script><script>alert(3)</script>`]: [{ step: 1, values: { [evil]: 1 } }] },
    notes: [evil],
  });
  assert.ok(!html.includes(evil), 'raw <script>alert(1)</script> must not appear');
  assert.ok(!html.includes('alert(3)</script>'), 'JSON payload must not close its script element');
  assert.ok(!/<img/i.test(html), 'no injected element');
  assert.ok(html.includes('Dataset: <b>&lt;script&gt;alert(1)&lt;/script&gt;</b>'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;&amp;'));
  // Exactly our own <script> elements: Chart.js, the data block, the page script.
  assert.equal(html.match(/<script\b/gi)!.length, 3);
  assert.equal(html.match(/<\/script>/gi)!.length, 3);
});

test('the page is self-contained: no http(s) resource references, a CSP that forbids fetching, charts inline', () => {
  const html = renderReport(fixture());
  for (const ref of resourceReferences(html)) assert.doesNotMatch(ref, /^(https?:)?\/\//i, `external reference ${ref}`);
  assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?\/\//i);
  assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
  assert.match(html, /Chart\.js v4\./, 'Chart.js bundle (with its licence banner) is inlined');
  assert.equal(html.match(/<canvas /g)!.length, 3 + 1 + 1 + 1 + 1, '3 scatters, 1 bar chart, 1 stopping timeline, 1 relearning chart, 1 loss chart');
});

test('data embedded for the charts round-trips: latent points, forget markers, 8 method groups, 100 steps', () => {
  const input = fixture();
  const html = renderReport(input);
  const json = /<script type="application\/json" id="deepcut-report-data">([^<]*)<\/script>/.exec(html)![1]!;
  const payload = JSON.parse(json) as { charts: { id: string; config: { type: string; data: { labels?: string[]; datasets: { label: string; data: unknown[]; pointStyle?: string }[] } } }[] };
  const byId = new Map(payload.charts.map((c) => [c.id, c.config]));
  const scatter = byId.get('chart-latent-0')!;
  assert.equal(scatter.type, 'scatter');
  assert.equal(scatter.data.datasets.reduce((n, d) => n + d.data.length, 0), 200);
  const forget = scatter.data.datasets.filter((d) => d.label.endsWith('(forget)'));
  assert.equal(forget.reduce((n, d) => n + d.data.length, 0), input.models[0]!.latent!.points.filter((p) => p.isForget).length);
  assert.ok(forget.every((d) => d.pointStyle === 'triangle'));
  const bars = byId.get('chart-methods')!;
  assert.deepEqual(bars.data.labels, Object.keys(input.methods!));
  assert.equal(bars.data.labels!.length, 8);
  assert.deepEqual(bars.data.datasets.map((d) => d.label), ['Forget acc.', 'Retain acc.', 'Test acc.', 'MIA AUC']);
  const loss = byId.get('chart-loss-0')!;
  assert.equal(loss.type, 'line');
  assert.ok(loss.data.datasets.every((d) => d.data.length === 100));
});

test('the stopping timeline: one point per step (a replayed check replaces the coarse one), target and retrain lines, the returned check, the test cost', () => {
  const input = fixture();
  const html = renderReport(input);
  const json = /<script type="application\/json" id="deepcut-report-data">([^<]*)<\/script>/.exec(html)![1]!;
  const payload = JSON.parse(json) as { charts: { id: string; config: { data: { datasets: { label: string; data: { x: number; y: number }[] }[] } } }[] };
  const chart = payload.charts.find((c) => c.id === 'chart-stopping-0')!;
  const series = new Map(chart.config.data.datasets.map((d) => [d.label, d.data]));
  assert.deepEqual(series.get('forget accuracy')!.map((p) => p.x), [0, 5, 10, 11, 12, 13, 14, 15]);
  assert.deepEqual(series.get('target'), [{ x: 0, y: 0.931 }, { x: 15, y: 0.931 }]);
  assert.deepEqual(series.get('retrained model'), [{ x: 0, y: 0.938 }, { x: 15, y: 0.938 }]);
  assert.deepEqual(series.get('returned (step 13)'), [{ x: 13, y: 0.93 }]);
  const section = html.slice(html.indexOf('<section id="stopping">'), html.indexOf('</section>', html.indexOf('<section id="stopping">')));
  assert.match(section, /<th scope="row">deepcut \(seed 1\)<\/th><td>references<\/td><td>93\.1%<\/td><td>93\.0% \(step 13\)<\/td><td>93\.8%<\/td><td>97\.7% \u2192 96\.9% \(\u22120\.8 pp\)<\/td>/);
  assert.match(section, /3 of 4 reference models that never saw the subject/);

  // A run without a target (the accuracy rule): no target line; the last check is where it stopped.
  const plain = renderReport({ ...input, stoppingTimelines: { deepcut: { rule: 'accuracy', checks: [{ step: 0, forgetAccuracy: 1, heldoutAccuracy: 0.97 }, { step: 5, forgetAccuracy: 0.9, heldoutAccuracy: 0.96 }] } } });
  assert.match(plain, /<td>accuracy<\/td><td>\u2013<\/td><td>90\.0% \(step 5\)<\/td><td>n\/a<\/td><td>n\/a<\/td>/);
  assert.ok(!renderReport(minimal()).includes('id="stopping"'));
});

test('NaN metrics read "n/a" in tables and become gaps (null) in charts; null in JSON reads as NaN', () => {
  const input = fixture();
  assert.ok(Number.isNaN(input.methods!.sisa!['mia.efficacy']));
  const html = renderReport({ ...input, models: [...input.models, { name: 'broken', metrics: { 'accuracy.forget': NaN } }] });
  assert.equal(cell(html, 'sisa', 'mia.efficacy').text, 'n/a');
  assert.match(cell(html, 'sisa', 'mia.efficacy').classes, /\bna\b/);
  assert.equal(cell(html, 'broken', 'accuracy.forget').text, 'n/a');
  assert.equal(cell(html, 'broken', 'mia.loss_auc').text, 'n/a');
  assert.doesNotMatch(html.replace(/<script>[\s\S]*?<\/script>/g, ''), /NaN/);
});

test('missing sections are left out: no latent, no methods, no losses → no charts and no Chart.js', () => {
  const html = renderReport(minimal());
  assert.ok(!html.includes('<canvas'));
  assert.ok(!html.includes('id="latent"'));
  assert.ok(!html.includes('id="methods"'));
  assert.ok(!html.includes('id="losses"'));
  assert.ok(!html.includes('Chart.js v4'), 'no charts: the bundle is not embedded');
  assert.ok(!/<script>/.test(html));
  assert.match(html, /script-src &#39;none&#39;/);
  assert.equal(cell(html, 'original', 'accuracy.forget').text, '100.0%');
  assert.equal(cell(html, 'original', 'accuracy.retain').text, 'n/a');

  // Latent on one model only: one scatter.
  const input = fixture();
  const oneLatent = renderReport({ ...input, models: input.models.map((m, i) => (i === 1 ? m : { name: m.name, metrics: m.metrics })) });
  assert.equal(oneLatent.match(/<canvas id="chart-latent-/g)!.length, 1);
  // No reference model: no deltas, a note instead.
  const noReference = renderReport(minimal({ models: [{ name: 'a', metrics: { 'accuracy.test': 0.5 } }, { name: 'b', metrics: { 'accuracy.test': 0.7 } }] }));
  assert.ok(!noReference.includes('vs ref.'));
  assert.match(noReference, /No reference model/);
  assert.match(cell(noReference, 'b', 'accuracy.test').classes, /\bbest\b/, 'without a reference, highest test accuracy wins');
});

test('escaping helpers', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(jsonForScript({ s: '</script><!--', n: NaN }), '{"s":"\\u003c/script\\u003e\\u003c!--","n":null}');
  assert.deepEqual(JSON.parse(jsonForScript({ s: '</script>&' })), { s: '</script>&' });
  assert.equal(relativeHref('runs/a b/report.html'), 'runs/a%20b/report.html');
  assert.equal(relativeHref('runs\\x.html'), 'runs/x.html');
  for (const bad of ['https://example.org/r.html', 'javascript:alert(1)', '//evil/r.html', 'file:///etc/passwd']) assert.throws(() => relativeHref(bad), /relative path/);
});

test('the index page links reports relatively, shows key metrics, and is escaped and self-contained', () => {
  const entries: ReportIndexEntry[] = [
    { title: 'deepcut seed 1', dataset: 'spamassassin', forgetSpec: 'user:alice', method: 'deepcut', seed: 1, href: 'runs/deepcut-1/report.html', metrics: { 'accuracy.forget': 0.9421, 'mia.loss_auc': 0.5124, 'gap.average': 0.0065, wall_seconds: 96.4 }, createdAt: '2025-03-01T14:05:09Z' },
    { title: '<b>x</b>', dataset: '<script>alert(1)</script>', forgetSpec: 'random:0.01', method: 'scrub', seed: 2, href: 'runs/scrub 2/report.html', metrics: { 'accuracy.forget': NaN } },
  ];
  const html = renderIndex(entries, { title: 'All runs' });
  assert.match(html, /<a href="runs\/deepcut-1\/report\.html">deepcut seed 1<\/a>/);
  assert.match(html, /<a href="runs\/scrub%202\/report\.html">&lt;b&gt;x&lt;\/b&gt;<\/a>/);
  assert.ok(html.includes('<td>94.2%</td>'));
  assert.ok(html.includes('<td>0.512</td>'));
  assert.ok(html.includes('<td>1 min 36 s</td>'));
  assert.ok(html.includes('<td class="na">n/a</td>'));
  assert.ok(html.includes('<td class="text">spamassassin</td>'));
  assert.ok(html.includes('2025-03-01 14:05 UTC'));
  assert.ok(!html.includes('<script>alert(1)'));
  assert.ok(!/<script/i.test(html), 'the index needs no script');
  for (const ref of resourceReferences(html)) assert.doesNotMatch(ref, /^(https?:)?\/\//i);
  assert.throws(() => renderIndex([{ ...entries[0]!, href: 'https://example.org/x.html' }]), /relative path/);
  assert.match(renderIndex([]), /No reports yet/);
});

test('writeReport writes the rendered page atomically (no temporary file left behind)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-report-'));
  try {
    const file = path.join(dir, 'nested', 'report.html');
    const input = minimal();
    writeReport(file, input);
    assert.equal(fs.readFileSync(file, 'utf8'), renderReport(input));
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['report.html']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('parseReportInput names what is wrong', () => {
  assert.throws(() => parseReportInput({ title: 1 }), /invalid report input:[\s\S]*title/);
  assert.throws(() => parseReportInput({ ...minimal(), models: [{ name: 'x', metrics: { a: 'high' } }] }), /models\.0\.metrics\.a/);
});

test('the stopping timeline reads unlearn.json checks in snake_case and, from older records, camelCase', () => {
  const snake = stoppingTimelineOf({ stop: 'references', steps: 5, checks: [{ step: 0, forget_accuracy: 1, heldout_accuracy: 0.9 }, { step: 5, forget_accuracy: 0.8, fine: true }], chosen_check: { step: 5 } });
  const camel = stoppingTimelineOf({ stop: 'references', steps: 5, checks: [{ step: 0, forgetAccuracy: 1, heldoutAccuracy: 0.9 }, { step: 5, forgetAccuracy: 0.8, fine: true }], chosen_check: { step: 5 } });
  assert.deepEqual(snake, camel);
  assert.deepEqual(snake!.checks, [{ step: 0, forgetAccuracy: 1, heldoutAccuracy: 0.9 }, { step: 5, forgetAccuracy: 0.8, fine: true }]);
  assert.equal(snake!.chosenStep, 5);
});
