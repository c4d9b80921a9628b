// A SISA model folder on disk (Bourtoule et al., "Machine Unlearning", IEEE S&P 2021):
//
//   sisa.json                                   marker + everything needed to retrain a shard exactly
//   shard-K/                                    Hugging Face folder of shard K's final model
//   checkpoints/shard-K/slice-J.safetensors     weights after training stage J (J < slices - 1)
//
// The final stage's checkpoint is shard-K/model.safetensors itself, so it is not stored twice.
// The assignment of train ids to shards and slices is stored explicitly (not only as a seeded
// rule): after an unlearning request it is no longer what the rule gives, and later requests
// must retrain on exactly the ids that are left.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { ClassifierTask } from '../../model';
import { readJsonFile } from '../../io/json-file';
import { finetuneSettingsSchema } from '../../train/record';
import { writeFileAtomic } from '../../io/atomic';
import { snakeKeys } from '../../provenance/casing';
import { relativePath, resolveRecorded } from '../../provenance/info';
import { mulberry32, permutation } from '../../util/prng';

export const SISA_FILE = 'sisa.json';
/** Written when a SISA training or unlearning run starts, removed when it finishes (see train.ts). */
export const SISA_PROGRESS_FILE = 'sisa-progress.json';
export const SISA_FORMAT = 'deepcut-sisa';

/** assignment[shard][slice] = the train ids of that slice, in training order. */
export type Assignment = string[][][];

const settingsSchema = finetuneSettingsSchema;

/** Fine-tuning settings of every stage (each stage is one `finetune()` call with these). */
export type SisaSettings = z.infer<typeof settingsSchema>;

const stageSchema = z.object({ examples: z.number().int().nonnegative(), steps: z.number().int().nonnegative(), best_epoch: z.number().int().nonnegative() });
export type StageRecord = z.infer<typeof stageSchema>;

const manifestSchema = z.object({
  format: z.literal(SISA_FORMAT),
  version: z.literal(1),
  shards: z.number().int().positive(),
  slices: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  base_model: z.string(),
  /** sha256 of the base encoder's config.json + model.safetensors: retraining from slice 0 must start from the same weights. */
  base_hash: z.string(),
  labels: z.array(z.string()).min(1),
  /** What every shard is: a text classifier (absent in older folders) or a tagger voting word by word. */
  task: z.enum(['sequence-classification', 'token-classification']).optional(),
  hyperparameters: settingsSchema,
  /** idSetHash of the validation ids early stopping used; a retrained stage must see the same ones. */
  validation_hash: z.string(),
  split_seed: z.number().int().optional(),
  assignment: z.array(z.array(z.array(z.string()))),
  assignment_hash: z.string(),
  /** stages[shard][slice]: what the stage that produced the current weights trained on. */
  stages: z.array(z.array(stageSchema)),
  /** Unlearning requests applied so far, oldest first. */
  forgotten: z.array(z.object({ hash: z.string(), count: z.number().int().nonnegative(), shards_retrained: z.array(z.number().int()) })),
});

export type SisaManifest = z.infer<typeof manifestSchema>;

/** The shards' task (folders written before taggers had SISA hold text classifiers). */
export function sisaTask(manifest: Pick<SisaManifest, 'task'>): ClassifierTask {
  return manifest.task ?? 'sequence-classification';
}

export function shardDirName(shard: number): string {
  return `shard-${shard}`;
}

export function shardDir(root: string, shard: number): string {
  return path.join(root, shardDirName(shard));
}

/** Weights after stage `slice` of `shard` (only for slice < slices - 1; the last stage is the shard folder). */
export function checkpointFile(root: string, shard: number, slice: number): string {
  return path.join(root, 'checkpoints', shardDirName(shard), `slice-${slice}.safetensors`);
}

export function isSisaDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, SISA_FILE));
}

/** sha256 over the assignment's structure and ids (changes whenever any id moves or goes). */
export function assignmentHash(assignment: Assignment): string {
  return createHash('sha256').update(JSON.stringify(assignment)).digest('hex');
}

/**
 * The seeded rule: sort the ids (so the input order does not matter), shuffle them with the
 * project's PRNG, cut the shuffled list into `shards` near-equal contiguous shards and each
 * shard into `slices` near-equal contiguous slices. Every id lands in exactly one slice.
 */
