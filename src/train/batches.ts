// Examples -> tokenised engine batches (int64 ids, mask, labels).
import { tensor, type Tensor } from '../engine';
import type { EncodedBatch, SequenceTokenizer } from '../text/types';
import type { Example } from '../data';
import type { EncoderBatch } from '../model';

export interface LabelledBatch extends EncoderBatch {
  labels: Tensor;
  size: number;
}

/**
 * Tokenises (truncate, pad to the longest) and makes tensors on `device` (the model's:
 * `model.device`; default cpu); call inside a scope().
 */
export function makeBatch(tokenizer: SequenceTokenizer, examples: readonly Example[], maxLength: number, device = 'cpu'): LabelledBatch {
  const enc = tokenizer.encodeBatch(examples.map((e) => e.text), { maxLength, padding: 'longest', truncation: true });
  return { ...encoderInputs(enc, device), labels: tensor(examples.map((e) => e.label), { dtype: 'int64', device }), size: examples.length };
}

/** An already tokenised batch as int64 model inputs on `device`; call inside a scope(). */
export function encoderInputs(enc: EncodedBatch, device = 'cpu'): Required<EncoderBatch> {
  const ids = (data: Int32Array) => tensor(data, { shape: enc.shape, dtype: 'int64', device });
  return { inputIds: ids(enc.inputIds), attentionMask: ids(enc.attentionMask), tokenTypeIds: ids(enc.tokenTypeIds) };
}

/** Consecutive chunks of `size` (the last may be shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
