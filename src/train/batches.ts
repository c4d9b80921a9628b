// Examples -> tokenised engine batches (int64 ids, mask, labels).
import { tensor, type Tensor } from '../engine';
import type { SequenceTokenizer } from '../text/types';
import type { Example } from '../data';
import type { EncoderBatch } from '../model';

export interface LabelledBatch extends EncoderBatch {
  labels: Tensor;
  size: number;
}

/** Tokenises (truncate, pad to the longest) and makes tensors; call inside a scope(). */
export function makeBatch(tokenizer: SequenceTokenizer, examples: readonly Example[], maxLength: number): LabelledBatch {
  const enc = tokenizer.encodeBatch(examples.map((e) => e.text), { maxLength, padding: 'longest', truncation: true });
  return {
    inputIds: tensor(enc.inputIds, { shape: enc.shape, dtype: 'int64' }),
    attentionMask: tensor(enc.attentionMask, { shape: enc.shape, dtype: 'int64' }),
    tokenTypeIds: tensor(enc.tokenTypeIds, { shape: enc.shape, dtype: 'int64' }),
    labels: tensor(examples.map((e) => e.label), { dtype: 'int64' }),
    size: examples.length,
  };
}

/** Consecutive chunks of `size` (the last may be shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
