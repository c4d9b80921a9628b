// Starting a forward pass part-way up the stack. When the embeddings and the lowest layers are
// frozen (they never change during an unlearning run and run without dropout), their output for
// a row is the same at every step, so it can be computed once and reused: a batch carries that
// hidden state in `lower`, and the encoder starts at the first layer above it.
import type { Tensor } from '../engine/tensor';
import type { Encoder, EncoderBatch, ForwardOptions } from './types';

/** The hidden state after the embeddings and the first `layers` layers, made by `encoder`. */
export interface LowerHidden {
  encoder: Encoder;
  layers: number;
  /** [B, T, width]: the rows of the batch, at the batch's padded length. */
  hidden: Tensor;
}

/**
 * Where a forward pass starts: the batch's lower hidden state and the index of the first layer
 * to run, when this encoder made it (a teacher or other model given the same batch starts from
 * its own embeddings) and every hidden state was not asked for; else the embeddings and layer 0.
 */
export function forwardStart(encoder: Encoder, batch: EncoderBatch, options: ForwardOptions, embed: () => Tensor): { hidden: Tensor; first: number } {
  const lower = batch.lower;
  if (lower && lower.encoder === encoder && !options.outputHiddenStates) return { hidden: lower.hidden, first: lower.layers };
  return { hidden: embed(), first: 0 };
}

/** The layers a forward pass runs: from `first` up to `options.stopAfter` (default all). */
export function layersToRun<T>(layers: readonly T[], first: number, options: ForwardOptions): readonly T[] {
  const stop = options.stopAfter ?? layers.length;
  if (!Number.isInteger(stop) || stop < first || stop > layers.length) throw new RangeError(`stopAfter must be an integer from ${first} to ${layers.length}, got ${stop}`);
  return first === 0 && stop === layers.length ? layers : layers.slice(first, stop);
}
