/**
 * BERT-style WordPiece vocabulary training, following HF tokenizers' WordPieceTrainer: that
 * trainer is the BPE trainer with a "##" continuing-subword prefix whose merges are thrown away,
 * keeping only the vocabulary. Steps:
 *   1. normalise + pre-tokenise every text, count word types;
 *   2. alphabet = most frequent characters (limitAlphabet), word-initial chars plain, others "##c";
 *   3. repeatedly merge the most frequent adjacent symbol pair (ties: smaller ids first), updating
 *      pair counts incrementally on the words that contain it, until vocabSize or minFrequency.
 */
import { bertNormalize, bertPreTokenize, DEFAULT_BERT_NORMALIZER, type BertNormalizerOptions } from './bert-pretokenize';

/** Our own vocab puts the specials first; ids are fixed by this order. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];
export const CONTINUING_SUBWORD_PREFIX = '##';

export interface WordPieceTrainerOptions {
  /** Total size including specials and alphabet. Default 8000. */
  vocabSize?: number;
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minFrequency?: number;
  /** Keep at most this many distinct characters (most frequent first). Default 1000. */
  limitAlphabet?: number;
  /** Characters always in the alphabet (they do not count against limitAlphabet). */
  initialAlphabet?: readonly string[];
  normalizer?: BertNormalizerOptions;
}

export interface TrainedWordPieceVocab {
  /** Token strings indexed by id. */
  tokens: string[];
  specialTokens: Record<SpecialToken, number>;
  normalizer: BertNormalizerOptions;
  /** Number of merges performed (tokens.length - specials - alphabet symbols). */
  merges: number;
  wordTypes: number;
}

/** Counts pre-tokenised words over all texts (step 1); exposed so callers can stream big corpora. */
export function countWords(
  texts: Iterable<string>,
  normalizer: BertNormalizerOptions = DEFAULT_BERT_NORMALIZER,
  counts: Map<string, number> = new Map(),
): Map<string, number> {
  for (const text of texts) {
    for (const word of bertPreTokenize(bertNormalize(text, normalizer))) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

const PAIR_BASE = 0x200000; // ids stay below 2^21, so a pair packs into one exact double

/** Max-heap on (count desc, pair asc) with lazy invalidation, as in HF's trainer. */
class PairQueue {
  private counts: number[] = [];
  private pairs: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i] as number;
    const cj = this.counts[j] as number;
    return ci !== cj ? ci > cj : (this.pairs[i] as number) < (this.pairs[j] as number);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j] as number, this.counts[i] as number];
    [this.pairs[i], this.pairs[j]] = [this.pairs[j] as number, this.pairs[i] as number];
  }

  push(count: number, pair: number): void {
    this.counts.push(count);
    this.pairs.push(pair);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; pair: number } | undefined {
    if (this.counts.length === 0) return undefined;
    const top = { count: this.counts[0] as number, pair: this.pairs[0] as number };
    const lastCount = this.counts.pop() as number;
    const lastPair = this.pairs.pop() as number;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.pairs[0] = lastPair;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.before(l, best)) best = l;
        if (r < this.counts.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

function sortedAlphabet(wordCounts: Map<string, number>, limit: number, initial: readonly string[]): string[] {
  const charCounts = new Map<string, number>();
  for (const [word, count] of wordCounts) {
    for (const ch of word) charCounts.set(ch, (charCounts.get(ch) ?? 0) + count);
  }
  const kept = new Set(initial);
  const byFrequency = [...charCounts].filter(([ch]) => !kept.has(ch));
  byFrequency.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [ch] of byFrequency.slice(0, Math.max(0, limit))) kept.add(ch);
  return [...kept].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
}

