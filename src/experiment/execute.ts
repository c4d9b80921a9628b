// Runs one unit of an experiment plan: a fine-tune of the original, an unlearning run (retrain
// included) or the evaluation of one model against its cell's retrained reference.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { splitOf, retainSplit, type Dataset, type ForgetSet } from '../data';
import {
  evaluateModel, evaluateScorable, gapToReference, latentProjection, selectEvalSets, setCounts, type EvalSets, type ModelEvaluation, type UnlearningMetrics,
} from '../eval/evaluate';
import { detectModelKind, loadScorable, type LoadedScorable } from '../eval/scorable';
import { auditScorable, prepareAudit, type AuditSetup, type PreparedAudit } from '../eval/audit-run';
import { AUDIT_ATTACK_NAMES, type AuditAttack } from '../eval/membership-audit';
import { relearnCheck, type RelearnMetrics, type RelearnOptions } from '../eval/relearn';
import { writeFileAtomic } from '../io/atomic';
import { samplesJsonl, SAMPLES_FILE } from '../eval/samples';
import { provenance, relativePath, type Provenance } from '../provenance/info';
import { unlearn } from '../methods/unlearn';
import { finetuneToFolder } from '../train/run';
import type { ExperimentConfig } from './config';
import { evalSettings, finetuneSettings, LATENT_FILE, METRICS_FILE, unlearnHyperparameters, type EvalSettings } from './markers';
import { REFERENCE_METHOD } from './config';
import type { EvalUnit, FinetuneUnit, ReferencesUnit, UnlearnUnit } from './plan';
import { trainReferences } from '../methods/target/train-references';
import type { Device } from '../engine/device';

/** A live progress display (src/cli/progress.ts makes one for a terminal or a log). */
export interface ProgressBar {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}
export type ProgressFactory = (label: string, total: number, fields: readonly string[]) => ProgressBar;

export interface UnitContext {
  config: ExperimentConfig;
  dataset: Dataset;
  /** Resolved forget set of the unit's cell (unlearn and eval units). */
  forget?: ForgetSet;
  /** Resume an interrupted run in the unit's folder instead of starting over. */
  resume: boolean;
  /** Where every unit computes ('cpu', 'cuda:0'). */
  device: Device;
  log(line: string): void;
  progress: ProgressFactory;
  /** The cell's reference evaluation, computed once and shared by its eval units. */
  reference: ReferenceCache;
}

/** metrics.json of one evaluated model: the same shape as `deepcut eval` writes. */
export interface MetricsRecord extends Omit<UnlearningMetrics, 'forget' | 'model' | 'reference_model'> {
  forget: UnlearningMetrics['forget'] & { spec: string };
  /** dir: relative to the metrics.json folder; dir_absolute: where it was when evaluated. */
  model: { hash: string; kind: string; dir: string; dir_absolute: string };
  reference_model: { hash: string; kind: string; dir: string; dir_absolute: string };
  data: { name: string; split_seed: number };
  settings: EvalSettings;
  /** eval.audit: how the per-example audit was run (reference models, rows, cost). */
  audit_setup?: AuditSetup;
  provenance?: Provenance;
}

export function runFinetuneUnit(unit: FinetuneUnit, ctx: UnitContext): void {
  const settings = finetuneSettings(ctx.config, unit.seed);
  const steps = Math.ceil(splitOf(ctx.dataset, 'train').length / settings.batchSize) * settings.epochs;
  const bar = ctx.progress('fine-tuning', steps, ['epoch', 'loss']);
  try {
    const record = finetuneToFolder({
      base: ctx.config.baseModel, dataset: ctx.dataset, out: unit.dir, settings, splitSeed: ctx.config.splitSeed, resume: ctx.resume, device: ctx.device, log: (line) => ctx.log(`  ${line}`),
      onStep: ({ step, epoch, loss }) => bar.update(step, { epoch, loss: loss.toFixed(4) }),
    });
    bar.stop(); // before the summary line, so a terminal bar does not swallow it
    ctx.log(`  fine-tuned ${record.steps} steps (best epoch ${record.best_epoch}), test accuracy ${(100 * record.test.accuracy).toFixed(1)}%, ${record.wall_seconds.toFixed(0)} s`);
  } finally {
    bar.stop();
  }
}

