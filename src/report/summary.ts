/**
 * The summary table's columns and its "best versus reference" rule: for each column, which rows
 * come closest to the reference model (normally Retrain, the gold standard of unlearning).
 */
import { formatPercent, formatScore, formatSeconds } from './format';
import { firstAndLastSteps } from '../eval/relearn-steps';
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

/**
 * Columns shown only when some row has the value: the per-example audit (eval --audit). The
 * retrained model's value is the target, so the best row is the closest to it. (summaryColumns
 * adds the relearning check's first and last step counts the same way.)
 */
export const OPTIONAL_COLUMNS: readonly SummaryColumn[] = [
  { key: 'subjects.test_accuracy', label: 'Subjects\' test acc.', description: 'Accuracy on the test rows of the forget set\'s data subjects (their unseen records): a model retrained without a subject loses what it knew of the subject, a method that only edits the forget rows keeps it.', format: formatPercent, deltaUnit: 'pp', best: { kind: 'closest-to-reference' } },
  { key: 'audit.rmia.auc', label: 'RMIA AUC', description: 'Per-example membership audit with reference models (offline RMIA), forget vs test; the retrained model sets the floor.', format: formatScore, deltaUnit: 'score', best: { kind: 'closest-to-reference' } },
  { key: 'audit.rmia.tpr_at_1pct_fpr', label: 'RMIA TPR@1%', description: 'Share of forget rows RMIA flags as members at a 1% false-positive rate on test rows.', format: formatPercent, deltaUnit: 'pp', best: { kind: 'closest-to-reference' } },
  { key: 'audit.lira.auc', label: 'LiRA AUC', description: 'Per-example membership audit with reference models (offline LiRA), forget vs test; the retrained model sets the floor.', format: formatScore, deltaUnit: 'score', best: { kind: 'closest-to-reference' } },
  { key: 'audit.lira.tpr_at_1pct_fpr', label: 'LiRA TPR@1%', description: 'Share of forget rows LiRA flags as members at a 1% false-positive rate on test rows.', format: formatPercent, deltaUnit: 'pp', best: { kind: 'closest-to-reference' } },
];

/** The relearning check's step counts present in any row (keys relearn.accuracy.K), ascending. */
export function relearnSteps(models: readonly { metrics: MetricMap }[]): number[] {
  const steps = new Set<number>();
  for (const m of models) for (const key of Object.keys(m.metrics)) {
    const match = /^relearn\.accuracy\.(\d+)$/.exec(key);
    if (match) steps.add(Number(match[1]));
  }
  return [...steps].sort((a, b) => a - b);
}

/** The summary columns, plus the optional ones some row has a value for. */
export function summaryColumns(models: readonly { metrics: MetricMap }[]): SummaryColumn[] {
  const has = (key: string) => models.some((m) => typeof m.metrics[key] === 'number');
  const relearn: SummaryColumn[] = firstAndLastSteps(relearnSteps(models)).map((k) => ({
    key: `relearn.accuracy.${k}`, label: `Relearned ${k} steps`, format: formatPercent, deltaUnit: 'pp', best: { kind: 'closest-to-reference' },
    description: `Accuracy on the held-back half of the forget set after ${k} fine-tuning steps on the other half; a model that forgot recovers no faster than the retrained one.`,
  }));
  return [...SUMMARY_COLUMNS.slice(0, -1), ...OPTIONAL_COLUMNS.filter((c) => has(c.key)), ...relearn, SUMMARY_COLUMNS[SUMMARY_COLUMNS.length - 1]!];
}

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
