// Neural-network functions (PyTorch's torch.nn.functional, the parts we use).
import { native, type Reduction } from './native';
import { Tensor } from './tensor';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return new Tensor(native.linear(x.handle, weight.handle, bias?.handle));
}

export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(x.handle, [...normalizedShape], weight?.handle, bias?.handle, eps));
}

/** Rows of `weight` picked by integer `indices`; paddingIdx rows get no gradient. */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number): Tensor {
  return new Tensor(native.embedding(weight.handle, indices.handle, paddingIdx ?? -1));
}

/** Inverted dropout; identity when train is false. Masks come from the seeded global generator. */
export function dropout(x: Tensor, p: number, train: boolean): Tensor {
  if (p < 0 || p >= 1) throw new RangeError(`dropout probability must be in [0, 1), got ${p}`);
  return new Tensor(native.dropout(x.handle, p, train));
}

export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** Targets equal to this are skipped (masked-LM labels use -100). */
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/** Cross-entropy of logits [N, C] (or [N, C, ...]) against int64 class ids. */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return new Tensor(native.crossEntropy(logits.handle, target.handle, options.reduction ?? 'mean', options.ignoreIndex ?? -100, options.labelSmoothing ?? 0));
}

export function nllLoss(logProbs: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.nllLoss(logProbs.handle, target.handle, reduction));
}

/** x / max(||x||_p, eps) along dim, as torch.nn.functional.normalize. */
export function normalize(x: Tensor, dim = 1, p = 2, eps = 1e-12): Tensor {
  return new Tensor(native.normalize(x.handle, p, dim, eps));
}

export function cosineSimilarity(a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor {
  return new Tensor(native.cosineSimilarity(a.handle, b.handle, dim, eps));
}

export function oneHot(classes: Tensor, numClasses: number): Tensor {
  return new Tensor(native.oneHot(classes.handle, numClasses));
}

export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => x.logSoftmax(dim);
export const gelu = (x: Tensor): Tensor => x.gelu();
export const relu = (x: Tensor): Tensor => x.relu();