export function assignShards(ids: readonly string[], shards: number, slices: number, seed: number): Assignment {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`SISA needs a positive whole number of shards, got ${shards}`);
  if (!Number.isInteger(slices) || slices < 1) throw new RangeError(`SISA needs a positive whole number of slices, got ${slices}`);
  const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length !== ids.length) throw new Error(`SISA assignment: ${ids.length - sorted.length} duplicate train ids`);
  if (sorted.length < shards * slices) {
    throw new Error(`SISA with ${shards} shards x ${slices} slices needs at least ${shards * slices} train examples (one per slice), got ${sorted.length}`);
  }
  const order = permutation(sorted.length, mulberry32(seed));
  const shuffled = order.map((i) => sorted[i]!);
  return cut(shuffled, shards).map((shard) => cut(shard, slices));
}

/** `items` in `parts` contiguous pieces whose sizes differ by at most one (larger ones first). */
function cut<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(items.length / parts) + (p < items.length % parts ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/** The first slice of each shard holding a forget id (undefined: the shard is untouched). */
export function firstAffectedSlices(assignment: Assignment, forget: ReadonlySet<string>): (number | undefined)[] {
  return assignment.map((slices) => {
    const j = slices.findIndex((ids) => ids.some((id) => forget.has(id)));
    return j < 0 ? undefined : j;
  });
}

/** The assignment without the forget ids (shard and slice structure kept, slices may become empty). */
export function removeIds(assignment: Assignment, forget: ReadonlySet<string>): Assignment {
  return assignment.map((slices) => slices.map((ids) => ids.filter((id) => !forget.has(id))));
}

/** Ids of slices 0..slice of one shard: what training stage `slice` fits. */
export function stageIds(assignment: Assignment, shard: number, slice: number): string[] {
  return assignment[shard]!.slice(0, slice + 1).flat();
}

/** sha256 of a folder's config.json and model.safetensors (what a base encoder's weights are). */
export function modelHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of ['config.json', 'model.safetensors']) {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) throw new Error(`${dir}: no ${file} (a SISA base model must be a Hugging Face folder with model.safetensors)`);
    hash.update(file).update('\u0000').update(fs.readFileSync(full)).update('\u0001');
  }
  return hash.digest('hex');
}

export function readSisaManifest(dir: string): SisaManifest {
  const file = path.join(dir, SISA_FILE);
  if (!fs.existsSync(file)) throw new Error(`${dir}: no ${SISA_FILE} (not a SISA model folder; make one with deepcut finetune --sisa-shards N --slices M)`);
  const m = readJsonFile(file, manifestSchema);
  // Relative to the folder since lineage records; absolute in older ones (resolve keeps those).
  m.base_model = resolveRecorded(dir, m.base_model);
  const shape = m.assignment.length === m.shards && m.assignment.every((s) => s.length === m.slices)
    && m.stages.length === m.shards && m.stages.every((s) => s.length === m.slices);
  if (!shape) throw new Error(`${file}: assignment/stages do not have ${m.shards} shards x ${m.slices} slices`);
  if (assignmentHash(m.assignment) !== m.assignment_hash) throw new Error(`${file}: assignment_hash does not match the assignment (edited by hand?)`);
  for (let k = 0; k < m.shards; k++) {
    if (!fs.existsSync(path.join(shardDir(dir, k), 'config.json'))) throw new Error(`${dir}: ${shardDirName(k)}/config.json is missing`);
  }
  return m;
}

/**
 * Writes sisa.json: the base model's path relative to the folder (readSisaManifest resolves it
 * back), hyper-parameters in snake_case like every JSON record.
 */
export function writeSisaManifest(dir: string, manifest: SisaManifest): void {
  const written = { ...manifest, base_model: relativePath(dir, manifest.base_model), hyperparameters: snakeKeys(manifest.hyperparameters) };
  writeFileAtomic(path.join(dir, SISA_FILE), `${JSON.stringify(written, null, 1)}\n`);
}

/** The files that define a SISA model, relative to its folder, in a fixed order (for hashing). */
export function sisaModelFiles(dir: string, manifest: SisaManifest): string[] {
  const files = [SISA_FILE];
  for (let k = 0; k < manifest.shards; k++) {
    const name = shardDirName(k);
    files.push(`${name}/config.json`, `${name}/model.safetensors`);
    if (fs.existsSync(path.join(dir, name, 'tokenizer.json'))) files.push(`${name}/tokenizer.json`);
  }
  return files;
}
