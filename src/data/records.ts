/**
 * Turns raw records (from a file or a built-in corpus) into a validated Dataset:
 * field checks, duplicate ids, seeded splits for records without one, and the label map.
 * A record with `tokens` is a tagged sentence (token classification); a dataset is all one or
 * all the other.
 */
import { DataError, type DataLocation } from './errors';
import { labelIndex, sortLabels } from './labels';
import { DEFAULT_SEED, VALIDATION_CARVE_FRACTION, assignSplit, type SplitRatios } from './split';
import { isSplit, type Dataset, type Example, type Split } from './types';

export interface RawRecord {
  id: string;
  /** For a tagged sentence: tokens joined by single spaces. */
  text: string;
  /** '' for a tagged sentence (it has no sentence label). */
  labelName: string;
  user?: string;
  split?: Split;
  /** Tagged sentence: the words and one tag name per word (same length, both non-empty). */
  tokens?: string[];
  tagNames?: string[];
  group?: string;
  where: DataLocation;
}

export interface BuildOptions {
  seed?: number;
  ratios?: SplitRatios;
  /** A stored label map to use instead of deriving one; every label must then be in it. */
  labels?: readonly string[];
}

/** Field-level checks on one parsed row; `fields` is a JSON object or a CSV row keyed by header. */
export function rawRecordFromFields(fields: Record<string, unknown>, where: DataLocation): RawRecord {
  const id = requiredString(fields, 'id', where, true);
  const text = requiredString(fields, 'text', where, false);
  if (text.trim() === '') throw new DataError(`empty text for id '${id}'`, where);
  const labelName = requiredString(fields, 'label', where, true);
  const record: RawRecord = { id, text, labelName, where };
  const user = optionalString(fields, 'user', where);
  if (user !== undefined) record.user = user;
  const split = optionalSplit(fields, id, where);
  if (split !== undefined) record.split = split;
  return record;
}

/** The row's `split` field, checked; undefined when it has none. */
export function optionalSplit(fields: Record<string, unknown>, id: string, where: DataLocation): Split | undefined {
  const split = optionalString(fields, 'split', where);
  if (split !== undefined && !isSplit(split)) throw new DataError(`invalid split '${split}' for id '${id}' (expected train, validation or test)`, where);
  return split;
}

export function requiredString(fields: Record<string, unknown>, name: string, where: DataLocation, scalarOk: boolean): string {
  const value = fields[name];
  if (value === undefined || value === null || value === '') {
    throw new DataError(`missing field '${name}'`, where);
  }
  if (typeof value === 'string') return value;
  // JSONL ids and labels are often numbers; accept them as their decimal text.
  if (scalarOk && typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new DataError(`field '${name}' must be a string, got ${typeof value}`, where);
}

export function optionalString(fields: Record<string, unknown>, name: string, where: DataLocation): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new DataError(`field '${name}' must be a string, got ${typeof value}`, where);
}

/**
 * Label map rule: labels are those of train records plus those of records whose split was
 * assigned here (a rare class may land wholly outside train by chance). A record whose file
 * put it in validation/test with a label that train never has is an error, since a
 * classifier trained on train could never predict it.
 */
export function buildDataset(name: string, records: readonly RawRecord[], options: BuildOptions = {}): Dataset {
  const seen = new Map<string, DataLocation>();
  for (const r of records) {
    const first = seen.get(r.id);
    if (first !== undefined) {
      const firstAt = first.line === undefined ? first.file : `${first.file} line ${first.line}`;
      throw new DataError(`duplicate id '${r.id}' (first seen at ${firstAt})`, r.where);
    }
    seen.set(r.id, r.where);
  }
  const tagged = records.length > 0 && records[0]!.tokens !== undefined;
  const odd = records.find((r) => (r.tokens !== undefined) !== tagged);
  if (odd !== undefined) {
    throw new DataError(`record '${odd.id}' is ${tagged ? 'a text/label record' : 'a tagged sentence'} but the first record '${records[0]!.id}' is ${tagged ? 'a tagged sentence' : 'a text/label record'}; a dataset is one or the other`, odd.where);
  }
  return tagged ? buildTaggingDataset(name, records, options) : buildSequenceDataset(name, records, options);
}