export function runReferencesUnit(unit: ReferencesUnit, ctx: UnitContext): void {
  const started = Date.now();
  let bar: ProgressBar | undefined;
  let current = -1;
  try {
    const manifest = trainReferences({
      model: unit.modelDir, dataset: ctx.dataset, splitSeed: ctx.config.splitSeed, k: unit.k, out: unit.dir, seed: unit.seed,
      resume: ctx.resume, device: ctx.device, log: (line) => ctx.log(`  ${line}`),
      onStep: ({ reference, step, totalSteps, loss }) => {
        if (reference !== current) {
          bar?.stop();
          bar = ctx.progress(`reference ${reference + 1}/${unit.k}`, totalSteps, ['loss']);
          current = reference;
        }
        bar!.update(step, { loss: loss.toFixed(4) });
      },
    });
    bar?.stop();
    const tests = manifest.partitions.map((p) => (p.test_accuracy !== undefined ? `${(100 * p.test_accuracy).toFixed(1)}%` : 'n/a'));
    ctx.log(`  ${unit.k} reference models (test accuracy ${tests.join(', ')}), ${((Date.now() - started) / 1000).toFixed(0)} s: a one-time cost per original, shared by every request`);
  } finally {
    bar?.stop();
  }
}

export async function runUnlearnUnit(unit: UnlearnUnit, ctx: UnitContext): Promise<void> {
  let bar: ProgressBar | undefined;
  try {
    const record = await unlearn({
      modelDir: unit.modelDir, dataset: ctx.dataset, forget: ctx.forget!, method: unit.method, out: unit.dir, seed: unit.seed,
      hp: unlearnHyperparameters(ctx.config, unit.method), stop: ctx.config.stop, maxLength: ctx.config.finetune.maxLength,
      splitSeed: ctx.config.splitSeed, ...(unit.referencesDir !== undefined ? { references: unit.referencesDir } : {}),
      baseModel: ctx.config.baseModel, resume: ctx.resume, device: ctx.device, log: (line) => ctx.log(`  ${line}`),
      onStep: ({ step, total, values }) => {
        bar ??= ctx.progress(unit.method, total, ['loss', 'forget', 'retain']);
        const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));
        bar.update(step, { loss: fmt(values.total ?? values.retain), forget: fmt(values.forget), retain: fmt(values.retain) });
      },
      onCheck: (c) => {
        if (!c.unseen) return;
        bar?.stop();
        bar = undefined;
        ctx.log(c.distance !== undefined
          ? `  step ${c.step}${c.fine ? ' (replay)' : ''}: forget accuracy ${(100 * c.forgetAccuracy).toFixed(1)}% crossed the target (${(100 * c.distance).toFixed(1)} points past it)`
          : `  step ${c.step}: forget accuracy ${(100 * c.forgetAccuracy).toFixed(1)}% <= validation ${(100 * (c.heldoutAccuracy ?? NaN)).toFixed(1)}%: forget set looks unseen, stopping`);
      },
    });
    bar?.stop();
    const s = record.seconds;
    ctx.log(`  ${record.method}: ${record.steps} steps, ${record.wall_seconds.toFixed(1)} s${s ? ` (target ${s.target.toFixed(1)} s, steps ${s.steps.toFixed(1)} s, checks ${s.checks.toFixed(1)} s)` : ''}`);
  } finally {
    bar?.stop();
  }
}

/** The retrained model's evaluation (its audit and relearning check included) and the audit's reference-model scores. */
interface CachedReference { evaluation: ModelEvaluation; hash: string; kind: string; audit?: PreparedAudit }

/** The reference evaluation of the cell being evaluated (one cell at a time: evaluations of a cell are contiguous). */
export class ReferenceCache {
  private cell: string | undefined;
  private value: CachedReference | undefined;

  get(cellKey: string): CachedReference | undefined {
    return this.cell === cellKey ? this.value : undefined;
  }

  set(cellKey: string, value: CachedReference): void {
    this.cell = cellKey;
    this.value = value;
  }
}

