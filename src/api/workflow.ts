// The library's few-line workflow: fine-tune (the original, or the retrained gold standard),
// unlearn (src/methods/unlearn.ts's `unlearn`, re-exported as is), evaluate against the
// reference and write the report. Each step takes and writes Hugging Face model folders, the
// same ones the CLI reads and writes, so library and CLI runs mix freely.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SEED, resolveForgetSet, splitOf, type Dataset, type ForgetSet } from '../data';
import {
  DEFAULT_RETAIN_SAMPLE, evaluateModel, latentProjection, type EvaluationResult,
} from '../eval/evaluate';
import { loadScorable, type LoadedScorable } from '../eval/scorable';
import { writeFileAtomic } from '../io/atomic';
import { idSetHash } from '../data/hash';
import { samplesJsonl, SAMPLES_FILE } from '../eval/samples';
import { snakeKeys } from '../provenance/casing';
import { provenance } from '../provenance/info';
import { forgottenIds, readLineage } from '../provenance/lineage';
import { recordedRecipe } from '../methods/recipe';
import { DEFAULT_ENCODER } from '../model/default-encoder';
import { evaluationReportInput, writeReport } from '../report';
import { FINETUNE_DEFAULTS, type FinetuneOptions } from '../train/finetune';
import { finetuneToFolder, type FinetuneRecord, type FinetuneSettings } from '../train/run';
import { resolveDevice, type Device, type DeviceSpec } from '../engine/device';
import { trainReferences, type ReferencesManifest } from '../methods/target';

/** A forget set, or a forget spec (`user:NAME`, `largest-user`, `random:0.01`, `ids:FILE`, ...). */
export type ForgetInput = ForgetSet | string;

function forgetSetOf(data: Dataset, forget: ForgetInput, splitSeed: number): ForgetSet {
  return typeof forget === 'string' ? resolveForgetSet(data, forget, { seed: splitSeed }) : forget;
}

export interface FinetuneModelOptions {
  data: Dataset;
  /** Output folder: a Hugging Face model plus train.json (replaced if it exists). */
  out: string;
  /** Encoder folder to start from (default: the package's default encoder). */
  base?: string;
  /** Leave these train records out: the retrained gold standard for unlearning them. */
  forget?: ForgetInput;
  /** Overrides of FINETUNE_DEFAULTS (epochs 3, batch 16, lr 1e-4, max length 128, patience 1, seed 0, ...). */
  settings?: Partial<FinetuneSettings>;
  /** The seed `data` was split with (default 42, loadDataset's); recorded for later evaluation. */
  splitSeed?: number;
  /** Continue an interrupted run from out/checkpoint. */
  resume?: boolean;
  /** Where to train: 'auto' (default: a GPU when libtorch sees one), 'cpu', 'cuda' or 'cuda:N'; recorded in train.json's provenance. */
  device?: DeviceSpec;
  onStep?: FinetuneOptions['onStep'];
}

/** Fine-tunes an encoder on `data`'s train split (minus `forget`), early stopping on validation. */
export function finetuneModel(options: FinetuneModelOptions): FinetuneRecord {
  const splitSeed = options.splitSeed ?? DEFAULT_SEED;
  const { checkpointDir: _c, resume: _r, onStep: _o, ...defaults } = FINETUNE_DEFAULTS;
  return finetuneToFolder({
    base: options.base ?? DEFAULT_ENCODER,
    dataset: options.data,
    forget: options.forget === undefined ? undefined : forgetSetOf(options.data, options.forget, splitSeed),
    out: path.resolve(options.out),
    settings: { ...defaults, ...options.settings },
    splitSeed,
    resume: options.resume,
    device: options.device ?? 'auto',
    onStep: options.onStep,
  });
}

export interface EvaluateUnlearningOptions {
  /** The model folder to measure (fine-tuned, unlearned, or SISA). */
  model: string;
  /** The reference, normally retrained without the forget set: adds reference.* and gap.*. */
  reference?: string;
  data: Dataset;
  forget: ForgetInput;
  /** When given: writes OUT/metrics.json and OUT/report.html. */
  out?: string;
  /** Retain examples scored, a seeded sample (default 1000; 0 = all). */
  retainSample?: number;
  /** Tokens per text (default: the model's train.json, else 128). */
  maxLength?: number;
  /** Examples per forward pass (default 32). */
  batchSize?: number;
  /** Seed of the retain sample and the MIA folds (default 0). */
  seed?: number;
  /** Split seed for a forget spec with random: (default: the model's train.json, else 42). */
  splitSeed?: number;
  /** Where to score: 'auto' (default: a GPU when libtorch sees one), 'cpu', 'cuda' or 'cuda:N'; recorded in metrics.json's provenance. */
  device?: DeviceSpec;
  onProgress?: (which: 'model' | 'reference', done: number, total: number) => void;
}

export interface UnlearningEvaluation extends EvaluationResult {
  /** metrics.json, report.html and samples.jsonl (per-sample output), when `out` was given. */
  files?: { metrics: string; report: string; samples: string };
}

