// The forward most forget-set losses share: forget rows and retain rows in one batch (one
// forward, better BLAS use), split back into the forget part and the retain part's CE.
import { F, type Tensor } from '../engine';
import type { Example } from '../data';
import type { LabelledBatch } from '../train/batches';
import type { Classifier } from './types';

export interface JointForward {
  /** [forget rows, classes] and their true labels. */
  forgetLogits: Tensor;
  forgetLabels: Tensor;
  /** Mean CE on the retain rows. */
  retainCe: Tensor;
}

export function forwardForgetAndRetain(
  model: Classifier, encode: (examples: readonly Example[]) => LabelledBatch, forget: readonly Example[], retain: readonly Example[],
): JointForward {
  const batch = encode([...forget, ...retain]);
  const logits = model.forward(batch).logits;
  // Units, not rows: a tagged sentence contributes one output per word.
  const nf = batch.unitOffsets[forget.length]!;
  const nr = batch.unitOffsets[batch.size]! - nf;
  return {
    forgetLogits: logits.narrow(0, 0, nf),
    forgetLabels: batch.labels.narrow(0, 0, nf),
    retainCe: F.crossEntropy(logits.narrow(0, nf, nr), batch.labels.narrow(0, nf, nr)),
  };
}
