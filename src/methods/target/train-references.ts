// `deepcut references`: K small fine-tunes on subject-disjoint partitions of the train split,
// each with the original's recipe (lineage.json / train.json), so that for any data subject K−1
// of them never saw it. Together they cost about one fine-tune (each sees 1/K of the data for
// the same epochs). Resumable: finished references are skipped, an interrupted one continues
// from its last epoch checkpoint. Each finished reference then keeps its validation outcomes (its
// fine-tune's validation-scores.json) in references.json and scores, once, the train records it
// never saw, so that a request's target runs no reference model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetHash, idSetHash, splitOf, type Dataset, type ForgetSet } from '../../data';
import { finetuneToFolder, type FinetuneSettings } from '../../train/run';
import type { DeviceSpec } from '../../engine/device';
import { TRAIN_RECORD } from '../../train/record';
import { hashModel } from '../../provenance/hash';
import { relativePath } from '../../provenance/info';
import { snakeKeys } from '../../provenance/casing';
import { recordedRecipe } from '../recipe';
import { partitionBySubject } from './partition';
import { heldoutScores, withReference } from './references';
import { ScoredSample } from '../scored-sample';
import type { Example } from '../../data';
import { readUnseenScores, unseenScoresFile, writeUnseenScores } from './unseen-scores';
import { keptValidationScores } from './validation-scores';
import { REFERENCES_FILE, REFERENCES_FORMAT, readReferencesManifest, writeReferencesManifest, type ReferencesManifest } from './manifest';

export interface ReferencesJob {
  /** The original fine-tuned model: its recipe is repeated, its hash recorded. */
  model: string;
  dataset: Dataset;
  splitSeed: number;
  k: number;
  out: string;
  /** Training seed of every reference (default 0). */
  seed?: number;
  /** The encoder to start from (default: the original's recorded base model). */
  base?: string;
  resume?: boolean;
  /** Where the references train (default 'cpu'). */
  device?: DeviceSpec;
  log?(line: string): void;
  onStep?(p: { reference: number; step: number; totalSteps: number; loss: number }): void;
}

/** Fields a resumed run must share with the plan on disk. */
function planKey(m: ReferencesManifest): string {
  return JSON.stringify({ data_hash: m.data_hash, k: m.k, seed: m.seed, original: m.original.model_hash, recipe: m.recipe, ids: m.partitions.map((p) => p.ids_hash) });
}

