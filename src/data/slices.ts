/**
 * Small, deterministic slices of the built-in datasets, committed as JSONL test fixtures
 * (see tools/make-data-slices.ts). A slice keeps some whole users, so forget-by-user can be
 * tested on it, and a label-stratified sample with every label present in train. A tagging
 * dataset's slice is SLICE_TAGGING_USERS data subjects chosen by the seed, an equal share of
 * random sentences from each (a whole Brown document is ~115 sentences, too many for a slice).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { getBuiltinDataset, listBuiltinDatasets } from './builtin/registry';
import { largestUsers } from './forget';
import { rngFor, shuffled } from './rng';
import { isTagging } from './task';
import type { Dataset, Example } from './types';

export const SLICE_SIZE = 250;
export const SLICE_SEED = 42;
/** Share of a slice given to whole users (largest first, as long as they fit). */
const WHOLE_USER_SHARE = 0.2;
const MIN_PER_LABEL = 3;
export const SLICE_TAGGING_USERS = 10;

export function sliceFileName(name: string): string {
  return `${name}-slice.jsonl`;
}

export function makeSlice(ds: Dataset, size: number, seed: number): Example[] {
  if (isTagging(ds)) return makeTaggingSlice(ds, size, seed);
  const chosen = new Set<string>();
  let userBudget = Math.floor(size * WHOLE_USER_SHARE);
  for (const { user } of largestUsers(ds, Number.MAX_SAFE_INTEGER)) {
    const records = ds.examples.filter((ex) => ex.user === user);
    if (records.length <= userBudget) {
      records.forEach((ex) => chosen.add(ex.id));
      userBudget -= records.length;
    }
    if (userBudget < 2) break;
  }

  const remaining = size - chosen.size;
  const rand = rngFor(seed, `slice:${ds.name}`);
  for (const label of ds.labels) {
    const pool = shuffled(
      ds.examples.filter((ex) => ex.labelName === label && !chosen.has(ex.id)),
      rand,
    );
    const share = ds.examples.filter((ex) => ex.labelName === label).length / ds.examples.length;
    const picked = pool.slice(0, Math.max(MIN_PER_LABEL, Math.round(share * remaining)));
    // The JSONL loader rejects a validation/test label that train lacks, so keep one in train.
    const hasTrain = picked.some((ex) => ex.split === 'train') || ds.examples.some((ex) => chosen.has(ex.id) && ex.labelName === label && ex.split === 'train');
    const firstTrain = pool.find((ex) => ex.split === 'train');
    if (!hasTrain && firstTrain !== undefined && picked.length > 0) picked[picked.length - 1] = firstTrain;
    picked.forEach((ex) => chosen.add(ex.id));
  }
  return ds.examples.filter((ex) => chosen.has(ex.id));
}

function makeTaggingSlice(ds: Dataset, size: number, seed: number): Example[] {
  const rand = rngFor(seed, `slice:${ds.name}`);
  const users = [...new Set(ds.examples.flatMap((ex) => (ex.user === undefined ? [] : [ex.user])))].sort();
  const picked = shuffled(users, rand).slice(0, SLICE_TAGGING_USERS);
  const perUser = Math.floor(size / Math.max(1, picked.length));
  const chosen = new Set<string>();
  for (const user of picked) {
    shuffled(ds.examples.filter((ex) => ex.user === user), rand).slice(0, perUser).forEach((ex) => chosen.add(ex.id));
  }
  return ds.examples.filter((ex) => chosen.has(ex.id));
}

/** One JSON object per line, in the form the JSONL reader takes back; tagged sentences need the tag names (`labels`). */
export function examplesToJsonl(examples: readonly Example[], labels?: readonly string[]): string {
  return examples
    .map((ex) => {
      if (ex.tokens !== undefined) return JSON.stringify(taggedRow(ex, labels)) + '\n';
      const row: Record<string, string> = { id: ex.id, text: ex.text, label: ex.labelName };
      if (ex.user !== undefined) row.user = ex.user;
      row.split = ex.split;
      return JSON.stringify(row) + '\n';
    })
    .join('');
}

function taggedRow(ex: Example, labels: readonly string[] | undefined): Record<string, unknown> {
  if (labels === undefined) throw new Error(`examplesToJsonl: tagged sentence '${ex.id}' needs the dataset's tag names`);
  const row: Record<string, unknown> = { id: ex.id, tokens: ex.tokens, tags: (ex.tags ?? []).map((t) => labels[t]) };
  if (ex.user !== undefined) row.user = ex.user;
  if (ex.group !== undefined) row.group = ex.group;
  row.split = ex.split;
  return row;
}

/** The JSONL text of each built-in's slice, keyed by file name. */
export function builtinSlices(size = SLICE_SIZE, seed = SLICE_SEED): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of listBuiltinDatasets()) {
    const ds = getBuiltinDataset(name, { seed });
    out.set(sliceFileName(name), examplesToJsonl(makeSlice(ds, size, seed), ds.labels));
  }
  return out;
}

export function writeBuiltinSlices(dir: string): string[] {
  const written: string[] = [];
  for (const [file, text] of builtinSlices()) {
    writeFileAtomic(join(dir, file), text);
    written.push(join(dir, file));
  }
  return written;
}
