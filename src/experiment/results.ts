// The experiment's tables: results.csv (one row per dataset × forget × model × seed, full
// precision, for analysis elsewhere) and results.md (the paper-style table: mean ± std over
// seeds per dataset × forget × method, retrain included).
import { REFERENCE_METHOD } from './config';
import { referenceSeconds, type CellResults } from './collect';
import { ORIGINAL } from './plan';
import { firstAndLastSteps } from '../eval/relearn-steps';

export interface ResultRow {
  dataset: string;
  forget: string;
  forget_count: number;
  /** ORIGINAL (before unlearning), a method, or retrain. */
  method: string;
  seed: number;
  accuracy_forget: number;
  accuracy_retain: number;
  accuracy_test: number;
  /** Accuracy on the test rows of the forget set's data subjects (NaN when the test split holds none). */
  accuracy_subject_test: number;
  macro_f1_forget: number;
  macro_f1_retain: number;
  macro_f1_test: number;
  mia_loss_auc: number;
  mia_confidence_auc: number;
  mia_entropy_auc: number;
  mia_efficacy: number;
  gap_average: number;
  /** eval.audit: per-example membership audits with reference models (NaN when not run). */
  audit_rmia_auc: number;
  audit_rmia_tpr_1pct_fpr: number;
  audit_rmia_tpr_0_1pct_fpr: number;
  audit_lira_auc: number;
  audit_lira_tpr_1pct_fpr: number;
  audit_lira_tpr_0_1pct_fpr: number;
  wall_seconds: number;
  steps: number;
  /** 'rule' (the forget set looked unseen), 'budget' (step budget used up), '' (no stopping rule: original, retrain, sisa). */
  stopped_by: string;
  /** Retrain's wall time ÷ this run's (NaN for the original, which is not an unlearning run). */
  speedup_vs_retrain: number;
  split_seed: number;
  /** Retain examples scored (0 = all). */
  retain_sample: number;
  forget_hash: string;
  /** Manifest hashes (docs/provenance.md) of the evaluated model and of the reference. */
  model_hash: string;
  reference_hash: string;
  /** eval.relearn: held-back forget accuracy by relearning steps ("0" = before); columns relearn_accuracy_K in results.csv. */
  relearn_accuracy?: Record<string, number>;
}

export const RESULT_COLUMNS: readonly (keyof ResultRow)[] = [
  'dataset', 'forget', 'forget_count', 'method', 'seed',
  'accuracy_forget', 'accuracy_retain', 'accuracy_test', 'accuracy_subject_test', 'macro_f1_forget', 'macro_f1_retain', 'macro_f1_test',
  'mia_loss_auc', 'mia_confidence_auc', 'mia_entropy_auc', 'mia_efficacy', 'gap_average',
  'audit_rmia_auc', 'audit_rmia_tpr_1pct_fpr', 'audit_rmia_tpr_0_1pct_fpr', 'audit_lira_auc', 'audit_lira_tpr_1pct_fpr', 'audit_lira_tpr_0_1pct_fpr', 'wall_seconds', 'steps', 'stopped_by', 'speedup_vs_retrain',
  'split_seed', 'retain_sample', 'forget_hash', 'model_hash', 'reference_hash',
];

/** JSON writes NaN as null; read it back as NaN. */
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

