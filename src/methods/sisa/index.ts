// SISA (Sharded, Isolated, Sliced, Aggregated; Bourtoule et al. 2021): exact unlearning by
// construction. The train set is split into shards, each trained alone in slice-by-slice
// stages with checkpoints; predictions are a majority vote. Forgetting retrains only the shards
// that held forget ids, each from the checkpoint before its first affected slice.
import { idSetHash, type Example } from '../../data';
import { registerMethod } from '../registry';
import type { ClassifierTask } from '../../model';
import { resolveDevice, type DeviceSpec } from '../../engine/device';
import type { CustomMethod, RunContext, RunResult } from '../types';
import {
  assignShards, assignmentHash, firstAffectedSlices, modelHash, readSisaManifest, removeIds, sisaTask, SISA_FORMAT,
  type SisaManifest, type SisaSettings,
} from './layout';
import { runSisaPlan, type SisaOutcome } from './train';

export * from './layout';
export { runSisaPlan, stageSeed, headSeed, type SisaPlan, type SisaOutcome, type ShardOutcome } from './train';
export { loadSisaEnsemble, majorityVote, combineShards, type SisaEnsemble, type SisaScores, type ShardOutput } from './ensemble';

export interface TrainSisaOptions {
  out: string;
  /** Pretrained encoder every shard starts from. */
  base: string;
  labels: readonly string[];
  /** Text classifiers (default) or taggers, which vote word by word. */
  task?: ClassifierTask;
  train: readonly Example[];
  validation: readonly Example[];
  shards: number;
  slices: number;
  /** Seeds the assignment, each shard's new head and each stage's shuffling and dropout. */
  seed: number;
  settings: SisaSettings;
  /** Recorded so that a later unlearning run can say which split seed reproduces the validation split. */
  splitSeed?: number;
  resume?: boolean;
  /** Where to train: 'cpu' (default), 'auto', 'cuda' or 'cuda:N'. */
  device?: DeviceSpec;
  log?(line: string): void;
  onStep?(p: { step: number; total: number; values: Record<string, number> }): void;
}

/** Trains a SISA model from the pretrained encoder into `out` (a new SISA folder). */
export function trainSisa(options: TrainSisaOptions): SisaOutcome {
  const assignment = assignShards(options.train.map((e) => e.id), options.shards, options.slices, options.seed);
  const manifest: Omit<SisaManifest, 'stages'> = {
    format: SISA_FORMAT, version: 1, shards: options.shards, slices: options.slices, seed: options.seed,
    base_model: options.base, base_hash: modelHash(options.base), labels: [...options.labels],
    ...(options.task === 'token-classification' ? { task: options.task } : {}), hyperparameters: { ...options.settings },
    validation_hash: idSetHash(options.validation.map((e) => e.id)),
    ...(options.splitSeed !== undefined ? { split_seed: options.splitSeed } : {}),
    assignment, assignment_hash: assignmentHash(assignment), forgotten: [],
  };
  return runSisaPlan({
    out: options.out, manifest, base: options.base, examples: new Map(options.train.map((e) => [e.id, e])), validation: options.validation,
    from: assignment.map(() => 0), resume: Boolean(options.resume), device: resolveDevice(options.device ?? 'cpu'), log: options.log ?? (() => undefined), onStep: options.onStep,
  });
}

export interface SisaUnlearnDetails {
  shards_total: number;
  shards_retrained: number;
  shards_untouched: number;
  /** Training stages run (one stage = one slice prefix of one shard). */
  slices_retrained: number;
  /** Per shard: first slice holding a forget id (null: untouched). */
  first_affected_slice: (number | null)[];
  per_shard: { shard: number; first_affected_slice: number | null; forget_ids: number; stages_trained: number; stages_resumed: number; steps: number }[];
  /** Forget ids the SISA model never trained on (e.g. already forgotten). */
  forget_not_in_model: number;
}

