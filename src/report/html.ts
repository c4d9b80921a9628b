/**
 * The HTML report of one unlearning experiment: one self-contained file (styles, Chart.js and
 * data inline; nothing fetched at view time) with the summary table, latent scatters, per-method
 * bars and loss curves. Sections whose data is absent are left out.
 */
import { writeFileAtomic } from '../io/atomic';
import { type ChartSpec, latentClassNames, latentScatter, lossChart, methodBars, relearnChart, stoppingChart } from './charts';
import { chartJsBundle } from './chartjs-asset';
import { CLIENT_SCRIPT } from './client-script';
import { escapeHtml, jsonForScript } from './escape';
import { formatCount, formatDelta, formatPercent, formatTimestamp } from './format';
import { renderMetricTable } from './metric-table';
import { renderPage } from './page';
import { findReferenceModel, summaryColumns } from './summary';
import type { ModelReport, ReportInput, StoppingTimeline } from './types';

export { renderIndex, writeIndex } from './index-page';

const DATA_BLOCK_ID = 'deepcut-report-data';

function chartCard(spec: ChartSpec): string {
  return `<figure class="chart-card" data-chart="${escapeHtml(spec.id)}">
<h3>${escapeHtml(spec.title)}</h3>
<div class="chart-box"><canvas id="${escapeHtml(spec.id)}" role="img" aria-label="${escapeHtml(spec.description)}" data-expected-elements="${spec.expectedElements}"></canvas></div>
</figure>`;
}

function headerSection(input: ReportInput, reference: ModelReport | undefined): string {
  const items = [
    `<li>Dataset: <b>${escapeHtml(input.dataset)}</b></li>`,
    `<li>Forget set: <code>${escapeHtml(input.forget.spec)}</code> (<b>${escapeHtml(formatCount(input.forget.count))}</b> samples)</li>`,
    `<li>Forget hash: <code>${escapeHtml(input.forget.hash)}</code></li>`,
    `<li>Created: <b>${escapeHtml(formatTimestamp(input.createdAt))}</b></li>`,
    `<li>Reference: <b>${reference ? escapeHtml(reference.name) : 'none'}</b></li>`,
  ];
  return `<header>\n<h1>${escapeHtml(input.title)}</h1>\n<ul class="meta">\n${items.join('\n')}\n</ul>\n</header>`;
}

function summarySection(input: ReportInput, reference: ModelReport | undefined): string {
  if (input.models.length === 0) return '<section id="summary"><h2>Summary</h2><p>No models.</p></section>';
  const legend = reference
    ? `<p class="legend-note"><span class="swatch best"></span>closest to the reference (lowest for gap and time) &nbsp; <span class="swatch ref"></span>reference model &nbsp; Δ = value − reference.</p>`
    : '<p class="legend-note">No reference model: differences to retraining are not shown.</p>';
  return `<section id="summary">\n<h2>Summary</h2>\n${renderMetricTable(input.models, { rowHeader: 'Model', columns: summaryColumns(input.models), reference })}\n${legend}\n</section>`;
}

function latentSection(specs: readonly ChartSpec[]): string {
  if (specs.length === 0) return '';
  return `<section id="latent">
<h2>Latent space</h2>
<p class="legend-note">2-D projection of each model's representations; colour = class, outlined triangles = forget samples.</p>
<div class="grid">\n${specs.map(chartCard).join('\n')}\n</div>
</section>`;
}

function methodsSection(input: ReportInput, spec: ChartSpec | undefined): string {
  const methods = input.methods ?? {};
  const rows: ModelReport[] = Object.entries(methods).map(([name, metrics]) => ({ name, metrics }));
  if (rows.length === 0) return '';
  const reference = findReferenceModel(rows, undefined);
  return `<section id="methods">
<h2>Methods</h2>
${spec ? chartCard(spec) : ''}
${renderMetricTable(rows, { rowHeader: 'Method', columns: summaryColumns(rows), reference })}
</section>`;
}

function relearnSection(spec: ChartSpec | undefined): string {
  if (!spec) return '';
  return `<section id="relearn">
<h2>Relearning check</h2>
<p class="legend-note">Each model fine-tuned on one half of the forget set; accuracy on the other half after each number of steps (0 = before). Knowledge that was only hidden comes back faster than in the retrained model.</p>
${chartCard(spec)}
</section>`;
}

function lossSection(specs: readonly ChartSpec[]): string {
  if (specs.length === 0) return '';
  return `<section id="losses">\n<h2>Loss curves</h2>\n<div class="grid">\n${specs.map(chartCard).join('\n')}\n</div>\n</section>`;
}

