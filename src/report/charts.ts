/**
 * Chart.js configurations for the report's figures, built here in typed TypeScript so the page's
 * own script only has to hand them to Chart.js. Configurations are plain JSON (no callbacks):
 * they travel inside the page as data, never as code.
 */
import type { ChartConfiguration } from 'chart.js';
import type { LossPoint, MetricMap, ModelReport, StoppingTimeline } from './types';
import { relearnSteps } from './summary';

export type ChartConfig = ChartConfiguration<'scatter'> | ChartConfiguration<'bar'> | ChartConfiguration<'line'>;

export interface ChartSpec {
  /** Id of the <canvas> the chart is drawn on. */
  id: string;
  title: string;
  /** Text alternative for the canvas (screen readers, tests). */
  description: string;
  config: ChartConfig;
  /** Number of drawable elements (points, bars, line vertices) the chart should show once rendered. */
  expectedElements: number;
}

/** Tableau 10: distinguishable, colour-blind-aware categorical colours. */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Colour of the i-th category; past the palette, hues spread by the golden angle. */
export function categoryColor(index: number): string {
  if (index < PALETTE.length) return PALETTE[index]!;
  return `hsl(${Math.round((index * 137.508) % 360)}, 55%, 50%)`;
}

/** "#4e79a7" → "rgba(78, 121, 167, alpha)"; other colour forms are returned unchanged. */
function withAlpha(color: string, alpha: number): string {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!match) return color;
  const [r, g, b] = match.slice(1).map((hex) => parseInt(hex, 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

const COMMON_OPTIONS = {
  // Charts are drawn once, synchronously: nothing animates in a static report, and a page that
  // has finished loading has finished drawing (what screenshots and the browser test rely on).
  animation: false,
  responsive: true,
  maintainAspectRatio: true,
} as const;

/** Class names across all models, sorted, so one class has one colour in every scatter. */
export function latentClassNames(models: readonly ModelReport[]): string[] {
  const names = new Set<string>();
  for (const model of models) for (const point of model.latent?.points ?? []) names.add(point.label);
  return [...names].sort((a, b) => a.localeCompare(b));
}

/**
 * Scatter of one model's 2-D latent projection: colour = class; forget samples as larger
 * triangles with a dark outline, drawn above the retained ones. Points with a non-finite
 * coordinate are left out (and not counted as expected elements).
 */
export function latentScatter(model: ModelReport, index: number, classNames: readonly string[]): ChartSpec | undefined {
  const latent = model.latent;
  if (!latent || latent.points.length === 0) return undefined;
  // Retained samples of every class first, then forget samples. Chart.js draws dataset 0 on top,
  // so the list is reversed (forget markers end up above everything) and so is the legend, which
  // then reads in class order. (The `order` option would also sort the legend, forget first.)
  const datasets: ChartConfiguration<'scatter'>['data']['datasets'] = [];
  let drawn = 0;
  for (const isForget of [false, true]) {
    classNames.forEach((className, classIndex) => {
      const color = categoryColor(classIndex);
      const data = latent.points
        .filter((p) => p.label === className && p.isForget === isForget && Number.isFinite(p.x) && Number.isFinite(p.y))
        .map((p) => ({ x: p.x, y: p.y }));
      if (data.length === 0) return;
      drawn += data.length;
      datasets.push(
        isForget
          ? { label: `${className} (forget)`, data, pointStyle: 'triangle', pointRadius: 5.5, pointHoverRadius: 7, backgroundColor: color, borderColor: '#111111', borderWidth: 1.4 }
          : { label: className, data, pointStyle: 'circle', pointRadius: 3, pointHoverRadius: 5, backgroundColor: withAlpha(color, 0.55), borderColor: withAlpha(color, 0.9), borderWidth: 0.5 },
      );
    });
  }
  datasets.reverse();
  if (drawn === 0) return undefined;
  const [xTitle, yTitle] = latent.axisLabels ?? ['PC 1', 'PC 2'];
  const forgetCount = latent.points.filter((p) => p.isForget).length;
  return {
    id: `chart-latent-${index}`,
    title: model.name,
    description: `Latent projection of ${model.name}: ${latent.points.length} samples, ${forgetCount} of them in the forget set.`,
    expectedElements: drawn,
    config: {
      type: 'scatter',
      data: { datasets },
      options: {
        ...COMMON_OPTIONS,
        aspectRatio: 1.1,
        plugins: { legend: { position: 'bottom', reverse: true, labels: { usePointStyle: true, boxWidth: 8, padding: 10 } } },
        scales: {
          x: { type: 'linear', title: { display: true, text: xTitle } },
          y: { type: 'linear', title: { display: true, text: yTitle } },
        },
      },
    },
  };
}

/** The per-method comparison: one group of bars per method. */
export const METHOD_BAR_METRICS: readonly { key: string; label: string; color: string }[] = [
  { key: 'accuracy.forget', label: 'Forget acc.', color: '#e15759' },
  { key: 'accuracy.retain', label: 'Retain acc.', color: '#4e79a7' },
  { key: 'accuracy.test', label: 'Test acc.', color: '#59a14f' },
  { key: 'mia.loss_auc', label: 'MIA AUC', color: '#b07aa1' },
];

function metricOrNull(metrics: MetricMap, key: string): number | null {
  const value = metrics[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Grouped bars of forget/retain/test accuracy and MIA AUC per method; a missing value leaves a gap. */
export function methodBars(methods: Readonly<Record<string, MetricMap>>): ChartSpec | undefined {
  const names = Object.keys(methods);
  if (names.length === 0) return undefined;
  const datasets = METHOD_BAR_METRICS.map((metric) => ({
    label: metric.label,
    data: names.map((name) => metricOrNull(methods[name]!, metric.key)),
    backgroundColor: metric.color,
    borderColor: metric.color,
    borderWidth: 0,
  }));
  const drawn = datasets.reduce((sum, d) => sum + d.data.filter((v) => v !== null).length, 0);
  if (drawn === 0) return undefined;
  return {
    id: 'chart-methods',
    title: 'Methods compared',
    description: `Forget, retain and test accuracy and MIA AUC for ${names.length} methods.`,
    expectedElements: drawn,
    config: {
      type: 'bar',
      data: { labels: names, datasets },
      options: {
        ...COMMON_OPTIONS,
        aspectRatio: 2.6,
        plugins: { legend: { position: 'top' } },
        scales: { y: { min: 0, max: 1, title: { display: true, text: 'fraction / AUC' } } },
      },
    },
  };
}

/** Options of a wide line chart over optimisation steps (losses, stopping checks). */
function stepLineOptions(yTitle: string) {
  return {
    ...COMMON_OPTIONS,
    aspectRatio: 2.6,
    plugins: { legend: { position: 'top' as const } },
    scales: {
      x: { type: 'linear' as const, title: { display: true, text: 'step' } },
      y: { type: 'linear' as const, title: { display: true, text: yTitle } },
    },
  };
}

/** The relearning check: held-back forget accuracy by relearning steps, one line per model that has it. */
export function relearnChart(models: readonly ModelReport[]): ChartSpec | undefined {
  const steps = relearnSteps(models);
  const withRelearn = models.filter((m) => steps.some((k) => Number.isFinite(m.metrics[`relearn.accuracy.${k}`])));
  if (steps.length === 0 || withRelearn.length === 0) return undefined;
  let drawn = 0;
  const datasets = withRelearn.map((m, i) => {
    const data = steps.map((k) => ({ x: k, y: finiteOrNull(m.metrics[`relearn.accuracy.${k}`]) }));
    drawn += data.length;
    const color = categoryColor(i);
    return { label: m.name, data, borderColor: color, backgroundColor: color, borderWidth: 1.8, pointRadius: 3, tension: 0, spanGaps: false };
  });
  const options = stepLineOptions('held-back forget accuracy');
  return {
    id: 'chart-relearn',
    title: 'Relearning: held-back forget accuracy',
    description: `Accuracy on the held-back half of the forget set after ${steps.join(', ')} relearning steps, for ${withRelearn.map((m) => m.name).join(', ')}.`,
    expectedElements: drawn,
    config: { type: 'line', data: { datasets }, options: { ...options, scales: { ...options.scales, x: { ...options.scales.x, title: { display: true, text: 'relearning steps' } }, y: { ...options.scales.y, max: 1 } } } },
  };
}

/** Line chart of one run's losses over steps, one line per loss name; NaN values break the line. */
export function lossChart(run: string, points: readonly LossPoint[], index: number): ChartSpec | undefined {
  const finitePoints = points.filter((p) => Number.isFinite(p.step));
  const lossNames = [...new Set(finitePoints.flatMap((p) => Object.keys(p.values)))];
  if (lossNames.length === 0) return undefined;
  const sorted = [...finitePoints].sort((a, b) => a.step - b.step);
  let drawn = 0;
  const datasets = lossNames.map((name, i) => {
    const data = sorted.map((p) => {
      const value = p.values[name];
      return { x: p.step, y: typeof value === 'number' && Number.isFinite(value) ? value : null };
    });
    drawn += data.length;
    const color = categoryColor(i);
    return { label: name, data, borderColor: color, backgroundColor: color, borderWidth: 1.8, pointRadius: 0, tension: 0, spanGaps: false };
  });
  return {
    id: `chart-loss-${index}`,
    title: run,
    description: `Losses of run ${run} over ${sorted.length} steps: ${lossNames.join(', ')}.`,
    expectedElements: drawn,
    config: {
      type: 'line',
      data: { datasets },
      options: { ...stepLineOptions('loss'), interaction: { mode: 'nearest', axis: 'x', intersect: false } },
    },
  };
}

const finiteOrNull = (value: number | undefined): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/**
 * One unlearning run's stopping checks: forget and held-out accuracy at every check (replayed
 * fine checks included, in step order), the target and the retrained model's forget accuracy as
 * flat reference lines across the steps, and the returned check as one large marker.
 */
export function stoppingChart(run: string, timeline: StoppingTimeline, index: number): ChartSpec | undefined {
  // A replayed step is checked twice at most (coarse, then fine): the later (fine) check wins.
  const byStep = new Map<number, StoppingTimeline['checks'][number]>();
  for (const check of timeline.checks) if (Number.isFinite(check.step)) byStep.set(check.step, check);
  const checks = [...byStep.values()].sort((a, b) => a.step - b.step);
  if (checks.length === 0) return undefined;
  const first = checks[0]!.step;
  const last = checks[checks.length - 1]!.step;
  const flat = (value: number | undefined) => (finiteOrNull(value) === null ? [] : [{ x: first, y: value! }, { x: last, y: value! }]);
  const chosen = timeline.chosenStep !== undefined ? byStep.get(timeline.chosenStep) : undefined;
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = [
    { label: 'forget accuracy', data: checks.map((c) => ({ x: c.step, y: finiteOrNull(c.forgetAccuracy) as number })), borderColor: '#e15759', backgroundColor: '#e15759', borderWidth: 2, pointRadius: 2.5, tension: 0, spanGaps: false },
    { label: 'held-out accuracy', data: checks.filter((c) => c.heldoutAccuracy !== undefined).map((c) => ({ x: c.step, y: finiteOrNull(c.heldoutAccuracy) as number })), borderColor: '#4e79a7', backgroundColor: '#4e79a7', borderWidth: 1.5, pointRadius: 1.5, tension: 0, spanGaps: false },
  ];
  const target = flat(timeline.target?.accuracy);
  if (target.length > 0) datasets.push({ label: 'target', data: target, borderColor: '#f28e2b', backgroundColor: '#f28e2b', borderWidth: 1.5, borderDash: [6, 4], pointRadius: 0 });
  const retrain = flat(timeline.retrainForgetAccuracy);
  if (retrain.length > 0) datasets.push({ label: 'retrained model', data: retrain, borderColor: '#59a14f', backgroundColor: '#59a14f', borderWidth: 1.5, borderDash: [2, 3], pointRadius: 0 });
  if (chosen && finiteOrNull(chosen.forgetAccuracy) !== null) {
    datasets.push({ label: `returned (step ${chosen.step})`, data: [{ x: chosen.step, y: chosen.forgetAccuracy }], borderColor: '#111111', backgroundColor: '#edc948', pointRadius: 7, pointStyle: 'rectRot', showLine: false });
  }
  const drawn = datasets.reduce((sum, d) => sum + d.data.length, 0);
  return {
    id: `chart-stopping-${index}`,
    title: `${run}: stopping checks (${timeline.rule})`,
    description: `Stopping checks of run ${run} (rule ${timeline.rule}): ${checks.length} checks from step ${first} to ${last}${timeline.target ? `, target forget accuracy ${(100 * timeline.target.accuracy).toFixed(1)}%` : ''}.`,
    expectedElements: drawn,
    config: {
      type: 'line',
      data: { datasets },
      options: stepLineOptions('accuracy'),
    },
  };
}