/** Unlearning: a new SISA folder in ctx.out where only the affected shards were retrained. */
export function unlearnSisa(ctx: RunContext): RunResult & { details: SisaUnlearnDetails } {
  const source = readSisaManifest(ctx.modelDir);
  if (source.labels.length !== ctx.labels.length || source.labels.some((l, i) => l !== ctx.labels[i])) {
    throw new Error(`${ctx.modelDir}: the SISA model's labels [${source.labels.join(', ')}] differ from the dataset's [${ctx.labels.join(', ')}]`);
  }
  const tagged = [...ctx.retain, ...ctx.forget].some((e) => e.tokens !== undefined);
  if (tagged !== (sisaTask(source) === 'token-classification')) {
    throw new Error(`${ctx.modelDir}: a SISA model of ${sisaTask(source)} shards cannot be unlearned on a ${tagged ? 'tagged' : 'text'} dataset`);
  }
  const validationHash = idSetHash(ctx.validation.map((e) => e.id));
  if (validationHash !== source.validation_hash) {
    const hint = source.split_seed !== undefined ? ` (it was trained with --split-seed ${source.split_seed})` : '';
    throw new Error(`${ctx.modelDir}: this validation split differs from the one the SISA model's stages early-stopped on${hint}; retrained shards would not match training without the forget set`);
  }
  const forget = new Set(ctx.forget.map((e) => e.id));
  const first = firstAffectedSlices(source.assignment, forget);
  const inModel = new Set(source.assignment.flat(2));
  const removed = [...forget].filter((id) => inModel.has(id));
  const assignment = removeIds(source.assignment, forget);
  const retrained = first.flatMap((f, k) => (f === undefined ? [] : [k]));
  const base = ctx.baseModel ?? source.base_model;
  ctx.log(`SISA: forget ids in ${retrained.length} of ${source.shards} shards (${removed.length} of ${forget.size} ids are in the model); retraining shards [${retrained.join(', ')}]`);
  const { stages: _stages, ...kept } = source;
  const manifest: Omit<SisaManifest, 'stages'> = {
    ...kept, base_model: base, assignment, assignment_hash: assignmentHash(assignment),
    forgotten: [...source.forgotten, { hash: idSetHash(forget), count: removed.length, shards_retrained: retrained }],
  };
  const examples = new Map<string, Example>([...ctx.retain, ...ctx.forget].map((e) => [e.id, e]));
  const outcome = runSisaPlan({
    out: ctx.out, manifest, base, examples, validation: ctx.validation, from: first.map((f) => f ?? source.slices),
    source: { dir: ctx.modelDir, manifest: source }, resume: ctx.resume, device: ctx.device, log: ctx.log, onStep: ctx.onStep,
  });
  const perShard = outcome.shards.map((s) => ({
    shard: s.shard, first_affected_slice: s.from, forget_ids: source.assignment[s.shard]!.flat().filter((id) => forget.has(id)).length,
    stages_trained: s.stagesTrained, stages_resumed: s.stagesResumed, steps: s.steps,
  }));
  const details: SisaUnlearnDetails = {
    shards_total: source.shards, shards_retrained: retrained.length, shards_untouched: source.shards - retrained.length,
    slices_retrained: perShard.reduce((sum, s) => sum + s.stages_trained + s.stages_resumed, 0),
    first_affected_slice: first.map((f) => f ?? null), per_shard: perShard, forget_not_in_model: forget.size - removed.length,
  };
  return { steps: outcome.steps, losses: outcome.losses, details: { ...details } };
}

export const sisa: CustomMethod = {
  kind: 'custom',
  name: 'sisa',
  description: 'exact: retrain only the SISA shards holding forget ids, from the checkpoint before the first affected slice (needs a model from deepcut finetune --sisa-shards)',
  hyperparameters: {},
  run: (ctx) => unlearnSisa(ctx),
};

registerMethod(sisa);
