/**
 * Small, deterministic slices of the built-in datasets, committed as JSONL test fixtures
 * (see tools/make-data-slices.ts). A slice keeps some whole users, so forget-by-user can be
 * tested on it, and a label-stratified sample with every label present in train.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { getBuiltinDataset, listBuiltinDatasets } from './builtin/registry';
import { largestUsers } from './forget';
import { rngFor, shuffled } from './rng';
import type { Dataset, Example } from './types';

export const SLICE_SIZE = 250;
export const SLICE_SEED = 42;
/** Share of a slice given to whole users (largest first, as long as they fit). */
const WHOLE_USER_SHARE = 0.2;
const MIN_PER_LABEL = 3;

export function sliceFileName(name: string): string {
  return `${name}-slice.jsonl`;
}

export function makeSlice(ds: Dataset, size: number, seed: number): Example[] {
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

export function examplesToJsonl(examples: readonly Example[]): string {
  return examples
    .map((ex) => {
      const row: Record<string, string> = { id: ex.id, text: ex.text, label: ex.labelName };
      if (ex.user !== undefined) row.user = ex.user;
      row.split = ex.split;
      return JSON.stringify(row) + '\n';
    })
    .join('');
}

/** The JSONL text of each built-in's slice, keyed by file name. */
export function builtinSlices(size = SLICE_SIZE, seed = SLICE_SEED): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of listBuiltinDatasets()) {
    out.set(sliceFileName(name), examplesToJsonl(makeSlice(getBuiltinDataset(name, { seed }), size, seed)));
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