export function rowsOf(results: CellResults): ResultRow[] {
  const retrainSeconds = referenceSeconds(results);
  const { cell } = results;
  return results.models.map((m) => {
    const x = m.metrics;
    return {
      dataset: cell.dataset.key, forget: cell.forget.spec, forget_count: num(x.forget.count), method: m.name, seed: cell.seed,
      accuracy_forget: num(x.accuracy.forget), accuracy_retain: num(x.accuracy.retain), accuracy_test: num(x.accuracy.test),
      accuracy_subject_test: num(x.subjects?.test_accuracy),
      macro_f1_forget: num(x.macro_f1.forget), macro_f1_retain: num(x.macro_f1.retain), macro_f1_test: num(x.macro_f1.test),
      mia_loss_auc: num(x.mia.loss_auc), mia_confidence_auc: num(x.mia.confidence_auc), mia_entropy_auc: num(x.mia.entropy_auc),
      mia_efficacy: num(x.mia.efficacy), gap_average: num(x.gap?.average),
      audit_rmia_auc: num(x.audit?.rmia?.auc), audit_rmia_tpr_1pct_fpr: num(x.audit?.rmia?.tpr_at_1pct_fpr), audit_rmia_tpr_0_1pct_fpr: num(x.audit?.rmia?.tpr_at_0_1pct_fpr),
      audit_lira_auc: num(x.audit?.lira?.auc), audit_lira_tpr_1pct_fpr: num(x.audit?.lira?.tpr_at_1pct_fpr), audit_lira_tpr_0_1pct_fpr: num(x.audit?.lira?.tpr_at_0_1pct_fpr),
      wall_seconds: m.wallSeconds, steps: m.steps,
      stopped_by: m.stoppedBy ?? '',
      speedup_vs_retrain: m.name === ORIGINAL ? NaN : retrainSeconds / m.wallSeconds,
      split_seed: num(x.data?.split_seed), retain_sample: num(x.settings?.retain_sample), forget_hash: x.forget?.hash ?? '',
      model_hash: x.model?.hash ?? '', reference_hash: x.reference_model?.hash ?? '',
      ...(x.relearn ? { relearn_accuracy: Object.fromEntries(Object.entries(x.relearn.accuracy).map(([k, v]) => [k, num(v)])) } : {}),
    };
  });
}

function csvField(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The relearning step counts any row has, ascending. */
function relearnSteps(rows: readonly ResultRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.relearn_accuracy ?? {})))].sort((a, b) => Number(a) - Number(b));
}

/** RESULT_COLUMNS, then relearn_accuracy_K for each relearning step count present. */
export function resultsCsv(rows: readonly ResultRow[]): string {
  const steps = relearnSteps(rows);
  const header = [...RESULT_COLUMNS, ...steps.map((k) => `relearn_accuracy_${k}`)];
  const line = (r: ResultRow) => [...RESULT_COLUMNS.map((c) => csvField(r[c] as string | number)), ...steps.map((k) => csvField(r.relearn_accuracy?.[k] ?? NaN))].join(',');
  return [header.join(','), ...rows.map(line)].join('\n') + '\n';
}

/** Mean and sample standard deviation of the finite values (NaN when there are none). */
export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const xs = values.filter(Number.isFinite);
  if (xs.length === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : NaN;
  return { mean, std, n: xs.length };
}

interface MdColumn {
  label: string; key: keyof ResultRow; format: (v: number) => string;
  /** Shown only when some row has a value. */
  optional?: boolean;
  /** relearn_accuracy: the step count shown. */
  step?: string;
}

const pct = (v: number) => (100 * v).toFixed(1);
const MD_COLUMNS: readonly MdColumn[] = [
  { label: 'Forget acc. %', key: 'accuracy_forget', format: pct },
  { label: 'Retain acc. %', key: 'accuracy_retain', format: pct },
  { label: 'Test acc. %', key: 'accuracy_test', format: pct },
  { label: 'Subjects\' test acc. %', key: 'accuracy_subject_test', format: pct, optional: true },
  { label: 'Test macro-F1 %', key: 'macro_f1_test', format: pct },
  { label: 'MIA AUC', key: 'mia_loss_auc', format: (v) => v.toFixed(3) },
  { label: 'MIA efficacy', key: 'mia_efficacy', format: (v) => v.toFixed(3) },
  { label: 'Avg. gap', key: 'gap_average', format: (v) => v.toFixed(3) },
  { label: 'RMIA AUC', key: 'audit_rmia_auc', format: (v) => v.toFixed(3), optional: true },
  { label: 'RMIA TPR@1%FPR %', key: 'audit_rmia_tpr_1pct_fpr', format: pct, optional: true },
  { label: 'LiRA AUC', key: 'audit_lira_auc', format: (v) => v.toFixed(3), optional: true },
  { label: 'LiRA TPR@1%FPR %', key: 'audit_lira_tpr_1pct_fpr', format: pct, optional: true },
  { label: 'Time s', key: 'wall_seconds', format: (v) => v.toFixed(v < 10 ? 1 : 0) },
  { label: 'Steps', key: 'steps', format: (v) => v.toFixed(0) },
  { label: 'Speed-up', key: 'speedup_vs_retrain', format: (v) => `${v.toFixed(1)}x` },
];

