/**
 * Report input from `deepcut eval` results: one summary row and one latent scatter per model
 * (the evaluated model, and the reference when there is one). Plain data in, ReportInput out.
 */
import { flattenMetrics } from '../eval/gap';
import type { Latent2d, ModelMetrics } from '../eval/evaluate';
import type { ForgetSummary, LatentProjection, ModelReport, ReportInput, StoppingTimeline } from './types';

export interface EvaluatedModelView {
  /** Row name in the table and title of its scatter. */
  name: string;
  /** Nested metrics (a ModelMetrics, optionally with gap); flattened for the table. */
  metrics: ModelMetrics & { gap?: object };
  latent?: Latent2d;
  /** Wall time of producing the model (shown as "Time"), when known. */
  wallSeconds?: number;
}

/** A Latent2d (class indices) as report points (class names, forget highlighted). */
export function latentForReport(latent: Latent2d, labels: readonly string[]): LatentProjection {
  const percent = (ratio: number): string => (Number.isFinite(ratio) ? ` (${(100 * ratio).toFixed(1)}% of variance)` : '');
  return {
    points: latent.points.map((p) => ({ x: p.x, y: p.y, label: labels[p.label] ?? `LABEL_${p.label}`, isForget: p.set === 'forget' })),
    axisLabels: [`PC 1${percent(latent.explainedVarianceRatio[0])}`, `PC 2${percent(latent.explainedVarianceRatio[1])}`],
  };
}

/** The audit's and the relearning check's measurements for flattening (counts and settings left out). */
export function auditAndRelearn(audit: ModelMetrics['audit'], relearn: ModelMetrics['relearn']): Record<string, object> {
  return {
    ...(audit ? { audit: Object.fromEntries(Object.entries(audit).map(([k, a]) => [k, { auc: a.auc, tpr_at_1pct_fpr: a.tpr_at_1pct_fpr, tpr_at_0_1pct_fpr: a.tpr_at_0_1pct_fpr }])) } : {}),
    ...(relearn ? { relearn: { accuracy: relearn.accuracy, loss: relearn.loss } } : {}),
  };
}

/** A model's measurements as dotted keys: counts, hashes and the evaluation's own wall time are not model metrics. */
export function measurementMap(m: ModelMetrics & { gap?: object }): Record<string, number> {
  const { accuracy, macro_f1, mia, latent, gap, audit, relearn, subjects } = m;
  return flattenMetrics({ accuracy, macro_f1, mia, latent, ...(subjects ? { subjects } : {}), ...(gap ? { gap } : {}), ...auditAndRelearn(audit, relearn) });
}

function row(view: EvaluatedModelView, labels: readonly string[]): ModelReport {
  const metrics = measurementMap(view.metrics);
  if (view.wallSeconds !== undefined) metrics.wall_seconds = view.wallSeconds;
  return { name: view.name, metrics, ...(view.latent ? { latent: latentForReport(view.latent, labels) } : {}) };
}

function latentNote(view: EvaluatedModelView): string {
  const l = view.metrics.latent;
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
  return `${view.name} — forget samples in latent space: cosine to own-class centroid ${f(l.own_centroid_cosine)}, to nearest other-class centroid ${f(l.nearest_other_centroid_cosine)}, closer to another class ${f(l.closer_to_other_share)}, kNN label agreement ${f(l.knn_agreement)}.`;
}

export interface EvaluationReportOptions {
  title: string;
  dataset: string;
  forget: ForgetSummary;
  /** Label names in class-index order. */
  labels: readonly string[];
  model: EvaluatedModelView;
  reference?: EvaluatedModelView;
  notes?: readonly string[];
  createdAt?: string;
  /** The evaluated model's stopping checks, when it came from a loss-based unlearning run. */
  stopping?: StoppingTimeline;
}

export function evaluationReportInput(options: EvaluationReportOptions): ReportInput {
  const views = [options.model, ...(options.reference ? [options.reference] : [])];
  return {
    title: options.title,
    dataset: options.dataset,
    forget: options.forget,
    createdAt: options.createdAt ?? new Date().toISOString(),
    models: views.map((view) => row(view, options.labels)),
    ...(options.reference ? { referenceModel: options.reference.name } : {}),
    ...(options.stopping ? { stoppingTimelines: { [options.model.name]: options.stopping } } : {}),
    notes: [...views.map(latentNote), ...(options.notes ?? [])],
  };
}