function loadFor(dir: string, data: Dataset, device: Device): LoadedScorable {
  const loaded = loadScorable(dir, { device });
  const labels = loaded.scorable.labels;
  if (labels.length !== data.labels.length || labels.some((l, i) => l !== data.labels[i])) {
    loaded.scorable.dispose();
    throw new Error(`${dir}: the model's labels [${labels.join(', ')}] (config.json id2label) do not match dataset ${data.name}'s [${data.labels.join(', ')}]`);
  }
  return loaded;
}

/**
 * Measures how well `model` forgot `forget`: accuracy and macro-F1 on forget/retain/test,
 * membership inference (forget vs test), latent geometry and, with a reference, the gaps to it
 * (README: "What the metrics mean"). Optionally writes metrics.json and report.html.
 */
export function evaluateUnlearning(options: EvaluateUnlearningOptions): UnlearningEvaluation {
  const recipe = recordedRecipe(path.resolve(options.model));
  const splitSeed = options.splitSeed ?? recipe.splitSeed ?? DEFAULT_SEED;
  const forgetSet = forgetSetOf(options.data, options.forget, splitSeed);
  const ids = new Set(forgetSet.ids);
  const forget = splitOf(options.data, 'train').filter((e) => ids.has(e.id));
  // A later generation: what its lineage forgot before stays out of the retain set too.
  const lineage = readLineage(path.resolve(options.model));
  const union = new Set([...forgottenIds(lineage), ...ids]);
  const earlier = [...union].filter((id) => !ids.has(id));
  const retain = splitOf(options.data, 'train').filter((e) => !union.has(e.id));
  const evalOptions = {
    maxLength: options.maxLength ?? recipe.maxLength ?? FINETUNE_DEFAULTS.maxLength,
    batchSize: options.batchSize ?? 32,
    retainSample: options.retainSample ?? DEFAULT_RETAIN_SAMPLE,
    seed: options.seed ?? 0,
  };
  const device = resolveDevice(options.device ?? 'auto');
  const model = loadFor(options.model, options.data, device);
  let reference: LoadedScorable | undefined;
  try {
    reference = options.reference !== undefined ? loadFor(options.reference, options.data, device) : undefined;
    const result = evaluateModel({
      scorable: model.scorable, ...(reference ? { reference: reference.scorable, referenceHash: reference.hash } : {}),
      forget, retain, test: splitOf(options.data, 'test'),
      options: evalOptions, modelHash: model.hash, onProgress: options.onProgress,
    });
    if (options.out === undefined) return result;
    const out = path.resolve(options.out);
    fs.mkdirSync(out, { recursive: true });
    const files = { metrics: path.join(out, 'metrics.json'), report: path.join(out, 'report.html'), samples: path.join(out, SAMPLES_FILE) };
    const metrics = {
      ...result.metrics, forget: { ...result.metrics.forget, spec: forgetSet.spec, previously_forgotten: { count: earlier.length, hash: idSetHash(earlier) } },
      data: { name: options.data.name, split_seed: splitSeed }, settings: snakeKeys(evalOptions), provenance: provenance({ device }),
    };
    writeFileAtomic(files.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
    writeFileAtomic(files.samples, samplesJsonl(result.sets, result.model, options.data.labels, result.reference));
    const name = path.basename(model.dir);
    const referenceName = reference && path.basename(reference.dir) !== name ? path.basename(reference.dir) : `${name} (reference)`;
    writeReport(files.report, evaluationReportInput({
      title: `deepcut eval: ${name}`,
      dataset: options.data.name,
      forget: { spec: forgetSet.spec, count: forget.length, hash: forgetSet.hash },
      labels: options.data.labels,
      model: { name, metrics: result.metrics, latent: latentProjection(result.model.scores, { seed: evalOptions.seed }) },
      ...(result.reference ? { reference: { name: referenceName, metrics: result.reference.metrics, latent: latentProjection(result.reference.scores, { seed: evalOptions.seed }) } } : {}),
    }));
    return { ...result, files };
  } finally {
    model.scorable.dispose();
    reference?.scorable.dispose();
  }
}

export interface TrainReferencesOptions {
  /** The original fine-tuned model folder (its recipe is repeated). */
  model: string;
  data: Dataset;
  /** Output folder: references.json and ref-0 ... ref-(k-1). */
  out: string;
  /** Partitions = reference models (default 4); each data subject is unseen by k−1 of them. */
  k?: number;
  /** The seed `data` was split with (default: the model's recipe, else 42). */
  splitSeed?: number;
  seed?: number;
  resume?: boolean;
  /** Where to train (default 'auto': the first GPU libtorch sees, else the CPU). */
  device?: DeviceSpec;
}

/** `deepcut references`: the reference models `unlearn({ stop: 'references', references: out })` reads. */
export function trainReferenceModels(options: TrainReferencesOptions): ReferencesManifest {
  const splitSeed = options.splitSeed ?? recordedRecipe(path.resolve(options.model)).splitSeed ?? DEFAULT_SEED;
  return trainReferences({
    model: options.model, dataset: options.data, splitSeed, k: options.k ?? 4, out: path.resolve(options.out), seed: options.seed, resume: options.resume, device: options.device ?? 'auto',
  });
}
