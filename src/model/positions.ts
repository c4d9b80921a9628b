// Position ids. BERT/DistilBERT: 0..T-1. RoBERTa (HF create_position_ids_from_input_ids):
// cumsum(ids != pad) * (ids != pad) + pad, so real tokens get pad+1, pad+2, ... and pads get pad.
import type { Tensor } from '../engine/tensor';
import { arange, ones } from '../engine/create';

/** int64 [1, T]. */
export function absolutePositionIds(seqLen: number): Tensor {
  return arange(0, seqLen).unsqueeze(0);
}

/** int64 [B, T], from the token ids (not the attention mask), as HF does. */
export function robertaPositionIds(inputIds: Tensor, padTokenId: number): Tensor {
  const seqLen = inputIds.size(1);
  const real = inputIds.ne(padTokenId).to('float32');
  // The engine has no cumsum: a running count is real @ upper-triangular ones (exact in float32 below 2^24).
  const runningCount = real.matmul(ones([seqLen, seqLen]).triu(0));
  // Offset before .long(): the engine's int64 + JS number promotes to float32 (a Scalar is a double).
  return runningCount.mul(real).add(padTokenId).long();
}
