/**
 * The summary table's columns and its "best versus reference" rule: for each column, which rows
 * come closest to the reference model (normally Retrain, the gold standard of unlearning).
 */
import { formatPercent, formatScore, formatSeconds } from './format';
import type { MetricMap, ModelReport } from './types';

/**
 * How a column's best row is chosen. `closest-to-reference`: smallest |value − reference value|,
 * falling back to `fallback` (or no highlight) when there is no reference. `lowest`: smallest value.
 */
export type BestRule = { kind: 'closest-to-reference'; fallback?: 'highest' } | { kind: 'lowest' };

export interface SummaryColumn {
  key: string;
  label: string;
  /** Tooltip that says what the column measures and what "good" means. */
  description: string;
  format: (value: number | undefined) => string;
  deltaUnit: 'pp' | 'score' | 'seconds';
  best: BestRule;
}

export const SUMMARY_COLUMNS: readonly SummaryColumn[] = [
  { key: 'accuracy.forget', label: 'Forget acc.', description: 'Accuracy on the forget set; should match the retrained model, not drop to 0.', format: formatPercent, deltaUnit: 'pp', best: { kind: 'closest-to-reference' } },
  { key: 'accuracy.retain', label: 'Retain acc.', description: 'Accuracy on the retained training data.', format: formatPercent, deltaUnit: 'pp', best: { kind: 'closest-to-reference', fallback: 'highest' } },
  { key: 'accuracy.test', label: 'Test acc.', description: 'Accuracy on held-out test data.', format: formatPercent, deltaUnit: 'pp', best: { kind: 'closest-to-reference', fallback: 'highest' } },
  { key: 'macro_f1.test', label: 'Test macro-F1', description: 'Macro-averaged F1 on held-out test data.', format: formatPercent, deltaUnit: 'pp', best: { kind: 'closest-to-reference', fallback: 'highest' } },
  { key: 'mia.loss_auc', label: 'MIA AUC', description: 'Loss-based membership-inference AUC, forget vs unseen samples; the retrained model sets the target (about 0.5).', format: formatScore, deltaUnit: 'score', best: { kind: 'closest-to-reference' } },
  { key: 'mia.efficacy', label: 'MIA efficacy', description: 'Share of forget samples an attacker trained on retain/test predicts as non-members.', format: formatScore, deltaUnit: 'score', best: { kind: 'closest-to-reference' } },
  { key: 'gap.average', label: 'Avg. gap', description: 'Mean |metric − retrained metric| over forget/retain/test accuracy and MIA AUC; lower is better.', format: formatScore, deltaUnit: 'score', best: { kind: 'lowest' } },
  { key: 'wall_seconds', label: 'Time', description: 'Wall-clock time of producing the model.', format: formatSeconds, deltaUnit: 'seconds', best: { kind: 'lowest' } },
];

/** Names accepted as the reference when the input does not name one. */
const DEFAULT_REFERENCE_NAMES = ['retrained', 'retrain'];

/** The reference model: the one named in the input, else one called 'retrained'/'retrain', else none. */
export function findReferenceModel(models: readonly ModelReport[], requested: string | undefined): ModelReport | undefined {
  if (requested !== undefined) return models.find((model) => model.name === requested);
  return models.find((model) => DEFAULT_REFERENCE_NAMES.includes(model.name.trim().toLowerCase()));
}

function finite(metrics: MetricMap, key: string): number | undefined {
  const value = metrics[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Indices of the rows highlighted as best in `column` (ties all win). The reference row never
 * competes, and nothing is highlighted unless at least two rows have a value to compare.
 */
export function bestRows(models: readonly ModelReport[], reference: ModelReport | undefined, column: SummaryColumn): number[] {
  const referenceValue = reference ? finite(reference.metrics, column.key) : undefined;
  let score: ((value: number) => number) | undefined;
  if (column.best.kind === 'lowest') score = (value) => value;
  else if (referenceValue !== undefined) score = (value) => Math.abs(value - referenceValue);
  else if (column.best.fallback === 'highest') score = (value) => -value;
  if (!score) return [];
  const candidates: { index: number; score: number }[] = [];
  models.forEach((model, index) => {
    const value = finite(model.metrics, column.key);
    if (model !== reference && value !== undefined) candidates.push({ index, score: score!(value) });
  });
  if (candidates.length < 2) return [];
  const bestScore = Math.min(...candidates.map((c) => c.score));
  // Ties up to rounding noise all count as best.
  return candidates.filter((c) => c.score <= bestScore + 1e-12).map((c) => c.index);
}

/** value − reference value, or undefined when either is missing/NaN. */
export function deltaToReference(metrics: MetricMap, reference: ModelReport | undefined, key: string): number | undefined {
  if (!reference) return undefined;
  const value = finite(metrics, key);
  const referenceValue = finite(reference.metrics, key);
  return value !== undefined && referenceValue !== undefined ? value - referenceValue : undefined;
}
