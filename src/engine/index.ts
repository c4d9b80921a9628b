// The tensor engine: libtorch tensors, autograd and optimizers from TypeScript.
export { Tensor, type DType, type Reduction, type TypedData } from './tensor';
export { scope, keep, scopeDepth } from './scope';
export * from './create';
export * as F from './functional';
export * from './runtime';
export * from './device';
export { AdamW, SGD, Optimizer, type AdamWOptions, type SGDOptions, type ParamGroup } from './optim';
export { linearWarmupDecay, constantLr, type LrSchedule } from './schedule';
export { AddonUnavailableError, nativeAvailable, addonFile } from './native';
export {
  ProcessGroup, parseMaster, distributedAvailable, DEFAULT_BUCKET_BYTES, DEFAULT_DISTRIBUTED_TIMEOUT_MS,
  type ProcessGroupOptions, type MasterAddress,
} from './distributed';
