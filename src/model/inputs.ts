// Checks on model inputs, so shape and dtype mistakes fail with a sentence
// instead of a libtorch stack trace deep inside the forward pass.
import type { Tensor } from '../engine/tensor';
import type { EncoderConfig } from './config';
import type { EncoderBatch } from './types';

/** Position embeddings needed for a sequence of length T (RoBERTa's start after the padding index). */
export function positionsNeeded(config: EncoderConfig, seqLen: number): number {
  return config.modelType === 'roberta' ? seqLen + config.padTokenId + 1 : seqLen;
}

export function checkBatch(batch: EncoderBatch, config: EncoderConfig): void {
  const { inputIds, attentionMask, tokenTypeIds } = batch;
  if (inputIds.ndim !== 2) throw new Error(`inputIds must be [batch, seq], got shape [${inputIds.shape.join(', ')}]`);
  if (inputIds.dtype !== 'int64') throw new Error(`inputIds must be int64, got ${inputIds.dtype} (convert with .long())`);
  const shape = inputIds.shape.join(', ');
  const sameShape = (t: Tensor | undefined, name: string): void => {
    if (t && t.shape.join(', ') !== shape) throw new Error(`${name} has shape [${t.shape.join(', ')}], inputIds [${shape}]`);
  };
  sameShape(attentionMask, 'attentionMask');
  sameShape(tokenTypeIds, 'tokenTypeIds');
  if (tokenTypeIds && tokenTypeIds.dtype !== 'int64') throw new Error(`tokenTypeIds must be int64, got ${tokenTypeIds.dtype}`);
  const needed = positionsNeeded(config, inputIds.size(1));
  if (needed > config.maxPositionEmbeddings) {
    throw new Error(`sequence length ${inputIds.size(1)} needs ${needed} position embeddings, the model has ${config.maxPositionEmbeddings}`);
  }
}