function loadChecked(dir: string, ds: Dataset, device: Device): LoadedScorable {
  const loaded = loadScorable(dir, { device });
  const labels = loaded.scorable.labels;
  if (labels.length !== ds.labels.length || labels.some((l, i) => l !== ds.labels[i])) {
    loaded.scorable.dispose();
    throw new Error(`${dir}: the model's labels [${labels.join(', ')}] differ from dataset ${ds.name}'s [${ds.labels.join(', ')}]`);
  }
  return loaded;
}

function relearnOptions(ctx: UnitContext): Omit<RelearnOptions, 'onStep'> {
  const { config } = ctx;
  return {
    steps: config.eval.relearn!, lr: config.eval.relearnLr ?? config.finetune.lr, batchSize: config.finetune.batchSize,
    maxLength: config.finetune.maxLength, seed: config.eval.seed, device: ctx.device,
  };
}

/** Scores the original's reference models on the cell's forget, test and validation rows, once per cell. */
function prepareCellAudit(unit: EvalUnit, ctx: UnitContext, sets: EvalSets): PreparedAudit {
  if (unit.referencesDir === undefined) throw new Error(`${unit.id}: eval.audit needs the original's reference models (the plan has none for this unit)`);
  const prepared = prepareAudit({
    attacks: ctx.config.eval.audit!, dirs: [unit.referencesDir], dataset: ctx.dataset, splitSeed: ctx.config.splitSeed, forget: sets.forget, test: sets.test,
    maxLength: ctx.config.finetune.maxLength, batchSize: ctx.config.eval.batchSize, device: ctx.device,
    ...(ctx.config.eval.auditReferences !== undefined ? { perRow: ctx.config.eval.auditReferences } : {}),
    onReference: (i, n) => ctx.log(`  audit: scoring reference model ${i + 1}/${n}`),
  });
  ctx.log(`  audit: ${prepared.setup.reference_models} reference models (${prepared.setup.references_per_row} per row) scored ${prepared.setup.reference_rows_scored} rows in ${prepared.setup.reference_seconds.toFixed(0)} s, once for the cell`);
  return prepared;
}