/** Step 2 + 3 on already counted words. */
export function trainWordPieceFromCounts(
  wordCounts: Map<string, number>,
  options: WordPieceTrainerOptions = {},
): TrainedWordPieceVocab {
  const vocabSize = options.vocabSize ?? 8000;
  const minFrequency = options.minFrequency ?? 2;
  const normalizer = options.normalizer ?? DEFAULT_BERT_NORMALIZER;
  const prefix = CONTINUING_SUBWORD_PREFIX;

  const tokens: string[] = [...SPECIAL_TOKENS];
  const idOf = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const addToken = (token: string): number => {
    let id = idOf.get(token);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(token);
      idOf.set(token, id);
    }
    return id;
  };

  const alphabet = sortedAlphabet(wordCounts, options.limitAlphabet ?? 1000, options.initialAlphabet ?? []);
  for (const ch of alphabet) addToken(ch);
  const inAlphabet = new Set(alphabet);
  // "##c" forms, in alphabet order, so ids do not depend on word iteration order.
  const wordTypes = [...wordCounts.keys()].sort();
  const needsContinuation = new Set<string>();
  for (const word of wordTypes) {
    let first = true;
    for (const ch of word) {
      if (!first && inAlphabet.has(ch)) needsContinuation.add(ch);
      first = false;
    }
  }
  for (const ch of alphabet) if (needsContinuation.has(ch)) addToken(prefix + ch);
  const symbolsBeforeMerges = tokens.length;

  // Each word type as a mutable symbol sequence; characters outside the alphabet are skipped (as HF).
  const words: number[][] = [];
  const counts: number[] = [];
  for (const word of wordTypes) {
    const symbols: number[] = [];
    let first = true;
    for (const ch of word) {
      if (inAlphabet.has(ch)) symbols.push(idOf.get(first ? ch : prefix + ch) as number);
      first = false;
    }
    if (symbols.length === 0) continue;
    words.push(symbols);
    counts.push(wordCounts.get(word) as number);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPair = (pair: number, delta: number, wordIndex: number): void => {
    pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + delta);
    if (delta > 0) {
      let where = pairWords.get(pair);
      if (where === undefined) pairWords.set(pair, (where = new Set()));
      where.add(wordIndex);
    }
  };
  words.forEach((symbols, w) => {
    for (let i = 0; i + 1 < symbols.length; i++) {
      addPair((symbols[i] as number) * PAIR_BASE + (symbols[i + 1] as number), counts[w] as number, w);
    }
  });

  const queue = new PairQueue();
  for (const [pair, count] of pairCounts) if (count > 0) queue.push(count, pair);

  const merged = (a: number, b: number): string => {
    const right = tokens[b] as string;
    return (tokens[a] as string) + (right.startsWith(prefix) ? right.slice(prefix.length) : right);
  };

  while (tokens.length < vocabSize && queue.size > 0) {
    const top = queue.pop() as { count: number; pair: number };
    const current = pairCounts.get(top.pair) ?? 0;
    if (current !== top.count) {
      // Stale entry: re-queue with the up-to-date count.
      if (current > 0) queue.push(current, top.pair);
      continue;
    }
    if (current < Math.max(1, minFrequency)) break;
    const a = Math.floor(top.pair / PAIR_BASE);
    const b = top.pair % PAIR_BASE;
    const newId = addToken(merged(a, b));
    const touched = new Set<number>();
    for (const w of pairWords.get(top.pair) ?? []) {
      const symbols = words[w] as number[];
      const count = counts[w] as number;
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] !== a || symbols[i + 1] !== b) continue;
        if (i > 0) {
          const left = symbols[i - 1] as number;
          addPair(left * PAIR_BASE + a, -count, w);
          addPair(left * PAIR_BASE + newId, count, w);
          touched.add(left * PAIR_BASE + a).add(left * PAIR_BASE + newId);
        }
        if (i + 2 < symbols.length) {
          const right = symbols[i + 2] as number;
          addPair(b * PAIR_BASE + right, -count, w);
          addPair(newId * PAIR_BASE + right, count, w);
          touched.add(b * PAIR_BASE + right).add(newId * PAIR_BASE + right);
        }
        addPair(top.pair, -count, w);
        symbols.splice(i, 2, newId);
      }
    }
    pairWords.delete(top.pair);
    pairCounts.delete(top.pair);
    // Pairs that grew need a queue entry; pairs that shrank are fixed lazily when popped.
    for (const pair of touched) {
      const count = pairCounts.get(pair) ?? 0;
      if (count > 0 && pair !== top.pair) queue.push(count, pair);
    }
  }

  const specialTokens = Object.fromEntries(SPECIAL_TOKENS.map((t, i) => [t, i])) as Record<SpecialToken, number>;
  return { tokens, specialTokens, normalizer, merges: tokens.length - symbolsBeforeMerges, wordTypes: wordCounts.size };
}

/** Trains a WordPiece vocabulary on raw texts (normalisation and pre-tokenisation included). */
export function trainWordPiece(texts: Iterable<string>, options: WordPieceTrainerOptions = {}): TrainedWordPieceVocab {
  return trainWordPieceFromCounts(countWords(texts, options.normalizer ?? DEFAULT_BERT_NORMALIZER), options);
}
