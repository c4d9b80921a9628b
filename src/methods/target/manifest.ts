// references.json: which train records each reference model saw, and what data, recipe and
// original they belong to. Unlearning refuses references whose record does not match its data,
// because a target measured on other data says nothing about this forget set.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../io/atomic';
import { hashModel } from '../../provenance/hash';

export const REFERENCES_FILE = 'references.json';
export const REFERENCES_FORMAT = 'deepcut-references/1';

export interface ReferencePartition {
  index: number;
  /** The reference's model folder, relative to the references folder. */
  folder: string;
  subjects: string[];
  /** The train ids it was fine-tuned on (sorted). */
  ids: string[];
  count: number;
  ids_hash: string;
  /** Manifest hash of the finished reference (absent until it is trained). */
  model_hash?: string;
  test_accuracy?: number;
  wall_seconds?: number;
  /**
   * The reference's scores on the validation split, kept so that each unlearning request only
   * scores its forget rows (validation does not change between requests). Used when ids_hash and
   * max_length match the request; otherwise the reference is scored again.
   */
  heldout?: HeldoutScores;
}

export interface HeldoutScores {
  max_length: number;
  /** idSetHash of the validation ids scored. */
  ids_hash: string;
  /** Per validation row, in the order of the ids sorted: whether the top class is the label, and its loss (a row's units together). */
  ids: string[];
  correct: boolean[];
  loss: number[];
  /** Units per sorted row, where rows are not one unit each (a tagger's sentences: their words in the window). */
  units?: number[];
}

export interface ReferencesManifest {
  format: string;
  dataset: string;
  split_seed: number;
  /** datasetHash of the full train split the partitions cover. */
  data_hash: string;
  train_examples: number;
  labels: string[];
  k: number;
  seed: number;
  /** The model whose recipe the references repeat. */
  original: { folder: string; folder_absolute: string; model_hash: string };
  recipe: { base_model: string; hyperparameters: Record<string, unknown> };
  partitions: ReferencePartition[];
}

export function writeReferencesManifest(dir: string, manifest: ReferencesManifest): void {
  writeFileAtomic(path.join(dir, REFERENCES_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function readReferencesManifest(dir: string): ReferencesManifest {
  const file = path.join(dir, REFERENCES_FILE);
  if (!fs.existsSync(file)) throw new Error(`${dir}: no ${REFERENCES_FILE} (train reference models with 'deepcut references --model ORIGINAL --data D --k 4 --out ${dir}')`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const m = raw as Partial<ReferencesManifest>;
  if (m.format !== REFERENCES_FORMAT) throw new Error(`${file}: field 'format' is ${JSON.stringify(m.format)}, expected '${REFERENCES_FORMAT}'`);
  for (const field of ['dataset', 'data_hash'] as const) if (typeof m[field] !== 'string') throw new Error(`${file}: field '${field}' is missing`);
  if (!Array.isArray(m.partitions) || !Array.isArray(m.labels) || typeof m.k !== 'number') throw new Error(`${file}: fields 'partitions', 'labels' and 'k' are required`);
  return m as ReferencesManifest;
}

/** What the references must match: the data the model being unlearned is trained on. */
export interface ReferencesExpectation {
  dataset: string;
  splitSeed?: number;
  trainHash: string;
  labels: readonly string[];
}

/** Reads references.json and refuses references for other data, or unfinished or changed ones. */
export function loadReferencesFor(dir: string, want: ReferencesExpectation): ReferencesManifest {
  const m = readReferencesManifest(dir);
  const file = path.join(dir, REFERENCES_FILE);
  if (m.data_hash !== want.trainHash) {
    throw new Error(`${file}: field 'data_hash' (${m.data_hash.slice(0, 12)}…) is not this run's train split (${want.trainHash.slice(0, 12)}…): the references were trained on dataset '${m.dataset}' with split seed ${m.split_seed}${want.splitSeed !== undefined ? `, this run uses '${want.dataset}' with split seed ${want.splitSeed}` : ''}; train references on this data ('deepcut references')`);
  }
  if (m.labels.length !== want.labels.length || m.labels.some((l, i) => l !== want.labels[i])) {
    throw new Error(`${file}: field 'labels' [${m.labels.join(', ')}] differs from dataset ${want.dataset}'s [${want.labels.join(', ')}]`);
  }
  for (const p of m.partitions) {
    const at = path.join(dir, p.folder);
    if (p.model_hash === undefined || !fs.existsSync(path.join(at, 'train.json'))) {
      throw new Error(`${file}: reference ${p.index} (${p.folder}) is not finished; continue with 'deepcut references ... --out ${dir} --resume'`);
    }
    const now = hashModel(at).manifest_hash;
    if (now !== p.model_hash) throw new Error(`${file}: reference ${p.index} (${p.folder}) changed since it was trained (model hash ${now.slice(0, 12)}…, recorded ${p.model_hash.slice(0, 12)}…)`);
  }
  return m;
}
