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
  return batchTensors(encodeLabelled(tokenizer, examples, maxLength), device);
}

/** A labelled batch on the host, before tensors: what makeBatch makes, kept by callers that score the same rows often. */
export interface EncodedLabelled {
  encoded: EncodedBatch;
  /** The units' labels (texts' labels, or tagged words' tags), row after row. */
  labels: number[];
  unitOffsets: number[];
  /** Tagged sentences: flat positions of each labelled word's first sub-word (LabelledBatch.wordIndex). */
  wordIndex?: number[];
}

/** Tokenises texts, or tagged sentences word by word (truncating, padding to the longest row). */
export function encodeLabelled(tokenizer: SequenceTokenizer, examples: readonly Example[], maxLength: number): EncodedLabelled {
  const options = { maxLength, padding: 'longest', truncation: true } as const;
  if (!isTaggedBatch(examples)) {
    return {
      encoded: tokenizer.encodeBatch(examples.map((e) => e.text), options),
      labels: examples.map((e) => e.label), unitOffsets: Array.from({ length: examples.length + 1 }, (_, i) => i),
    };
  }
  for (const e of examples) {
    if (e.tags === undefined || e.tags.length !== e.tokens!.length) throw new Error(`tagged example '${e.id}' needs one tag per token`);
  }
  const encoded = tokenizer.encodeWordsBatch(examples.map((e) => e.tokens!), options);
  const seq = encoded.shape[1];
  const { labels, unitOffsets } = taggedUnits(examples, encoded.wordStarts);
  return { encoded, labels, unitOffsets, wordIndex: encoded.wordStarts.flatMap((starts, row) => starts.map((p) => row * seq + p)) };
}

/** An encoded labelled batch as tensors on `device`; call inside a scope(). */
export function batchTensors(b: EncodedLabelled, device = 'cpu'): LabelledBatch {
  return {
    ...encoderInputs(b.encoded, device),
    labels: tensor(b.labels, { dtype: 'int64', device }),
    ...(b.wordIndex ? { wordIndex: tensor(b.wordIndex, { dtype: 'int64', device }) } : {}),
    size: b.unitOffsets.length - 1,
    unitOffsets: b.unitOffsets,
  };
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


/** An already tokenised batch as int64 model inputs on `device`; call inside a scope(). */
export function encoderInputs(enc: EncodedBatch, device = 'cpu'): Required<Omit<EncoderBatch, 'wordIndex' | 'lower'>> {
  const ids = (data: Int32Array) => tensor(data, { shape: enc.shape, dtype: 'int64', device });
  return { inputIds: ids(enc.inputIds), attentionMask: ids(enc.attentionMask), tokenTypeIds: ids(enc.tokenTypeIds) };
}

/** Consecutive chunks of `size` (the last may be shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