export function runEvalUnit(unit: EvalUnit, ctx: UnitContext): void {
  const started = Date.now();
  const settings = evalSettings(ctx.config);
  const forgetSet = ctx.forget!;
  const forgotten = new Set(forgetSet.ids);
  const data = { forget: splitOf(ctx.dataset, 'train').filter((e) => forgotten.has(e.id)), retain: retainSplit(ctx.dataset, forgetSet), test: splitOf(ctx.dataset, 'test') };
  const options = { maxLength: settings.max_length, batchSize: settings.batch_size, retainSample: settings.retain_sample, seed: settings.seed };
  const sets: EvalSets = selectEvalSets(data, options);
  const cellKey = path.dirname(path.dirname(unit.dir));
  const score = (loaded: LoadedScorable, label: string): ModelEvaluation => {
    const total = sets.forget.length + sets.retain.length + sets.test.length;
    const bar = ctx.progress(label, total, []);
    try {
      return evaluateScorable(loaded.scorable, sets, { ...options, onProgress: (done) => bar.update(done) });
    } finally {
      bar.stop();
    }
  };

  const relearn = settings.relearn !== undefined ? relearnOptions(ctx) : undefined;
  const relearnModel = (dir: string, label: string): RelearnMetrics | undefined => {
    if (!relearn || detectModelKind(dir) !== 'hf') return undefined; // a SISA ensemble is not one model to fine-tune
    const bar = ctx.progress(`relearning ${label}`, relearn.steps[relearn.steps.length - 1]!, []);
    try {
      return relearnCheck(dir, sets.forget, { ...relearn, onStep: (done) => bar.update(done) });
    } finally {
      bar.stop();
    }
  };
  let reference = ctx.reference.get(cellKey);
  if (!reference) {
    const loaded = loadChecked(unit.referenceDir, ctx.dataset, ctx.device);
    try {
      const evaluation = score(loaded, `scoring ${REFERENCE_METHOD}`);
      const audit = ctx.config.eval.audit !== undefined ? prepareCellAudit(unit, ctx, sets) : undefined;
      if (audit) evaluation.metrics.audit = auditScorable(audit, loaded.scorable, evaluation.scores, options);
      const relearned = relearnModel(unit.referenceDir, REFERENCE_METHOD);
      if (relearned) evaluation.metrics.relearn = relearned;
      reference = { evaluation, hash: loaded.hash, kind: loaded.kind, ...(audit ? { audit } : {}) };
    } finally {
      loaded.scorable.dispose();
    }
    ctx.reference.set(cellKey, reference);
  }
  let metrics: UnlearningMetrics;
  let evaluation: ModelEvaluation;
  let model: { hash: string; kind: string };
  if (unit.model === REFERENCE_METHOD) {
    // The reference against itself: its one scoring above serves as both sides (gaps are 0).
    evaluation = reference.evaluation;
    model = { hash: reference.hash, kind: reference.kind };
    metrics = {
      ...evaluation.metrics, reference: evaluation.metrics, gap: gapToReference(evaluation.metrics, evaluation.metrics),
      ...setCounts(sets),
      wall_seconds: (Date.now() - started) / 1000,
    };
  } else {
    const loaded = loadChecked(unit.modelDir, ctx.dataset, ctx.device);
    try {
      const total = sets.forget.length + sets.retain.length + sets.test.length;
      const bar = ctx.progress(`scoring ${unit.model}`, total, []);
      try {
        const result = evaluateModel({ scorable: loaded.scorable, reference: reference.evaluation, ...data, options, onProgress: (_which, done) => bar.update(done) });
        metrics = result.metrics;
        evaluation = result.model;
      } finally {
        bar.stop();
      }
      if (reference.audit) metrics.audit = auditScorable(reference.audit, loaded.scorable, evaluation.scores, options);
      const relearned = relearnModel(unit.modelDir, unit.model);
      if (relearned) metrics.relearn = relearned;
      model = { hash: loaded.hash, kind: loaded.kind };
    } finally {
      loaded.scorable.dispose();
    }
  }

  const { model: _m, reference_model: _r, ...measured } = metrics;
  const record: MetricsRecord = {
    ...measured,
    forget: { ...metrics.forget, spec: forgetSet.spec },
    // Paths relative to this record (the run folder can move); the absolute ones as extra fields.
    model: { ...model, dir: relativePath(unit.dir, unit.modelDir), dir_absolute: path.resolve(unit.modelDir) },
    reference_model: { hash: reference.hash, kind: reference.kind, dir: relativePath(unit.dir, unit.referenceDir), dir_absolute: path.resolve(unit.referenceDir) },
    data: { name: ctx.dataset.name, split_seed: ctx.config.splitSeed },
    settings,
    ...(reference.audit ? { audit_setup: reference.audit.setup } : {}),
    wall_seconds: (Date.now() - started) / 1000, provenance: provenance({ device: ctx.device }),
  };
  fs.mkdirSync(unit.dir, { recursive: true });
  writeFileAtomic(path.join(unit.dir, SAMPLES_FILE), samplesJsonl(sets, evaluation, ctx.dataset.labels, reference.evaluation));
  writeFileAtomic(path.join(unit.dir, LATENT_FILE), `${JSON.stringify(latentProjection(evaluation.scores, { seed: settings.seed }))}\n`);
  // The marker last: a folder with metrics.json holds a finished evaluation.
  writeFileAtomic(path.join(unit.dir, METRICS_FILE), `${JSON.stringify(record, null, 2)}\n`);
  const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
  const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
  const audit = Object.entries(metrics.audit ?? {}).map(([name, a]) => `; ${AUDIT_ATTACK_NAMES[name as AuditAttack]} AUC ${f3(a.auc)}, TPR@1% ${pct(a.tpr_at_1pct_fpr)}`).join('');
  const last = ctx.config.eval.relearn?.[ctx.config.eval.relearn.length - 1];
  const relearned = metrics.relearn && last !== undefined ? `; relearned ${last} steps ${pct(metrics.relearn.accuracy[String(last)]!)} (from ${pct(metrics.relearn.accuracy['0']!)})` : '';
  ctx.log(`  accuracy forget ${pct(metrics.accuracy.forget)} | retain ${pct(metrics.accuracy.retain)} | test ${pct(metrics.accuracy.test)}; MIA loss AUC ${f3(metrics.mia.loss_auc)}; gap ${metrics.gap ? f3(metrics.gap.average) : 'n/a'}${audit}${relearned}`);
}
