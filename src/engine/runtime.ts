// Engine-wide settings and autograd switches.
import { native } from './native';
import type { Tensor } from './tensor';

/** Seeds libtorch's global generators, the CPU's and every GPU's: same seed, same numbers (on the same machine, device and thread count). */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

export const setNumThreads = (n: number): void => native.setNumThreads(n);
export const getNumThreads = (): number => native.getNumThreads();
/** Tensors alive in the addon (created and not yet disposed or collected). */
export const liveTensors = (): number => native.liveTensors();
/** Bytes of tensors currently reported to V8 (those not owned by a scope). */
export const externalBytes = (): number => native.externalBytes();
export const cudaIsAvailable = (): boolean => native.cudaIsAvailable();
export const torchVersion = (): string => native.torchVersion();
export const isGradEnabled = (): boolean => native.isGradEnabled();

/** Runs fn with autograd recording off (inference, parameter updates). */
export function noGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Drops the gradients of these tensors (PyTorch's zero_grad(set_to_none=True)). */
export function zeroGrad(params: readonly Tensor[]): void {
  native.zeroGrad(params.map((p) => p.handle));
}

/**
 * Scales gradients in place so their global L2 norm is at most maxNorm; returns the norm before
 * clipping. Reading the norm waits for a GPU: training loops use clipGradNormOnDevice.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  return native.clipGradNorm(params.map((p) => p.handle), maxNorm);
}

/**
 * clipGradNorm without reading the norm back: on a GPU the scale min(1, maxNorm / (norm + 1e-6))
 * stays a device tensor (PyTorch's own formula), so the step does not wait for the GPU; on the
 * CPU it is libtorch's clip_grad_norm_, the same numbers as clipGradNorm.
 */
export function clipGradNormOnDevice(params: readonly Tensor[], maxNorm: number): void {
  native.clipGradNormOnDevice(params.map((p) => p.handle), maxNorm);
}
