// One unlearning run end to end, as the CLI, the experiment runner and the demo use it: load the
// model (never modifying its folder), run the method, write the unlearned model, forget.json and
// unlearn.json into `out`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, Example, ForgetSet } from '../data';
import { splitOf, retainSplit, writeForgetSet } from '../data';
import { loadPretrained, savePretrained } from '../model';
import { writeFileAtomic } from '../io/atomic';
// From the index, which registers every built-in method.
import { getMethod, resolveHyperparameters, runLossMethod, type LossPoint } from '.';
import type { StopCheck, StopRule } from './stopping';
import type { Classifier } from './types';
import { isSisaDir } from './sisa/layout';
import { recordedRecipe } from './recipe';

export const UNLEARN_RECORD = 'unlearn.json';
const CHECKPOINT_DIR = 'checkpoint';

export interface UnlearnRequest {
  modelDir: string;
  dataset: Dataset;
  forget: ForgetSet;
  method: string;
  out: string;
  seed?: number;
  /** Hyper-parameter overrides (name → value). */
  hp?: Readonly<Record<string, number>>;
  stop?: StopRule;
  /** Tokens per text; default: the model's train.json, else 128. */
  maxLength?: number;
  baseModel?: string;
  resume?: boolean;
  log?(line: string): void;
  onStep?(p: { step: number; total: number; values: Record<string, number> }): void;
  onCheck?(check: StopCheck): void;
}

export interface UnlearnRecord {
  method: string;
  model: string;
  dataset: string;
  forget: { spec: string; count: number; hash: string };
  retain_count: number;
  seed: number;
  hyperparameters: Record<string, number>;
  stop: StopRule;
  max_length: number;
  steps: number;
  stopped_by?: 'rule' | 'budget';
  resumed_from?: number;
  checks?: StopCheck[];
  losses: LossPoint[];
  details?: Record<string, unknown>;
  wall_seconds: number;
}

/** Whether `out` may be written: absent, empty, or (with resume) holding only an interrupted run. */
export function checkOutput(out: string, modelDir: string, options: { resume?: boolean; overwrite?: boolean }): void {
  if (path.resolve(out) === path.resolve(modelDir)) throw new Error('--out must differ from --model (the input model is never modified)');
  if (!fs.existsSync(out) || fs.readdirSync(out).length === 0 || options.overwrite) return;
  if (options.resume) {
    if (fs.existsSync(path.join(out, UNLEARN_RECORD))) throw new Error(`${out} holds a finished run (unlearn.json); nothing to resume`);
    return;
  }
  throw new Error(`--out ${out} exists and is not empty (pass --overwrite to replace it, or --resume to continue an interrupted run)`);
}

function sameLabels(model: readonly string[], data: readonly string[]): boolean {
  return model.length === data.length && model.every((l, i) => l === data[i]);
}

export async function unlearn(req: UnlearnRequest): Promise<UnlearnRecord> {
  const started = Date.now();
  const method = getMethod(req.method);
  if (method.name !== 'sisa' && isSisaDir(req.modelDir)) {
    throw new Error(`${req.modelDir} is a SISA ensemble (sisa.json): unlearn it with --method sisa, or give ${method.name} a single fine-tuned model`);
  }
  const hp = resolveHyperparameters(method, req.hp);
  const seed = req.seed ?? 0;
  const stop = req.stop ?? 'accuracy';
  const log = req.log ?? (() => undefined);
  const maxLength = req.maxLength ?? recordedRecipe(req.modelDir).maxLength ?? 128;
  const forgetIds = new Set(req.forget.ids);
  const forget: Example[] = splitOf(req.dataset, 'train').filter((e) => forgetIds.has(e.id));
  const retain = retainSplit(req.dataset, req.forget);
  const validation = splitOf(req.dataset, 'validation');
  fs.mkdirSync(req.out, { recursive: true });

  let base: Omit<UnlearnRecord, 'wall_seconds' | 'model' | 'dataset' | 'forget' | 'retain_count' | 'seed' | 'hyperparameters' | 'stop' | 'max_length' | 'method'>;
  if (method.kind === 'loss') {
    const load = () => {
      const { model, tokenizer } = loadPretrained(req.modelDir);
      if (!tokenizer) throw new Error(`${req.modelDir} has no tokenizer.json`);
      const classifier = model as Classifier;
      if (!sameLabels(classifier.config.labels, req.dataset.labels)) {
        classifier.dispose();
        throw new Error(`${req.modelDir}: the model's labels [${classifier.config.labels.join(', ')}] differ from dataset ${req.dataset.name}'s [${req.dataset.labels.join(', ')}]`);
      }
      return { classifier, tokenizer };
    };
    const { classifier, tokenizer } = load();
    try {
      const loadOriginal = () => {
        const copy = load().classifier;
        for (const p of copy.parameters()) p.requiresGrad_(false);
        return copy;
      };
      const result = runLossMethod(method, classifier, tokenizer, { forget, retain, validation }, {
        hp, seed, stop, maxLength, forgetHash: req.forget.hash, checkpointDir: path.join(req.out, CHECKPOINT_DIR),
        resume: req.resume, loadOriginal, onStep: req.onStep, onCheck: req.onCheck,
      });
      if (result.resumedFrom !== undefined) log(`resumed from step ${result.resumedFrom}`);
      savePretrained(classifier, req.out, { tokenizerDir: req.modelDir, overwrite: true });
      base = { steps: result.steps, stopped_by: result.stoppedBy, checks: result.checks, losses: result.losses, ...(result.resumedFrom !== undefined ? { resumed_from: result.resumedFrom } : {}) };
    } finally {
      classifier.dispose();
    }
  } else {
    const result = await method.run({
      modelDir: req.modelDir, out: req.out, forget, retain, validation, labels: req.dataset.labels, hp, seed,
      resume: Boolean(req.resume), baseModel: req.baseModel, log, onStep: req.onStep,
    });
    base = { steps: result.steps, losses: result.losses, ...(result.details ? { details: result.details } : {}) };
  }
  writeForgetSet(req.out, req.forget);
  const out: UnlearnRecord = {
    method: method.name, model: path.resolve(req.modelDir), dataset: req.dataset.name,
    forget: { spec: req.forget.spec, count: req.forget.ids.length, hash: req.forget.hash }, retain_count: retain.length,
    seed, hyperparameters: { ...hp }, stop, max_length: maxLength, ...base, wall_seconds: (Date.now() - started) / 1000,
  };
  writeFileAtomic(path.join(req.out, UNLEARN_RECORD), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}
