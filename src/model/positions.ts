// Position ids. BERT/DistilBERT: 0..T-1. RoBERTa (HF create_position_ids_from_input_ids):
// cumsum(ids != pad) * (ids != pad) + pad, so real tokens get pad+1, pad+2, ... and pads get pad.
import type { Tensor } from '../engine/tensor';
import { arange } from '../engine/create';

/** int64 [1, T] on `device` (the input ids' device; default cpu). */
export function absolutePositionIds(seqLen: number, device?: string): Tensor {
  return arange(0, seqLen, 1, { dtype: 'int64', device }).unsqueeze(0);
}

/** int64 [B, T], from the token ids (not the attention mask), as HF does. */
export function robertaPositionIds(inputIds: Tensor, padTokenId: number): Tensor {
  const real = inputIds.ne(padTokenId).long();
  return real.cumsum(1).mul(real).add(padTokenId);
}

/** h [B, T, D] -> [N, D] at the flat positions `index` (batch.wordIndex); h itself without one. */
export function selectUnits(h: Tensor, index: Tensor | undefined): Tensor {
  if (!index) return h;
  const [b, t, d] = h.shape as [number, number, number];
  return h.reshape([b * t, d]).indexSelect(0, index);
}