function buildSequenceDataset(name: string, records: readonly RawRecord[], options: BuildOptions): Dataset {
  const seed = options.seed ?? DEFAULT_SEED;
  const splits = records.map((r) => r.split ?? assignSplit(r.id, seed, options.ratios));
  let labels: string[];
  if (options.labels !== undefined) {
    labels = [...options.labels];
    const known = new Set(labels);
    records.forEach((r) => {
      if (!known.has(r.labelName)) {
        throw new DataError(`unknown label '${r.labelName}' for id '${r.id}' (not in the label map)`, r.where);
      }
    });
  } else {
    labels = sortLabels(records.filter((r, i) => splits[i] === 'train' || r.split === undefined).map((r) => r.labelName));
    const known = new Set(labels);
    records.forEach((r, i) => {
      if (!known.has(r.labelName)) {
        throw new DataError(
          `unknown label '${r.labelName}' for id '${r.id}' in the ${splits[i]} split (label not seen in train)`,
          r.where,
        );
      }
    });
  }

  const carved = splits.includes('validation') ? undefined : carveValidation(records, splits, seed);
  const index = labelIndex(labels);
  const examples: Example[] = records.map((r, i) => {
    const ex: Example = { id: r.id, text: r.text, label: index.get(r.labelName) as number, labelName: r.labelName, split: splits[i] as Split };
    if (r.user !== undefined) ex.user = r.user;
    return ex;
  });
  return { name, labels, examples, ...(carved !== undefined ? { validationCarved: carved } : {}) };
}

/**
 * Tag map rule: every tag of every record, whatever its split (a tag that train never has is
 * never predicted, which the tag metrics show, rather than an error: rare tags are common in
 * tagging data). A stored tag map (options.labels) must hold every tag.
 */
function buildTaggingDataset(name: string, records: readonly RawRecord[], options: BuildOptions): Dataset {
  const seed = options.seed ?? DEFAULT_SEED;
  const splits = records.map((r) => r.split ?? assignSplit(r.id, seed, options.ratios));
  const labels = options.labels !== undefined ? [...options.labels] : sortLabels(records.flatMap((r) => r.tagNames!));
  const index = labelIndex(labels);
  const carved = splits.includes('validation') ? undefined : carveValidation(records, splits, seed);
  const examples: Example[] = records.map((r, i) => {
    const tags = r.tagNames!.map((tag) => {
      const id = index.get(tag);
      if (id === undefined) throw new DataError(`unknown tag '${tag}' for id '${r.id}' (not in the tag map)`, r.where);
      return id;
    });
    const ex: Example = { id: r.id, text: r.text, label: -1, labelName: '', split: splits[i] as Split, tokens: r.tokens!, tags };
    if (r.user !== undefined) ex.user = r.user;
    if (r.group !== undefined) ex.group = r.group;
    return ex;
  });
  return { name, task: 'token-classification', labels, examples, ...(carved !== undefined ? { validationCarved: carved } : {}) };
}

/**
 * Data with train and test rows only (a common export) would leave early stopping and the
 * unlearning stopping rules without held-out data: move VALIDATION_CARVE_FRACTION of train to
 * validation, chosen by (seed, id) like every split, never a label's last train row (tagged
 * sentences all count as one label: train keeps at least one). Returns how
 * many moved (0: train too small to spare any).
 */
function carveValidation(records: readonly RawRecord[], splits: Split[], seed: number): number {
  const ratios = { train: 1 - VALIDATION_CARVE_FRACTION, validation: VALIDATION_CARVE_FRACTION, test: 0 };
  const trainPerLabel = new Map<string, number>();
  records.forEach((r, i) => { if (splits[i] === 'train') trainPerLabel.set(r.labelName, (trainPerLabel.get(r.labelName) ?? 0) + 1); });
  let moved = 0;
  records.forEach((r, i) => {
    // seed + 1: under the seed itself an assigned train row (u < 0.8) would never fall in the top 10%.
    if (splits[i] !== 'train' || assignSplit(r.id, seed + 1, ratios) !== 'validation') return;
    const left = trainPerLabel.get(r.labelName)!;
    if (left <= 1) return;
    trainPerLabel.set(r.labelName, left - 1);
    splits[i] = 'validation';
    moved++;
  });
  return moved;
}
