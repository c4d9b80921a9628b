// Matching a checkpoint's tensors to a model the way Hugging Face's
// from_pretrained does: the encoder must be complete; a pooler or task head the
// checkpoint lacks starts freshly initialised; other architectures' heads are
// left unused; tied duplicates and position_ids buffers are skipped. Every
// real mismatch (missing, unexpected, mis-shaped) is reported in one error.
import type { Tensor } from '../engine/tensor';
import { StateDictError } from '../nn/module';
import { initWeights } from './init';
import type { PretrainedModel } from './types';

export interface CheckpointReport {
  /** Parts absent from the checkpoint and initialised HF-style (e.g. 'pooler', 'classification head'). */
  newlyInitializedParts: string[];
  /** Their tensor names. */
  newlyInitialized: string[];
  /** Checkpoint tensors of other architectures' parts (e.g. cls.seq_relationship.*), not loaded. */
  unused: string[];
  /** Checkpoint tensors skipped by design: tied duplicates and position_ids buffers. */
  ignored: string[];
  /** Legacy names rewritten before matching (LayerNorm gamma/beta, missing base-model prefix). */
  renamed: number;
}

const POSITION_IDS_BUFFER = /(^|\.)embeddings\.position_ids$/;

/** Old TF-converted checkpoints say LayerNorm.gamma/beta; a bare base model has no 'bert.' prefix. */
function normaliseNames(tensors: ReadonlyMap<string, Tensor>, basePrefix: string): { state: Map<string, Tensor>; renamed: number } {
  const names = [...tensors.keys()];
  const bare = !names.some((n) => n.startsWith(`${basePrefix}.`)) && names.some((n) => n.startsWith('embeddings.'));
  const state = new Map<string, Tensor>();
  let renamed = 0;
  for (const [name, t] of tensors) {
    let key = name.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    if (bare) key = `${basePrefix}.${key}`;
    if (key !== name) renamed++;
    state.set(key, t);
  }
  return { state, renamed };
}

/**
 * Copies `tensors` into `model`. `sourceArchitecture` is the checkpoint's config
 * `architectures[0]`: when it equals the model's, stray head tensors are errors
 * rather than "unused". Throws StateDictError listing every problem; `file` names the source.
 */
export function loadCheckpoint(
  model: PretrainedModel,
  tensors: ReadonlyMap<string, Tensor>,
  file: string,
  sourceArchitecture?: string,
): CheckpointReport {
  const { state, renamed } = normaliseNames(tensors, model.basePrefix);
  const own = model.stateDict();
  const parts = model.optionalParts();
  const partOf = (key: string) => parts.find((p) => p.prefixes.some((prefix) => key.startsWith(prefix)));
  const problems: string[] = [];
  const report: CheckpointReport = { newlyInitializedParts: [], newlyInitialized: [], unused: [], ignored: [], renamed };

  // Own tensors: the core must be complete; each optional part all-or-nothing.
  for (const part of parts) {
    const keys = [...own.keys()].filter((k) => partOf(k) === part);
    const present = keys.filter((k) => state.has(k));
    if (present.length === 0) {
      report.newlyInitializedParts.push(part.name);
      report.newlyInitialized.push(...keys);
    }
  }
  for (const key of own.keys()) {
    if (!state.has(key) && !report.newlyInitialized.includes(key)) problems.push(`${key}: missing from checkpoint`);
  }

  // Checkpoint tensors the model has no place for.
  const hasPooler = [...own.keys()].some((k) => k.startsWith(`${model.basePrefix}.pooler.`));
  const sameArchitecture = sourceArchitecture === model.architecture;
  const tied = new Set(model.tiedKeys());
  for (const key of state.keys()) {
    if (own.has(key)) continue;
    if (tied.has(key) || POSITION_IDS_BUFFER.test(key)) report.ignored.push(key);
    else if (key.startsWith(`${model.basePrefix}.pooler.`) && !hasPooler) report.unused.push(key);
    else if (key.startsWith(`${model.basePrefix}.`) || sameArchitecture) problems.push(`${key}: unexpected (not in ${model.architecture})`);
    else report.unused.push(key);
  }

  for (const [key, target] of own) {
    const source = state.get(key);
    if (source && source.shape.join(',') !== target.shape.join(',')) {
      problems.push(`${key}: shape [${source.shape.join(', ')}] in checkpoint, [${target.shape.join(', ')}] in model`);
    }
  }
  if (problems.length > 0) throw new StateDictError(problems, `loading ${file} into ${model.architecture}`);

  const loadable = new Map([...state].filter(([k]) => own.has(k)));
  model.loadStateDict(loadable, { strict: false, context: `loading ${file}` });
  for (const part of parts) {
    if (report.newlyInitializedParts.includes(part.name)) for (const m of part.modules) initWeights(m, model.config.initializerRange);
  }
  return report;
}
