/**
 * Resolves forget requests against a dataset. A forget set is always a subset of the TRAIN
 * split: only what a model was trained on can be unlearned.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { countByLabel, splitOf } from './dataset';
import { DataError } from './errors';
import { idSetHash } from './hash';
import { parseForgetSpec, type ForgetTerm } from './forget-spec';
import { rngFor, shuffled } from './rng';
import { countByTag, isTagging } from './task';
import { DEFAULT_SEED } from './split';
import type { Dataset, Example } from './types';

export interface ForgetSet {
  spec: string;
  /** Sorted, unique train ids. */
  ids: string[];
  /** sha256 of the sorted ids joined by "\n". */
  hash: string;
  warnings: string[];
  /** What terms that pick their records by rank resolved to, e.g. "largest-user = user 'x' (500 train records)". */
  notes?: string[];
}

export interface ResolveOptions {
  /** Seed for random: terms. */
  seed?: number;
  /** Directory that relative ids:FILE paths are resolved against (default: the working directory). */
  baseDir?: string;
}

export function resolveForgetSet(ds: Dataset, spec: string, options: ResolveOptions = {}): ForgetSet {
  const train = splitOf(ds, 'train');
  const chosen = new Set<string>();
  const notes: string[] = [];
  for (const term of parseForgetSpec(spec)) {
    for (const id of resolveTerm(ds, train, term, options, notes)) chosen.add(id);
  }
  if (chosen.size === 0) throw new DataError('empty forget set', { file: `--forget '${spec}'` });
  const ids = [...chosen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { spec, ids, hash: idSetHash(ids), warnings: forgetWarnings(ds, train, chosen), ...(notes.length > 0 ? { notes } : {}) };
}

function resolveTerm(ds: Dataset, train: readonly Example[], term: ForgetTerm, options: ResolveOptions, notes: string[]): string[] {
  const where = { file: `--forget ${describeTerm(term)}` };
  switch (term.kind) {
    case 'ids':
      return readIdFile(ds, resolve(options.baseDir ?? process.cwd(), term.file));
    case 'user': {
      const ids = train.filter((ex) => ex.user === term.name).map((ex) => ex.id);
      if (ids.length === 0) {
        const elsewhere = ds.examples.some((ex) => ex.user === term.name);
        throw new DataError(
          elsewhere ? `user '${term.name}' has no train records (only validation/test)` : `unknown user '${term.name}' in dataset '${ds.name}'`,
          where,
        );
      }
      return ids;
    }
    case 'class': {
      if (isTagging(ds)) {
        throw new DataError(
          `dataset '${ds.name}' is token classification: its sentences have no class label to forget (its labels are tags); use ids:, user:, random: or largest-user`,
          where,
        );
      }
      if (!ds.labels.includes(term.label)) {
        throw new DataError(`unknown class '${term.label}' (classes: ${ds.labels.join(', ')})`, where);
      }
      return train.filter((ex) => ex.labelName === term.label).map((ex) => ex.id);
    }
    case 'random': {
      // Round to nearest, but a positive fraction of a non-empty train split is at least one record.
      const count = train.length === 0 ? 0 : Math.max(1, Math.round(term.fraction * train.length));
      const rand = rngFor(options.seed ?? DEFAULT_SEED, `forget-random:${term.fraction}`);
      return shuffled(train.map((ex) => ex.id), rand).slice(0, count);
    }
    case 'largest-user': {
      // Ranked by train records with ties broken by name (largestUsers), so the same data always gives the same user.
      const ranked = largestUsers(ds, term.rank);
      const picked = ranked[term.rank - 1];
      if (!picked) {
        throw new DataError(
          ranked.length === 0
            ? `dataset '${ds.name}' records no users (no train record has a user field)`
            : `dataset '${ds.name}' has only ${ranked.length} users with train records`,
          where,
        );
      }
      notes.push(`${describeTerm(term)} = user '${picked.user}' (${picked.count} train records)`);
      return train.filter((ex) => ex.user === picked.user).map((ex) => ex.id);
    }
  }
}

function describeTerm(term: ForgetTerm): string {
  switch (term.kind) {
    case 'ids':
      return `ids:${term.file}`;
    case 'user':
      return `user:${term.name}`;
    case 'class':
      return `class:${term.label}`;
    case 'random':
      return `random:${term.fraction}`;
    case 'largest-user':
      return term.rank === 1 ? 'largest-user' : `largest-user:${term.rank}`;
  }
}

/** One id per line; blank lines and lines starting with "#" are ignored. Each id must be a train id. */
export function readIdFile(ds: Dataset, file: string): string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch (err) {
    throw new DataError(err instanceof TypeError ? 'invalid UTF-8' : `cannot read id file: ${(err as Error).message}`, { file });
  }
  const splitById = new Map(ds.examples.map((ex) => [ex.id, ex.split]));
  const ids: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const id = raw.trim();
    if (id === '' || id.startsWith('#')) return;
    const split = splitById.get(id);
    if (split === undefined) throw new DataError(`unknown id '${id}' in dataset '${ds.name}'`, { file, line: i + 1 });
    if (split !== 'train') throw new DataError(`id '${id}' is in the ${split} split; only train records can be forgotten`, { file, line: i + 1 });
    ids.push(id);
  });
  return ids;
}

