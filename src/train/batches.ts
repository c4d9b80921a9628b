// Examples -> tokenised engine batches (int64 ids, mask, labels).
import { tensor, type Tensor } from '../engine';
import type { EncodedBatch, SequenceTokenizer } from '../text/types';
import type { Example } from '../data';
import type { EncoderBatch } from '../model';

export interface LabelledBatch extends EncoderBatch {
  /** int64 [units]: a text's label, or a tagged sentence's word tags (row after row). */
  labels: Tensor;
  /** Rows (examples). */
  size: number;
  /**
   * unitOffsets[k]: labelled units in the first k rows (k = 0..size). A text is one unit; a tagged
   * sentence one unit per word inside the window. Losses split "the forget rows' outputs" with it.
   */
  unitOffsets: number[];
}

/** Whether examples are tagged sentences (all of them) or texts (none); a mix is an error. */
export function isTaggedBatch(examples: readonly Example[]): boolean {
  const tagged = examples.filter((e) => e.tokens !== undefined).length;
  if (tagged > 0 && tagged < examples.length) throw new Error('a batch mixes tagged sentences and labelled texts');
  return tagged > 0;
}

/**
 * Tokenises (truncate, pad to the longest) and makes tensors on `device` (the model's:
 * `model.device`; default cpu); call inside a scope(). Tagged sentences are encoded word by word
 * and labelled at each word's first sub-word (the others are not labelled, as HF's
 * token-classification examples do); `wordIndex` tells the model where those are.
 */
export function makeBatch(tokenizer: SequenceTokenizer, examples: readonly Example[], maxLength: number, device = 'cpu'): LabelledBatch {
  if (isTaggedBatch(examples)) return makeTaggedBatch(tokenizer, examples, maxLength, device);
  const enc = tokenizer.encodeBatch(examples.map((e) => e.text), { maxLength, padding: 'longest', truncation: true });
  const unitOffsets = Array.from({ length: examples.length + 1 }, (_, i) => i);
  return { ...encoderInputs(enc, device), labels: tensor(examples.map((e) => e.label), { dtype: 'int64', device }), size: examples.length, unitOffsets };
}

/** The word tags a tagged batch labels, row after row (words past the window left out). */
export function taggedUnits(examples: readonly Example[], wordStarts: readonly (readonly number[])[]): { labels: number[]; unitOffsets: number[] } {
  const labels: number[] = [];
  const unitOffsets = [0];
  examples.forEach((e, row) => {
    const tags = e.tags!;
    for (let w = 0; w < wordStarts[row]!.length; w++) labels.push(tags[w]!);
    unitOffsets.push(labels.length);
  });
  return { labels, unitOffsets };
}

function makeTaggedBatch(tokenizer: SequenceTokenizer, examples: readonly Example[], maxLength: number, device: string): LabelledBatch {
  for (const e of examples) {
    if (e.tags === undefined || e.tags.length !== e.tokens!.length) throw new Error(`tagged example '${e.id}' needs one tag per token`);
  }
  const enc = tokenizer.encodeWordsBatch(examples.map((e) => e.tokens!), { maxLength, padding: 'longest', truncation: true });
  const seq = enc.shape[1];
  const { labels, unitOffsets } = taggedUnits(examples, enc.wordStarts);
  const wordIndex = enc.wordStarts.flatMap((starts, row) => starts.map((p) => row * seq + p));
  return {
    ...encoderInputs(enc, device),
    labels: tensor(labels, { dtype: 'int64', device }),
    wordIndex: tensor(wordIndex, { dtype: 'int64', device }),
    size: examples.length,
    unitOffsets,
  };
}

/** An already tokenised batch as int64 model inputs on `device`; call inside a scope(). */
export function encoderInputs(enc: EncodedBatch, device = 'cpu'): Required<Omit<EncoderBatch, 'wordIndex'>> {
  const ids = (data: Int32Array) => tensor(data, { shape: enc.shape, dtype: 'int64', device });
  return { inputIds: ids(enc.inputIds), attentionMask: ids(enc.attentionMask), tokenTypeIds: ids(enc.tokenTypeIds) };
}

/** Consecutive chunks of `size` (the last may be shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
