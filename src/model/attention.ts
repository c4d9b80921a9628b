// Shapes and masks shared by the encoders' self-attention. Heads own
// contiguous column blocks: hidden column h*headDim + j belongs to head h.
import type { Tensor } from '../engine/tensor';

/** float32 min, the value Hugging Face puts at masked key positions. */
export const MASKED_SCORE = -3.4028234663852886e38;

/** [B, T, H*D] -> [B, H, T, D] (a strided view; matmul reads it without a copy). */
export function splitHeads(x: Tensor, numHeads: number): Tensor {
  const [batch, seq, hidden] = x.shape as [number, number, number];
  return x.view([batch, seq, numHeads, hidden / numHeads]).transpose(1, 2);
}

/** [B, H, T, D] -> [B, T, H*D] (one copy, needed to make heads adjacent again). */
export function mergeHeads(x: Tensor): Tensor {
  const [batch, heads, seq, headDim] = x.shape as [number, number, number, number];
  return x.transpose(1, 2).reshape([batch, seq, heads * headDim]);
}

/** BERT/RoBERTa: (1 - mask) * float32.min as [B, 1, 1, T], added to the scores. */
export function additiveMask(attentionMask: Tensor): Tensor {
  const [batch, seq] = attentionMask.shape as [number, number];
  return attentionMask.to('float32').neg().add(1).mul(MASKED_SCORE).view([batch, 1, 1, seq]);
}

/** DistilBERT: true where a key is padding, [B, 1, 1, T], for maskedFill. */
export function paddingKeys(attentionMask: Tensor): Tensor {
  const [batch, seq] = attentionMask.shape as [number, number];
  return attentionMask.eq(0).view([batch, 1, 1, seq]);
}