export function trainReferences(job: ReferencesJob): ReferencesManifest {
  const log = job.log ?? (() => undefined);
  const recipe = recordedRecipe(job.model);
  const base = job.base ?? recipe.baseModel;
  if (!recipe.settings || !base) {
    throw new Error(`${job.model} records no fine-tune recipe (no lineage.json or train.json from 'deepcut finetune'), so references cannot repeat its training`);
  }
  const train = splitOf(job.dataset, 'train');
  const partitions = partitionBySubject(train, job.k);
  const seed = job.seed ?? 0;
  const settings: FinetuneSettings = { ...recipe.settings, seed };
  const plan: ReferencesManifest = {
    format: REFERENCES_FORMAT, dataset: job.dataset.name, split_seed: job.splitSeed, data_hash: datasetHash(train), train_examples: train.length,
    labels: [...job.dataset.labels], k: job.k, seed,
    original: { folder: relativePath(job.out, job.model), folder_absolute: path.resolve(job.model), model_hash: hashModel(job.model).manifest_hash },
    recipe: { base_model: path.resolve(base), hyperparameters: snakeKeys(recipe.settings) as Record<string, unknown> },
    partitions: partitions.map((p, index) => ({ index, folder: `ref-${index}`, subjects: p.subjects, ids: p.ids, count: p.ids.length, ids_hash: idSetHash(p.ids) })),
  };
  let manifest = plan;
  if (fs.existsSync(path.join(job.out, REFERENCES_FILE))) {
    if (!job.resume) throw new Error(`${job.out} already holds ${REFERENCES_FILE} (pass --resume to continue it, or choose another --out)`);
    const onDisk = readReferencesManifest(job.out);
    if (planKey(onDisk) !== planKey(plan)) throw new Error(`${path.join(job.out, REFERENCES_FILE)}: planned for another original, data, k, seed or recipe; it cannot be resumed with these (choose another --out)`);
    manifest = onDisk;
  } else if (fs.existsSync(job.out) && fs.readdirSync(job.out).length > 0 && !job.resume) {
    throw new Error(`--out ${job.out} exists and is not empty`);
  }
  fs.mkdirSync(job.out, { recursive: true });
  writeReferencesManifest(job.out, manifest);
  const allIds = new Set(train.map((e) => e.id));
  const validation = splitOf(job.dataset, 'validation');
  const keepHeldout = (p: ReferencesManifest['partitions'][number], dir: string): void => {
    if (validation.length === 0 || p.heldout) return;
    // Its fine-tune kept these outcomes already (validation-scores.json): the same model, rows and window.
    const kept = keptValidationScores(dir, { modelHash: p.model_hash!, maxLength: settings.maxLength, rows: validation });
    p.heldout = kept ?? scoreHeldout(dir, validation, settings.maxLength, job.device);
    writeReferencesManifest(job.out, manifest);
  };
  const keepUnseen = (p: ReferencesManifest['partitions'][number], dir: string): void => {
    const file = unseenScoresFile(job.out, p.folder);
    if (readUnseenScores(file, { modelHash: p.model_hash!, maxLength: settings.maxLength })) return;
    const own = new Set(p.ids);
    const rows = train.filter((e) => !own.has(e.id));
    if (rows.length === 0) return;
    log(`reference ${p.index + 1}/${manifest.k}: scoring the ${rows.length} train records it never saw, once (a request's target is then a lookup)`);
    withReference(dir, job.device ?? 'cpu', (classifier, tokenizer) => {
      const sample = new ScoredSample(rows, tokenizer, settings.maxLength, 'unseen train rows');
      writeUnseenScores(file, rows, sample.score(classifier), sample.layout, { modelHash: p.model_hash!, maxLength: settings.maxLength });
    });
  };
  for (const p of manifest.partitions) {
    const dir = path.join(job.out, p.folder);
    // train.json is written last, so a folder with it holds a finished reference.
    if (fs.existsSync(path.join(dir, TRAIN_RECORD))) {
      if (p.model_hash === undefined) {
        p.model_hash = hashModel(dir).manifest_hash;
        writeReferencesManifest(job.out, manifest);
      }
      if (!p.heldout && validation.length > 0) log(`reference ${p.index + 1}/${manifest.k}: finished; keeping its outcomes on the ${validation.length} validation rows for later requests`);
      else log(`reference ${p.index + 1}/${manifest.k}: finished (${p.count} records), skipped`);
      keepHeldout(p, dir);
      keepUnseen(p, dir);
      continue;
    }
    // Fine-tuning on one partition = leaving every other train record out.
    const own = new Set(p.ids);
    const others = [...allIds].filter((id) => !own.has(id)).sort();
    const leftOut: ForgetSet = { spec: `references:partition-${p.index}-of-${manifest.k}`, ids: others, hash: idSetHash(others), warnings: [] };
    log(`reference ${p.index + 1}/${manifest.k}: ${p.count} records of ${p.subjects.length} subjects (${settings.epochs} epochs, lr ${settings.lr})`);
    const record = finetuneToFolder({
      base, dataset: job.dataset, forget: leftOut, out: dir, settings, splitSeed: job.splitSeed,
      resume: Boolean(job.resume) && fs.existsSync(dir), device: job.device, log,
      onStep: ({ step, totalSteps, loss }) => job.onStep?.({ reference: p.index, step, totalSteps, loss }),
    });
    p.model_hash = record.model_hash; // hashed by the fine-tune, as its ledger records it
    p.test_accuracy = record.test.accuracy;
    p.wall_seconds = record.wall_seconds;
    writeReferencesManifest(job.out, manifest);
    keepHeldout(p, dir);
    keepUnseen(p, dir);
  }
  return manifest;
}

/** A finished reference's scores on the validation split, kept in references.json (each request then scores only its forget rows). */
function scoreHeldout(dir: string, validation: readonly Example[], maxLength: number, device: DeviceSpec | undefined): ReturnType<typeof heldoutScores> {
  return withReference(dir, device ?? 'cpu', (classifier, tokenizer) => {
    const sample = new ScoredSample(validation, tokenizer, maxLength, 'validation rows');
    return heldoutScores(validation, sample.score(classifier), sample.layout, maxLength);
  });
}
