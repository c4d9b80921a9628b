// Token-id rows -> one padded, row-major batch: the part of encodeBatch every tokenizer shares.
import type { BatchEncodeOptions, EncodedBatch, WordEncodedBatch } from './types';

export interface PackOptions extends BatchEncodeOptions {
  maxLength: number;
  /** Ids put around every row (e.g. [CLS] / [SEP]); kept when a row is truncated. */
  prefix?: readonly number[];
  suffix?: readonly number[];
  /** Padding id; null when the tokenizer has none (then only equal-length rows can be batched). */
  pad: number | null;
  /** Names the tokenizer in errors. */
  source: string;
}

/** Truncates (or refuses) rows longer than maxLength, wraps them in prefix/suffix, pads and masks. */
export function packBatch(contents: readonly number[][], o: PackOptions): EncodedBatch {
  const prefix = o.prefix ?? [];
  const suffix = o.suffix ?? [];
  const specials = prefix.length + suffix.length;
  if (!Number.isInteger(o.maxLength) || o.maxLength <= specials) {
    throw new Error(`maxLength must be an integer > ${specials}${specials > 0 ? ' (the special tokens)' : ''}, got ${o.maxLength}`);
  }
  const rows = contents.map((content, row) => {
    if (content.length + specials > o.maxLength) {
      if (o.truncation === false) {
        throw new Error(`text ${row} has ${content.length + specials} tokens > maxLength ${o.maxLength} and truncation is off`);
      }
      content = content.slice(0, o.maxLength - specials);
    }
    return [...prefix, ...content, ...suffix];
  });
  const longest = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const seq = (o.padding ?? 'longest') === 'max_length' ? o.maxLength : longest;
  if (o.pad === null && rows.some((r) => r.length < seq)) throw new Error(`${o.source} defines no padding token, cannot pad the batch`);
  const inputIds = new Int32Array(rows.length * seq).fill(o.pad ?? 0);
  const attentionMask = new Int32Array(rows.length * seq);
  rows.forEach((ids, row) => {
    inputIds.set(ids, row * seq);
    attentionMask.fill(1, row * seq, row * seq + ids.length);
  });
  return { inputIds, attentionMask, tokenTypeIds: new Int32Array(rows.length * seq), shape: [rows.length, seq] };
}

/**
 * Rows of words, each word already as ids, -> one padded batch plus each kept word's first
 * position. Truncation cuts the row's pieces (specials kept) and drops the words that start past
 * the cut; a word cut in the middle keeps its first sub-word, which is the one labelled.
 */
export function packWords(rows: readonly (readonly number[][])[], o: PackOptions): WordEncodedBatch {
  const offset = (o.prefix ?? []).length;
  const room = o.maxLength - offset - (o.suffix ?? []).length;
  const wordStarts: number[][] = [];
  const contents = rows.map((words) => {
    const ids: number[] = [];
    const starts: number[] = [];
    for (const word of words) {
      if (ids.length < room) starts.push(offset + ids.length);
      ids.push(...word);
    }
    wordStarts.push(starts);
    return ids;
  });
  return { ...packBatch(contents, o), wordStarts };
}
