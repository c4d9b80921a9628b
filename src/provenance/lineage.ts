// lineage.json: a model folder's recipe and history. Every folder deepcut writes (fine-tuned,
// retrained, unlearned, SISA) has one: the base encoder and its hash, the data and its hash, split
// seed, max length and fine-tune settings, the records left out at training, and the ordered list
// of every deletion applied since (with the ids, so the union of everything forgotten so far is
// known). Folders from before lineage.json are read through their older records (readLineage).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, Example, ForgetSet } from '../data';
import { idSetHash } from '../data/hash';
import { writeFileAtomic } from '../io/atomic';
import { relativePath, resolveRecorded } from './info';

export const LINEAGE_FILE = 'lineage.json';
export const LINEAGE_FORMAT = 'deepcut-lineage/1';

export interface LineageRecipe {
  /** Base encoder, relative to this folder (base_model_absolute: where it was when recorded). */
  base_model?: string;
  base_model_absolute?: string;
  /** Manifest hash of the base encoder's model files (docs/provenance.md). */
  base_model_hash?: string;
  dataset?: string;
  /** datasetHash of the dataset's whole train split (before anything was left out). */
  data_hash?: string;
  split_seed?: number;
  max_length?: number;
  /** The fine-tune settings of the original (snake_case), which retraining repeats. */
  hyperparameters?: Record<string, unknown>;
  seed?: number;
  random_init?: boolean;
  labels?: string[];
}

export interface IdSet {
  spec: string;
  count: number;
  /** idSetHash of `ids`. */
  hash: string;
  ids: string[];
}

export interface Deletion extends IdSet {
  /** 1 for the first deletion after training. */
  generation: number;
  /** Data subjects (user field) of the deleted records, sorted. */
  subjects: string[];
  method: string;
  time: string;
  input_model_hash?: string;
  output_model_hash?: string;
  /** Ids of this request that earlier deletions had already removed. */
  already_forgotten?: number;
}

export interface Lineage {
  format: typeof LINEAGE_FORMAT;
  kind: 'finetune' | 'sisa' | 'unlearn';
  /** Deletions applied since training (0 for a fine-tuned or retrained-from-scratch original). */
  generation: number;
  recipe: LineageRecipe;
  /** Records left out when the model was trained (`deepcut finetune --forget`), or null. */
  excluded_at_training: IdSet | null;
  deletions: Deletion[];
  /** The union of excluded_at_training and every deletion: what the model must not have learnt. */
  forgotten: { count: number; hash: string };
  /** The folder this one was made from (relative, plus absolute as an extra field), with its manifest hash. */
  parent: { folder: string; folder_absolute: string; model_hash: string } | null;
  /** How this lineage was obtained when parts are unknown (folders from before lineage.json). */
  notes?: string[];
}