function forgetWarnings(ds: Dataset, train: readonly Example[], chosen: ReadonlySet<string>): string[] {
  if (chosen.size === train.length) {
    return [`forget set is the whole train split (${train.length} records): nothing would remain to train on`];
  }
  if (isTagging(ds)) {
    const trainByTag = countByTag(ds, train);
    const forgetByTag = countByTag(ds, train.filter((ex) => chosen.has(ex.id)));
    return Object.keys(trainByTag)
      .sort()
      .filter((tag) => forgetByTag[tag] === trainByTag[tag])
      .map((tag) => `forget set contains every train token tagged '${tag}' (${trainByTag[tag]}): the tag would vanish from the retain set`);
  }
  const trainByLabel = countByLabel(train);
  const forgetByLabel = countByLabel(train.filter((ex) => chosen.has(ex.id)));
  return Object.keys(trainByLabel)
    .sort()
    .filter((label) => forgetByLabel[label] === trainByLabel[label])
    .map((label) => `forget set contains every train record of class '${label}' (${trainByLabel[label]}): the class would vanish from the retain set`);
}

/** The train examples a retrained or unlearned model may still use. */
export function retainSplit(ds: Dataset, forget: ForgetSet): Example[] {
  const forgotten = new Set(forget.ids);
  return splitOf(ds, 'train').filter((ex) => !forgotten.has(ex.id));
}

export interface UserCount {
  user: string;
  count: number;
}

/** Users by number of train records (sentences, for a tagging dataset), most first; ties broken by name so the order is stable. */
export function largestUsers(ds: Dataset, k: number): UserCount[] {
  const counts = new Map<string, number>();
  for (const ex of splitOf(ds, 'train')) {
    if (ex.user !== undefined) counts.set(ex.user, (counts.get(ex.user) ?? 0) + 1);
  }
  return [...counts]
    .map(([user, count]) => ({ user, count }))
    .sort((a, b) => b.count - a.count || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
    .slice(0, k);
}

export const FORGET_FILE = 'forget.json';

/** Writes DIR/forget.json (spec, count, hash, ids, warnings) via temp file + rename. Returns the path. */
export function writeForgetSet(dir: string, forget: ForgetSet): string {
  const file = join(dir, FORGET_FILE);
  const body = { spec: forget.spec, count: forget.ids.length, hash: forget.hash, ids: forget.ids, warnings: forget.warnings };
  writeFileAtomic(file, JSON.stringify(body, null, 2) + '\n');
  return file;
}

/** Reads a forget.json back and checks that its count and hash match its ids. */
export function readForgetSet(dir: string): ForgetSet {
  const file = join(dir, FORGET_FILE);
  let parsed: { spec?: unknown; count?: unknown; hash?: unknown; ids?: unknown; warnings?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new DataError(`cannot read forget set: ${(err as Error).message}`, { file });
  }
  const { spec, count, hash, ids, warnings } = parsed;
  if (typeof spec !== 'string' || typeof hash !== 'string' || !Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw new DataError('forget.json must hold spec, hash and ids (strings)', { file });
  }
  const idList = ids as string[];
  if (count !== idList.length || idSetHash(idList) !== hash) {
    throw new DataError('forget.json count or hash does not match its ids', { file });
  }
  const warningList = Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [];
  return { spec, ids: idList, hash, warnings: warningList };
}