function cellText(values: readonly number[], format: (v: number) => string): string {
  const { mean, std, n } = meanStd(values);
  if (n === 0) return 'n/a';
  return n > 1 && Number.isFinite(std) ? `${format(mean)} ± ${format(std)}` : format(mean);
}

/**
 * The paper-style table, one section per dataset × forget spec, one row per model in the given
 * method order (original first, retrain last), each cell mean ± sample std over seeds.
 */
export function resultsMarkdown(rows: readonly ResultRow[], options: { name: string; methods: readonly string[] }): string {
  const seeds = [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b);
  const order = [ORIGINAL, ...options.methods.filter((m) => m !== REFERENCE_METHOD), REFERENCE_METHOD];
  const lines = [
    `# ${options.name}: results`,
    '',
    `Mean ± sample standard deviation over ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${seeds.join(', ')}); a single value where only one run is finished.`,
    'Accuracies and macro-F1 in %. MIA AUC: loss-based membership inference, forget vs test (0.5 = looks unseen); the retrained model is the target.',
    `Avg. gap: mean |Δ| to ${REFERENCE_METHOD} of forget/retain/test accuracy and MIA AUC (lower is better). Time: wall seconds to produce the model`,
    `(the fine-tune for the original, the unlearning run otherwise). Speed-up: ${REFERENCE_METHOD} time ÷ method time.`,
  ];
  const groups = new Map<string, ResultRow[]>();
  for (const row of rows) {
    const key = JSON.stringify([row.dataset, row.forget]);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const group of groups.values()) {
    const { dataset, forget } = group[0]!;
    const counts = meanStd(group.map((r) => r.forget_count));
    lines.push('', `## ${dataset}, forget \`${forget}\`${counts.n > 0 ? ` (${Math.round(counts.mean)} records)` : ''}`, '');
    // The relearning check's first and last step counts: how much of the held-back forget half came back.
    const shown = firstAndLastSteps(relearnSteps(group));
    const measured = MD_COLUMNS.filter((c) => !c.optional || group.some((r) => Number.isFinite(r[c.key] as number)));
    const cost = measured.findIndex((c) => c.key === 'wall_seconds');
    const columns: MdColumn[] = [
      ...measured.slice(0, cost),
      ...shown.map((k) => ({ label: `Relearned ${k} steps %`, key: 'relearn_accuracy' as const, format: pct, step: k })),
      ...measured.slice(cost),
    ];
    const value = (r: ResultRow, c: MdColumn) => (c.step !== undefined ? r.relearn_accuracy?.[c.step] ?? NaN : (r[c.key] as number));
    lines.push(`| Method | n | ${columns.map((c) => c.label).join(' | ')} |`);
    lines.push(`| --- | ---: | ${columns.map(() => '---:').join(' | ')} |`);
    const present = [...order, ...new Set(group.map((r) => r.method))].filter((m, i, all) => all.indexOf(m) === i && group.some((r) => r.method === m));
    for (const method of present) {
      const runs = group.filter((r) => r.method === method);
      const label = method === ORIGINAL ? 'original (before)' : method === REFERENCE_METHOD ? `${REFERENCE_METHOD} (reference)` : method;
      lines.push(`| ${label} | ${runs.length} | ${columns.map((c) => cellText(runs.map((r) => value(r, c)), c.format)).join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