/** Every id the lineage says is forgotten (excluded at training ∪ all deletions), sorted. */
export function forgottenIds(lineage: Pick<Lineage, 'excluded_at_training' | 'deletions'>): string[] {
  const all = new Set<string>(lineage.excluded_at_training?.ids ?? []);
  for (const d of lineage.deletions) for (const id of d.ids) all.add(id);
  return [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function forgottenSummary(lineage: Pick<Lineage, 'excluded_at_training' | 'deletions'>): { count: number; hash: string } {
  const ids = forgottenIds(lineage);
  return { count: ids.length, hash: idSetHash(ids) };
}

export function idSetOf(forget: ForgetSet): IdSet {
  return { spec: forget.spec, count: forget.ids.length, hash: forget.hash, ids: [...forget.ids] };
}

/** The data subjects (user field) of the given train ids, sorted. */
export function subjectsOf(examples: readonly Example[], ids: Iterable<string>): string[] {
  const wanted = new Set(ids);
  const users = new Set<string>();
  for (const ex of examples) if (wanted.has(ex.id) && ex.user !== undefined) users.add(ex.user);
  return [...users].sort();
}

/** A recipe's base model path re-expressed relative to another folder. */
export function rebaseRecipe(recipe: LineageRecipe, fromDir: string, toDir: string): LineageRecipe {
  if (recipe.base_model === undefined) return { ...recipe };
  const absolute = resolveRecorded(fromDir, recipe.base_model);
  return { ...recipe, base_model: relativePath(toDir, absolute), base_model_absolute: absolute };
}

export function writeLineage(dir: string, lineage: Lineage): void {
  writeFileAtomic(path.join(dir, LINEAGE_FILE), `${JSON.stringify(lineage, null, 2)}\n`);
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  const value = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

function forgetFileIds(dir: string): IdSet | undefined {
  const f = readJson(path.join(dir, 'forget.json'));
  if (!f || !Array.isArray(f.ids) || typeof f.spec !== 'string') return undefined;
  const ids = (f.ids as unknown[]).filter((x): x is string => typeof x === 'string');
  return { spec: f.spec, count: ids.length, hash: idSetHash(ids), ids };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function recipeFromTrainJson(dir: string, t: Record<string, unknown>): LineageRecipe {
  const h = (t.hyperparameters ?? {}) as Record<string, unknown>;
  const base = typeof t.base_model === 'string' ? resolveRecorded(dir, t.base_model) : undefined;
  const maxLength = num(h.max_length) ?? num(h.maxLength);
  return {
    ...(base !== undefined ? { base_model: relativePath(dir, base), base_model_absolute: base } : {}),
    ...(typeof t.dataset === 'string' ? { dataset: t.dataset } : {}),
    ...(num(t.split_seed) !== undefined ? { split_seed: num(t.split_seed) } : {}),
    ...(maxLength !== undefined ? { max_length: maxLength } : {}),
    hyperparameters: h,
    ...(num(t.seed) !== undefined ? { seed: num(t.seed) } : {}),
    ...(Array.isArray(t.labels) ? { labels: t.labels as string[] } : {}),
  };
}

/**
 * The folder's lineage: lineage.json, or for a folder written before it one pieced together from
 * train.json / unlearn.json / forget.json / sisa.json, with notes saying what is unknown. A
 * folder with none of these is generation 0 with no known past deletions (and a note saying so).
 */
export function readLineage(dir: string, depth = 0): Lineage {
  const recorded = readJson(path.join(dir, LINEAGE_FILE));
  if (recorded) return recorded as unknown as Lineage;
  const base: Omit<Lineage, 'kind' | 'recipe' | 'forgotten'> = { format: LINEAGE_FORMAT, generation: 0, excluded_at_training: null, deletions: [], parent: null };
  const train = readJson(path.join(dir, 'train.json'));
  const sisa = readJson(path.join(dir, 'sisa.json'));
  const unlearned = readJson(path.join(dir, 'unlearn.json'));
  if (unlearned && depth < 16) {
    const from = typeof unlearned.model === 'string' ? resolveRecorded(dir, unlearned.model) : undefined;
    const parent = from !== undefined && fs.existsSync(from) ? readLineage(from, depth + 1) : undefined;
    const request = forgetFileIds(dir);
    const notes = [`${dir} has no ${LINEAGE_FILE} (written before deepcut kept lineages): reconstructed from unlearn.json and forget.json`];
    if (!parent) notes.push(`its input model (${String(unlearned.model)}) is not there: deletions before this one are unknown`);
    else notes.push(...(parent.notes ?? []));
    if (!request) notes.push('forget.json is missing or unreadable: this deletion\'s ids are unknown');
    const deletions = [...(parent?.deletions ?? [])];
    if (request) {
      deletions.push({ ...request, generation: (parent?.generation ?? 0) + 1, subjects: [], method: String(unlearned.method ?? 'unknown'), time: fs.statSync(path.join(dir, 'unlearn.json')).mtime.toISOString() });
    }
    const recipe = parent ? rebaseRecipe(parent.recipe, from!, dir) : {};
    const maxLength = num(unlearned.max_length);
    const lineage: Lineage = {
      ...base, kind: 'unlearn', generation: deletions.length, recipe: maxLength !== undefined ? { ...recipe, max_length: maxLength } : recipe,
      excluded_at_training: parent?.excluded_at_training ?? null, deletions, forgotten: { count: 0, hash: '' },
      parent: from !== undefined ? { folder: relativePath(dir, from), folder_absolute: from, model_hash: '' } : null, notes,
    };
    return { ...lineage, forgotten: forgottenSummary(lineage) };
  }
  if (train || sisa) {
    const notes = [`${dir} has no ${LINEAGE_FILE} (written before deepcut kept lineages): recipe read from ${train ? 'train.json' : 'sisa.json'}`];
    let recipe: LineageRecipe = train ? recipeFromTrainJson(dir, train) : recipeFromTrainJson(dir, sisa!);
    let excluded: IdSet | null = null;
    if (train && train.forget !== null && typeof train.forget === 'object') {
      excluded = forgetFileIds(dir) ?? null;
      if (!excluded) notes.push('train.json names a forget set left out at training but forget.json is missing: its ids are unknown');
    }
    const deletions: Deletion[] = [];
    if (sisa && Array.isArray(sisa.forgotten) && sisa.forgotten.length > 0) {
      notes.push(`sisa.json lists ${sisa.forgotten.length} past deletion(s) by hash only: their ids are unknown (the SISA assignment no longer holds them)`);
    }
    if (sisa && !train) recipe = { ...recipe, ...(num(sisa.split_seed) !== undefined ? { split_seed: num(sisa.split_seed) } : {}) };
    const lineage: Lineage = { ...base, kind: sisa ? 'sisa' : 'finetune', recipe, excluded_at_training: excluded, deletions, forgotten: { count: 0, hash: '' }, notes };
    return { ...lineage, forgotten: forgottenSummary(lineage) };
  }
  const lineage: Lineage = {
    ...base, kind: 'finetune', recipe: {}, forgotten: { count: 0, hash: idSetHash([]) },
    notes: [`${dir} has no ${LINEAGE_FILE}, train.json or unlearn.json: treated as generation 0 (no past deletions known)`],
  };
  return lineage;
}

/** The lineage of a freshly fine-tuned (or retrained-from-scratch) folder. */
export function trainingLineage(options: {
  dir: string; kind: 'finetune' | 'sisa'; base: string; baseHash: string; dataset: Dataset; trainHash: string; splitSeed: number;
  maxLength: number; hyperparameters: Record<string, unknown>; seed: number; randomInit?: boolean; excluded?: ForgetSet;
}): Lineage {
  const excluded = options.excluded ? idSetOf(options.excluded) : null;
  const lineage: Lineage = {
    format: LINEAGE_FORMAT, kind: options.kind, generation: 0,
    recipe: {
      base_model: relativePath(options.dir, options.base), base_model_absolute: path.resolve(options.base), base_model_hash: options.baseHash,
      dataset: options.dataset.name, data_hash: options.trainHash, split_seed: options.splitSeed, max_length: options.maxLength,
      hyperparameters: options.hyperparameters, seed: options.seed, random_init: Boolean(options.randomInit), labels: [...options.dataset.labels],
    },
    excluded_at_training: excluded, deletions: [], forgotten: { count: 0, hash: '' }, parent: null,
  };
  return { ...lineage, forgotten: forgottenSummary(lineage) };
}