/** Where each run stopped against its target and the retrained model, and what it cost on test. */
function stoppingTable(timelines: Readonly<Record<string, StoppingTimeline>>): string {
  const rows = Object.entries(timelines).map(([run, t]) => {
    const chosen = t.chosenStep !== undefined ? t.checks.filter((c) => c.step === t.chosenStep).pop() : t.checks[t.checks.length - 1];
    const cells = [
      escapeHtml(run), escapeHtml(t.rule), t.target ? formatPercent(t.target.accuracy) : '–',
      chosen ? `${formatPercent(chosen.forgetAccuracy)} (step ${chosen.step})` : 'n/a', formatPercent(t.retrainForgetAccuracy),
      t.testAccuracy ? `${formatPercent(t.testAccuracy.before)} → ${formatPercent(t.testAccuracy.after)} (${formatDelta(t.testAccuracy.after - t.testAccuracy.before, 'pp')})` : 'n/a',
    ];
    return `<tr>${cells.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`;
  });
  const header = ['Run', 'Rule', 'Target forget acc.', 'Stopped at', 'Retrained forget acc.', 'Test acc. before → after'];
  return `<table class="metrics stopping">
<thead><tr>${header.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function stoppingSection(input: ReportInput, specs: readonly ChartSpec[]): string {
  const timelines = input.stoppingTimelines ?? {};
  if (Object.keys(timelines).length === 0) return '';
  const sources = Object.entries(timelines).filter(([, t]) => t.target).map(([run, t]) => `<li>${escapeHtml(run)}: ${escapeHtml(t.target!.source)}</li>`);
  return `<section id="stopping">
<h2>Stopping checks</h2>
<p class="legend-note">Forget accuracy at each stopping check against the target the rule aimed at and the retrained model's forget accuracy; the marker is the check whose state was returned.</p>
${stoppingTable(timelines)}
${sources.length > 0 ? `<ul class="meta">\n${sources.join('\n')}\n</ul>` : ''}
<div class="grid">\n${specs.map(chartCard).join('\n')}\n</div>
</section>`;
}

function notesSection(notes: readonly string[] | undefined): string {
  const kept = (notes ?? []).filter((note) => note.trim() !== '');
  if (kept.length === 0) return '';
  return `<section id="notes" class="notes">\n<h2>Notes</h2>\n${kept.map((note) => `<p>${escapeHtml(note)}</p>`).join('\n')}\n</section>`;
}

/** The whole report as one HTML document (a string). Pure: same input, same output. */
export function renderReport(input: ReportInput): string {
  const reference = findReferenceModel(input.models, input.referenceModel);
  const classNames = latentClassNames(input.models);
  const latentSpecs = input.models.flatMap((model, i) => latentScatter(model, i, classNames) ?? []);
  const methodSpec = input.methods ? methodBars(input.methods) : undefined;
  const lossSpecs = Object.entries(input.lossCurves ?? {}).flatMap(([run, points], i) => lossChart(run, points, i) ?? []);
  const stoppingSpecs = Object.entries(input.stoppingTimelines ?? {}).flatMap(([run, timeline], i) => stoppingChart(run, timeline, i) ?? []);
  const relearnSpec = relearnChart(input.models);
  const charts = [...latentSpecs, ...(methodSpec ? [methodSpec] : []), ...stoppingSpecs, ...(relearnSpec ? [relearnSpec] : []), ...lossSpecs];

  const chartJs = charts.length > 0 ? chartJsBundle() : undefined;
  const footer = `<footer>Generated by deepcut${chartJs ? ` · charts by Chart.js ${escapeHtml(chartJs.version)} (MIT licence, embedded)` : ''}.</footer>`;
  const body = [
    headerSection(input, reference),
    '<p id="charts-error" class="error" hidden></p>',
    summarySection(input, reference),
    latentSection(latentSpecs),
    methodsSection(input, methodSpec),
    stoppingSection(input, stoppingSpecs),
    relearnSection(relearnSpec),
    lossSection(lossSpecs),
    notesSection(input.notes),
    footer,
  ]
    .filter((part) => part !== '')
    .join('\n');

  return renderPage({
    title: input.title,
    body,
    scripts: chartJs ? [chartJs.source, CLIENT_SCRIPT] : [],
    dataBlocks: chartJs ? { [DATA_BLOCK_ID]: jsonForScript({ charts: charts.map(({ id, config }) => ({ id, config })) }) } : {},
  });
}

/** Render and write the report atomically (a reader never sees a half-written file). */
export function writeReport(file: string, input: ReportInput): void {
  writeFileAtomic(file, renderReport(input));
}
